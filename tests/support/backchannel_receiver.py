"""A relying party's back-channel logout endpoint, as a real HTTP server on 127.0.0.1 (Back-Channel Logout §2.5).

It records every request (method, path, headers, body, the time it arrived) and answers with a chosen status after
an optional delay, so that tests can check what the OP sent and that a slow, failing or redirecting relying party
changes nothing for the person logging out. Use it as a context manager; ``closed_port_url()`` names a port where
nothing listens (a relying party that is down).
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs

PATH = "/backchannel-logout"


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    received_at: float  # time.monotonic(), comparable with the test's own readings

    @property
    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode(), keep_blank_values=True)


class BackchannelReceiver:
    def __init__(self, *, status: int = 200, delay: float = 0.0, location: str | None = None) -> None:
        self.status, self.delay, self.location = status, delay, location
        self.requests: list[Received] = []
        self._arrived = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="backchannel-receiver", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{PATH}"

    def __enter__(self) -> BackchannelReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: tuple[type[BaseException] | None, BaseException | None, TracebackType | None]) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.requests) >= count, timeout=timeout)
            return list(self.requests)

    def _record(self, received: Received) -> None:
        with self._arrived:
            self.requests.append(received)
            self._arrived.notify_all()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                arrived = time.monotonic()
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver._record(Received(self.command, self.path, dict(self.headers.items()), body, arrived))
                time.sleep(receiver.delay)
                self.send_response(receiver.status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.send_header("Cache-Control", "no-store")  # §2.8
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST  # a followed redirect would arrive as a GET: recorded all the same

            def log_message(self, format: str, *args: object) -> None:  # keep the test output quiet
                pass

        return Handler


def closed_port_url() -> str:
    """An http URL on the loopback where nothing listens: connecting is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}{PATH}"
