"""``GET /metrics``: the Prometheus text exposition of everything declared in ``idp.observability.metrics``.

A plain ``def`` route: in multiprocess mode rendering reads every worker's files, which blocks, so it runs in the
thread pool. Whether the endpoint is reachable from outside is the proxy's business (nginx serves it to the
monitoring network only); it shows counts, never identities.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from idp.observability.metrics import render

router = APIRouter(tags=["operations"])


@router.get("/metrics", include_in_schema=False)
def metrics() -> Response:
    body, content_type = render()
    return Response(body, media_type=content_type, headers={"Cache-Control": "no-store"})
