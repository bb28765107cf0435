"""RP-Initiated Logout 1.0: the ``end_session_endpoint`` (GET and POST /logout) and its confirmation.

Written on joserfc and our own rows rather than on authlib's ``EndSessionEndpoint``, which fights this design: it
raises on a bad ``id_token_hint`` (the person then cannot log out at all, where we still offer the confirmation and
only refuse the redirect), checks neither ``iss`` nor the token type (our access tokens are signed with the same
keys), resolves a multi-audience hint to no client (ignoring ``azp``), reads ``client.client_metadata`` and runs the
logout inside ``create_response``. ``register`` is therefore a no-op.

The rules, in the order the spec gives them:

- §2: the hint must be an ID token *this* OP issued: signed by a published key (active, next or retired), RS256 or
  ES256 only, our ``iss``; an expired one is accepted ("even when the exp time has passed"). With ``client_id`` as
  well, ``client_id`` must be one of its audiences.
- §2: the OP MUST ask the End-User whether to log out when there is no valid hint or when the hint does not belong
  to the current session (``sub``, and ``sid`` when present); §6: a request without a valid hint is a means of
  denial of service. A valid hint for the current session logs out without asking.
- §3: redirect only to a ``post_logout_redirect_uri`` registered, character for character, for the client that
  the hint (or ``client_id``) names, with ``state`` echoed. §4: any error in the request means no redirect.
  Without a hint, §3 forbids the redirect "unless the OP has other means of confirming the legitimacy" of the
  target: ours is the person's own confirmation on our page, so ``client_id`` alone redirects only after it.

Any defect (``problem``) therefore costs the redirect and the silent logout, never the person's ability to log
out. The session is the browser's; when the cookie is absent (a cross-site POST does not carry a SameSite=Lax
cookie, and §2 requires POST) a valid hint's ``sid`` names it. ``ui_locales`` and ``logout_hint`` are accepted and
unused: the pages are French and the hint identifies the person better.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from idp.audit import record
from idp.authn import sessions
from idp.models import Account, BrowserSession, Client
from idp.protocol import tokens
from idp.protocol.backchannel import LogoutNotice, notices_for
from idp.protocol.context import ProtocolContext
from idp.protocol.id_token_hint import audiences as hint_audiences
from idp.protocol.id_token_hint import verify_id_token_hint
from idp.protocol.subject import subject_identifier
from idp.storage import clients as client_storage
from idp.storage import grants as grant_storage
from idp.storage import sessions as session_storage

PARAMETERS = ("id_token_hint", "logout_hint", "client_id", "post_logout_redirect_uri", "state", "ui_locales")
_MAX_LENGTH = {"id_token_hint": 16384, "state": 2048}


@dataclass(frozen=True)
class LogoutRequest:
    params: dict[str, str]  # as received; the confirmation form posts them again
    client: Client | None = None  # named by a valid hint or by client_id
    hint: dict[str, Any] | None = field(default=None, repr=False)  # claims of a verified id_token_hint
    redirect_to: str | None = None  # post_logout_redirect_uri with state, only when nothing is wrong
    problem: str | None = None  # why the request cannot be trusted; None when it can


@dataclass(frozen=True)
class AskConfirmation:
    request: LogoutRequest
    account: Account


@dataclass(frozen=True)
class LoggedOut:
    redirect_to: str | None
    problem: str | None = None
    notices: list[LogoutNotice] = field(default_factory=list)


@dataclass(frozen=True)
class Refused:
    """A defective request from a browser that has no session: an error page, nothing to log out."""

    problem: str


Outcome = AskConfirmation | LoggedOut | Refused


def register(server: Any) -> None:
    """Nothing to register on authlib's server: see the module docstring."""


def end_session(ctx: ProtocolContext, pairs: list[tuple[str, str]], session_cookie: str | None) -> Outcome:
    """GET or POST /logout, as sent by a relying party."""
    ctx.keyring.refresh_if_stale()  # a key rotated by another process verifies hints and signs logout tokens here too
    request = validate(ctx, pairs)
    if request.problem is not None:  # a forged hint is a security event even when nobody is logged in
        record(ctx.session, "logout.request.invalid", context=ctx.audit, outcome="failure",
               client_id=request.client.client_id if request.client else None, details={"problem": request.problem})
    live = sessions.load(ctx.session, ctx.settings, session_cookie, now=ctx.clock.now())
    if live is not None:
        if request.problem is None and _belongs_to(request.hint, live.row, live.account):
            return _logged_out(ctx, request, live.row, live.account, confirmed=False)
        return AskConfirmation(request, live.account)
    named = _session_named_by_hint(ctx, request.hint) if request.problem is None else None
    if named is not None:
        return _logged_out(ctx, request, *named, confirmed=False)
    if request.problem is not None:
        return Refused(request.problem)
    # No session: nothing to end, logging out is idempotent. Without a hint nobody confirmed the target (§3).
    return LoggedOut(request.redirect_to if request.hint is not None else None)


