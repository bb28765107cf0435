"""A real HTTP server on 127.0.0.1 standing in for the SMS gateway: records every request, answers as scripted.

``answers`` is a queue of HTTP statuses used one per request (then 200); ``delay`` makes every answer late (for
timeouts). ``codes()`` reads the 6-digit codes out of the texts received, as a person reads their phone.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "sms-gateway-token-for-tests"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class SmsGateway:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.answers: list[int] = []
        self.delay = 0.0
        self._lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                with gateway._lock:
                    gateway.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()},
                                                     json.loads(raw or b"{}")))
                    status = gateway.answers.pop(0) if gateway.answers else 200
                if gateway.delay:
                    time.sleep(gateway.delay)
                body = json.dumps({"status": "queued" if status < 300 else "error"}).encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the client gave up (timeout test)
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/sms"

    def texts(self) -> list[str]:
        return [r.body["text"] for r in self.requests]

    def codes(self) -> list[str]:
        return [m.group(0) for text in self.texts() for m in [re.search(r"\b\d{6}\b", text)] if m]

    def last_code(self) -> str:
        return self.codes()[-1]


@contextmanager
def running_gateway() -> Iterator[SmsGateway]:
    gateway = SmsGateway()
    thread = threading.Thread(target=gateway.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        gateway.server.shutdown()
        gateway.server.server_close()


def unused_url() -> str:
    """A URL on which nothing listens (a gateway that is down)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1/sms"
