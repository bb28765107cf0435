"""Authenticator apps: TOTP (RFC 6238) enrolment and verification (SPEC §1.3).

- ``begin_enrolment`` makes a new 160-bit secret, stores it encrypted (``SecretBox``, associated data
  ``b"totp:" + account id``, so a ciphertext copied to another account does not decrypt) and unconfirmed, and
  returns it with its ``otpauth://`` URI for the QR code. Starting again replaces the secret; if the account used the
  app for its codes, it goes back to e-mail until the new secret is confirmed, so nobody is left with a dead app.
- ``confirm_enrolment`` checks a first code from the app, then marks the secret confirmed.
- ``verify`` is what the login's code step calls: True only for a confirmed secret and a code of the current time
  step or one step either side (``VALID_WINDOW``: clocks of phones drift). A code's step must be newer than the last
  step accepted (RFC 6238 §5.2: "the verifier MUST NOT accept the second attempt of the OTP"), so a code seen over
  a shoulder or replayed is refused; the step is claimed with one conditional UPDATE (``idp.storage.totp``).

Throttling of wrong codes is the caller's (``Throttle.before_code_attempt``): a 6-digit code must not be guessed.
The account must be loaded in the request's session: ``verify`` and ``confirm_enrolment`` write to its row.
"""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp

from idp.clock import utcnow
from idp.crypto import DecryptionError, SecretBox
from idp.models import Account
from idp.settings import Settings
from idp.storage import totp as storage

ISSUER_NAME = "ViaTrajectoire"
VALID_WINDOW = 1  # steps of 30 s accepted either side of now
DIGITS = 6


def begin_enrolment(settings: Settings, account: Account) -> tuple[str, str]:
    """A new secret for ``account`` (stored encrypted, not yet confirmed): ``(base32 secret, otpauth URI)``."""
    secret = pyotp.random_base32()  # 32 base32 characters: 160 bits, RFC 4226 §4's recommended length
    account.totp_secret_encrypted = _box(settings).encrypt(secret.encode(), _associated_data(account))
    account.totp_confirmed_at = None
    account.totp_last_step = None
    if account.otp_channel == "totp":
        account.otp_channel = "email"
    return secret, provisioning_uri(account, secret)


def pending_enrolment(settings: Settings, account: Account) -> tuple[str, str] | None:
    """The secret being enrolled and its URI (to show the QR code again), or None when none is pending."""
    if account.totp_confirmed_at is not None:
        return None
    secret = _secret(settings, account)
    return (secret, provisioning_uri(account, secret)) if secret else None


def confirm_enrolment(settings: Settings, account: Account, code: str, *, now: datetime | None = None) -> bool:
    """Confirm the pending secret with a first code from the app; False when the code (or the state) is wrong."""
    if account.totp_confirmed_at is not None:
        return False
    secret = _secret(settings, account)
    if secret is None or not _accept(account, secret, code, now or utcnow()):
        return False
    account.totp_confirmed_at = now or utcnow()
    return True


def verify(settings: Settings, account: Account, code: str, *, now: datetime | None = None) -> bool:
    """True when ``code`` is a fresh, never-used code of the account's confirmed authenticator."""
    if account.totp_confirmed_at is None:
        return False
    secret = _secret(settings, account)
    return secret is not None and _accept(account, secret, code, now or utcnow())


def is_enrolled(account: Account) -> bool:
    return account.totp_confirmed_at is not None and account.totp_secret_encrypted is not None


def provisioning_uri(account: Account, secret: str) -> str:
    name = account.username or account.rpps or account.email
    return pyotp.TOTP(secret, digits=DIGITS).provisioning_uri(name=name, issuer_name=ISSUER_NAME)


def _accept(account: Account, secret: str, code: str, now: datetime) -> bool:
    code = "".join(code.split())
    if len(code) != DIGITS or not code.isdigit():
        return False
    totp = pyotp.TOTP(secret, digits=DIGITS)
    current = totp.timecode(now)
    # Every step of the window is compared, in constant time, so the answer's timing says nothing of which matched.
    matched = [step for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1)
               if hmac.compare_digest(totp.generate_otp(step), code)]
    return bool(matched) and storage.claim_step(account, matched[-1])


def _secret(settings: Settings, account: Account) -> str | None:
    if account.totp_secret_encrypted is None:
        return None
    try:
        return _box(settings).decrypt(account.totp_secret_encrypted, _associated_data(account)).decode()
    except DecryptionError:  # another secret key, or a ciphertext moved from another row: no usable secret
        return None


def _associated_data(account: Account) -> bytes:
    return b"totp:" + str(account.id).encode()


def _box(settings: Settings) -> SecretBox:
    return SecretBox(settings.secret_key.get_secret_value())