def confirmed(ctx: ProtocolContext, pairs: list[tuple[str, str]], session_cookie: str | None) -> LoggedOut:
    """The End-User confirmed on our page (its CSRF token already checked): log out this browser's session."""
    ctx.keyring.refresh_if_stale()
    request = validate(ctx, pairs)
    live = sessions.load(ctx.session, ctx.settings, session_cookie, now=ctx.clock.now())
    if live is None:
        return LoggedOut(request.redirect_to, request.problem)
    return _logged_out(ctx, request, live.row, live.account, confirmed=True)


def validate(ctx: ProtocolContext, pairs: list[tuple[str, str]]) -> LogoutRequest:
    params, problem = _parameters(pairs)
    if problem:
        return LogoutRequest(params, problem=problem)
    hint = None
    if "id_token_hint" in params:
        hint = verify_id_token_hint(ctx, params["id_token_hint"])
        if hint is None:
            return LogoutRequest(params, problem="invalid_id_token_hint")
    client_id = params.get("client_id")
    if hint is not None:
        audiences = hint_audiences(hint)
        if client_id is not None and client_id not in audiences:  # §2: client_id must match the hint's aud
            return LogoutRequest(params, hint=hint, problem="client_id_mismatch")
        client_id = client_id or _client_of_hint(hint, audiences)
    client = client_storage.get_by_client_id(ctx.session, client_id) if client_id else None
    if client_id and (client is None or client.disabled_at is not None):
        return LogoutRequest(params, hint=hint, problem="unknown_client")
    uri = params.get("post_logout_redirect_uri")
    if uri is None:
        return LogoutRequest(params, client, hint)
    if client is None:  # §3: no client to check the URI against, no redirect
        return LogoutRequest(params, hint=hint, problem="unverifiable_post_logout_redirect_uri")
    if uri not in client.post_logout_redirect_uris:  # §3: exact match, no normalisation
        return LogoutRequest(params, client, hint, problem="unregistered_post_logout_redirect_uri")
    return LogoutRequest(params, client, hint, redirect_to=_with_state(uri, params.get("state")))


def _parameters(pairs: list[tuple[str, str]]) -> tuple[dict[str, str], str | None]:
    params: dict[str, str] = {}
    problem = None
    for name, value in pairs:
        if name not in PARAMETERS or value == "":
            continue
        if name in params:
            problem = "duplicate_parameter"
        elif len(value) > _MAX_LENGTH.get(name, 2048):
            problem = "invalid_request"
        params[name] = value
    return params, problem


def _client_of_hint(hint: dict[str, Any], audiences: list[str]) -> str | None:
    """OIDC Core §2: the client is the single audience, or ``azp`` when there are several."""
    azp = hint.get("azp")
    if isinstance(azp, str) and azp in audiences:
        return azp
    return audiences[0] if len(audiences) == 1 else None


def _with_state(uri: str, state: str | None) -> str:
    if not state:
        return uri
    return uri + ("&" if urlsplit(uri).query else "?") + urlencode({"state": state})


def _belongs_to(hint: dict[str, Any] | None, row: BrowserSession, account: Account) -> bool:
    """§2: the hint is for the current session: same subject, and same ``sid`` when the hint carries one."""
    if hint is None or hint["sub"] != subject_identifier(account):
        return False
    return "sid" not in hint or hint["sid"] == row.sid


def _session_named_by_hint(ctx: ProtocolContext, hint: dict[str, Any] | None) -> tuple[BrowserSession, Account] | None:
    sid = hint.get("sid") if hint else None
    if not isinstance(sid, str) or not sid:
        return None
    row = session_storage.session_by_sid(ctx.session, sid)
    if row is None or row.ended_at is not None or row.expires_at <= ctx.clock.now():
        return None
    account = grant_storage.get_account(ctx.session, row.account_id)
    if account is None or not _belongs_to(hint, row, account):
        return None
    return row, account


def _logged_out(ctx: ProtocolContext, request: LogoutRequest, row: BrowserSession, account: Account, *,
                confirmed: bool) -> LoggedOut:
    """End the session and what it granted, audit it, and prepare the back-channel notices (sent after commit)."""
    sessions.end(row, now=ctx.clock.now())
    revoked = tokens.revoke_tokens_of_session(ctx, row.id)  # Back-Channel §2.7: the session's refresh tokens
    details: dict[str, Any] = {"sid": row.sid, "confirmed": confirmed, "revoked": revoked}
    if request.problem:
        details["problem"] = request.problem
    record(ctx.session, "logout", context=ctx.audit, account_id=account.id,
           client_id=request.client.client_id if request.client else None, details=details)
    return LoggedOut(request.redirect_to, request.problem, notices_for(ctx, row, account))
