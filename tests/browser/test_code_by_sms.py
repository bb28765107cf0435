"""The code by SMS, in a real headless Chromium reading a real SMS gateway (tests/browser/conftest.py, issue 4).

A person who is logged in opens "Mon compte", types a French mobile number, gets the verification SMS, types the code
and chooses "Recevoir le code par SMS". Later the browser that typed a code (so it is trusted) needs only the
password. On a new browser the password is followed by the code page: it says the code went by SMS to a masked
number, and the SMS code ends the login at acr otp with amr "sms". Each test reads every step back from the audit
trail.

Fields are found by their label and buttons by their name (journey_steps.py), outcomes by ``role=status`` and
refusals by ``role=alert``, so a label not bound to its field fails here. tests/test_account_page.py and
tests/test_login_channels.py test the same rules over HTTP.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from idp.authn.levels import ACR_OTP
from idp.clock import utcnow
from tests.browser.conftest import OP, SCREENSHOTS, sms_code
from tests.browser.journey_steps import (
    NEW_PASSWORD,
    activate,
    assert_code_is_good,
    button,
    log_in,
    log_out,
    navigating,
    open_login,
)
from tests.support.audit_trail import Entry, assert_in_order

MOBILE = "06 12 34 56 78"  # as people type it
E164 = "+33612345678"  # as the gateway gets it
MASKED = "+336••••••78"  # as the account page and the audit trail show it
CODE_SENT = "Un code de confirmation vous a été envoyé par SMS. Il est valable 10 minutes."


def verify_phone(page: Any, op: OP) -> None:
    """"Numéro de téléphone", "Vérifier"; a landline refused; the SMS; a wrong code refused; the right one (Enter)."""
    phone = page.get_by_label("Numéro de téléphone", exact=True)
    phone.fill("01 23 45 67 89")  # no SMS reaches a landline
    navigating(page, button(page, "Vérifier").click)
    expect(page.get_by_role("alert")).to_contain_text("Ce numéro de téléphone n'est pas valide")
    expect(phone).to_have_attribute("aria-invalid", "true")
    assert op.phones.unread() == []

    phone.fill(MOBILE)
    navigating(page, button(page, "Vérifier").click)
    expect(page.get_by_role("status")).to_have_text(CODE_SENT)
    code = sms_code(op.phones.next_to(E164))
    field = page.get_by_label("Code de confirmation", exact=True)
    expect(field).to_have_accessible_description(f"Saisissez le code reçu par SMS au {MASKED}.")

    field.fill(f"{(int(code) + 1) % 10**6:06d}")
    navigating(page, button(page, "Valider").click)
    expect(page.get_by_role("alert")).to_have_text("Code incorrect. Il vous reste 4 essai(s).")
    expect(field).to_have_attribute("aria-invalid", "true")

    field.fill(code)
    navigating(page, lambda: field.press("Enter"))
    expect(page.get_by_role("status")).to_have_text("Votre numéro de téléphone est vérifié.")
    expect(page.get_by_text(f"{E164} (vérifié)")).to_be_visible()


def choose_sms(page: Any) -> None:
    """"Recevoir le code par SMS" (offered once the phone is verified), then "Enregistrer"."""
    by_sms = page.get_by_label("Recevoir le code par SMS", exact=True)
    expect(page.get_by_label("Recevoir le code par e-mail", exact=True)).to_be_checked()
    by_sms.check()
    navigating(page, button(page, "Enregistrer").click)
    expect(page.get_by_role("status")).to_have_text("Votre choix est enregistré.")
    expect(by_sms).to_be_checked()
    expect(page.get_by_text("Par SMS", exact=True)).to_be_visible()


def read_sms_code(op: OP, email: str) -> Callable[[Any], str]:
    """On the code page, what a person reads there (by SMS, to a number masked except its last two digits), then the
    code from the phone."""
    def read(page: Any) -> str:
        alerts = page.get_by_role("alert").all_inner_texts()
        assert alerts == [], alerts  # the SMS that verified the phone a moment ago does not delay this code
        field = page.get_by_label("Code de confirmation", exact=True)
        expect(field).to_have_accessible_description(re.compile(r"envoyé par SMS au [*• ]+78\. Il est valable"))
        shown = page.locator("main").inner_text()
        assert "12 34 56" not in shown and "123456" not in shown and email not in shown, shown
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "login-code-sms.png"), full_page=True)  # for review
        return sms_code(op.phones.next_to(E164))
    return read


def sms_login_trail(op: OP) -> list[Entry]:
    return [
        Entry("login.password.succeeded", client_id=op.client_id),
        Entry("otp.sent", details={"channel": "sms"}),
        Entry("otp.verified", details={"channel": "sms"}),
        Entry("login.succeeded", details={"method": "password+sms_otp", "acr": ACR_OTP}),
        Entry("authorization.granted", client_id=op.client_id),
    ]


def test_phone_verified_then_codes_by_sms(op: OP, page: Any, new_page: Callable[[], Any]) -> None:
    """The account page verifies the phone by SMS and sets SMS for codes. The browser that typed a code then logs in
    with its password alone, nothing sent; a new browser gets its code by SMS. The audit trail has each step."""
    email = "claire.bernard@example.fr"
    account = activate(op, new_page(), "cbernard", email)
    rp, request = open_login(page, op)
    first: list[str] = []
    assert_code_is_good(rp, request, log_in(page, op, "cbernard", NEW_PASSWORD, email, taken=first), account)
    assert first == ["code", "terms"], first  # by e-mail: no phone yet

    page.goto(f"{op.issuer}/account")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon compte")
    expect(page.get_by_label("Recevoir le code par SMS", exact=True)).to_have_count(0)  # no verified phone yet
    verify_phone(page, op)
    choose_sms(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "account.png"), full_page=True)  # for review, not an assertion

    # The same browser, its session ended: trusted since its code, it needs the password alone; nothing is sent.
    log_out(page, op)
    rp, request = open_login(page, op)
    steps: list[str] = []
    claims = assert_code_is_good(rp, request, log_in(page, op, "cbernard", NEW_PASSWORD, email, taken=steps), account)
    assert steps == [] and claims["acr"] == ACR_OTP and sorted(claims["amr"]) == ["mfa", "pwd"], (steps, claims)
    assert op.phones.unread() == [] and op.mailbox.unread_to(email) == []
    assert_in_order(op.audit(account), [
        Entry("otp.sent", details={"channel": "email"}), Entry("otp.verified", details={"channel": "email"}),
        Entry("login.succeeded", details={"method": "password+email_otp", "acr": ACR_OTP}),
        Entry("phone.verification.sent", details={"phone": MASKED}),
        Entry("phone.verification.failed", outcome="failure", details={"attempts": 1}),
        Entry("phone.verified", details={"phone": MASKED}),
        Entry("otp.channel.changed", details={"from": "email", "to": "sms"}),
        Entry("login.password.succeeded", client_id=op.client_id),
        Entry("login.succeeded", details={"method": "password+trusted_browser", "acr": ACR_OTP}),
        Entry("authorization.granted", client_id=op.client_id),
    ])

    # A new browser, right away: the password, then the code by SMS.
    other = new_page()
    rp, request = open_login(other, op)
    steps = []
    query = log_in(other, op, "cbernard", NEW_PASSWORD, email, read_code=read_sms_code(op, email), taken=steps)
    claims = assert_code_is_good(rp, request, query, account)
    assert steps == ["code"], steps  # the terms were accepted at the first login
    assert claims["acr"] == ACR_OTP and {"pwd", "sms", "mfa"} <= set(claims["amr"]), claims
    assert_in_order(op.audit(account), [Entry("otp.channel.changed"), *sms_login_trail(op)])


def test_a_first_login_with_the_code_by_sms(op: OP, page: Any, new_page: Callable[[], Any]) -> None:
    """An account whose phone is verified and whose codes go by SMS (as the account page leaves it a minute or more
    earlier): on a new browser, the password, the code page saying it went by SMS, the SMS code, the terms, and back
    to the relying party at acr otp with amr "sms"; no e-mail is sent."""
    email = "luc.garnier@example.fr"
    account = activate(op, new_page(), "lgarnier", email)
    op.set_account(account, phone_number=E164, phone_verified_at=utcnow(), otp_channel="sms")

    rp, request = open_login(page, op)
    steps: list[str] = []
    query = log_in(page, op, "lgarnier", NEW_PASSWORD, email, read_code=read_sms_code(op, email), taken=steps)
    claims = assert_code_is_good(rp, request, query, account)
    assert steps == ["code", "terms"], steps
    assert claims["acr"] == ACR_OTP and {"pwd", "sms", "mfa"} <= set(claims["amr"]), claims
    assert "otp" not in claims["amr"], claims  # RFC 8176: "sms" says how the code came; no e-mail code was used
    assert op.phones.unread() == [] and op.mailbox.unread_to(email) == []
    assert_in_order(op.audit(account), sms_login_trail(op))
