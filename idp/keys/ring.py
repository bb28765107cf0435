"""PLACEHOLDER: the in-process key ring (to be written)."""

from __future__ import annotations

from idp.db import Database
from idp.settings import Settings


class KeyRing:
    def __init__(self, settings: Settings, database: Database) -> None:
        self.settings = settings
        self.database = database

    def start(self) -> None:
        pass
