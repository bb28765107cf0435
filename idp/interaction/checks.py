"""The login policy: an ordered list of small named checks (node-oidc-provider's ``prompts/login.js``).

Each check looks at the request's requirements and the browser's session and returns its stable reason code
when the person must go through a page first. Later policies are one more entry in ``CHECKS``
(``terms_pending``, ``email_unverified``). Step-up is the ``acr_not_satisfied`` check: a session below the level
asked for goes back through the interaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from idp.authn.levels import satisfies
from idp.authn.sessions import LiveSession


@dataclass(frozen=True)
class LoginRequirements:
    """What the authorization request asks of the authentication (OIDC Core §3.1.2.1)."""

    prompts: frozenset[str] = frozenset()
    max_age: int | None = None
    acr: str | None = None  # the weakest acr value that would do
    acr_essential: bool = False
    id_token_hint_sub: str | None = None
    login_hint: str | None = None


@dataclass(frozen=True)
class Situation:
    requirements: LoginRequirements
    session: LiveSession | None
    now: datetime
    #: True when the person has just authenticated for this very request (the interaction was finished):
    #: prompt=login and max_age are then satisfied by that authentication.
    fresh: bool = False
    #: True when the session's account has not accepted the terms of use in force (``idp.accounts.terms``).
    terms_pending: bool = False


Check = Callable[[Situation], str | None]


def no_session(s: Situation) -> str | None:
    return "no_session" if s.session is None else None


def id_token_hint_mismatch(s: Situation) -> str | None:
    # OIDC Core §3.1.2.1: the end-user identified by the hint must be the one logged in.
    hint = s.requirements.id_token_hint_sub
    if hint and s.session is not None and str(s.session.account.id) != hint:
        return "id_token_hint_mismatch"
    return None


def prompt_login(s: Situation) -> str | None:
    return "prompt_login" if "login" in s.requirements.prompts and not s.fresh else None


def max_age(s: Situation) -> str | None:
    # OIDC Core §3.1.2.1: re-authenticate when the last authentication is older than max_age seconds.
    limit = s.requirements.max_age
    if limit is None or s.session is None or s.fresh:
        return None
    elapsed = (s.now - s.session.row.auth_time).total_seconds()
    return "max_age" if elapsed > limit else None


def acr_not_satisfied(s: Situation) -> str | None:
    wanted = s.requirements.acr
    if wanted is None or s.session is None:
        return None
    return None if satisfies(s.session.row.acr, wanted) else "acr_not_satisfied"


def terms_pending(s: Situation) -> str | None:
    # SPEC §1.1.3, §1.1.5: the terms in force must be accepted before any client gets an answer.
    return "terms_pending" if s.session is not None and s.terms_pending else None


CHECKS: tuple[tuple[str, Check], ...] = (
    ("no_session", no_session),
    ("id_token_hint_mismatch", id_token_hint_mismatch),
    ("prompt_login", prompt_login),
    ("max_age", max_age),
    ("acr_not_satisfied", acr_not_satisfied),
    ("terms_pending", terms_pending),
)


def evaluate(situation: Situation) -> list[str]:
    """Reasons, in policy order, why the person must see a page before the client gets an answer."""
    reasons = []
    for _name, check in CHECKS:
        reason = check(situation)
        if reason:
            reasons.append(reason)
            if reason == "no_session":  # nothing else can be judged without a session
                break
    return reasons
