"""What a person does on the pages, shared by the browser journeys (test_journeys.py, test_code_by_sms.py).

Fields are found and filled by their label (so each label text of ../shared/UI-TEXTS.md is bound to its field),
buttons and links by role and name: a page whose label is not bound to its field fails here, as it would fail a
screen reader.

The login may ask, after the password, for a one-time code ("Code de confirmation") and then the terms of use ("J'ai lu
et accepte les conditions ci-dessus"): ``log_in`` follows whatever step the page shows, so the journeys hold with and
without those steps, and tells which steps it took.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.browser.conftest import OP, code_in, link_in
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


def log_in(page: Any, op: OP, username: str, password: str, email: str, *,
           read_code: Callable[[Any], str] | None = None, taken: list[str] | None = None) -> dict[str, str]:
    """Password, then whatever steps the OP asks for (one-time code, terms of use), until the relying party's callback.
    Returns the query the callback received. ``read_code(page)`` reads the code the page asks for (default: from the
    next e-mail to ``email``); the steps met ("code", "terms") are appended to ``taken``."""
    op.mailbox.mark_all_read()
    op.phones.mark_all_read()
    before = len(op.callbacks.received)
    navigating(page, lambda: submit_login(page, username, password))
    steps: list[str] = [] if taken is None else taken
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
            code.fill(read_code(page) if read_code else code_in(op.mailbox.next_to(email)))
            navigating(page, button(page, "Valider").click)
        elif terms.count():
            steps.append("terms")
            expect(page.get_by_text("CONDITIONS GÉNÉRALES D'UTILISATION DE VIATRAJECTOIRE")).to_be_visible()
            terms.check()
            navigating(page, button(page, "Valider").click)
        else:
            raise AssertionError(f"after {steps}: unexpected page {page.url}:\n{page.locator('main').inner_text()}")
    raise AssertionError(f"never reached the relying party after {steps}; at {page.url}")


def log_out(page: Any, op: OP) -> None:
    """ViaTrajectoire's logout without a relying party: the question, "Se déconnecter", then "Vous êtes déconnecté."
    The session ends; the trusted-browser cookie stays (it is the browser's, not the session's)."""
    page.goto(f"{op.issuer}/logout")
    expect(page.get_by_role("heading", level=1)).to_have_text("Déconnexion")
    navigating(page, button(page, "Se déconnecter").click)
    expect(page.get_by_role("status")).to_have_text("Vous êtes déconnecté.")


def assert_code_is_good(rp: RelyingParty, request: AuthorizationRequest, query: dict[str, str],
                        account: dict[str, Any]) -> dict[str, Any]:
    """The relying party's back end checks the callback (state, RFC 9207 iss) and redeems the code (PKCE). Returns the
    ID token's claims."""
    assert set(query) >= {"code", "state", "iss"} and "error" not in query, query
    code = rp.validate_callback(Callback(rp.redirect_uri, query), request)
    tokens = rp.exchange(code, request)
    assert tokens.status_code == 200, tokens.text
    claims = rp.validate_id_token(tokens.json()["id_token"], nonce=request.nonce,
                                  access_token=tokens.json()["access_token"])
    assert claims["sub"] == account["id"], (claims, account)
    return claims
