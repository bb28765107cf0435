"""Username + password: the first factor (SPEC §1.1, §1.2).

The answer is the same for an unknown login, a wrong password, an account without a password yet and a disabled
account (``None``), and an unknown login still spends one Argon2 verification, so neither the message nor the time
tells whether an account exists. A hash made with older parameters is replaced on a successful login. Delays and
temporary locks are ``idp.authn.throttle``'s, decided before this is called.
"""

from __future__ import annotations

from functools import lru_cache

from idp.authn.passwords import PasswordHasher
from idp.clock import utcnow
from idp.db import Session
from idp.models import Account
from idp.settings import Argon2Settings, Settings
from idp.storage import accounts as account_storage

MAX_LOGIN_LENGTH = 254
MAX_PASSWORD_LENGTH = 1024  # Argon2 takes anything; a bound keeps a megabyte "password" from costing us


@lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_cost_kib: int, parallelism: int) -> PasswordHasher:
    # Built once per parameter set: the dummy hash used for unknown logins is made at first use.
    return PasswordHasher(Argon2Settings(time_cost=time_cost, memory_cost_kib=memory_cost_kib, parallelism=parallelism))


def hasher_for(settings: Settings) -> PasswordHasher:
    a = settings.argon2
    return _hasher(a.time_cost, a.memory_cost_kib, a.parallelism)


def find_login(session: Session, login: str) -> Account | None:
    """An establishment username (any case) or a libéral's RPPS number."""
    login = login.strip()
    if login.isdigit():
        return account_storage.account_by_rpps(session, login)
    return account_storage.account_by_username(session, login.lower())


def check_password(session: Session, settings: Settings, login: str, password: str) -> Account | None:
    hasher = hasher_for(settings)
    if not login or len(login) > MAX_LOGIN_LENGTH or len(password) > MAX_PASSWORD_LENGTH:
        hasher.verify_dummy(password[:MAX_PASSWORD_LENGTH])
        return None
    account = find_login(session, login)
    if account is None or account.password_hash is None:
        hasher.verify_dummy(password)
        return None
    if not hasher.verify(account.password_hash, password) or account.status != "active":
        return None
    if hasher.needs_rehash(account.password_hash):
        account.password_hash = hasher.hash(password)
    now = utcnow()
    account.last_login_at = now
    account.first_password_login_at = account.first_password_login_at or now
    return account
