"""SMS: the ``SmsSender`` edge, and its HTTP gateway, log and in-memory implementations.

``IDP_SMS_URL`` chooses the sender (``build_sms_sender``):

- an ``https://`` (or, for a gateway on the same host, ``http://``) URL — ``HttpSmsSender`` POSTs
  ``{"to": "+33612345678", "text": "..."}`` as JSON with ``Authorization: Bearer <IDP_SMS_TOKEN>``;
- empty — ``LogSmsSender`` writes the message to the ``idp.notify`` logger. Development only: production refuses
  to start without a gateway (``idp.settings``), since the text carries a one-time code.

Connection errors, timeouts and 5xx answers are retried (``retries`` more times, with a short growing pause, and no
try begun that could end past ``deadline``, 10 s after the first: a person waits on the code page); a 4xx
answer is the gateway refusing *this* request (bad number, bad token), so it is not retried. After the last try the
sender raises ``DeliveryFailed``. Neither the text (it carries a code) nor the token is ever logged or put in an error.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import httpx

from idp.notify.email import DeliveryFailed
from idp.observability.metrics import NOTIFICATIONS_SENT
from idp.settings import Settings

log = logging.getLogger("idp.notify")

SMS_TIMEOUT_SECONDS = 5.0
SMS_RETRIES = 2
BACKOFF_SECONDS = 0.2  # doubled at each retry: 0.2 s, 0.4 s ... a person is waiting on the page
#: No new try starts that could end later than this after the first began: the code page waits on the sender.
DEADLINE_SECONDS = 10.0


class SmsSender(Protocol):
    def send(self, to: str, text: str) -> None:
        """Deliver ``text`` to the E.164 number ``to`` or raise ``DeliveryFailed``."""
        ...


class HttpSmsSender:
    """Hands each SMS to an HTTP gateway; one short-lived ``httpx.Client`` per message (SMS are rare)."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = SMS_TIMEOUT_SECONDS,
        retries: int = SMS_RETRIES,
        backoff: float = BACKOFF_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
        deadline: float = DEADLINE_SECONDS,
    ) -> None:
        if not url.startswith(("https://", "http://")):
            raise ValueError("IDP_SMS_URL must be an http(s) URL")
        self.url = url
        self._token = token
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self._sleep = sleep
        self.deadline = deadline

    def __repr__(self) -> str:  # never the token
        return f"HttpSmsSender({self.url!r})"

    def send(self, to: str, text: str) -> None:
        headers = {"Authorization": f"Bearer {self._token}"}
        problem = "no attempt"
        started = time.monotonic()
        with httpx.Client(timeout=self.timeout, follow_redirects=False) as http:
            for attempt in range(self.retries + 1):
                if attempt:
                    pause = self.backoff * 2 ** (attempt - 1)
                    if time.monotonic() - started + pause + self.timeout > self.deadline:
                        break  # another try could keep the person waiting past the deadline
                    self._sleep(pause)
                try:
                    answer = http.post(self.url, json={"to": to, "text": text}, headers=headers)
                except httpx.HTTPError as exc:  # refused, reset, timed out: worth another try
                    problem = type(exc).__name__
                    continue
                if answer.is_success:
                    NOTIFICATIONS_SENT.labels(channel="sms", outcome="sent").inc()
                    log.info("sms sent", extra={"sms_gateway": self.url, "attempts": attempt + 1})
                    return
                problem = f"HTTP {answer.status_code}"
                if answer.status_code < 500:
                    break  # the gateway refuses this request: sending it again would not change its mind
        NOTIFICATIONS_SENT.labels(channel="sms", outcome="failed").inc()
        raise DeliveryFailed(f"the SMS gateway {self.url} did not accept the message", detail=problem)


class LogSmsSender:
    """Writes each SMS to the ``idp.notify`` logger, for development without a gateway."""

    def send(self, to: str, text: str) -> None:
        log.warning("sms not sent (IDP_SMS_URL is empty); to=%s\n%s", to, text)


@dataclass(frozen=True)
class Sms:
    to: str
    text: str


class MemorySmsSender:
    """Keeps messages in ``sent``; for unit tests (the SMS tests use a real HTTP server)."""

    def __init__(self) -> None:
        self.sent: list[Sms] = []

    def send(self, to: str, text: str) -> None:
        self.sent.append(Sms(to, text))


def build_sms_sender(settings: Settings) -> SmsSender:
    if settings.sms_url:
        return HttpSmsSender(settings.sms_url, settings.sms_token.get_secret_value())
    return LogSmsSender()
