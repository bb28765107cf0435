"""Who a code or a refresh token stands for, re-read at every exchange.

Tokens describe a person as they are *now*: an account that was disabled since the login, or a browser session that
ended (logout) or expired, gives no more tokens (``invalid_grant``, RFC 6749 §5.2: "revoked"). Without
``offline_access`` (which we do not offer), refresh tokens live no longer than the login they come from.

The account and the session come with the grant's own row, in the same query (``idp.storage.grant_records``): the
checks here read them, they query nothing. The subject names the account by id (``AccountRef``): the tokens need
no more, and an ID token that asks for claims reads them then (``idp.protocol.id_token``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from authlib.oauth2.rfc6749 import InvalidGrantError

from idp.protocol.context import ProtocolContext
from idp.protocol.subject import AuthenticatedSubject
from idp.storage.grant_records import GrantSubject
from idp.storage.token_records import AccountRef


def load_subject(
    ctx: ProtocolContext,
    found: GrantSubject,
    session_id: uuid.UUID | None,
    *,
    acr: str | None,
    amr: Sequence[str] | None,
    auth_time: datetime | None,
) -> AuthenticatedSubject:
    if found.account_id is None or found.account_status != "active" or found.account_disabled_at is not None:
        raise InvalidGrantError("the account is not active")
    sid = None
    if session_id is not None:
        browser = found.browser
        if browser is None or browser.ended_at is not None or browser.expires_at <= ctx.clock.now():
            raise InvalidGrantError("the login session has ended")
        sid = browser.sid
    if acr is None or auth_time is None:
        raise InvalidGrantError("the grant carries no authentication")
    return AuthenticatedSubject(AccountRef(found.account_id), session_id, sid, acr, tuple(amr or ()), auth_time)
