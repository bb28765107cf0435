"""Dependencies as ``Annotated`` aliases.

``DbSession`` is the request's transaction: it commits when the route returns and rolls back when it raises.
Its scope is ``"function"`` so that the commit happens *before* the response starts: a relying party that receives
a code or a token can use it at once (with FastAPI's default request scope the commit would follow the response).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request

from idp.authn.throttle import Throttle
from idp.db import Database, Session
from idp.keys.ring import KeyRing
from idp.settings import Settings


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_database(request: Request) -> Database:
    return request.app.state.database


async def get_keyring(request: Request) -> KeyRing:
    return request.app.state.keyring


async def get_throttle(request: Request) -> Throttle:
    return request.app.state.throttle


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.database.session() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_database)]
KeyRingDep = Annotated[KeyRing, Depends(get_keyring)]
ThrottleDep = Annotated[Throttle, Depends(get_throttle)]
DbSession = Annotated[Session, Depends(get_session, scope="function")]
