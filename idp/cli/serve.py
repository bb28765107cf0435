"""``idp serve``: run the OP with uvicorn.

TLS: ``IDP_TLS_CERTFILE``/``IDP_TLS_KEYFILE`` when set; in development with an https issuer and no certificate
configured, a self-signed one for localhost under ``var/tls/`` (``make run``); otherwise plain HTTP for a
TLS-terminating proxy (nginx) in front, whose ``X-Forwarded-*`` headers are believed only from
``IDP_FORWARDED_ALLOW_IPS``. Each worker builds its own app through ``idp.main:app_factory``.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import click

from idp.cli import CliContext, CliError, cli, pass_cli
from idp.devtls import ensure_self_signed
from idp.settings import PROJECT_ROOT, Environment, Settings


def tls_files(settings: Settings) -> tuple[str | None, str | None]:
    if settings.tls_certfile or settings.tls_keyfile:
        if not (settings.tls_certfile and settings.tls_keyfile):
            raise CliError("IDP_TLS_CERTFILE and IDP_TLS_KEYFILE go together")
        for path in (settings.tls_certfile, settings.tls_keyfile):
            if not Path(path).is_file():
                raise CliError(f"TLS file not found: {path}")
        return settings.tls_certfile, settings.tls_keyfile
    if settings.environment is Environment.development and settings.issuer.startswith("https://"):
        host = urlsplit(settings.issuer).hostname or "localhost"
        certfile, keyfile = ensure_self_signed(PROJECT_ROOT / "var" / "tls", host)
        return str(certfile), str(keyfile)
    return None, None


@cli.command()
@click.option("--host", help="Address to bind (default IDP_LISTEN_HOST).")
@click.option("--port", type=int, help="Port to bind (default IDP_LISTEN_PORT).")
@click.option("--workers", type=int, help="Worker processes (default IDP_WORKERS).")
@pass_cli
def serve(ctx: CliContext, host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the OpenID Provider (HTTPS when a certificate is configured or in development)."""
    import uvicorn

    settings = ctx.settings
    certfile, keyfile = tls_files(settings)
    scheme = "https" if certfile else "http"
    bind_host, bind_port = host or settings.listen_host, port or settings.listen_port
    click.echo(f"idp: serving {settings.issuer} on {scheme}://{bind_host}:{bind_port}", err=True)
    uvicorn.run(
        "idp.main:app_factory",
        factory=True,
        host=bind_host,
        port=bind_port,
        workers=workers or settings.workers,
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        server_header=False,
        date_header=True,
        access_log=False,  # our middleware writes one JSON access line per request, without query strings
        log_config=None,  # the app configures logging (JSON) in its lifespan
    )
