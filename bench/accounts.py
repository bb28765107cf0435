"""Bench accounts for bench/oidc.py: active professionals made like ``idp demo setup`` makes ``demo.pro``.

    IDP_DATABASE_URL=... IDP_SECRET_KEY=... .venv/bin/python bench/accounts.py PREFIX COUNT PASSWORD [--terms-accepted]

Run by bench/oidc.py with the environment of the ``idp serve`` it measures, before the server starts. Each account
``<PREFIX>NNNNN`` is created with ``create_user`` in the demo establishment, the activation skipped as for the demo
accounts (password set, e-mail ``<username>@bench.viatrajectoire.test`` verified, status active); with
``--terms-accepted`` it has also accepted the terms of use in force (a returning professional).

Why accounts of their own rather than demo.pro for all: the production throttle counts the password attempts of one
login that are in flight as failures (``idp.authn.throttle``), so 32 simultaneous logins of one person are refused
with 429 beyond the fifth, as they should be; a code is sent to one account at most once a minute and five times an
hour, and a new code retires the account's previous one. Real traffic is many professionals, each on a browser of
their own: so is the bench's. The argon2id hash is computed once, with the server's parameters, and given to every
account (same password): verifying it costs exactly what it costs for anyone.

Prints one JSON object: ``{"accounts": [{"username": ..., "email": ..., "password": ...}, ...]}``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from idp.accounts import terms  # noqa: E402
from idp.accounts.users import create_user  # noqa: E402
from idp.audit.writer import CLI  # noqa: E402
from idp.authn.passwords import build_password_hasher  # noqa: E402
from idp.cli.demo import DEMO_FINESS  # noqa: E402
from idp.clock import utcnow  # noqa: E402
from idp.db import Database  # noqa: E402
from idp.notify.outbox import Outbox  # noqa: E402
from idp.settings import load_settings  # noqa: E402


def create(prefix: str, count: int, password: str, *, terms_accepted: bool) -> list[dict[str, str]]:
    settings = load_settings()
    password_hash = build_password_hasher(settings).hash(password)
    outbox = Outbox()  # activation e-mails: never sent, as for the demo accounts
    made = []
    with Database.from_url(settings.database_url).session() as session:
        for number in range(count):
            username = f"{prefix}{number:05d}"
            account = create_user(session, settings, {
                "username": username, "kind": "establishment", "establishment": DEMO_FINESS,
                "given_name": "Banc", "family_name": f"Essai {number}",
                "email": f"{username}@bench.viatrajectoire.test", "profession": "Infirmier",
            }, outbox=outbox).account
            now = utcnow()
            account.password_hash = password_hash
            account.password_changed_at = account.email_verified_at = now
            account.status = "active"
            session.flush()
            if terms_accepted:
                terms.accept(session, settings, account.id, context=CLI, now=now)
            made.append({"username": username, "email": account.email, "password": password})
    outbox.discard()
    return made


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("prefix")
    parser.add_argument("count", type=int)
    parser.add_argument("password")
    parser.add_argument("--terms-accepted", action="store_true")
    args = parser.parse_args()
    print(json.dumps({"accounts": create(args.prefix, args.count, args.password, terms_accepted=args.terms_accepted)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
