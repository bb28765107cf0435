"""Throttling of password and one-time-code attempts, per login and per client address (issue 4 item 7).

A page asks before checking a secret and reports the outcome after::

    attempt = throttle.before_password_attempt(session, login=username, context=audit, client_id=client_id)
    if not attempt.allowed:   # 429, one generic message, Retry-After: attempt.verdict.retry_after
        ...                   # the password is not checked at all: a brute force learns nothing by insisting
    account = check_password(session, settings, username, password)
    throttle.record_failure(session, attempt) if account is None else throttle.record_success(session, attempt)

- Per login: the rules of ``idp.authn.throttle_policy`` (free attempts, doubling delays, temporary lock) applied to
  the login's failure series (``idp.authn.throttle_state``): the account row for an account, the shared counters
  for a login that matches none. Unknown logins are delayed and locked exactly like accounts, so neither the
  answer nor its timing says whether a login exists (CONVENTIONS 11); the extra work on each path is one small
  read and one small write, next to the Argon2 hash both paths spend.
- In flight: attempts of one login (and of one address) being checked count as failures until they end, so
  firing attempts in parallel does not slip past a count that is about to grow.
- Per address: failures from one client address (IPv6: its /64) in a moving window; beyond the limit every login
  from there is refused, known or not. The count lives in Redis when ``IDP_REDIS_URL`` is set, else in-process.

Everything refused is audited (``login.throttled``, details: factor and reason) and counted (``THROTTLED``); a lock
of an account is audited as ``account.locked``. One-time codes use the same machinery (``before_code_attempt``,
then ``record_failure`` / ``record_success``) with their own series per account; code sending is limited by
``idp.authn.code_sends``.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from idp.audit import AuditContext, record
from idp.authn.code_sends import CodeSends, ResetRequests
from idp.authn.password_login import MAX_LOGIN_LENGTH, find_login
from idp.authn.throttle_policy import Policy, Verdict, address_of
from idp.authn.throttle_state import AccountFailures, CounterFailures, FailureStore
from idp.clock import Clock, SystemClock
from idp.crypto import keyed_hash
from idp.db import Session
from idp.observability.metrics import LOCKS, LOGINS, THROTTLED
from idp.settings import Settings
from idp.storage.counters import Counters

log = logging.getLogger("idp.throttle")

IN_FLIGHT_TTL = 60  # seconds: longer than any attempt takes; heals a count left behind by a crashed request


@dataclass
class Attempt:
    """One attempt at a secret, from ``before_*`` to ``record_*``."""

    factor: str  # "password" or "otp"
    verdict: Verdict
    store: FailureStore
    address: str
    context: AuditContext
    account_id: uuid.UUID | None = None
    client_id: str | None = None
    held: list[str] = field(default_factory=list)  # in-flight counters to give back

    @property
    def allowed(self) -> bool:
        return self.verdict.allowed


class Throttle:
    def __init__(self, settings: Settings, counters: Counters, clock: Clock | None = None) -> None:
        self.settings = settings
        self.config = settings.throttle
        self.counters = counters
        self.clock = clock or SystemClock()
        self.policy = Policy(settings.throttle)
        lock_ttl = settings.throttle.lock_minutes * 60
        self._ttl = settings.throttle.failure_window_hours * 3600 + lock_ttl + settings.throttle.delay_max_seconds
        self._lock_ttl = lock_ttl + 60
        self.code_sends = CodeSends(settings.throttle, counters)
        self.reset_requests = ResetRequests(settings.throttle, counters, settings.secret_key.get_secret_value())
        if settings.is_production and not counters.shared:
            log.warning("throttling counts in this process only: set IDP_REDIS_URL when several processes serve")

    # -- before
    def before_password_attempt(
        self, session: Session, *, login: str, context: AuditContext, client_id: str | None = None
    ) -> Attempt:
        login = login.strip()
        account = find_login(session, login) if login and len(login) <= MAX_LOGIN_LENGTH else None
        if account is not None:
            store: FailureStore = AccountFailures(session, account)
            subject = f"account:{account.id}"
        else:
            subject = "login:" + keyed_hash(self._secret(), "throttle-login", _normalised(login))
            store = self._counter_store(f"password:{subject}")
        account_id = account.id if account is not None else None
        return self._before(session, "password", store, subject, context, account_id, client_id)

    def before_code_attempt(
        self, session: Session, *, account_id: uuid.UUID, context: AuditContext, client_id: str | None = None
    ) -> Attempt:
        subject = f"account:{account_id}"
        store = self._counter_store(f"otp:{subject}")
        return self._before(session, "otp", store, subject, context, account_id, client_id)

    # -- after
    def record_failure(self, session: Session, attempt: Attempt) -> None:
        _require_allowed(attempt)
        now = self.now()
        series = attempt.store.add_failure(now, self.policy.series_since(now))
        if self.policy.locks(series.failures):
            until = self.policy.lock_until(now)
            attempt.store.lock(until)
            LOCKS.labels(factor=attempt.factor).inc()
            if attempt.account_id is not None:
                record(session, "account.locked", context=attempt.context, outcome="failure",
                       account_id=attempt.account_id, client_id=attempt.client_id,
                       details={"factor": attempt.factor, "failures": series.failures, "until": until.isoformat()})
        t = self.config
        self.counters.window_hit(attempt.address, limit=t.address_max_failures, seconds=t.address_window_seconds)
        self._release(attempt)
        LOGINS.labels(method=attempt.factor, outcome="failure").inc()

    def record_success(self, session: Session, attempt: Attempt) -> None:
        _require_allowed(attempt)
        attempt.store.clear()
        self._release(attempt)
        LOGINS.labels(method=attempt.factor, outcome="success").inc()

    def now(self) -> datetime:
        now = self.clock.now()
        return now.replace(microsecond=now.microsecond // 1000 * 1000)  # whole milliseconds: see throttle_state

    # -- inside
    def _before(
        self, session: Session, factor: str, store: FailureStore, subject: str, context: AuditContext,
        account_id: uuid.UUID | None, client_id: str | None,
    ) -> Attempt:
        address = f"{factor}:address:{address_of(context.ip_address)}"
        held = [f"{factor}:in-flight:{subject}", f"{factor}:in-flight:{address}"]
        in_flight = [self.counters.incr(key, ttl=IN_FLIGHT_TTL) for key in held]
        attempt = Attempt(factor, Verdict("allowed"), store, address, context, account_id, client_id, held)
        attempt.verdict = self._address_verdict(address, in_flight[1])
        if attempt.allowed:
            attempt.verdict = self.policy.verdict(store.load(), self.now(), in_flight=in_flight[0])
        if not attempt.allowed:
            self._release(attempt)
            THROTTLED.labels(action=factor, reason=attempt.verdict.reason).inc()
            record(session, "login.throttled", context=context, outcome="failure", account_id=account_id,
                   client_id=client_id, details={"factor": factor, "reason": attempt.verdict.reason})
        return attempt

    def _address_verdict(self, address: str, in_flight: int) -> Verdict:
        t = self.config
        failures, frees_in = self.counters.window_count(
            address, limit=t.address_max_failures, seconds=t.address_window_seconds
        )
        if failures + max(in_flight, 1) - 1 < t.address_max_failures:
            return Verdict("allowed")
        return Verdict("address", frees_in)

    def _release(self, attempt: Attempt) -> None:
        for key in attempt.held:
            self.counters.incr(key, ttl=IN_FLIGHT_TTL, amount=-1)
        attempt.held = []

    def _counter_store(self, key: str) -> CounterFailures:
        return CounterFailures(self.counters, key, ttl=self._ttl, lock_ttl=self._lock_ttl)

    def _secret(self) -> str:
        return self.settings.secret_key.get_secret_value()


def _normalised(login: str) -> str:
    # The same folding as ``find_login``: RPPS numbers as typed, usernames without case.
    login = login[: MAX_LOGIN_LENGTH + 1]
    return f"rpps:{login}" if login.isdigit() else f"username:{login.lower()}"


def _require_allowed(attempt: Attempt) -> None:
    if not attempt.allowed:  # a refused attempt was never tried: it has no outcome to count
        raise ValueError("record_failure/record_success called for an attempt the throttle refused")
