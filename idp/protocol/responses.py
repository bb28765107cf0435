"""The protocol's answer, framework-neutral: the web layer turns it into an HTTP response.

``body`` is a dict (JSON), a str (HTML or text) or bytes; every header authlib or we set is kept, in order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ProtocolResponse:
    status: int
    body: Any = ""
    headers: list[tuple[str, str]] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)

    def body_bytes(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, (dict, list)):
            return json.dumps(self.body, separators=(",", ":")).encode()
        return str(self.body).encode()

    def media_type(self) -> str:
        given = self.header("Content-Type")
        if given:
            return given
        return "application/json" if isinstance(self.body, (dict, list)) else "text/html; charset=utf-8"
