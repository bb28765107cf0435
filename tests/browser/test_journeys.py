"""The main journeys of a professional, in a real headless Chromium reading real e-mails (tests/browser/conftest.py).

What a person sees is asserted, and the page is used the way assistive technology reads it: fields are found and filled
by their label (so each label text of ../shared/UI-TEXTS.md is bound to its field), buttons and links by role and name,
errors by ``role=alert`` and outcomes by ``role=status``. The same journeys are tested through HTTP in
tests/test_activation.py and tests/test_forgot_password.py; here they prove the pages work in a browser: the forms,
CSRF and ``Secure`` cookies over real TLS, the redirects back to a relying party.

The login may ask, after the password, for a one-time code ("Code de confirmation") and then the terms of use ("J'ai lu
et accepte les conditions ci-dessus"): ``log_in`` (journey_steps.py) follows whatever step the page shows, so the
journeys hold with and without those steps. Each journey ends by reading what it left in the audit trail. The code by
SMS, the account page and the trusted browser are in test_code_by_sms.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from idp.authn.levels import ACR_OTP
from tests.browser.conftest import FINESS, OP, SCREENSHOTS, link_in
from tests.browser.journey_steps import (
    ACTIVATION_SUBJECT,
    BAD_CREDENTIALS,
    CHANGED_SUBJECT,
    NEW_PASSWORD,
    OTHER_PASSWORD,
    POLICY,
    RESET_SUBJECT,
    activate,
    assert_code_is_good,
    button,
    log_in,
    open_login,
    set_password,
    submit_login,
)
from tests.support.audit_trail import Entry, assert_in_order
from tests.support.password_pages import text_of


def test_activation(op: OP, page: Any) -> None:
    """The e-mail's link opens "Définition de votre mot de passe" with the username and the policy; a weak password is
    refused with the reasons announced; a good one activates the account and a confirmation e-mail follows."""
    account = op.create_user("jdupre", "Jeanne", "Dupré", "jeanne.dupre@example.fr")
    mail = op.mailbox.next_to("jeanne.dupre@example.fr", ACTIVATION_SUBJECT)
    assert "jdupre" in text_of(mail)
    page.goto(link_in(mail, op.issuer, "/password/activate"))

    expect(page).to_have_title(re.compile("^Définition de votre mot de passe"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Définition de votre mot de passe")
    expect(page.locator("dl.identity")).to_contain_text("Nom d'utilisateur")
    expect(page.locator("dl.identity strong")).to_have_text("jdupre")
    expect(page.get_by_text(POLICY)).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    new_password = page.get_by_label("Nouveau mot de passe", exact=True)
    expect(new_password).to_be_focused()  # autofocus: typing starts in the first field
    expect(new_password).to_have_accessible_description(re.compile(re.escape(POLICY)))

    set_password(page, "court")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Votre mot de passe n'a pas été enregistré")
    expect(alert).to_contain_text("au moins 12 caractères")
    expect(page.get_by_label("Nouveau mot de passe", exact=True)).to_have_attribute("aria-invalid", "true")

    set_password(page, NEW_PASSWORD, NEW_PASSWORD + "x")
    expect(page.get_by_role("alert")).to_contain_text("Les deux mots de passe saisis sont différents")

    set_password(page, NEW_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Mot de passe enregistré")
    status = page.get_by_role("status")
    expect(status).to_contain_text("Votre mot de passe a été enregistré.")
    expect(status).to_contain_text("Votre compte ViaTrajectoire est activé.")
    expect(page.get_by_role("link", name="Retourner sur ViaTrajectoire")).to_be_visible()

    confirmation = op.mailbox.next_to("jeanne.dupre@example.fr", CHANGED_SUBJECT)
    assert "jdupre" in text_of(confirmation) and NEW_PASSWORD not in text_of(confirmation)

    page.goto(link_in(mail, op.issuer, "/password/activate"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Lien déjà utilisé")

    assert_in_order(op.audit(account), [
        Entry("user.created", details={"username": "jdupre", "establishment": FINESS}),
        Entry("password.changed", details={"via": "activation"}), Entry("account.activated"),
    ])


def test_login_through_a_relying_party(op: OP, page: Any, new_page: Callable[[], Any]) -> None:
    """From the relying party's authorization URL to its callback: the login page and its texts, a wrong password
    refused, the right one, the code by e-mail and the terms of use, back to the RP with code, state and iss; the code
    redeems for tokens naming the account at acr otp. The same browser is then let through without a password. The
    audit trail has each step."""
    account = activate(op, new_page(), "mlefevre", "marc.lefevre@example.fr")
    rp, request = open_login(page, op)

    expect(page).to_have_title(re.compile("^Connexion"))
    expect(page.get_by_role("heading", name="Comment obtenir un compte ViaTrajectoire ?")).to_be_visible()
    expect(page.get_by_text("Merci de contacter le référent ViaTrajectoire de votre établissement.")).to_be_visible()
    expect(page.get_by_role("link", name="Mot de passe oublié ?")).to_be_visible()
    expect(page.get_by_label("Nom d'utilisateur", exact=True)).to_be_focused()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "login.png"), full_page=True)  # for review, not an assertion

    submit_login(page, "mlefevre", "Pas-le-bon-m0t!")
    expect(page.get_by_role("alert")).to_have_text(BAD_CREDENTIALS)
    expect(page.get_by_label("Nom d'utilisateur", exact=True)).to_have_value("mlefevre")
    expect(page.get_by_label("Mot de passe", exact=True)).to_have_value("")
    expect(page.get_by_label("Mot de passe", exact=True)).to_have_accessible_description(BAD_CREDENTIALS)

    steps: list[str] = []
    query = log_in(page, op, "mlefevre", NEW_PASSWORD, "marc.lefevre@example.fr", taken=steps)
    assert query["state"] == request.state and query["iss"] == op.issuer
    claims = assert_code_is_good(rp, request, query, account)
    cookies = {cookie["name"]: cookie for cookie in page.context.cookies(op.issuer)}
    assert cookies and all(cookie["secure"] for cookie in cookies.values()), cookies

    # The same browser, a second time: the session lets it through to the relying party without any page.
    again = rp.authorization_request()
    page.goto(f"{op.issuer}/authorize?{again.query}")
    assert page.url.startswith(op.callbacks.url)
    assert_code_is_good(rp, again, op.callbacks.wait_for(len(op.callbacks.received))[-1], account)

    # A first login on a new browser: the code by e-mail, then the terms (the server's defaults, as in production).
    assert steps == ["code", "terms"], steps
    assert claims["acr"] == ACR_OTP and {"pwd", "otp", "mfa"} <= set(claims["amr"]), claims
    assert_in_order(op.audit(account), [
        Entry("login.password.succeeded", client_id=op.client_id), Entry("otp.sent", details={"channel": "email"}),
        Entry("otp.verified", details={"channel": "email"}),
        Entry("login.succeeded", details={"method": "password+email_otp", "acr": ACR_OTP}),
        # The login is done; the terms are a condition of the authorization that follows.
        Entry("terms.accepted", details={"version": "2022-08"}),
        Entry("authorization.granted", client_id=op.client_id),
        Entry("authorization.granted", client_id=op.client_id),  # the second visit, by the session
    ])


def test_forgotten_password(op: OP, page: Any, new_page: Callable[[], Any]) -> None:
    """"Mot de passe oublié ?" from the login page; the same answer whether or not an account matches; the e-mail's link
    sets a new password; the old one no longer opens anything and the new one logs in through the relying party."""
    account = activate(op, new_page(), "pmartin", "paul.martin@example.fr")
    open_login(page, op)
    page.get_by_role("link", name="Mot de passe oublié ?").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Mot de passe oublié")
    page.get_by_label("Nom d'utilisateur ou adresse e-mail", exact=True).fill("paul.martin@example.fr")
    button(page, "Valider").click()
    answer = page.get_by_role("status")
    expect(answer).to_contain_text("Si un compte correspond, un e-mail vient d'être envoyé")
    expect(answer).to_contain_text("Ce lien est valable 1 heure")
    known = page.locator("main").inner_text()

    stranger = new_page()  # someone else asks for an account that does not exist, with the keyboard only
    stranger.goto(f"{op.issuer}/password/forgot")
    stranger.get_by_label("Nom d'utilisateur ou adresse e-mail", exact=True).fill("personne.inconnue@example.fr")
    stranger.keyboard.press("Enter")
    expect(stranger.get_by_role("status")).to_be_visible()
    assert stranger.locator("main").inner_text() == known  # no enumeration: the very same page

    mail = op.mailbox.next_to("paul.martin@example.fr", RESET_SUBJECT)
    page.goto(link_in(mail, op.issuer, "/password/reset"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Définition de votre mot de passe")
    expect(page.locator("dl.identity strong")).to_have_text("pmartin")
    set_password(page, OTHER_PASSWORD)
    expect(page.get_by_role("status")).to_contain_text("Votre mot de passe a été enregistré.")
    op.mailbox.next_to("paul.martin@example.fr", CHANGED_SUBJECT)

    browser = new_page()
    rp, request = open_login(browser, op)
    submit_login(browser, "pmartin", NEW_PASSWORD)  # the old password
    expect(browser.get_by_role("alert")).to_have_text(BAD_CREDENTIALS)
    query = log_in(browser, op, "pmartin", OTHER_PASSWORD, "paul.martin@example.fr")
    assert_code_is_good(rp, request, query, account)

    assert_in_order(op.audit(account), [
        Entry("password.reset.requested", details={"identifier": "email"}),
        Entry("password.changed", details={"via": "reset"}), Entry("password.reset.completed"),
        Entry("login.password.succeeded"), Entry("login.succeeded"), Entry("authorization.granted"),
    ])
