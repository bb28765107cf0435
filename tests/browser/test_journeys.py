"""The main journeys of a professional, in a real headless Chromium reading real e-mails (tests/browser/conftest.py).

What a person sees is asserted, and the page is used the way assistive technology reads it: fields are found and filled
by their label (so each label text of ../shared/UI-TEXTS.md is bound to its field), buttons and links by role and name,
errors by ``role=alert`` and outcomes by ``role=status``. The same journeys are tested through HTTP in
tests/test_activation.py and tests/test_forgot_password.py; here they prove the pages work in a browser: the forms,
CSRF and ``Secure`` cookies over real TLS, the redirects back to a relying party.

The login may ask, after the password, for a one-time code ("Code de confirmation") and then the terms of use ("J'ai lu
et accepte les conditions ci-dessus"): ``log_in`` follows whatever step the page shows, so the journeys hold with and
without those steps.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.browser.conftest import OP, SCREENSHOTS, code_in, link_in
from tests.support.password_pages import text_of
from tests.support.rp import AuthorizationRequest, Callback, RelyingParty

NEW_PASSWORD = "Vq7#mLz!pR2w-neuf"
OTHER_PASSWORD = "Tr4vers!e-Rh0ne-9"
POLICY = "12 caractères minimum, comportant au moins 1 minuscule, 1 majuscule, 1 chiffre et 1 caractère spécial"
ACTIVATION_SUBJECT = "Activation de votre compte ViaTrajectoire"
CHANGED_SUBJECT = "Votre mot de passe a été modifié"
RESET_SUBJECT = "Réinitialisation de votre mot de passe ViaTrajectoire"
BAD_CREDENTIALS = "Nom d'utilisateur ou mot de passe incorrect."


def button(page: Any, name: str) -> Any:
    return page.get_by_role("button", name=name, exact=True)


def set_password(page: Any, password: str, repeated: str | None = None) -> None:
    page.get_by_label("Nouveau mot de passe", exact=True).fill(password)
    page.get_by_label("Répéter le mot de passe", exact=True).fill(password if repeated is None else repeated)
    button(page, "Valider").click()


def activate(op: OP, page: Any, username: str, email: str, password: str = NEW_PASSWORD) -> dict[str, Any]:
    """A référent creates the account; its owner follows the e-mail's link and sets a password. Returns the account."""
    account = op.create_user(username, "Jeanne", "Dupré", email, cli=False)
    page.goto(link_in(op.mailbox.next_to(email, ACTIVATION_SUBJECT), op.issuer, "/password/activate"))
    set_password(page, password)
    expect(page.get_by_role("heading", level=1)).to_have_text("Mot de passe enregistré")
    op.mailbox.next_to(email, CHANGED_SUBJECT)
    return account


def open_login(page: Any, op: OP) -> tuple[RelyingParty, AuthorizationRequest]:
    """The relying party sends the browser to /authorize (code flow, PKCE S256, state, nonce): the login page."""
    rp = op.relying_party()
    request = rp.authorization_request()
    page.goto(f"{op.issuer}/authorize?{request.query}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Espace professionnel")
    return rp, request


def submit_login(page: Any, username: str, password: str) -> None:
    page.get_by_label("Nom d'utilisateur", exact=True).fill(username)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    button(page, "Se connecter").click()


def navigating(page: Any, action: Callable[[], None]) -> None:
    """Do ``action`` and wait for the page it leads to (which may look like the last one: the login form again). A
    navigation the browser blocks fails with what the browser's console said (a CSP violation, say)."""
    said: list[str] = []
    page.on("console", lambda message: said.append(message.text))
    try:
        with page.expect_navigation():
            action()
    except PlaywrightError as exc:
        if not said:
            page.wait_for_timeout(300)  # the console's reason may arrive just after the failed navigation
        raise AssertionError(f"the browser did not go on from {page.url}: {exc.message}; console: {said}") from None


def log_in(page: Any, op: OP, username: str, password: str, email: str) -> dict[str, str]:
    """Password, then whatever steps the OP asks for (one-time code, terms of use), until the relying party's callback.
    Returns the query the callback received."""
    op.mailbox.mark_all_read()
    before = len(op.callbacks.received)
    navigating(page, lambda: submit_login(page, username, password))
    steps: list[str] = []
    for _ in range(5):
        if page.url.startswith(op.callbacks.url):
            expect(page.get_by_role("heading", level=1)).to_have_text("Retour sur le site")
            received = op.callbacks.wait_for(before + 1)
            assert len(received) == before + 1, received
            return received[-1]
        code = page.get_by_label("Code de confirmation", exact=True)
        terms = page.get_by_label("J'ai lu et accepte les conditions ci-dessus", exact=True)
        if code.count():
            steps.append("code")
            code.fill(code_in(op.mailbox.next_to(email)))
            navigating(page, button(page, "Valider").click)
        elif terms.count():
            steps.append("terms")
            expect(page.get_by_text("CONDITIONS GÉNÉRALES D'UTILISATION DE VIATRAJECTOIRE")).to_be_visible()
            terms.check()
            navigating(page, button(page, "Valider").click)
        else:
            raise AssertionError(f"after {steps}: unexpected page {page.url}:\n{page.locator('main').inner_text()}")
    raise AssertionError(f"never reached the relying party after {steps}; at {page.url}")


def assert_code_is_good(rp: RelyingParty, request: AuthorizationRequest, query: dict[str, str],
                        account: dict[str, Any]) -> None:
    """The relying party's back end checks the callback (state, RFC 9207 iss) and redeems the code (PKCE)."""
    assert set(query) >= {"code", "state", "iss"} and "error" not in query, query
    code = rp.validate_callback(Callback(rp.redirect_uri, query), request)
    tokens = rp.exchange(code, request)
    assert tokens.status_code == 200, tokens.text
    claims = rp.validate_id_token(tokens.json()["id_token"], nonce=request.nonce,
                                  access_token=tokens.json()["access_token"])
    assert claims["sub"] == account["id"], (claims, account)


def test_activation(op: OP, page: Any) -> None:
    """The e-mail's link opens "Définition de votre mot de passe" with the username and the policy; a weak password is
    refused with the reasons announced; a good one activates the account and a confirmation e-mail follows."""
    op.create_user("jdupre", "Jeanne", "Dupré", "jeanne.dupre@example.fr")
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


def test_login_through_a_relying_party(op: OP, page: Any, new_page: Callable[[], Any]) -> None:
    """From the relying party's authorization URL to its callback: the login page and its texts, a wrong password
    refused, the right one (then the code and terms steps if the OP asks) back to the RP with code, state and iss;
    the code redeems for tokens naming the account. The same browser is then let through without a password."""
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

    query = log_in(page, op, "mlefevre", NEW_PASSWORD, "marc.lefevre@example.fr")
    assert query["state"] == request.state and query["iss"] == op.issuer
    assert_code_is_good(rp, request, query, account)
    cookies = {cookie["name"]: cookie for cookie in page.context.cookies(op.issuer)}
    assert cookies and all(cookie["secure"] for cookie in cookies.values()), cookies

    # The same browser, a second time: the session lets it through to the relying party without any page.
    again = rp.authorization_request()
    page.goto(f"{op.issuer}/authorize?{again.query}")
    assert page.url.startswith(op.callbacks.url)
    assert_code_is_good(rp, again, op.callbacks.wait_for(len(op.callbacks.received))[-1], account)


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
