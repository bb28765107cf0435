"""The protocol's hot endpoints, answered before FastAPI's router.

Relying parties and resource servers call a handful of endpoints for every token they get or check: discovery, the
JWKS, ``/token``, ``/userinfo``, ``/introspect`` and ``/revoke``. None of them needs what FastAPI adds per request
(path-operation matching over every route, dependency injection, parameter validation): each is a plain
``async def endpoint(request) -> Response`` that reads its own input (``idp.web.protocol_io``). Measured on
``/token`` with ``client_credentials``, FastAPI's routing and dependency resolution were about two fifths of the
request's CPU.

``HotPathsMiddleware`` is the innermost of the app's own middlewares, so the request id, the metrics, the access
line and the security headers apply to these endpoints as to every other; FastAPI's outer layers (body size limit,
500 on an unexpected exception) too. A request whose path is exactly one of ``HOT_PATHS`` is answered here; a method
the endpoint does not serve gets FastAPI's own 405 (``{"detail": "Method Not Allowed"}`` with ``Allow``); any other
path goes on to FastAPI.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

Endpoint = Callable[[Request], Awaitable[Response]]


def hot_route(path: str, endpoint: Endpoint, methods: list[str]) -> Route:
    """A route served by ``HotPathsMiddleware``; ``Route`` also gives the metrics their route template."""
    route = Route(path, endpoint, methods=methods, include_in_schema=False)
    route.methods = set(methods)  # exactly these: Route would add HEAD to every GET (userinfo has no HEAD)
    return route


class HotPathsMiddleware:
    def __init__(self, app: Any, routes: list[Route]) -> None:
        self.app = app
        self.routes = {route.path: route for route in routes}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        route = self.routes.get(scope["path"]) if scope["type"] == "http" else None
        if route is None:
            await self.app(scope, receive, send)
            return
        scope["route"] = route  # what the router would have set: the request metrics read the template from it
        request = Request(scope, receive, send)
        if scope["method"] in route.methods:  # type: ignore[operator]
            response = await route.endpoint(request)
        else:
            response = JSONResponse({"detail": "Method Not Allowed"}, status_code=405,
                                    headers={"Allow": ", ".join(sorted(route.methods or ()))})
        await response(scope, receive, send)
