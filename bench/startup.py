"""Start-up time and idle memory of `idp serve`.

Runs the real command (one uvicorn worker, plain HTTP on a free loopback port) against a freshly migrated database,
measures the time from spawning the process to the first 200 from /health/ready, then the resident memory of the
server process after it has idled a moment. Repeats and prints medians.

    .venv/bin/python bench/startup.py [--runs 5] [--database-url postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from idp.db.migrate import upgrade  # noqa: E402
from tests.support.databases import discard_database_url, new_database_url  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def one_run(database_url: str, idle_seconds: float) -> tuple[float, int]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("IDP_")}
    env.update(
        IDP_ENVIRONMENT="test",
        IDP_ISSUER=f"http://127.0.0.1:{port}",
        IDP_DATABASE_URL=database_url,
        IDP_LISTEN_PORT=str(port),
        IDP_SECRET_KEY="bench-secret-key-that-is-long-enough-0123456789",
        IDP_LOG_LEVEL="WARNING",
    )
    started = time.perf_counter()
    proc = subprocess.Popen([str(ROOT / ".venv/bin/idp"), "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError("idp serve exited")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.02)
        ready = time.perf_counter() - started
        time.sleep(idle_seconds)
        return ready, rss_kib(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--idle", type=float, default=2.0, help="seconds of idling before reading memory")
    parser.add_argument("--database-url", default="", help="PostgreSQL base URL (a database is created); default SQLite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = new_database_url(args.database_url or None, Path(tmp))
        try:
            upgrade(url)
            one_run(url, 0.1)  # warm the file-system cache and create the signing keys once
            results = [one_run(url, args.idle) for _ in range(args.runs)]
        finally:
            discard_database_url(url)
    times = [r[0] for r in results]
    memory = [r[1] / 1024 for r in results]
    backend = "postgresql" if args.database_url else "sqlite"
    print(f"idp serve, 1 worker, {backend}, {args.runs} runs")
    print(f"{'measure':<34}{'median':>10}{'min':>10}{'max':>10}")
    print(f"{'start-up to /health/ready 200 (s)':<34}{statistics.median(times):>10.2f}{min(times):>10.2f}{max(times):>10.2f}")
    print(f"{'idle RSS of the server (MiB)':<34}{statistics.median(memory):>10.1f}{min(memory):>10.1f}{max(memory):>10.1f}")


if __name__ == "__main__":
    main()
