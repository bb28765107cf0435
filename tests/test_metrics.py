"""``GET /metrics``: requests counted by route template, a latency histogram, the domain counters, several workers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import TEST_ISSUER

DOMAIN_COUNTERS = (
    "idp_logins",
    "idp_one_time_codes_sent",
    "idp_tokens_issued",
    "idp_signing_key_rotations",
    "idp_audit_events",
    "idp_notifications_sent",
)


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in an exposition, 0 when absent."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and s.labels == labels:
                return s.value
    return 0.0


def scrape(client: TestClient) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200
    return response.text


def test_requests_are_counted_by_route_template(client: TestClient) -> None:
    before = scrape(client)
    for _ in range(3):
        assert client.get("/health/live").status_code == 200
    assert client.get("/wp-admin/setup-config.php?step=1").status_code == 404

    response = client.get("/metrics")
    after = response.text

    assert response.headers["content-type"].startswith("text/plain; version=")
    assert response.headers["cache-control"] == "no-store"
    live = {"method": "GET", "route": "/health/live"}
    count = "idp_http_requests_total"
    assert sample(after, count, **live, status="200") - sample(before, count, **live, status="200") == 3
    buckets = "idp_http_request_duration_seconds_count"
    assert sample(after, buckets, **live) - sample(before, buckets, **live) == 3
    assert sample(after, "idp_http_request_duration_seconds_bucket", **live, le="5.0") >= 3
    unmatched = {"method": "GET", "route": "<unmatched>", "status": "404"}
    assert sample(after, count, **unmatched) - sample(before, count, **unmatched) == 1
    assert "wp-admin" not in after


def test_unknown_methods_share_one_label(client: TestClient) -> None:
    before = scrape(client)
    assert client.request("BREW", "/health/live").status_code == 405
    after = scrape(client)

    labels = {"method": "OTHER", "route": "/health/live", "status": "405"}
    assert sample(after, "idp_http_requests_total", **labels) - sample(before, "idp_http_requests_total", **labels) == 1
    assert "BREW" not in after


def test_domain_counters_are_exposed(client: TestClient) -> None:
    text = scrape(client)

    families = {family.name for family in text_string_to_metric_families(text)}
    assert set(DOMAIN_COUNTERS) <= families


def test_workers_add_up_in_multiprocess_mode(tmp_path: Path) -> None:
    """With PROMETHEUS_MULTIPROC_DIR (several uvicorn workers), any worker's /metrics shows the sum of all."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    worker = (
        "from idp.observability import metrics\n"
        "metrics.TOKENS_ISSUED.labels(grant_type='client_credentials').inc()\n"
        "metrics.observe_request('GET', '/jwks', 200, 0.002)\n"
    )
    for _ in range(2):
        subprocess.run([sys.executable, "-c", worker], env=env, check=True)
    render = "import sys\nfrom idp.observability.metrics import render\nsys.stdout.write(render()[0].decode())\n"
    text = subprocess.run([sys.executable, "-c", render], env=env, check=True, capture_output=True, text=True).stdout

    assert sample(text, "idp_tokens_issued_total", grant_type="client_credentials") == 2
    assert sample(text, "idp_http_requests_total", method="GET", route="/jwks", status="200") == 2
    assert sample(text, "idp_http_request_duration_seconds_bucket", method="GET", route="/jwks", le="0.0025") == 2


def test_a_route_that_raises_counts_as_500(app: FastAPI) -> None:
    def broken(item_id: str) -> None:
        raise RuntimeError("bug")

    app.add_api_route("/test-broken/{item_id}", broken)
    with TestClient(app, base_url=TEST_ISSUER, raise_server_exceptions=False) as client:
        before = scrape(client)
        assert client.get("/test-broken/42").status_code == 500
        after = scrape(client)

    labels = {"method": "GET", "route": "/test-broken/{item_id}", "status": "500"}
    assert sample(after, "idp_http_requests_total", **labels) - sample(before, "idp_http_requests_total", **labels) == 1
