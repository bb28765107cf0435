"""Verifying a phone number from the account page (SPEC §1.3: "Vérifier", then the SMS code).

``send_code`` checks the number, claims a send (``CodeSends.claim_code_send``: one SMS a minute, a few an hour,
per address; its minute is counted apart from the login codes', so the first SMS login right after is not
refused), retires any earlier code, stores a new 6-digit code as a keyed hash (10 minutes, 5 tries) and returns
the SMS to send *after the commit* (the caller sends it with ``idp.notify.sms``). When the gateway does not take
it, ``delivery_failed`` audits ``otp.delivery_failed`` and gives back the send's one-a-minute gap
(``CodeSends.release_failed_send``), so "Vérifier" works again at once. ``confirm_code`` checks a typed code; the
right one sets ``phone_number`` and ``phone_verified_at``.

Numbers are parsed with ``phonenumbers`` (Google's libphonenumber metadata), French by default: people type
"06 12 34 56 78" as often as "+33 6 12 34 56 78", and a number must be one a SMS can reach (a mobile, or a number
the metadata cannot tell from one), which a regular expression cannot know. They are stored in E.164.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import phonenumbers
from phonenumbers import PhoneNumberType

from idp.audit import AuditContext, record
from idp.authn.code_sends import CodeSends
from idp.authn.throttle_policy import Verdict
from idp.clock import utcnow
from idp.crypto import constant_time_equals, keyed_hash
from idp.db import Session
from idp.models import Account, OtpCode
from idp.settings import Settings
from idp.storage import phone_codes as storage

CODE_TTL = timedelta(minutes=10)
MAX_TRIES = 5
DEFAULT_REGION = "FR"
_SMS_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
_HASH_PURPOSE = "otp-code:phone_verification"


class InvalidPhoneNumber(ValueError):
    """The number cannot be read, or no SMS can reach it."""


class SendRefused(Exception):
    def __init__(self, verdict: Verdict) -> None:
        super().__init__(verdict.reason)
        self.verdict = verdict


class CodeRejected(Exception):
    """``reason``: ``wrong`` (tries remain), ``expired`` or ``exhausted`` (ask for a new code), ``none``."""

    def __init__(self, reason: str, tries_left: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.tries_left = tries_left


@dataclass(frozen=True)
class OutgoingSms:
    to: str
    text: str


def normalise_number(raw: str, region: str = DEFAULT_REGION) -> str:
    """The E.164 form of ``raw`` ("06 12 34 56 78" → "+33612345678"), or ``InvalidPhoneNumber``."""
    try:
        number = phonenumbers.parse(raw.strip()[:32], region)
    except phonenumbers.NumberParseException:
        raise InvalidPhoneNumber(raw) from None
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in _SMS_TYPES:
        raise InvalidPhoneNumber(raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def send_code(session: Session, settings: Settings, code_sends: CodeSends, account: Account, raw_number: str, *,
              context: AuditContext, now: datetime | None = None) -> OutgoingSms:
    number = normalise_number(raw_number)
    verdict = code_sends.claim_code_send(session, account_id=account.id, channel="sms", context=context,
                                         purpose=storage.PURPOSE)
    if not verdict.allowed:
        raise SendRefused(verdict)
    now = now or utcnow()
    storage.retire_codes(session, account.id, now)
    code = f"{secrets.randbelow(10**6):06d}"
    storage.add_code(session, OtpCode(
        account_id=account.id, purpose=storage.PURPOSE, channel="sms", destination=number,
        code_hash=_hash(settings, account, code), expires_at=now + CODE_TTL,
    ))
    record(session, "phone.verification.sent", context=context, account_id=account.id,
           details={"phone": mask(number)})
    return OutgoingSms(number, f"ViaTrajectoire : votre code de vérification est {code}. Il est valable 10 minutes.")


def delivery_failed(session: Session, code_sends: CodeSends, account: Account, *, context: AuditContext) -> None:
    """The SMS of ``send_code`` did not leave: the person may ask again at once (the hourly limits still count it).

    The code stays valid (a gateway that answered an error may still have sent it); a new one retires it.
    """
    code_sends.release_failed_send(account.id, "sms", purpose=storage.PURPOSE)
    record(session, "otp.delivery_failed", context=context, outcome="failure", account_id=account.id,
           details={"channel": "sms", "purpose": storage.PURPOSE})


def pending_number(session: Session, account: Account, *, now: datetime | None = None) -> str | None:
    """The number a live code was sent to, so the page can ask for that code again after a reload."""
    code = storage.latest_code(session, account.id)
    if code is None or code.expires_at <= (now or utcnow()) or code.attempts >= MAX_TRIES:
        return None
    return code.destination


def confirm_code(session: Session, settings: Settings, account: Account, typed: str, *, context: AuditContext,
                 now: datetime | None = None) -> str:
    """Check ``typed``; on success the number is the account's, verified, and is returned. Else ``CodeRejected``."""
    now = now or utcnow()
    code = storage.latest_code(session, account.id)
    if code is None:
        raise CodeRejected("none")
    if code.expires_at <= now:
        raise CodeRejected("expired")
    if code.attempts >= MAX_TRIES:
        raise CodeRejected("exhausted")
    if not constant_time_equals(code.code_hash, _hash(settings, account, "".join(typed.split())[:16])):
        attempts = storage.count_wrong_try(session, code)
        record(session, "phone.verification.failed", context=context, outcome="failure", account_id=account.id,
               details={"attempts": attempts})
        if attempts >= MAX_TRIES:
            code.used_at = now
            raise CodeRejected("exhausted")
        raise CodeRejected("wrong", MAX_TRIES - attempts)
    code.used_at = now
    account.phone_number = code.destination
    account.phone_verified_at = now
    record(session, "phone.verified", context=context, account_id=account.id, details={"phone": mask(code.destination)})
    return code.destination


def mask(number: str) -> str:
    """"+33612345678" → "+336••••••78", for the audit trail and the log: enough to recognise it, not to leak it.

    The code page shows less ("** ** ** ** 78", ``idp.authn.otp.mask_phone``): it is seen before the second factor."""
    return f"{number[:-8]}••••••{number[-2:]}" if len(number) > 8 else "••"


def _hash(settings: Settings, account: Account, code: str) -> str:
    # Bound to the account: the same 6 digits sent to two people hash differently.
    return keyed_hash(settings.secret_key.get_secret_value(), _HASH_PURPOSE, f"{account.id}:{code}")
