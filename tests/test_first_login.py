"""The first login chain end to end (SPEC §1.1.3-4): password, code by e-mail, terms, back to the client; later the
password alone on the same browser; a code again on a new browser."""

from __future__ import annotations


import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from idp.authn.levels import ACR_OTP
from idp.db import Database
from idp.models import Account, AuditEvent
from idp.settings import Settings
from tests.conftest import make_settings
from tests.support.factories import CLIENT_SECRET, PASSWORD, REDIRECT_URI
from tests.support.login_codes import code_reader
from tests.support.rp import RelyingParty
from tests.support.smtp import SmtpServer


@pytest.fixture
def settings(database_url: str, smtp: SmtpServer) -> Settings:  # the production shape: codes and terms required
    return make_settings(database_url, smtp_url=smtp.url(), otp_required=True, cgu_version="2022-08")


def events(db: Database) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(AuditEvent.event).order_by(AuditEvent.occurred_at)))


def test_first_login_then_trusted_browser_then_new_browser(app, client, rp: RelyingParty, user, smtp: SmtpServer, db: Database) -> None:  # type: ignore[no-untyped-def]
    first = rp.code_flow("john_wick", PASSWORD, code_reader=code_reader(smtp), accept_terms=True)["id_claims"]
    assert first["acr"] == ACR_OTP and "otp" in first["amr"] and len(smtp.received) == 1
    chain = [e for e in events(db) if e in ("login.password.succeeded", "otp.sent", "otp.verified", "terms.accepted",
                                            "authorization.granted")]
    assert chain == ["login.password.succeeded", "otp.sent", "otp.verified", "terms.accepted", "authorization.granted"]
    with db.session() as session:
        assert session.get(Account, user.id).first_password_login_at is not None  # type: ignore[union-attr]

    # Same browser, later: the password alone, still acr otp (trusted browser), no code, no terms. (The session's
    # amr still lists the code typed earlier in it: a session's amr is everything it proved.)
    later = rp.code_flow("john_wick", PASSWORD, prompt="login")["id_claims"]
    assert later["acr"] == ACR_OTP and len(smtp.received) == 1
    assert events(db).count("otp.sent") == 1 and events(db).count("login.succeeded") == 2

    # A new browser: the code again, no terms.
    with TestClient(app, base_url=rp.issuer) as fresh_browser:
        other = RelyingParty(fresh_browser, rp.issuer, rp.client_id, REDIRECT_URI, client_secret=CLIENT_SECRET)
        again = other.code_flow("john_wick", PASSWORD, code_reader=code_reader(smtp))["id_claims"]
    assert again["acr"] == ACR_OTP and "otp" in again["amr"] and len(smtp.received) == 2
