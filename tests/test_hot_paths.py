"""The protocol's hot endpoints (``idp.web.hot_paths``) are answered before FastAPI's router, yet behave like every
other route: request id, metrics by route template, security headers, 405 with ``Allow`` for another method."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.test_metrics import sample, scrape

HOT = [
    ("GET", "/.well-known/openid-configuration", 200),
    ("GET", "/jwks", 200),
    ("POST", "/token", 400),  # no grant_type: invalid_request, but answered
    ("GET", "/userinfo", 401),  # no bearer token
    ("POST", "/introspect", 401),  # no client authentication
    ("POST", "/revoke", 401),
]


@pytest.mark.parametrize(("method", "path", "status"), HOT, ids=[path for _, path, _ in HOT])
def test_hot_endpoints_get_the_common_layers(client: TestClient, method: str, path: str, status: int) -> None:
    before = scrape(client)
    response = client.request(method, path, data={} if method == "POST" else None,
                              headers={"X-Request-ID": "hot-path-test"})
    assert response.status_code == status
    assert response.headers["x-request-id"] == "hot-path-test"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    labels = {"method": method, "route": path, "status": str(status)}
    after = scrape(client)
    assert sample(after, "idp_http_requests_total", **labels) - sample(before, "idp_http_requests_total", **labels) == 1


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("GET", "/token", "POST"),
    ("DELETE", "/userinfo", "GET, POST"),
    ("PUT", "/jwks", "GET, HEAD"),
    ("GET", "/revoke", "POST"),
])
def test_another_method_gets_405_with_allow(client: TestClient, method: str, path: str, allowed: str) -> None:
    response = client.request(method, path)
    assert response.status_code == 405
    assert response.json() == {"detail": "Method Not Allowed"}
    assert response.headers["allow"] == allowed


def test_a_longer_path_is_not_a_hot_path(client: TestClient) -> None:
    # Exact paths only: /token/ or /token/x are FastAPI's to answer (404 here), not the token endpoint's.
    assert client.post("/token/x", data={"grant_type": "client_credentials"}).status_code == 404


def test_the_protocol_runs_on_its_own_threads_with_the_request_id(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The protocol endpoints run on settings.protocol_threads threads of their own (idp.web.protocol_io), apart
    # from the pool where pages may wait on a mail server; the request's context (its id) travels with the work.
    import threading

    from idp.observability.context import current_request_id
    from idp.web import token

    seen: list[tuple[str, str | None]] = []
    real = token.token_response

    def spy(ctx, http):  # type: ignore[no-untyped-def]
        seen.append((threading.current_thread().name, current_request_id()))
        return real(ctx, http)

    monkeypatch.setattr(token, "token_response", spy)
    response = client.post("/token", data={}, headers={"X-Request-ID": "on-protocol-thread"})
    assert response.status_code == 400
    [(thread, request_id)] = seen
    assert thread.startswith("idp-protocol") and request_id == "on-protocol-thread"


@pytest.mark.parametrize(("path", "query_string"), [
    ("/token", b""),
    ("/authorize", b"client_id=rp&scope=openid%20profile&state=&state=again&x=%C3%A9t%C3%A9&y=a+b&z=%E9"),
    ("/odd?path#with\\marks", b"q=1"),
])
def test_the_protocol_reads_path_and_query_as_starlette_does(path: str, query_string: bytes) -> None:
    # idp.web.protocol_io.http_request reads them off the ASGI scope without building Starlette's URL and
    # QueryParams: same values, repeated and blank parameters and Latin-1 bytes included.
    from starlette.requests import Request

    from idp.web.protocol_io import http_request

    scope = {"type": "http", "method": "GET", "path": path, "query_string": query_string, "root_path": "",
             "headers": [(b"host", b"idp.test")], "scheme": "https", "server": ("idp.test", 443)}
    request = Request(scope)
    http = http_request(request)
    assert http.path == request.url.path
    assert http.query == list(request.query_params.multi_items())
