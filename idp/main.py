"""The application factory.

``create_app(settings)`` builds a FastAPI app with nothing done at import time: the database engine and the key ring
are built in the lifespan (or handed in by tests) and kept on ``app.state``. uvicorn starts it through
``idp.main:app_factory`` (``factory=True``), so each worker process builds its own engine and key ring.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from idp import __version__
from idp.db import Database
from idp.authn.throttle import Throttle
from idp.keys.ring import KeyRing
from idp.observability.logging import configure_logging
from idp.protocol.client_cache import ClientCache
from idp.observability.middleware import RequestContextMiddleware
from idp.settings import Settings, load_settings
from idp.storage.counters import Counters
from idp.web import authorize, discovery, health, jwks, login, login_otp, login_terms, metrics
from idp.web.discovery import DiscoveryDocument
from idp.web import introspection, userinfo
from idp.web import token
from idp.web import logout
from idp.web import password
from idp.web import account
from idp.web.admin.app import mount_admin_api
from idp.web.hot_paths import HotPathsMiddleware
from idp.web.protocol_io import protocol_executor
from idp.web.security_headers import SecurityHeadersMiddleware

log = logging.getLogger("idp")


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> FastAPI:
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings)
        owns_database = database is None
        db = database or Database.from_url(settings.database_url, pool_size=settings.database_pool_size)
        keyring = KeyRing(settings, db)
        keyring.start()
        app.state.database = db
        app.state.keyring = keyring
        counters = Counters.from_url(settings.redis_url)  # login throttling: Redis, or this process's memory
        app.state.throttle = Throttle(settings, counters)
        executor = app.state.protocol_executor = protocol_executor(settings.protocol_threads)
        log.info("idp started", extra={"issuer": settings.issuer, "database": db.backend})
        try:
            yield
        finally:
            executor.shutdown(wait=True)  # this lifespan's own, whatever app.state holds by now
            counters.close()
            if owns_database:
                db.dispose()

    app = FastAPI(
        title="idp",
        version=__version__,
        summary="OpenID Connect identity provider of ViaTrajectoire",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.discovery = DiscoveryDocument(settings)
    app.state.client_cache = ClientCache(settings.client_cache_seconds)
    hot = [*discovery.ROUTES, *jwks.ROUTES, *token.ROUTES, *userinfo.ROUTES, *introspection.ROUTES]
    app.add_middleware(HotPathsMiddleware, routes=hot)  # innermost of ours: the two below apply to it too
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.issuer.startswith("https://"))
    app.add_middleware(RequestContextMiddleware)
    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "web" / "static")), name="static")
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(authorize.router)
    app.include_router(login.router)
    app.include_router(login_otp.router)
    app.include_router(login_terms.router)
    app.include_router(logout.router)
    app.include_router(password.router)
    app.include_router(account.router)
    mount_admin_api(app)  # /admin/api/v1: its own OpenAPI document and JSON errors, under the middleware above
    return app


def app_factory() -> FastAPI:
    """Entry point for uvicorn (``idp.main:app_factory``, factory mode)."""
    return create_app()
