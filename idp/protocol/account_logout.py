"""Logging an account out everywhere: every live browser session ended, what each granted revoked, the relying
parties told.

Used when a password is reset (SPEC §1.4: "using it ends the user's other sessions and refresh tokens"): whoever
knew the old password may hold a session or a refresh token made with it. For each live session of the account,
as an RP-initiated logout does for one (``idp.protocol.logout``): the session ends, the tokens bound to it are
revoked (access and refresh: a refresh grant also refuses a token whose session ended), a ``logout`` event is
audited with the ``reason``, and a Back-Channel Logout notice is prepared for every client of the session that
registered a ``backchannel_logout_uri``. The notices are delivered by the caller after the commit
(``idp.protocol.backchannel.deliver``, as a background task), so a slow relying party delays nobody.
"""

from __future__ import annotations

from idp.audit import record
from idp.authn import sessions
from idp.models import Account
from idp.protocol import tokens
from idp.protocol.backchannel import LogoutNotice, notices_for
from idp.protocol.context import ProtocolContext
from idp.storage import sessions as session_storage


def log_out_everywhere(ctx: ProtocolContext, account: Account, *, reason: str) -> list[LogoutNotice]:
    """End every live session of ``account``; return the back-channel notices to deliver after the commit."""
    now = ctx.clock.now()
    live = session_storage.live_sessions_of_account(ctx.session, account.id, now)
    if live:
        ctx.keyring.refresh_if_stale()  # logout tokens are signed with the current keys, even if another process rotated
    notices: list[LogoutNotice] = []
    for row in live:
        sessions.end(row, now=now)
        revoked = tokens.revoke_tokens_of_session(ctx, row.id)
        record(ctx.session, "logout", context=ctx.audit, account_id=account.id,
               details={"sid": row.sid, "reason": reason, "revoked": revoked})
        notices += notices_for(ctx, row, account)
    return notices
