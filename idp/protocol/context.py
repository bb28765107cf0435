"""What one protocol request works with: settings, the request's database session, the key ring, the clock, and
who is calling from where (for the audit trail). Built by the web layer per request; authlib's server, grants and
endpoints reach it as ``server.ctx``."""

from __future__ import annotations

from dataclasses import dataclass, field

from idp.audit import AuditContext
from idp.protocol.client_cache import NO_CACHE, ClientCache
from idp.clock import Clock, SystemClock
from idp.db import Session
from idp.keys.ring import KeyRing
from idp.settings import Settings


@dataclass
class ProtocolContext:
    settings: Settings
    session: Session
    keyring: KeyRing
    audit: AuditContext = field(default_factory=AuditContext)
    clock: Clock = field(default_factory=SystemClock)
    clients: ClientCache = NO_CACHE

    @property
    def issuer(self) -> str:
        return self.settings.issuer

    def endpoint(self, path: str) -> str:
        return self.settings.issuer + path
