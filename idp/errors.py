"""Domain errors: what went wrong, in words safe to show, with no knowledge of HTTP.

Each error has a stable ``code`` (used by the admin API and the CLI), a ``description`` safe to show a person or a
relying party, and an optional ``detail`` for the log only. The web layer and the CLI each translate them in one
place (a 4xx JSON body, a French page, or a one-line message with exit status 2).
"""

from __future__ import annotations


class DomainError(Exception):
    code = "invalid_request"

    def __init__(self, description: str, *, detail: str | None = None) -> None:
        super().__init__(description)
        self.description = description
        self.detail = detail


class InvalidInput(DomainError):
    code = "invalid_input"


class NotFound(DomainError):
    code = "not_found"


class AlreadyExists(DomainError):
    code = "already_exists"


class Forbidden(DomainError):
    code = "forbidden"


class NotConfigured(DomainError):
    code = "not_configured"


class Unavailable(DomainError):
    """A dependency (the database, the cache) does not answer."""

    code = "unavailable"
