"""How often one-time codes may be sent (SPEC §1.3 "resend rate-limited", CONVENTIONS 11).

Three moving windows, all of which must have room:

- per account and channel, one code per ``code_resend_seconds`` (changing from e-mail to SMS is not a resend, so
  a person whose e-mail does not arrive can switch at once);
- per account, ``code_resend_max_per_hour`` codes over every channel (an SMS costs money and lands on a phone);
- per client address, ``address_max_failures`` codes per ``address_window_seconds`` (one address sending codes to
  many accounts).

``may_send_code`` only looks (to show when "Renvoyer le code" will work); ``claim_code_send`` is what the sender
calls just before sending: it counts the send, atomically, so two clicks at the same moment send one code.
A refused claim is audited as ``login.throttled`` (factor ``otp_send``) and counted in ``THROTTLED``.
"""

from __future__ import annotations

import uuid

from idp.audit import AuditContext, record
from idp.authn.throttle_policy import ALLOWED, Reason, Verdict, address_of
from idp.db import Session
from idp.observability.metrics import THROTTLED
from idp.settings import ThrottleSettings
from idp.storage.counters import Counters

HOUR = 3600
CHANNELS = ("email", "sms")  # the channels a code is sent on (a TOTP app computes its own)


class CodeSends:
    def __init__(self, settings: ThrottleSettings, counters: Counters) -> None:
        self.settings = settings
        self.counters = counters

    def _windows(self, account_id: uuid.UUID, channel: str, address: str) -> list[tuple[str, int, int, Reason]]:
        if channel not in CHANNELS:  # keys are made of it: never let a caller's typo or input invent new ones
            raise ValueError(f"unknown code channel {channel!r}")
        s = self.settings
        return [
            (f"otp-send:gap:{account_id}:{channel}", 1, s.code_resend_seconds, "delayed"),
            (f"otp-send:hour:{account_id}", s.code_resend_max_per_hour, HOUR, "delayed"),
            (f"otp-send:address:{address}", s.address_max_failures, s.address_window_seconds, "address"),
        ]

    def may_send_code(self, account_id: uuid.UUID, channel: str, *, ip: str | None) -> Verdict:
        for key, limit, seconds, reason in self._windows(account_id, channel, address_of(ip)):
            used, frees_in = self.counters.window_count(key, limit=limit, seconds=seconds)
            if used >= limit:
                return Verdict(reason, frees_in)
        return ALLOWED

    def claim_code_send(
        self, session: Session, *, account_id: uuid.UUID, channel: str, context: AuditContext,
        client_id: str | None = None,
    ) -> Verdict:
        verdict = self.may_send_code(account_id, channel, ip=context.ip_address)
        if verdict.allowed:
            for key, limit, seconds, reason in self._windows(account_id, channel, address_of(context.ip_address)):
                if not self.counters.window_hit(key, limit=limit, seconds=seconds):  # lost a race to another send
                    verdict = Verdict(reason, 1)
                    break
        if not verdict.allowed:
            THROTTLED.labels(action="otp_send", reason=verdict.reason).inc()
            record(session, "login.throttled", context=context, outcome="failure", account_id=account_id,
                   client_id=client_id, details={"factor": "otp_send", "reason": verdict.reason, "channel": channel})
        return verdict
