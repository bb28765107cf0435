"""Security headers on every response (plain ASGI middleware).

The CSP allows no inline script or style and no framing (clickjacking of the login form); a response that needs
another policy (the form_post page posts to the client's origin) sets its own ``Content-Security-Policy`` and
keeps it. ``Referrer-Policy: no-referrer`` keeps codes and tokens in URLs from leaking to other sites. HSTS is sent
when the issuer is https.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

DEFAULT_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def csp_allowing_forms_to(*uris: str | None) -> str:
    """The default policy, with ``form-action`` also allowing the origins of ``uris``.

    Browsers apply ``form-action`` to every redirect that follows a form submission (CSP 3 §6.4.2): the login,
    code and terms forms end, after ``/authorize/resume``, at the client's redirect URI, and the logout
    confirmation at its ``post_logout_redirect_uri``. Those pages must name that origin, and only that one (the
    URIs were checked against the client's registration before the page was shown).
    """
    origins = sorted({f"{parts.scheme}://{parts.netloc}" for uri in uris if uri and (parts := urlsplit(uri)).netloc})
    if not origins:
        return DEFAULT_CSP
    return DEFAULT_CSP.replace("form-action 'self'", "form-action 'self' " + " ".join(origins))


class SecurityHeadersMiddleware:
    def __init__(self, app: Any, *, hsts: bool) -> None:
        self.app = app
        headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
        ]
        if hsts:
            headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
        self._headers = headers

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers += [(n, v) for n, v in self._headers if n not in present]
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", DEFAULT_CSP.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
