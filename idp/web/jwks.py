"""``GET /jwks``: the OP's public signing keys (RFC 7517 §5), the ``jwks_uri`` of discovery.

Served from the key ring's precomputed bytes: no database work unless the ring is due for a refresh, and then in a
worker thread so the event loop never waits on the database. RFC 7517 §8.5 registers
``application/jwk-set+json``, but many relying-party libraries only accept ``application/json`` (as
node-oidc-provider and Keycloak serve it), so that is what we send.

Caching: relying parties re-fetch on an unknown ``kid``; five minutes of ``max-age`` bounds how stale their copy may
be, which ``idp keys rotate`` makes harmless by publishing the next key one rotation ahead. A strong ``ETag`` lets
them revalidate for a 304 instead of downloading the keys again (RFC 9110 §13.1.2).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from idp.web.hot_paths import hot_route

CACHE_CONTROL = "public, max-age=300"
MEDIA_TYPE = "application/json"


async def jwks(request: Request) -> Response:
    keyring = request.app.state.keyring
    if keyring.is_stale():
        await run_in_threadpool(keyring.refresh_if_stale)
    if not keyring.is_loaded():
        return JSONResponse(
            {"error": "temporarily_unavailable"}, status_code=503, headers={"Cache-Control": "no-store"}
        )
    body, etag = keyring.jwks_with_etag()
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": etag}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=MEDIA_TYPE, headers=headers)


# Served by idp.web.hot_paths: the JWKS is fetched by every relying party and needs neither validation nor dependency
# injection, and FastAPI's per-request machinery costs about a fifth of this route's CPU (bench/oidc.py).
ROUTES = [hot_route("/jwks", jwks, ["GET", "HEAD"])]


def _matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 §13.1.2: ``*`` or any listed tag, compared weakly (a ``W/`` prefix is ignored)."""
    if not if_none_match:
        return False
    candidates = (tag.strip().removeprefix("W/") for tag in if_none_match.split(","))
    return any(tag == "*" or tag == etag for tag in candidates)
