"""Endpoints other than the grants, registered on the per-request server: introspection (RFC 7662), revocation
(RFC 7009) and, when it is built on authlib's ``EndSessionEndpoint``, RP-initiated logout."""

from __future__ import annotations

from typing import Any


def register(server: Any) -> None:
    from idp.protocol import introspection, logout, revocation

    introspection.register(server)
    revocation.register(server)
    logout.register(server)
