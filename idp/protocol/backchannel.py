"""OpenID Connect Back-Channel Logout 1.0: logout tokens and their delivery to the relying parties.

``notices_for`` runs inside the request, while the session's rows are at hand: one signed logout token (§2.4) for
every client that took part in the ended session and registered a ``backchannel_logout_uri``. ``deliver`` runs
after the commit and after the browser got its answer (the web layer schedules it as a background task): a slow
or broken relying party delays nobody and is never shown to the person.

The logout token (§2.4): header ``typ: logout+jwt`` (§2.4 and §4.1, so that it can never pass for an ID token),
``kid`` and the client's ``id_token_signed_response_alg``; claims ``iss``, ``aud`` (the client), ``iat``, a short
``exp``, a unique ``jti``, ``sub``, ``sid`` (always: ``backchannel_logout_session_required`` clients need it, the
others may use it) and the ``events`` member; never a ``nonce`` (§2.4: "MUST NOT contain a nonce Claim").

Delivery (§2.5, §2.8): ``POST`` of ``logout_token=...`` as ``application/x-www-form-urlencoded``, to the registered
URI only (checked again here against the registration rules), redirects not followed, 5 s timeout, one retry when
the connection could not be made. 200 (or 204, which some frameworks substitute, §2.8) is success; anything else
is audited ``logout.backchannel.failed`` and logged without the token.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import anyio
import httpx
from joserfc import jwt

from idp.audit import AuditContext, record
from idp.crypto import new_token
from idp.db import Database
from idp.models import Account, BrowserSession, Client
from idp.protocol.client_metadata import uri_problem
from idp.protocol.context import ProtocolContext
from idp.protocol.subject import subject_identifier
from idp.storage import sessions as session_storage

log = logging.getLogger("idp.logout")

LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_TYP = "logout+jwt"
LOGOUT_TOKEN_TTL = timedelta(minutes=2)
TIMEOUT = httpx.Timeout(5.0)
RETRY_DELAY_SECONDS = 0.5
_SUCCESS = (200, 204)


@dataclass(frozen=True)
class LogoutNotice:
    """One logout token to post to one relying party."""

    client_id: str
    uri: str
    account_id: uuid.UUID
    sid: str
    jti: str
    logout_token: str = field(repr=False)


def notices_for(ctx: ProtocolContext, row: BrowserSession, account: Account) -> list[LogoutNotice]:
    """The notices for every client of the session that registered a back-channel logout URI (§2.1, §2.2)."""
    clients = session_storage.clients_of_session(ctx.session, row.id)
    return [_notice(ctx, c, row, account) for c in clients if c.backchannel_logout_uri and c.disabled_at is None]


def _notice(ctx: ProtocolContext, client: Client, row: BrowserSession, account: Account) -> LogoutNotice:
    now = ctx.clock.now()
    jti = new_token("", 18)
    claims = {
        "iss": ctx.issuer,
        "aud": client.client_id,
        "iat": int(now.timestamp()),
        "exp": int((now + LOGOUT_TOKEN_TTL).timestamp()),
        "jti": jti,
        "sub": subject_identifier(account),
        "sid": row.sid,
        "events": {LOGOUT_EVENT: {}},
    }
    alg = client.id_token_signed_response_alg
    kid, key = ctx.keyring.signing_key(alg)
    token = jwt.encode({"typ": LOGOUT_TOKEN_TYP, "alg": alg, "kid": kid}, claims, key, algorithms=[alg])
    assert client.backchannel_logout_uri is not None
    return LogoutNotice(client.client_id, client.backchannel_logout_uri, account.id, row.sid, jti, token)


async def deliver(database: Database, notices: list[LogoutNotice], audit: AuditContext) -> None:
    """Post every notice at once, then audit the outcomes. Never raises: it runs after the response."""
    if not notices:
        return
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False) as http:
            outcomes = await asyncio.gather(*(_post(http, notice) for notice in notices))
        await anyio.to_thread.run_sync(_audit, database, notices, outcomes, audit)
    except Exception:  # the person is logged out already; a failure here must not surface anywhere but the log
        log.exception("back-channel logout could not be completed")


async def _post(http: httpx.AsyncClient, notice: LogoutNotice) -> str | None:
    """None on success, else a short reason (never the token)."""
    problem = uri_problem(notice.uri, private_use=False, loopback_http=True)
    if problem:  # a row edited by hand: the server is never pointed anywhere registration would refuse
        return "uri_refused"
    for attempt in (1, 2):
        try:
            async with http.stream("POST", notice.uri, data={"logout_token": notice.logout_token}) as response:
                # the status is all we need: the body, however large, is never read
                return None if response.status_code in _SUCCESS else f"status_{response.status_code}"
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:  # never reached the RP: worth one more try
            if attempt == 2:
                return type(exc).__name__
            await asyncio.sleep(RETRY_DELAY_SECONDS)
        except httpx.HTTPError as exc:  # the RP may have acted on it: not repeated
            return type(exc).__name__
    return None  # pragma: no cover - the loop always returns


def _audit(database: Database, notices: list[LogoutNotice], outcomes: list[str | None], audit: AuditContext) -> None:
    with database.session() as session:
        for notice, problem in zip(notices, outcomes, strict=True):
            details = {"sid": notice.sid, "jti": notice.jti, **({"error": problem} if problem else {})}
            if problem:
                log.warning("back-channel logout failed", extra={"client_id": notice.client_id, "uri": notice.uri,
                                                                  "error": problem})
            record(session, "logout.backchannel.failed" if problem else "logout.backchannel.sent", context=audit,
                   outcome="failure" if problem else "success", account_id=notice.account_id,
                   client_id=notice.client_id, details=details)
