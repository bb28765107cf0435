"""How often one-time codes may be sent (SPEC §1.3 "resend rate-limited", CONVENTIONS 11).

Three moving windows, all of which must have room:

- per account, channel and purpose, one code per ``code_resend_seconds`` (changing from e-mail to SMS is not a
  resend, so a person whose e-mail does not arrive can switch at once; nor is the first SMS login code right after
  the SMS that verified the phone number: ``purpose`` is ``login`` or ``phone_verification``);
- per account, ``code_resend_max_per_hour`` codes over every channel (an SMS costs money and lands on a phone);
- per client address, ``address_max_failures`` codes per ``address_window_seconds`` (one address sending codes to
  many accounts).

``may_send_code`` only looks (to show when "Renvoyer le code" will work); ``claim_code_send`` is what the sender
calls just before sending: it counts the send, atomically, so two clicks at the same moment send one code.
A refused claim is audited as ``login.throttled`` (factor ``otp_send``) and counted in ``THROTTLED``.

``release_failed_send`` gives back the per-channel gap of a send whose delivery failed (issue 4 item 8): the code
never arrived, so "Réessayer" must work at once. The hourly and per-address counts keep the send: a gateway that
is down gives an attacker no extra sends.

``ResetRequests`` applies the same kind of windows to "Mot de passe oublié" (each request may mail a reset link):
per client address, ``address_max_failures`` per ``address_window_seconds``; per identifier as typed (folded, kept
as a keyed hash), ``password_reset_max_per_hour`` an hour. The identifier is counted whether or not it names an
account, so the refusal says nothing about which accounts exist (CONVENTIONS 11).
"""

from __future__ import annotations

import uuid

from idp.audit import AuditContext, record
from idp.authn.throttle_policy import ALLOWED, Reason, Verdict, address_of
from idp.crypto import keyed_hash
from idp.db import Session
from idp.observability.metrics import THROTTLED
from idp.settings import ThrottleSettings
from idp.storage.counters import Counters

HOUR = 3600
MAX_IDENTIFIER_LENGTH = 320  # longer than any login or e-mail address; bounds the work on absurd input
CHANNELS = ("email", "sms")  # the channels a code is sent on (a TOTP app computes its own)
PURPOSES = ("login", "phone_verification")
Window = tuple[str, int, int, Reason]  # counter key, events allowed, over how many seconds, the reason if full


class CodeSends:
    def __init__(self, settings: ThrottleSettings, counters: Counters) -> None:
        self.settings = settings
        self.counters = counters

    def _windows(self, account_id: uuid.UUID, channel: str, purpose: str,
                 address: str) -> list[Window]:
        s = self.settings
        return [
            (_gap_key(account_id, channel, purpose), 1, s.code_resend_seconds, "delayed"),
            (f"otp-send:hour:{account_id}", s.code_resend_max_per_hour, HOUR, "delayed"),
            (f"otp-send:address:{address}", s.address_max_failures, s.address_window_seconds, "address"),
        ]

    def may_send_code(self, account_id: uuid.UUID, channel: str, *, ip: str | None, purpose: str = "login") -> Verdict:
        return _room_in(self.counters, self._windows(account_id, channel, purpose, address_of(ip)))

    def claim_code_send(
        self, session: Session, *, account_id: uuid.UUID, channel: str, context: AuditContext,
        client_id: str | None = None, purpose: str = "login",
    ) -> Verdict:
        verdict = _claim(self.counters, self._windows(account_id, channel, purpose, address_of(context.ip_address)))
        if not verdict.allowed:
            THROTTLED.labels(action="otp_send", reason=verdict.reason).inc()
            record(session, "login.throttled", context=context, outcome="failure", account_id=account_id,
                   client_id=client_id, details={"factor": "otp_send", "reason": verdict.reason, "channel": channel,
                                                 "purpose": purpose})
        return verdict

    def release_failed_send(self, account_id: uuid.UUID, channel: str, *, purpose: str = "login") -> None:
        """The code claimed for ``channel`` was not delivered: the next send on it need not wait the gap."""
        self.counters.window_clear(_gap_key(account_id, channel, purpose), limit=1,
                                   seconds=self.settings.code_resend_seconds)


def _gap_key(account_id: uuid.UUID, channel: str, purpose: str) -> str:
    # Keys are made of these: never let a caller's typo or input invent new ones.
    if channel not in CHANNELS:
        raise ValueError(f"unknown code channel {channel!r}")
    if purpose not in PURPOSES:
        raise ValueError(f"unknown code purpose {purpose!r}")
    return f"otp-send:gap:{account_id}:{channel}:{purpose}"


class ResetRequests:
    """How often "Mot de passe oublié" may be asked, per client address and per identifier typed."""

    def __init__(self, settings: ThrottleSettings, counters: Counters, secret_key: str) -> None:
        self.settings = settings
        self.counters = counters
        self._secret_key = secret_key

    def claim(self, session: Session, *, identifier: str, context: AuditContext) -> Verdict:
        """Count one request, or refuse it (audited ``password.reset.throttled``) when a window is full."""
        verdict = _claim(self.counters, self._windows(identifier, address_of(context.ip_address)))
        if not verdict.allowed:
            THROTTLED.labels(action="password_reset", reason=verdict.reason).inc()
            record(session, "password.reset.throttled", context=context, outcome="failure",
                   details={"reason": verdict.reason})
        return verdict

    def _windows(self, identifier: str, address: str) -> list[Window]:
        s = self.settings
        subject = keyed_hash(self._secret_key, "throttle-reset", _folded(identifier))
        return [
            (f"reset:identifier:{subject}", s.password_reset_max_per_hour, HOUR, "delayed"),
            (f"reset:address:{address}", s.address_max_failures, s.address_window_seconds, "address"),
        ]


def _room_in(counters: Counters, windows: list[Window]) -> Verdict:
    """ALLOWED when every window has room; else the first full one's reason, and when it frees a place."""
    for key, limit, seconds, reason in windows:
        used, frees_in = counters.window_count(key, limit=limit, seconds=seconds)
        if used >= limit:
            return Verdict(reason, frees_in)
    return ALLOWED


def _claim(counters: Counters, windows: list[Window]) -> Verdict:
    """Count one event in every window if all have room (``_room_in``); a window that fills meanwhile (a race with
    another request) refuses it, to be retried in a second."""
    verdict = _room_in(counters, windows)
    if verdict.allowed:
        for key, limit, seconds, reason in windows:
            if not counters.window_hit(key, limit=limit, seconds=seconds):
                return Verdict(reason, 1)
    return verdict


def _folded(identifier: str) -> str:
    # "JOHN_WICK " and "john_wick" are one identifier to the lookup (usernames and e-mail addresses ignore case).
    return identifier.strip()[:MAX_IDENTIFIER_LENGTH].lower()
