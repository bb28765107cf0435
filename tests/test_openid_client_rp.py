"""The whole code flow driven by a strict relying party we did not write: panva's ``openid-client`` 6 on Node.

openid-client (by the author of node-oidc-provider) checks what a careless RP skips: the discovery document's
``issuer`` equals the URL it was fetched from, the authorization response's ``state`` and RFC 9207 ``iss``, the PKCE
exchange, the ID token's ``alg`` (the one the client registered), ``iss``/``aud``/``azp``/``exp``/``iat``/``nonce``,
and that userinfo speaks of the same ``sub``. ``tests/rp_openid_client/flow.mjs`` lets the library decide all of that
and only plays the browser (cookies, idp's login form). It also turns on the library's signature check of every ID
token against the JWKS (off by default: OIDC Core §3.1.3.7 (6) lets an RP rely on TLS for tokens from the token
endpoint) and checks ``at_hash`` itself (the library does not: OIDC Core §3.1.3.8 makes it optional in the code flow).

The OP is a real ``idp serve`` over TLS on a free port, with a certificate made here that Node is told to trust
(``NODE_EXTRA_CA_CERTS``; verification is never disabled), on a freshly migrated database of the run's kind, set up
by the CLI only: ``idp demo setup`` (what ``make run`` does: keys, establishment, the demo professional, the
front-end client with RS256 and ``client_secret_basic``) and ``idp clients add -`` for a second client with ES256
ID tokens and ``client_secret_post``. The npm package is installed by ``scripts/install-test-deps.sh`` (``make
test``); without Node the test skips and says why.
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from idp.cli.demo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REDIRECT_URI, DEMO_USERS
from idp.db.migrate import upgrade
from idp.devtls import ensure_self_signed
from tests.support.databases import discard_database_url, new_database_url
from tests.support.processes import IDP, free_port, idp_env, running

pytestmark = pytest.mark.slow

RP_DIR = Path(__file__).resolve().parent / "rp_openid_client"
NODE = shutil.which("node")
DEMO_PRO = next(user for user in DEMO_USERS if not user.referent)
ES256_REDIRECT_URI = "https://rp.example/openid-client/cb"


def _skip_reason() -> str | None:
    if NODE is None:
        return "node is not installed: the openid-client relying party cannot run"
    if not (RP_DIR / "node_modules" / "openid-client" / "package.json").is_file():
        return "openid-client is not installed: run scripts/install-test-deps.sh (make test does)"
    return None


@dataclass(frozen=True)
class RelyingPartySetup:
    client_id: str
    client_secret: str
    redirect_uri: str
    token_endpoint_auth_method: str
    id_token_signed_response_alg: str


@dataclass(frozen=True)
class LiveOP:
    issuer: str
    cafile: Path
    demo: RelyingPartySetup
    es256: RelyingPartySetup


def _idp(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run([IDP, *args], env=env, input=stdin, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"idp {' '.join(args)} failed ({done.returncode}): {done.stderr}"
    return done.stdout


def _answers(url: str, trust: ssl.SSLContext) -> bool:
    try:
        return httpx.get(url, verify=trust, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="module")
def live_op(base_database_url: str | None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveOP]:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    tmp = tmp_path_factory.mktemp("openid-client")
    url = new_database_url(base_database_url, tmp)  # an empty database of the run's kind, dropped afterwards
    try:
        upgrade(url)
        certfile, keyfile = ensure_self_signed(tmp / "tls")
        port = free_port()
        issuer = f"https://localhost:{port}"
        env = idp_env(
            IDP_ENVIRONMENT="test",
            IDP_ISSUER=issuer,
            IDP_DATABASE_URL=url,
            IDP_SECRET_KEY="openid-client-test-secret-key-long-enough-0123456789",
            IDP_LISTEN_PORT=str(port),
            IDP_TLS_CERTFILE=str(certfile),
            IDP_TLS_KEYFILE=str(keyfile),
            IDP_LOG_LEVEL="WARNING",
            IDP_OTP_REQUIRED="false",  # the code and terms steps have their own tests
            IDP_CGU_VERSION="",
            # Cheap hashing, as in the rest of the suite (bench/ measures the production parameters).
            IDP_ARGON2__TIME_COST="1",
            IDP_ARGON2__MEMORY_COST_KIB="8192",
            IDP_ARGON2__PARALLELISM="1",
        )
        _idp(env, "demo", "setup")
        es256 = json.loads(
            _idp(env, "clients", "add", "-", stdin=json.dumps({
                "client_name": "openid-client (ES256, client_secret_post)",
                "redirect_uris": [ES256_REDIRECT_URI],
                "token_endpoint_auth_method": "client_secret_post",
                "id_token_signed_response_alg": "ES256",
                "grant_types": ["authorization_code", "refresh_token"],
                "scope": "openid profile email",
            }))
        )
        trust = ssl.create_default_context(cafile=str(certfile))
        with running([IDP, "serve"], env, lambda: _answers(f"{issuer}/health/ready", trust)):
            yield LiveOP(
                issuer=issuer,
                cafile=certfile,
                demo=RelyingPartySetup(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REDIRECT_URI,
                                       "client_secret_basic", "RS256"),
                es256=RelyingPartySetup(es256["client_id"], es256["client_secret"], ES256_REDIRECT_URI,
                                        "client_secret_post", "ES256"),
            )
    finally:
        discard_database_url(url)


def run_flow(
    op: LiveOP, rp: RelyingPartySetup, *, tamper: str = "", discovery_url: str = ""
) -> tuple[int, dict[str, Any], str]:
    """Run flow.mjs; return its exit status, its JSON line and its standard error."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IDP_", "RP_", "NODE_"))}
    env.update(
        NODE_EXTRA_CA_CERTS=str(op.cafile),  # Node trusts the test's certificate; nothing else is relaxed
        IDP_ISSUER=op.issuer,
        RP_CLIENT_ID=rp.client_id,
        RP_CLIENT_SECRET=rp.client_secret,
        RP_TOKEN_ENDPOINT_AUTH_METHOD=rp.token_endpoint_auth_method,
        RP_ID_TOKEN_SIGNED_RESPONSE_ALG=rp.id_token_signed_response_alg,
        RP_REDIRECT_URI=rp.redirect_uri,
        RP_USERNAME=DEMO_PRO.username,
        RP_PASSWORD=DEMO_PRO.password,
        RP_TAMPER=tamper,
        RP_DISCOVERY_URL=discovery_url,
    )
    done = subprocess.run([NODE or "node", "flow.mjs"], cwd=RP_DIR, env=env, capture_output=True, text=True,
                          timeout=60)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, f"flow.mjs printed no JSON (exit {done.returncode}): {done.stdout}{done.stderr}"
    return done.returncode, json.loads(lines[-1]), done.stderr


