"""``idp demo setup``: what ``make run`` needs to show a working OP on a fresh checkout.

Makes sure the signing keys (RS256 and ES256), a demo establishment, a demo référent, a demo professional and the
demo client (the ViaTrajectoire front-end with its redirect URI) exist, then prints the URLs and the credentials.
Running it again creates nothing and prints the same. Refused in production: the demo passwords and client secret
are public, and they are printed.
"""

from __future__ import annotations

from dataclasses import dataclass

import click

from idp.accounts.establishments import create_establishment, get_establishment
from idp.accounts.referents import create_referent
from idp.accounts.users import create_user, find_user
from idp.authn.passwords import build_password_hasher
from idp.cli import CliContext, CliError, cli, pass_cli
from idp.clock import utcnow
from idp.db import Session
from idp.errors import NotFound
from idp.keys.service import ensure_signing_keys
from idp.models import Account
from idp.notify.outbox import Outbox
from idp.protocol.clients import register_client
from idp.settings import Settings
from idp.storage.clients import get_by_client_id

DEMO_FINESS = "750000010"
DEMO_CLIENT_ID = "viatrajectoire-front"
DEMO_CLIENT_SECRET = "demo-client-secret-for-development-only"
DEMO_REDIRECT_URI = "http://localhost:3000/oidc/callback"


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    given_name: str
    family_name: str
    referent: bool


DEMO_USERS = (
    DemoUser("demo.referent", "Referent-Demo-2026!", "Claire", "Référente", referent=True),
    DemoUser("demo.pro", "Professionnel-Demo-2026!", "Jean", "Soignant", referent=False),
)


@cli.group()
def demo() -> None:
    """Development demo data."""


@demo.command("setup")
@pass_cli
def demo_setup(ctx: CliContext) -> None:
    """Create the demo keys, establishment, référent, professional and client when missing; print how to log in."""
    settings = ctx.settings
    if settings.is_production:
        raise CliError("idp demo setup is for development: its passwords and client secret are public")
    outbox = Outbox()  # demo accounts get their password here, not by e-mail
    with ctx.session() as session:
        created_keys = ensure_signing_keys(session, settings)
        _ensure_establishment(session)
        created_users = [u.username for u in DEMO_USERS if _ensure_user(session, settings, u, outbox)]
        created_client = _ensure_client(session, settings)
    outbox.discard()
    _report(settings, created_keys, created_users, created_client)


def _ensure_establishment(session: Session) -> None:
    try:
        get_establishment(session, DEMO_FINESS)
    except NotFound:
        create_establishment(
            session, finess=DEMO_FINESS, name="Centre hospitalier de démonstration", region="Île-de-France"
        )


def _ensure_user(session: Session, settings: Settings, user: DemoUser, outbox: Outbox) -> bool:
    try:
        find_user(session, user.username)
        return False
    except NotFound:
        pass
    document = {
        "username": user.username,
        "kind": "establishment",
        "establishment": DEMO_FINESS,
        "given_name": user.given_name,
        "family_name": user.family_name,
        "email": f"{user.username}@demo.viatrajectoire.test",
        "profession": "Cadre de santé" if user.referent else "Infirmier",
    }
    create = create_referent if user.referent else create_user
    account: Account = create(session, settings, document, outbox=outbox).account
    # The demo skips activation: the password is set here and the address counts as verified.
    account.password_hash = build_password_hasher(settings).hash(user.password)
    account.password_changed_at = account.email_verified_at = utcnow()
    account.status = "active"
    return True


def _ensure_client(session: Session, settings: Settings) -> bool:
    if get_by_client_id(session, DEMO_CLIENT_ID) is not None:
        return False
    register_client(
        session,
        settings,
        {
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
            "client_name": "ViaTrajectoire (démonstration)",
            "redirect_uris": [DEMO_REDIRECT_URI],
            "post_logout_redirect_uris": ["http://localhost:3000/"],
            "token_endpoint_auth_method": "client_secret_basic",
            "grant_types": ["authorization_code", "refresh_token"],
            "scope": "openid profile email phone address rpps establishments",
        },
    )
    return True


def _report(settings: Settings, keys: list[str], users: list[str], client: bool) -> None:
    made = [f"{len(keys)} signing keys"] if keys else []
    made += [f"account {u}" for u in users] + (["client " + DEMO_CLIENT_ID] if client else [])
    issuer = settings.issuer
    click.echo(f"demo data: {'created ' + ', '.join(made) if made else 'already present, nothing created'}")
    click.echo(
        f"""
  issuer          {issuer}
  discovery       {issuer}/.well-known/openid-configuration
  JWKS            {issuer}/jwks
  health          {issuer}/health/ready
  establishment   {DEMO_FINESS} (Centre hospitalier de démonstration)
  client          client_id={DEMO_CLIENT_ID}  client_secret={DEMO_CLIENT_SECRET}
                  redirect_uri={DEMO_REDIRECT_URI}"""
    )
    for user in DEMO_USERS:
        role = "référent    " if user.referent else "professional"
        click.echo(f"  {role}    username={user.username}  password={user.password}")
    click.echo("  (self-signed certificate: curl -k, or accept it in the browser)")
    if not settings.smtp_url:
        click.echo("  e-mails (activation links, confirmation codes) are written to the server log: IDP_SMTP_URL is unset")
