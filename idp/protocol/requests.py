"""authlib's request objects built from a framework-neutral snapshot of the HTTP request.

authlib's server side is synchronous and reads ``request.args``, ``request.form``, ``request.headers`` and
``request.payload``; the web layer reads the body first (it is async), then hands the protocol an ``HttpRequest``.
The URI given to authlib is built from the configured issuer, not from the Host header: behind a proxy the issuer
is the only name the OP answers to (and what ``aud`` of a ``private_key_jwt`` assertion must name).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urlencode

from authlib.oauth2.rfc6749 import JsonPayload, JsonRequest, OAuth2Payload, OAuth2Request


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    headers: Mapping[str, str]  # case-insensitive (Starlette's Headers)
    query: list[tuple[str, str]] = field(default_factory=list)
    form: list[tuple[str, str]] = field(default_factory=list)
    client_ip: str | None = None

    def url(self, issuer: str) -> str:
        return issuer + self.path + ("?" + urlencode(self.query) if self.query else "")


class _MultiDict(dict[str, str]):
    """First value of each name, like werkzeug's MultiDict; ``getlist`` gives them all."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        super().__init__()
        self._lists: defaultdict[str, list[str]] = defaultdict(list)
        for name, value in pairs:
            self._lists[name].append(value)
            self.setdefault(name, value)

    def getlist(self, name: str) -> list[str]:
        return list(self._lists.get(name, []))


class _Payload(OAuth2Payload):
    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._values = _MultiDict(pairs)

    @property
    def data(self) -> _MultiDict:
        return self._values

    @cached_property
    def datalist(self) -> defaultdict[str, list[str]]:
        values: defaultdict[str, list[str]] = defaultdict(list)
        for name in self._values:
            values[name].extend(self._values.getlist(name))
        return values


class IdpOAuth2Request(OAuth2Request):
    def __init__(self, http: HttpRequest, issuer: str) -> None:
        super().__init__(method=http.method, uri=http.url(issuer), headers=http.headers)
        self.http = http
        self._args = _MultiDict(http.query)
        self._form = _MultiDict(http.form)
        # RFC 6749 §3.1/§3.2: the authorization endpoint takes the query (GET) or the form (POST);
        # the token, introspection and revocation endpoints take the form only.
        self.payload = _Payload(http.query + http.form)

    @property
    def args(self) -> _MultiDict:
        return self._args

    @property
    def form(self) -> _MultiDict:
        return self._form


class _JsonPayload(JsonPayload):
    def __init__(self, data: dict[str, object]) -> None:
        self._data = data

    @property
    def data(self) -> dict[str, object]:
        return self._data


class IdpJsonRequest(JsonRequest):
    def __init__(self, http: HttpRequest, issuer: str, data: dict[str, object] | None = None) -> None:
        super().__init__(http.method, http.url(issuer), http.headers)
        self.http = http
        self.payload = _JsonPayload(data or {})
