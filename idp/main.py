"""The application factory.

``create_app(settings)`` builds a FastAPI app with nothing done at import time: the database engine and the key ring
are built in the lifespan (or handed in by tests) and kept on ``app.state``. uvicorn starts it through
``idp.main:app_factory`` (``factory=True``), so each worker process builds its own engine and key ring.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from idp import __version__
from idp.db import Database
from idp.keys.ring import KeyRing
from idp.observability.logging import configure_logging
from idp.observability.middleware import RequestContextMiddleware
from idp.settings import Settings, load_settings
from idp.web import health, jwks, metrics

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
        log.info("idp started", extra={"issuer": settings.issuer, "database": db.backend})
        try:
            yield
        finally:
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
    app.add_middleware(RequestContextMiddleware)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(jwks.router)
    return app


def app_factory() -> FastAPI:
    """Entry point for uvicorn (``idp.main:app_factory``, factory mode)."""
    return create_app()
