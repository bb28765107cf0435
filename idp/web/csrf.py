"""CSRF protection for every form (double-submit, keyed).

A random ``idp_csrf`` cookie (HttpOnly, SameSite=Lax) is set on the first page; each form carries
``csrf_token`` = keyed hash of that cookie. A POST is accepted only when the field matches the cookie it was made
for: a page on another site can make the browser send the cookie but cannot read it to compute the field.
"""

from __future__ import annotations

from fastapi import Request, Response

from idp.crypto import constant_time_equals, keyed_hash, new_token
from idp.settings import Settings

COOKIE_NAME = "idp_csrf"
FIELD_NAME = "csrf_token"
_PURPOSE = "csrf"


class CsrfRejected(Exception):
    """The form's token is missing or does not belong to this browser."""


def csrf_token(request: Request, settings: Settings) -> str:
    """The token for forms on this page; ``ensure_cookie`` must set the cookie it belongs to."""
    cookie = request.cookies.get(COOKIE_NAME)
    if not _sane(cookie):
        cookie = request.state.__dict__.setdefault("new_csrf_cookie", new_token("", 24))
    return keyed_hash(settings.secret_key.get_secret_value(), _PURPOSE, cookie or "")


def ensure_cookie(request: Request, response: Response, settings: Settings) -> None:
    fresh = request.state.__dict__.get("new_csrf_cookie")
    if fresh:
        set_cookie(response, settings, COOKIE_NAME, fresh)


def verify(request: Request, settings: Settings, submitted: str | None) -> None:
    cookie = request.cookies.get(COOKIE_NAME)
    if not _sane(cookie) or not submitted:
        raise CsrfRejected
    expected = keyed_hash(settings.secret_key.get_secret_value(), _PURPOSE, cookie or "")
    if not constant_time_equals(expected, submitted):
        raise CsrfRejected


def set_cookie(response: Response, settings: Settings, name: str, value: str, *, max_age: int | None = None) -> None:
    """Every idp cookie: HttpOnly, Secure when the issuer is https, SameSite=Lax, whole site."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        secure=settings.issuer.startswith("https://"),
        samesite="lax",
        path="/",
    )


def _sane(value: str | None) -> bool:
    return bool(value) and len(value or "") <= 128
