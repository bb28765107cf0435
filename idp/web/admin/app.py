"""The admin API sub-application and its OpenAPI document.

It shares the main application's ``state`` (settings, database, key ring are built in the main lifespan; a mounted
app gets no lifespan of its own), so the usual dependencies (``idp.web.deps``) work unchanged. Every answer carries
``Cache-Control: no-store``: accounts are personal data, and a registration answer carries a client secret.

The OpenAPI document is FastAPI's, completed: the raw JSON bodies are described by the validators' own schemas
(``schemas.REQUEST_DOCUMENTS``), and FastAPI's generic 422 answer is removed since every invalid request is a
400 ``invalid_input`` here.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from idp import __version__
from idp.web.admin import clients, establishments, referents, users
from idp.web.admin.errors import install_error_handlers
from idp.web.admin.schemas import REQUEST_DOCUMENTS

PREFIX = "/admin/api/v1"
DESCRIPTION = """Administration of idp, the OpenID Connect provider of ViaTrajectoire.

Call it with a bearer access token of this OP: a `client_credentials` token with scope `idp:admin` (everything), or
a référent's own token with scope `idp:referent` (the accounts and référents of their establishments only). Errors
are `{"error": code, "error_description": text}` with stable codes; objects a référent may not see answer 404 as
unknown ones do."""


class NoStoreMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        async def send_no_store(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = [(n, v) for n, v in message.get("headers", ()) if n.lower() != b"cache-control"]
                message = {**message, "headers": [*headers, (b"cache-control", b"no-store")]}
            await send(message)

        await self.app(scope, receive, send_no_store if scope["type"] == "http" else send)


def create_admin_app(state: Any) -> FastAPI:
    admin = FastAPI(title="idp admin API", version=__version__, description=DESCRIPTION,
                    openapi_url="/openapi.json", docs_url=None, redoc_url=None)
    admin.state = state
    install_error_handlers(admin)
    admin.add_middleware(NoStoreMiddleware)
    for module in (establishments, referents, users, clients):
        admin.include_router(module.router)
    admin.openapi = lambda: _openapi(admin)  # type: ignore[method-assign]
    return admin


def mount_admin_api(app: FastAPI) -> None:
    app.mount(PREFIX, create_admin_app(app.state), name="admin-api")


def _openapi(admin: FastAPI) -> dict[str, Any]:
    if admin.openapi_schema is None:
        schema = get_openapi(title=admin.title, version=admin.version, description=admin.description,
                             routes=admin.routes, servers=admin.servers)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        for name, model in REQUEST_DOCUMENTS.items():
            definition = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(definition.pop("$defs", {}))
            components[name] = definition
        for operation in (op for path in schema["paths"].values() for op in path.values()):
            operation["responses"].pop("422", None)
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            declared = {k: v for k, v in body.get("schema", {}).items() if k in ("$ref", "oneOf")}
            if declared:  # a raw JSON body: only the validator's schema stands (not FastAPI's "any object")
                body["schema"] = declared
        admin.openapi_schema = schema
    return admin.openapi_schema
