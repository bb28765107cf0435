"""The RFC 6750 §3 errors authlib does not shape for a resource server: each carries its ``WWW-Authenticate``.

authlib's ``InvalidTokenError`` already challenges with ``Bearer error="invalid_token"``; these complete the set:

- no token at all: 401 with the bare challenge ``WWW-Authenticate: Bearer`` and no error code (RFC 6750 §3.1: "If
  the request lacks any authentication information ... the resource server SHOULD NOT include an error code");
- ``invalid_request``: 400, and the challenge too (RFC 6750 §3: the header MAY accompany other conditions; a client
  library reads the error from one place whatever the status);
- ``insufficient_scope``: 403 with the ``scope`` the resource needs (RFC 6750 §3, the ``scope`` attribute).
"""

from __future__ import annotations

from typing import Any

from authlib.consts import default_json_headers
from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Error
from authlib.oauth2.rfc6750 import InsufficientScopeError


def _challenge(*attributes: str) -> tuple[str, str]:
    return ("WWW-Authenticate", ("Bearer " + ", ".join(attributes)) if attributes else "Bearer")


class MissingBearerToken(OAuth2Error):
    status_code = 401

    def get_body(self) -> list[tuple[str, Any]]:
        return []  # no error code (RFC 6750 §3.1)

    def get_headers(self) -> list[tuple[str, str]]:
        return [*default_json_headers, _challenge()]


class BearerInvalidRequest(InvalidRequestError):
    def get_headers(self) -> list[tuple[str, str]]:
        return [
            *default_json_headers,
            _challenge('error="invalid_request"', f'error_description="{self.get_error_description()}"'),
        ]


class BearerInsufficientScope(InsufficientScopeError):
    def __init__(self, scope: str) -> None:
        super().__init__(description=f"The access token does not grant the scope {scope}.")
        self.scope = scope

    def get_headers(self) -> list[tuple[str, str]]:
        return [
            *default_json_headers,
            _challenge(
                'error="insufficient_scope"',
                f'error_description="{self.get_error_description()}"',
                f'scope="{self.scope}"',
            ),
        ]
