"""Real server processes for tests: ``idp serve`` on a free loopback port, stopped afterwards."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

IDP = str(Path(sys.executable).parent / "idp")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def idp_env(**values: str) -> dict[str, str]:
    """The current environment without any IDP_* variable, plus ``values``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IDP_")}
    env.update(values)
    return env


@contextmanager
def running(argv: list[str], env: dict[str, str], ready: Callable[[], bool], timeout: float = 30.0) -> Iterator[subprocess.Popen[str]]:
    """Start ``argv``, wait until ``ready()`` is true, yield the process, then stop it."""
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + timeout
        while not ready():
            if proc.poll() is not None:
                raise RuntimeError(f"{argv} exited with {proc.returncode}: {proc.stdout.read() if proc.stdout else ''}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{argv} not ready after {timeout}s")
            time.sleep(0.05)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
