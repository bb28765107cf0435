"""One-time login codes (SPEC §1.3): 6 digits from ``secrets``, 10 minutes, single use, 5 wrong tries.

A code is stored only as a keyed hash, tied to the account and to the interaction it was sent for; sending a new
code retires the previous ones, so only the newest code of an account can be typed. A wrong try is counted in the
database row itself; at the fifth the code is dead and a new one must be asked for. The attempt throttle
(``idp.authn.throttle.before_code_attempt``) and the send limits (``claim_code_send``) are applied by the page
around these functions.

The ``totp`` channel stores nothing here: ``idp.authn.totp.verify`` checks the code against the account's secret.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from idp.crypto import constant_time_equals, keyed_hash
from idp.db import Session
from idp.errors import DomainError
from idp.models import Account, OtpCode
from idp.settings import Settings
from idp.storage import login_factors as storage

CODE_TTL = timedelta(minutes=10)
MAX_WRONG_TRIES = 5
_HASH_PURPOSE = "otp-login"
#: account.otp_channel -> login method of ``idp.authn.levels.METHODS``
METHOD_OF_CHANNEL = {"email": "password+email_otp", "sms": "password+sms_otp", "totp": "password+totp"}


class CodeRefused(DomainError):
    code = "otp_refused"


class OtpWrong(CodeRefused):
    code = "otp_wrong"


class OtpExpired(CodeRefused):
    code = "otp_expired"


class OtpDead(CodeRefused):
    """No usable code: none sent, already used, replaced, or too many wrong tries."""

    code = "otp_dead"


@dataclass(frozen=True)
class IssuedCode:
    row: OtpCode
    code: str  # to send; never stored


def channel_of(account: Account) -> str:
    """The channel in force: SMS only with a verified number, TOTP only once enrolled; e-mail otherwise."""
    if account.otp_channel == "sms" and account.phone_number and account.phone_verified_at:
        return "sms"
    if account.otp_channel == "totp" and account.totp_secret_encrypted and account.totp_confirmed_at:
        return "totp"
    return "email"


def destination_of(account: Account, channel: str) -> str:
    return account.phone_number or "" if channel == "sms" else account.email


def issue(session: Session, settings: Settings, account: Account, channel: str, interaction_id: uuid.UUID,
          *, now: datetime) -> IssuedCode:
    storage.retire_login_codes(session, account.id, now)
    code = f"{secrets.randbelow(10**6):06d}"
    row = OtpCode(account_id=account.id, purpose="login", channel=channel, destination=destination_of(account, channel),
                  code_hash=_hash(settings, account.id, code), interaction_id=interaction_id, attempts=0,
                  expires_at=now + CODE_TTL)
    storage.add(session, row)
    return IssuedCode(row, code)


def check(session: Session, settings: Settings, account: Account, interaction_id: uuid.UUID, typed: str,
          *, now: datetime) -> OtpCode:
    """The code, now used; raises ``OtpWrong`` (counted), ``OtpExpired`` or ``OtpDead``."""
    row = storage.latest_login_code(session, account.id, interaction_id)
    if row is None or row.used_at is not None or row.attempts >= MAX_WRONG_TRIES:
        raise OtpDead("no code can be used: ask for a new one")
    if row.expires_at <= now:
        raise OtpExpired("the code has expired")
    typed = "".join(typed.split())[:16]
    if not constant_time_equals(row.code_hash, _hash(settings, account.id, typed)):
        if storage.count_code_attempt(session, row) >= MAX_WRONG_TRIES:
            raise OtpDead("too many wrong tries: the code is dead")
        raise OtpWrong("wrong code")
    if not storage.use_code(session, row, now):
        raise OtpDead("the code was used meanwhile")
    return row


def mask_email(address: str) -> str:
    """``j***@hopital.example``: enough for the person to recognise it, not enough to harvest it."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def mask_phone(number: str) -> str:
    """``** ** ** ** 78``: the last two digits only."""
    digits = [c for c in number if c.isdigit()]
    return "** ** ** ** " + "".join(digits[-2:]) if len(digits) >= 4 else "***"


def masked_destination(channel: str, destination: str) -> str:
    return mask_phone(destination) if channel == "sms" else mask_email(destination)


def _hash(settings: Settings, account_id: uuid.UUID, code: str) -> str:
    return keyed_hash(settings.secret_key.get_secret_value(), _HASH_PURPOSE, f"{account_id}:{code}")
