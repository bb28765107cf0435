"""The terms of use (SPEC §1.1.3, §1.1.5; UI-TEXTS "Terms of use"): asked after the login, again for a new version."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from idp.db import Database
from idp.main import create_app
from idp.models import AuditEvent, TermsAcceptance
from idp.settings import Settings
from tests.conftest import make_settings
from tests.support.factories import CLIENT_SECRET, PASSWORD, REDIRECT_URI
from tests.support.rp import RelyingParty, forms_of


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, cgu_version="2022-08")  # codes stay optional here: test_first_login chains both


def terms_page(rp: RelyingParty, **extra: str) -> httpx.Response:
    page = rp.follow(rp.start(rp.authorization_request(**extra)))
    assert isinstance(page, httpx.Response)
    if any(f["action"] == "/login" for f in forms_of(page.text)):
        page = rp.follow(rp.submit_login(page, "john_wick", PASSWORD))
    assert isinstance(page, httpx.Response) and page.status_code == 200, page
    return page


def test_the_terms_are_shown_word_for_word_after_the_password(rp: RelyingParty, user) -> None:  # type: ignore[no-untyped-def]
    page = terms_page(rp)
    for text in ("CONDITIONS GÉNÉRALES D'UTILISATION DE VIATRAJECTOIRE", "Version Août 2022", "Article 1 – Objet",
                 '<label for="accept">J\'ai lu et accepte les conditions ci-dessus</label>', "Valider"):
        assert text in page.text.replace("&#39;", "'"), text


def test_accepting_stores_version_time_and_address_and_resumes(rp: RelyingParty, user, db: Database) -> None:  # type: ignore[no-untyped-def]
    request = rp.authorization_request()
    assert rp.validate_callback(rp.login(request, "john_wick", PASSWORD, accept_terms=True), request)
    with db.session() as session:
        acceptance = session.scalars(select(TermsAcceptance)).one()
        event = session.scalars(select(AuditEvent).where(AuditEvent.event == "terms.accepted")).one()
    assert acceptance.account_id == user.id and acceptance.version == "2022-08" and acceptance.ip_address
    assert acceptance.accepted_at is not None and event.details == {"version": "2022-08"}
    # Accepted once: the next login goes straight back to the client.
    assert "code" in rp.login(rp.authorization_request(prompt="login"), "john_wick", PASSWORD).params


def test_the_box_must_be_ticked(rp: RelyingParty, user, db: Database) -> None:  # type: ignore[no-untyped-def]
    page = terms_page(rp)
    answer = rp.submit_form(page, "/login/terms", accept="")  # the box left unticked
    assert answer.status_code == 400 and 'role="alert"' in answer.text and "Cochez la case" in answer.text
    with db.session() as session:
        assert session.scalars(select(TermsAcceptance)).all() == []


def test_the_form_needs_the_csrf_token(rp: RelyingParty, user) -> None:  # type: ignore[no-untyped-def]
    answer = rp.submit_form(terms_page(rp), "/login/terms", accept="yes", csrf_token="")
    assert answer.status_code == 403 and "Formulaire expiré" in answer.text


def test_a_session_with_pending_terms_goes_to_the_terms_not_the_password(rp: RelyingParty, user) -> None:  # type: ignore[no-untyped-def]
    terms_page(rp)  # logged in, terms not accepted yet
    again = rp.follow(rp.start(rp.authorization_request()))
    assert isinstance(again, httpx.Response) and "/login/terms" in again.text and 'action="/login"' not in again.text


def test_prompt_none_with_pending_terms_answers_interaction_required(rp: RelyingParty, user) -> None:  # type: ignore[no-untyped-def]
    terms_page(rp)
    request = rp.authorization_request(prompt="none")
    callback = rp.follow(rp.start(request))
    assert callback.params["error"] == "interaction_required" and callback.params["state"] == request.state  # type: ignore[union-attr]


def test_a_new_version_is_asked_again_at_the_next_login(rp: RelyingParty, user, database_url: str, db: Database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    request = rp.authorization_request()
    rp.validate_callback(rp.login(request, "john_wick", PASSWORD, accept_terms=True), request)
    (tmp_path / "2026-01.html").write_text("<p>Nouvelles conditions</p>", encoding="utf-8")
    newer = make_settings(database_url, cgu_version="2026-01", cgu_label="Version Janvier 2026", cgu_dir=str(tmp_path))
    with TestClient(create_app(newer, database=db), base_url=newer.issuer) as http:
        later = RelyingParty(http, newer.issuer, "rp-test", REDIRECT_URI, client_secret=CLIENT_SECRET)
        page = terms_page(later)
        assert "Version Janvier 2026" in page.text and "Nouvelles conditions" in page.text
        request = later.authorization_request()
        assert later.validate_callback(later.login(request, "john_wick", PASSWORD, accept_terms=True), request)
    with db.session() as session:
        assert sorted(session.scalars(select(TermsAcceptance.version))) == ["2022-08", "2026-01"]
