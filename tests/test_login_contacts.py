"""The login page's "Comment obtenir un compte ViaTrajectoire ?" block: each configured region's contact text."""

from __future__ import annotations

import html
import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from idp.db import Database
from idp.main import create_app
from idp.settings import load_settings
from tests.conftest import TEST_ISSUER, make_settings
from tests.support.factories import REDIRECT_URI, make_client
from tests.support.rp import RelyingParty

CONTACTS = {
    "Île-de-France": "Contactez le référent de votre établissement ou support-idf@viatrajectoire.fr.",
    "Bretagne": "Écrivez à l'assistance régionale : bretagne@viatrajectoire.fr.",
}


def _login_page(database_url: str, db: Database, **overrides: object) -> str:
    settings = make_settings(database_url, **overrides)
    with TestClient(create_app(settings, database=db), base_url=TEST_ISSUER) as client:
        make_client(db, settings)
        rp = RelyingParty(client, settings.issuer, "rp-test", REDIRECT_URI)
        page = rp.follow(rp.start(rp.authorization_request()))
        return html.unescape(page.text)


def test_each_configured_region_has_its_contact_text(database_url: str, db: Database) -> None:
    text = _login_page(database_url, db, login_contacts=CONTACTS)
    assert "Comment obtenir un compte ViaTrajectoire ?" in text
    for region, contact in CONTACTS.items():
        assert f"<h3>{region}</h3>" in text and contact in text
    assert "Merci de contacter le référent ViaTrajectoire de votre établissement." not in text


def test_without_configuration_the_generic_sentence_is_shown(database_url: str, db: Database) -> None:
    assert "Merci de contacter le référent ViaTrajectoire de votre établissement." in _login_page(database_url, db)


def test_contacts_come_from_the_config_file_or_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("IDP_"):
            monkeypatch.delenv(name)
    config = tmp_path / "idp.toml"
    config.write_text('[login_contacts]\n"Île-de-France" = "Contactez support-idf@viatrajectoire.fr."\n')
    monkeypatch.setenv("IDP_CONFIG_FILE", str(config))
    assert load_settings().login_contacts == {"Île-de-France": "Contactez support-idf@viatrajectoire.fr."}
    # As for sections, the environment's entries are merged into the file's (and win on the same region).
    monkeypatch.setenv("IDP_LOGIN_CONTACTS", '{"Bretagne": "bretagne@viatrajectoire.fr"}')
    assert load_settings().login_contacts == {
        "Île-de-France": "Contactez support-idf@viatrajectoire.fr.", "Bretagne": "bretagne@viatrajectoire.fr"
    }
