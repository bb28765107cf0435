"""One-line descriptions of pydantic validation errors, for documents people type (client metadata, users).

A description names the field the way the document spells it (``redirect_uris[0]``, ``address.postal_code``) and
never repeats the input, which may be a secret.
"""

from __future__ import annotations

from typing import Any


def field_path(loc: tuple[int | str, ...]) -> str:
    where = ""
    for part in loc:
        where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
    return where


def describe_error(error: dict[str, Any], *, unknown_field: str = "unknown field") -> str:
    where = field_path(error["loc"])
    if error["type"] == "extra_forbidden":
        return f"{where}: {unknown_field}"
    if error["type"] == "missing":
        return f"{where}: is required"
    message = str(error["msg"]).removeprefix("Value error, ").replace("Input should be", "must be", 1)
    return f"{where}: {message}" if where else message
