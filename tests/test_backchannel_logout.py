"""Back-Channel Logout 1.0 through HTTP, with the relying party's endpoint a real HTTP server on 127.0.0.1.

What the OpenID Foundation's Back-Channel Logout OP plan checks is here: after an RP-initiated logout, every client
of the session that registered a ``backchannel_logout_uri`` receives a form-encoded ``logout_token`` whose signature
verifies against /jwks, typed ``logout+jwt``, with iss, aud, iat, exp, jti, sub, sid and the logout event, and no
nonce. A relying party that is down, failing, slow or redirecting changes nothing for the person logging out.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from sqlalchemy import select

from idp.db import Database
from idp.models import AuditEvent
from idp.protocol.backchannel import LOGOUT_EVENT
from idp.settings import Settings
from tests.support.backchannel_receiver import PATH, BackchannelReceiver, closed_port_url
from tests.support.factories import CLIENT_SECRET, PASSWORD, make_client
from tests.support.rp import RelyingParty, forms_of

LOGGED_OUT = "https://rp.example/logged-out"


def _rp(client: TestClient, db: Database, settings: Settings, backchannel_uri: str, *, client_id: str = "rp-bc",
        alg: str = "RS256") -> RelyingParty:
    redirect_uri = f"https://{client_id}.example/callback"
    make_client(db, settings, client_id=client_id, redirect_uris=[redirect_uri], backchannel_logout_uri=backchannel_uri,
                backchannel_logout_session_required=True, id_token_signed_response_alg=alg)
    return RelyingParty(client, settings.issuer, client_id, redirect_uri, client_secret=CLIENT_SECRET, id_token_alg=alg)


def _logout_with_hint(rp: RelyingParty, tokens: dict[str, Any]) -> Any:
    query = urlencode({"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": LOGGED_OUT, "state": "s"})
    response = rp.http.get("/logout?" + query, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == LOGGED_OUT + "?state=s"
    return response


def _events(db: Database, name: str) -> list[AuditEvent]:
    with db.session() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.event == name)))


def _is_logged_in(rp: RelyingParty) -> bool:
    callback = rp.follow(rp.start(rp.authorization_request(prompt="none")))
    return "code" in callback.params  # type: ignore[union-attr]


def _check_logout_token(rp: RelyingParty, received: Any, id_claims: dict[str, Any]) -> dict[str, Any]:
    """Back-Channel Logout §2.4 and §2.6, as a relying party validates it."""
    assert received.method == "POST" and received.path == PATH
    assert received.headers["Content-Type"] == "application/x-www-form-urlencoded"
    [value] = received.form["logout_token"]
    token = jwt.decode(value, rp.jwks(), algorithms=[rp.id_token_alg])  # the signature, against /jwks
    assert token.header["typ"] == "logout+jwt" and token.header["alg"] == rp.id_token_alg and token.header["kid"]
    claims = token.claims
    now = time.time()
    assert claims["iss"] == rp.issuer and claims["aud"] == rp.client_id
    assert claims["sub"] == id_claims["sub"] and claims["sid"] == id_claims["sid"]
    assert claims["events"] == {LOGOUT_EVENT: {}}
    assert isinstance(claims["jti"], str) and len(claims["jti"]) >= 16
    assert claims["iat"] <= now + 60 and now < claims["exp"] <= claims["iat"] + 300
    assert "nonce" not in claims, "§2.4: a logout token MUST NOT contain a nonce"
    assert set(claims) == {"iss", "aud", "iat", "exp", "jti", "sub", "sid", "events"}
    return claims


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_rp_initiated_logout_sends_a_valid_logout_token(client: TestClient, db: Database, settings: Settings,
                                                        user: Any, alg: str) -> None:
    with BackchannelReceiver() as receiver:
        rp = _rp(client, db, settings, receiver.url, alg=alg)
        tokens = rp.code_flow(user.username, PASSWORD)
        _logout_with_hint(rp, tokens)
        [received] = receiver.wait_for(1)
    claims = _check_logout_token(rp, received, tokens["id_claims"])
    [sent] = _events(db, "logout.backchannel.sent")
    assert (sent.client_id, sent.account_id, sent.outcome) == (rp.client_id, user.id, "success")
    assert sent.details == {"sid": claims["sid"], "jti": claims["jti"]}


def test_every_client_of_the_session_is_told_and_no_other(client: TestClient, db: Database, settings: Settings,
                                                          user: Any) -> None:
    with BackchannelReceiver() as first, BackchannelReceiver() as second, BackchannelReceiver() as bystander:
        rp_a = _rp(client, db, settings, first.url, client_id="rp-a")
        rp_b = _rp(client, db, settings, second.url, client_id="rp-b", alg="ES256")
        _rp(client, db, settings, bystander.url, client_id="rp-c")  # registered, never used in this session
        tokens_a = rp_a.code_flow(user.username, PASSWORD)
        tokens_b = rp_b.code_flow(user.username, PASSWORD)  # single sign-on: the same session
        assert tokens_a["id_claims"]["sid"] == tokens_b["id_claims"]["sid"]
        _logout_with_hint(rp_a, tokens_a)
        [to_a], [to_b] = first.wait_for(1), second.wait_for(1)
    claims_a = _check_logout_token(rp_a, to_a, tokens_a["id_claims"])
    claims_b = _check_logout_token(rp_b, to_b, tokens_b["id_claims"])
    assert claims_a["jti"] != claims_b["jti"]
    assert bystander.requests == []


def test_a_confirmed_logout_is_told_too(client: TestClient, db: Database, settings: Settings, user: Any) -> None:
    with BackchannelReceiver() as receiver:
        rp = _rp(client, db, settings, receiver.url)
        tokens = rp.code_flow(user.username, PASSWORD)
        page = client.get("/logout")
        [form] = [f for f in forms_of(page.text) if f["action"] == "/logout/confirm"]
        assert receiver.requests == [], "nothing is sent before the person confirms"
        client.post("/logout/confirm", data=form["fields"])
        [received] = receiver.wait_for(1)
    _check_logout_token(rp, received, tokens["id_claims"])


def test_a_relying_party_that_is_down_does_not_stop_the_logout(client: TestClient, db: Database, settings: Settings,
                                                               user: Any, caplog: pytest.LogCaptureFixture) -> None:
    rp = _rp(client, db, settings, closed_port_url())
    tokens = rp.code_flow(user.username, PASSWORD)
    _logout_with_hint(rp, tokens)
    assert not _is_logged_in(rp)
    [failed] = _events(db, "logout.backchannel.failed")
    assert (failed.client_id, failed.account_id, failed.outcome) == (rp.client_id, user.id, "failure")
    assert failed.details["error"] == "ConnectError" and failed.details["sid"] == tokens["id_claims"]["sid"]
    assert _events(db, "logout.backchannel.sent") == []
    assert "back-channel logout failed" in caplog.text


@pytest.mark.parametrize(("status", "location", "error"), [(500, None, "status_500"), (400, None, "status_400"),
                                                          (302, "SELF", "status_302")])
def test_a_failing_or_redirecting_relying_party_is_audited_not_followed(
    client: TestClient, db: Database, settings: Settings, user: Any, caplog: pytest.LogCaptureFixture,
    status: int, location: str | None, error: str,
) -> None:
    with BackchannelReceiver(status=status) as receiver:
        receiver.location = receiver.url if location == "SELF" else None
        rp = _rp(client, db, settings, receiver.url)
        tokens = rp.code_flow(user.username, PASSWORD)
        _logout_with_hint(rp, tokens)
        receiver.wait_for(1)
        time.sleep(0.2)
        assert len(receiver.requests) == 1, "redirects are not followed, errors not retried"
    [failed] = _events(db, "logout.backchannel.failed")
    assert failed.details["error"] == error
    [value] = receiver.requests[0].form["logout_token"]
    assert value not in caplog.text, "the logout token never reaches the log"
    assert not _is_logged_in(rp)


def test_a_204_answer_counts_as_success(client: TestClient, db: Database, settings: Settings, user: Any) -> None:
    """§2.8: some frameworks answer 204 for an empty 200; the OP should take it as success."""
    with BackchannelReceiver(status=204) as receiver:
        rp = _rp(client, db, settings, receiver.url)
        _logout_with_hint(rp, rp.code_flow(user.username, PASSWORD))
        receiver.wait_for(1)
    assert len(_events(db, "logout.backchannel.sent")) == 1


def test_the_browser_gets_its_answer_before_any_relying_party_is_called(client: TestClient, db: Database,
                                                                        settings: Settings, user: Any) -> None:
    """The notices leave after the response (and so after the commit): a slow RP delays nobody.

    The app is driven at the ASGI level, where the moment the last byte of the response is sent can be seen
    (a test client only returns once background tasks are over).
    """
    with BackchannelReceiver(delay=1.0) as receiver:
        rp = _rp(client, db, settings, receiver.url)
        tokens = rp.code_flow(user.username, PASSWORD)
        query = urlencode({"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": LOGGED_OUT})
        sent: dict[str, Any] = {}
        cookie = b"idp_session=" + client.cookies["idp_session"].encode()

        async def drive() -> None:
            scope = {
                "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "https",
                "path": "/logout", "raw_path": b"/logout", "query_string": query.encode(), "root_path": "",
                "headers": [(b"host", b"idp.test"), (b"cookie", cookie)],
                "client": ("127.0.0.1", 50000), "server": ("idp.test", 443),
            }

            async def receive() -> dict[str, Any]:
                return {"type": "http.request", "body": b"", "more_body": False}

            async def send(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    sent["status"] = message["status"]
                if message["type"] == "http.response.body" and not message.get("more_body"):
                    sent["done_at"] = time.monotonic()

            await client.app(scope, receive, send)  # type: ignore[arg-type]

        asyncio.run(drive())
        [received] = receiver.wait_for(1)
    assert sent["status"] == 303
    assert sent["done_at"] < received.received_at, "the relying party was called before the browser got its answer"
    assert len(_events(db, "logout.backchannel.sent")) == 1
