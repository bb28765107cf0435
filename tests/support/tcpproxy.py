"""A TCP proxy in the test process, to take a real server away from the app and give it back.

``TcpProxy(host, port)`` listens on a loopback port and relays every connection to ``host:port``. ``stop()`` closes
the listener and every live connection (what a crashed database or a cut network looks like to the client: refused
new connections, reset old ones); ``start()`` listens again on the same port. With ``blackhole=True`` it accepts
connections and never answers (a hung server: the client waits for its timeout).
"""

from __future__ import annotations

import socket
import threading


class TcpProxy:
    def __init__(self, target_host: str, target_port: int, *, blackhole: bool = False) -> None:
        self.target = (target_host, target_port)
        self.blackhole = blackhole
        self.port = 0
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def start(self) -> TcpProxy:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        listener.settimeout(0.05)  # lets the accept loop notice stop(); closing does not wake accept() on Linux
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._spawn(self._accept_loop, listener)
        return self

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with self._lock:
            live, self._sockets = self._sockets, set()
        for sock in live:
            _close(sock)
        threads, self._threads = self._threads, []
        for thread in threads:
            thread.join(timeout=2)

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        self._threads.append(thread)
        thread.start()

    def _track(self, sock: socket.socket) -> bool:
        with self._lock:
            if self._listener is None:  # stopped meanwhile
                return False
            self._sockets.add(sock)
            return True

    def _accept_loop(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            if not self._track(client):
                _close(client)
                return
            if self.blackhole:
                continue  # hold it open, say nothing
            try:
                upstream = socket.create_connection(self.target, timeout=3)
            except OSError:
                _close(client)
                continue
            upstream.settimeout(None)
            if not self._track(upstream):
                _close(client)
                _close(upstream)
                return
            self._spawn(_pump, client, upstream)
            self._spawn(_pump, upstream, client)


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        _close(source)
        _close(sink)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