@pytest.mark.parametrize("which", ["demo", "es256"])
def test_openid_client_completes_the_code_flow(live_op: LiveOP, which: str) -> None:
    rp: RelyingPartySetup = getattr(live_op, which)
    status, out, stderr = run_flow(live_op, rp)
    assert status == 0 and out["ok"], f"openid-client refused the flow: {json.dumps(out, indent=1)}\n{stderr}"

    # Everything below was already validated by the library (signature, iss, aud, nonce, at_hash, sub match);
    # what is left to check is what our SPEC adds (§2: acr, amr, auth_time, sid in every ID token).
    claims, userinfo = out["id_token_claims"], out["userinfo"]
    assert out["issuer"] == live_op.issuer
    assert "iss" in out["authorization_response_parameters"], "RFC 9207 iss missing from the authorization response"
    assert claims["iss"] == live_op.issuer and claims["aud"] in (rp.client_id, [rp.client_id])
    assert claims["sub"] == userinfo["sub"]
    assert claims["acr"]
    assert isinstance(claims["amr"], list) and "pwd" in claims["amr"]
    assert isinstance(claims["auth_time"], int) and claims["auth_time"] <= claims["iat"]
    assert claims["sid"]
    assert claims["at_hash"]
    assert userinfo.get("email") == f"{DEMO_PRO.username}@demo.viatrajectoire.test"
    assert userinfo.get("given_name") == DEMO_PRO.given_name
    # SPEC §2: refresh_token grant (the clients are registered for it) and RFC 7662 introspection.
    assert out["token_response"]["refresh_token"], "no refresh_token although the client has the grant"
    assert out["refresh"]["token_type"].lower() == "bearer"
    assert out["refresh"]["rotated"], "SPEC §2: refresh tokens rotate"
    # OIDC Core §12.2: an ID token from a refresh names the same person, client and authentication, without nonce.
    refreshed = out["refresh"]["id_token_claims"]
    if refreshed is not None:
        for name in ("iss", "sub", "aud", "auth_time", "acr", "sid"):
            assert refreshed[name] == claims[name], name
        assert "nonce" not in refreshed
    assert out["introspection"]["active"] is True
    assert out["introspection"]["sub"] == claims["sub"]
    assert out["introspection"]["client_id"] == rp.client_id


@pytest.mark.parametrize(
    ("tamper", "library_message"),
    [
        ("state", 'unexpected "state" response parameter value'),
        ("iss", 'unexpected "iss" (issuer) response parameter value'),
    ],
)
def test_openid_client_refuses_a_tampered_authorization_response(
    live_op: LiveOP, tamper: str, library_message: str
) -> None:
    """Proof that the library really checks: the same flow with the callback's ``state`` or ``iss`` altered is
    refused by openid-client before any code exchange."""
    status, out, _ = run_flow(live_op, live_op.demo, tamper=tamper)
    assert status == 1 and out["ok"] is False
    assert out["step"] == "authorization code grant"
    assert out["code"] == "OAUTH_INVALID_RESPONSE"
    assert library_message in out["cause"]  # the check that failed, wrapped by "invalid response encountered"


def test_openid_client_refuses_an_issuer_that_is_not_the_discovery_url(live_op: LiveOP) -> None:
    """OIDC Discovery §4.3: the issuer must be the URL discovery was fetched from. The same server asked as
    https://127.0.0.1:<port> must still call itself https://localhost:<port> (the issuer is configuration, never the
    Host header), and the library refuses it before anything else happens."""
    other = live_op.issuer.replace("://localhost:", "://127.0.0.1:")
    status, out, _ = run_flow(live_op, live_op.demo, discovery_url=other)
    assert status == 1 and out["step"] == "discovery"
    assert out["code"] == "OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED", out
    assert out["error"] == "discovered metadata issuer does not match the expected issuer", out
