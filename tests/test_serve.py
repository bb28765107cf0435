"""`idp serve` is a real HTTPS server: a TLS handshake against the certificate it was given, then the API."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest

from idp.cli.serve import tls_files
from idp.db.migrate import upgrade
from idp.devtls import ensure_self_signed
from idp.settings import Settings
from tests.support.processes import IDP, free_port, idp_env, running

pytestmark = pytest.mark.slow


def _answers(url: str, verify: ssl.SSLContext | bool) -> bool:
    try:
        return httpx.get(url, verify=verify, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_serve_speaks_https_with_the_configured_certificate(fresh_database_url: str, tmp_path: Path) -> None:
    upgrade(fresh_database_url)
    certfile, keyfile = ensure_self_signed(tmp_path / "tls")
    port = free_port()
    env = idp_env(
        IDP_ENVIRONMENT="test",
        IDP_ISSUER=f"https://localhost:{port}",
        IDP_DATABASE_URL=fresh_database_url,
        IDP_SECRET_KEY="serve-test-secret-key-long-enough-0123456789",
        IDP_LISTEN_PORT=str(port),
        IDP_TLS_CERTFILE=str(certfile),
        IDP_TLS_KEYFILE=str(keyfile),
    )
    trust = ssl.create_default_context(cafile=str(certfile))
    ready = f"https://localhost:{port}/health/ready"
    with running([IDP, "serve"], env, lambda: _answers(ready, trust)):
        response = httpx.get(ready, verify=trust)
        assert response.json()["checks"]["database"]["backend"] in ("sqlite", "postgresql")
        # A client that does not trust the certificate is refused at the handshake: it really is TLS.
        with pytest.raises(httpx.ConnectError):
            httpx.get(ready, verify=ssl.create_default_context())
        # And plain HTTP on the TLS port gets no answer from the app.
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://localhost:{port}/health/live", timeout=2).raise_for_status()


def test_development_makes_a_self_signed_certificate_for_the_issuer_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("idp.cli.serve.PROJECT_ROOT", tmp_path)
    certfile, keyfile = tls_files(Settings(environment="development", issuer="https://localhost:8443"))
    assert certfile == str(tmp_path / "var" / "tls" / "localhost.crt")
    assert Path(keyfile or "").stat().st_mode & 0o077 == 0, "the private key must not be readable by others"
    # Made once: a second start reuses it (browsers that trust it keep trusting it).
    before = Path(certfile).read_bytes()
    assert tls_files(Settings(environment="development", issuer="https://localhost:8443"))[0] == certfile
    assert Path(certfile).read_bytes() == before


def test_no_tls_outside_development_without_a_certificate() -> None:
    assert tls_files(Settings(environment="test", issuer="https://idp.example")) == (None, None)
