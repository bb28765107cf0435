"""SMS delivery through the HTTP gateway (issue 4, item 8), against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from idp.notify.email import DeliveryFailed
from idp.notify.sms import HttpSmsSender, LogSmsSender, MemorySmsSender, build_sms_sender
from idp.observability.metrics import NOTIFICATIONS_SENT
from tests.conftest import make_settings
from tests.support.sms_gateway import TOKEN, SmsGateway, running_gateway, unused_url

TEXT = "ViaTrajectoire : votre code de vérification est 123456."


@pytest.fixture
def gateway() -> Iterator[SmsGateway]:
    with running_gateway() as gateway:
        yield gateway


def sender(url: str, pauses: list[float] | None = None, **options: float) -> HttpSmsSender:
    sleep = (pauses.append if pauses is not None else lambda _: None)
    return HttpSmsSender(url, TOKEN, sleep=sleep, **options)  # type: ignore[arg-type]


def sent(outcome: str) -> float:
    return NOTIFICATIONS_SENT.labels(channel="sms", outcome=outcome)._value.get()


def test_delivers_json_with_the_bearer_token(gateway: SmsGateway) -> None:
    before = sent("sent")
    sender(gateway.url).send("+33612345678", TEXT)
    [request] = gateway.requests
    assert request.path == "/v1/sms"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["content-type"] == "application/json"
    assert request.body == {"to": "+33612345678", "text": TEXT}
    assert sent("sent") == before + 1


def test_retries_a_server_error_then_succeeds(gateway: SmsGateway) -> None:
    gateway.answers = [500, 503]
    pauses: list[float] = []
    sender(gateway.url, pauses).send("+33612345678", TEXT)
    assert len(gateway.requests) == 3
    assert pauses == [0.2, 0.4]  # a short, growing pause


def test_gives_up_after_the_retries(gateway: SmsGateway, caplog: pytest.LogCaptureFixture) -> None:
    gateway.answers = [500, 500, 500, 500]
    before = sent("failed")
    with caplog.at_level(logging.DEBUG), pytest.raises(DeliveryFailed) as failure:
        sender(gateway.url, retries=2).send("+33612345678", TEXT)
    assert len(gateway.requests) == 3
    assert failure.value.detail == "HTTP 500"
    assert sent("failed") == before + 1
    said = caplog.text + str(failure.value) + repr(sender(gateway.url))
    assert "123456" not in said and TOKEN not in said  # neither the code nor the token


def test_a_client_error_is_not_retried(gateway: SmsGateway) -> None:
    gateway.answers = [400]
    with pytest.raises(DeliveryFailed) as failure:
        sender(gateway.url).send("+33612345678", TEXT)
    assert len(gateway.requests) == 1
    assert failure.value.detail == "HTTP 400"


def test_a_gateway_that_is_down(caplog: pytest.LogCaptureFixture) -> None:
    pauses: list[float] = []
    with pytest.raises(DeliveryFailed) as failure:
        sender(unused_url(), pauses).send("+33612345678", TEXT)
    assert failure.value.detail == "ConnectError"
    assert len(pauses) == 2


def test_a_gateway_that_does_not_answer_in_time(gateway: SmsGateway) -> None:
    gateway.delay = 0.5
    with pytest.raises(DeliveryFailed) as failure:
        sender(gateway.url, timeout=0.1, retries=1).send("+33612345678", TEXT)
    assert failure.value.detail == "ReadTimeout"
    assert len(gateway.requests) == 2


def test_no_try_starts_that_could_end_past_the_deadline(gateway: SmsGateway) -> None:
    # A hanging gateway must not hold the code page for timeout x tries: 0.3 s each, 0.8 s in all -> two tries.
    gateway.delay = 2.0
    pauses: list[float] = []
    with pytest.raises(DeliveryFailed) as failure:
        sender(gateway.url, pauses, timeout=0.3, retries=5, backoff=0.01, deadline=0.8).send("+33612345678", TEXT)
    assert failure.value.detail == "ReadTimeout"
    assert pauses == [0.01]  # one retry (ends near 0.6 s); a third try could have ended past 0.8 s


def test_build_sms_sender_follows_the_settings(database_url: str, gateway: SmsGateway) -> None:
    assert isinstance(build_sms_sender(make_settings(database_url)), LogSmsSender)
    configured = build_sms_sender(make_settings(database_url, sms_url=gateway.url, sms_token=TOKEN))
    assert isinstance(configured, HttpSmsSender)
    configured.send("+33612345678", TEXT)
    assert gateway.requests[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_log_and_memory_senders(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="idp.notify"):
        LogSmsSender().send("+33612345678", TEXT)
    assert "+33612345678" in caplog.text
    memory = MemorySmsSender()
    memory.send("+33612345678", TEXT)
    assert memory.sent[0].to == "+33612345678"
