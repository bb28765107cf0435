"""Issuing, storing and revoking tokens.

- Access tokens are JWTs per RFC 9068, signed with the key ring's key for ``settings.tokens.access_token_alg``.
  ``aud`` is the issuer: the resource servers are this OP's own (userinfo, admin API). A person's access token gets
  a ``Token`` row under its ``jti``: the row ties it to its session, code and refresh family, which logout, code
  reuse and refresh reuse revoke together. A ``client_credentials`` token (``gty`` claim, no person, no family)
  gets no row when issued — that request is the hot path of machine clients and needs no write: everything a check
  needs is in the signed JWT and the client's row. Revoking one (RFC 7009) writes its row, revoked
  (``stateless_row`` then ``add_revoked_access_token``), so every check that finds the row refuses it; disabling
  the client ends all of them.
- Refresh tokens are opaque (``idp_rt_...``), stored as a keyed hash, grouped in a ``family_id`` that starts with a
  code exchange and follows every rotation (RFC 9700 §4.14.2): reusing a rotated one revokes the family.
- ``authorization_code_id`` follows the whole family, so a code used twice revokes everything that came of it
  (RFC 6749 §4.1.2).

``issue_access_token`` and the ``revoke_*`` / ``find_*`` functions are this module's service interface for the
other endpoints (userinfo, introspection, revocation, logout, the admin API's tests).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from authlib.oauth2.rfc6749 import OAuth2Request
from joserfc import jwt

from idp.audit import record
from idp.crypto import keyed_hash, new_token
from idp.db import Session
from idp.models import Account, Client, Token
from idp.protocol.context import ProtocolContext
from idp.protocol.subject import AuthenticatedSubject, subject_identifier
from idp.storage import grant_records
from idp.storage import grants as storage
from idp.storage import token_records
from idp.storage.token_records import AccountRef, AccountView, ClientView, TokenView

ACCESS_TOKEN_TYP = "at+jwt"  # RFC 9068 §2.1
REFRESH_TOKEN_PREFIX = "idp_rt_"  # recognisable by secret scanners (CONVENTIONS §10)
REFRESH_TOKEN_PURPOSE = "refresh-token"
_JTI_BYTES = 18
#: The claim that marks an access token issued to a client for itself, kept without a row (Auth0's name for it).
GRANT_TYPE_CLAIM = "gty"
CLIENT_CREDENTIALS = "client_credentials"


@dataclass(frozen=True)
class Authorization:
    """What tokens are issued on: who authenticated and how, and the grant's lineage.

    authlib carries it as ``request.user`` through the code and refresh grants. ``granted_scope`` is the scope of
    the refresh family: a rotated refresh token keeps it even when the access token asks for less (RFC 6749 §6).
    """

    subject: AuthenticatedSubject
    granted_scope: str
    family_id: uuid.UUID
    authorization_code_id: uuid.UUID | None = None
    nonce: str | None = None  # only on a code exchange (OIDC Core §12.2: not repeated on refresh)
    claims: dict[str, Any] | None = None  # the ``claims`` request parameter (OIDC Core §5.5)

    @property
    def account(self) -> Account | AccountView | AccountRef:
        return self.subject.account

    def get_user_id(self) -> str:  # authlib's user protocol
        return self.subject.sub


def _ts(moment: datetime) -> int:
    return int(moment.timestamp())


def issue_access_token(
    ctx: ProtocolContext,
    *,
    client: Client,
    account: Account | AccountView | AccountRef | None,
    scope: str,
    session_id: uuid.UUID | None = None,
    sid: str | None = None,
    acr: str | None = None,
    amr: Sequence[str] | None = None,
    auth_time: datetime | None = None,
    authorization_code_id: uuid.UUID | None = None,
    family_id: uuid.UUID | None = None,
    claims_request: dict[str, Any] | None = None,
    staged: list[dict[str, Any]] | None = None,
) -> tuple[str, Token | None]:
    """Sign an RFC 9068 access token and write its ``Token`` row; ``sub`` is the client_id without an account, and
    then there is no row (None); None too when the row is ``staged``.

    The row is written at once by a Core INSERT (``idp.storage.grant_records.insert_tokens``): the ORM's unit of
    work cost the token endpoint more CPU than the statement itself. With ``staged``, its values are appended there
    instead, for the caller to write with the other tokens of the response in one statement
    (``write_staged``). The ``Token`` returned is not in the session: it carries the row's values; load the row
    (``find_token_by_jti``) to change it.

    ``claims_request`` is the authorization's ``claims`` parameter, kept on the row for userinfo (OIDC Core §5.5).
    """
    now = ctx.clock.now()
    expires_at = now + timedelta(seconds=ctx.settings.tokens.access_token_ttl_seconds)
    jti = new_token("", _JTI_BYTES)
    claims: dict[str, Any] = {
        "iss": ctx.issuer,
        "sub": subject_identifier(account) if account is not None else client.client_id,  # RFC 9068 §2.2
        "aud": ctx.issuer,
        "exp": _ts(expires_at),
        "iat": _ts(now),
        "jti": jti,
        "client_id": client.client_id,
        "scope": scope,
    }
    if account is None:
        claims[GRANT_TYPE_CLAIM] = CLIENT_CREDENTIALS
    if account is not None and auth_time is not None:  # RFC 9068 §2.2.1: the authentication information
        claims.update(auth_time=_ts(auth_time), acr=acr, amr=list(amr or ()))
        if sid:
            claims["sid"] = sid
    alg = ctx.settings.tokens.access_token_alg
    kid, key = ctx.keyring.signing_key(alg)
    value = jwt.encode({"typ": ACCESS_TOKEN_TYP, "alg": alg, "kid": kid}, claims, key, algorithms=[alg])
    if account is None:
        return value, None
    row = _write_token(
        ctx.session,
        staged,
        id=uuid.uuid4(),
        kind="access",
        jti=jti,
        token_hash=None,
        client_id=client.id,
        account_id=account.id,
        session_id=session_id,
        authorization_code_id=authorization_code_id,
        family_id=family_id,
        scope=scope,
        claims=claims_request,
        acr=acr,
        amr=list(amr) if amr is not None else None,
        auth_time=auth_time,
        expires_at=expires_at,
        rotated_at=None,
        revoked_at=None,
        created_at=now,
    )
    return value, row


def _write_token(session: Session, staged: list[dict[str, Any]] | None, **values: Any) -> Token | None:
    if staged is not None:
        staged.append(values)
        return None  # the caller wants the value only: building an entity would cost a tenth of the request
    grant_records.insert_tokens(session, [values])
    return Token(**values)


def write_staged(ctx: ProtocolContext, staged: list[dict[str, Any]]) -> None:
    """Write the token rows ``issue_*(staged=...)`` collected, in one statement."""
    if staged:
        grant_records.insert_tokens(ctx.session, staged)
        staged.clear()


def stateless_row(claims: dict[str, Any], client: ClientView) -> TokenView:
    """The row a ``client_credentials`` access token would have, made from its verified claims.

    Checks read it like a stored row; ``revoke_access_token`` writes it when the token is revoked.
    """
    return TokenView(
        id=uuid.uuid4(),
        kind="access",
        jti=claims["jti"],
        client_id=client.id,
        account_id=None,
        scope=str(claims.get("scope", "")),
        claims=None,
        expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        revoked_at=None,
        created_at=datetime.fromtimestamp(int(claims["iat"]), UTC),
    )


def is_stateless(claims: dict[str, Any]) -> bool:
    """Whether verified access-token claims are those of a row-less ``client_credentials`` token."""
    return claims.get(GRANT_TYPE_CLAIM) == CLIENT_CREDENTIALS and "auth_time" not in claims


def revoke_access_token(ctx: ProtocolContext, row: TokenView) -> None:
    """Revoke one access token (RFC 7009): mark its row revoked, or write the row of a row-less one, revoked.

    ``row`` is a read-only view (``idp.storage.token_records``): the UPDATE is the write. When it finds no live row
    (a row-less token, or a concurrent revocation), the revoked row is inserted unless one is there by then.
    """
    now = ctx.clock.now()
    if not storage.revoke_access_token_row(ctx.session, row.jti, now):
        token_records.add_revoked_access_token(ctx.session, row._replace(revoked_at=now))


def issue_refresh_token(
    ctx: ProtocolContext,
    *,
    client: Client,
    authorization: Authorization,
    staged: list[dict[str, Any]] | None = None,
) -> tuple[str, Token | None]:
    """A new refresh token of ``authorization``'s family, with the family's scope (RFC 6749 §6); written as
    ``issue_access_token`` writes its row."""
    now = ctx.clock.now()
    value = new_token(REFRESH_TOKEN_PREFIX)
    subject = authorization.subject
    row = _write_token(
        ctx.session,
        staged,
        id=uuid.uuid4(),
        kind="refresh",
        jti=new_token("", _JTI_BYTES),
        token_hash=refresh_token_hash(ctx, value),
        client_id=client.id,
        account_id=subject.account.id,
        session_id=subject.session_id,
        authorization_code_id=authorization.authorization_code_id,
        family_id=authorization.family_id,
        scope=authorization.granted_scope,
        claims=authorization.claims,
        acr=subject.acr,
        amr=list(subject.amr),
        auth_time=subject.auth_time,
        expires_at=now + timedelta(seconds=ctx.settings.tokens.refresh_token_ttl_seconds),
        rotated_at=None,
        revoked_at=None,
        created_at=now,
    )
    return value, row


def refresh_token_hash(ctx: ProtocolContext, value: str) -> str:
    return keyed_hash(ctx.settings.secret_key.get_secret_value(), REFRESH_TOKEN_PURPOSE, value)


def presented_refresh_token_hash(ctx: ProtocolContext, value: str) -> str | None:
    """The keyed hash a presented refresh token is stored under, or None when it is none of ours (no prefix)."""
    return refresh_token_hash(ctx, value) if value.startswith(REFRESH_TOKEN_PREFIX) else None


def save_token(ctx: ProtocolContext, token: dict[str, Any], request: OAuth2Request) -> None:
    """authlib's ``save_token``: the rows were written as the tokens were minted; log the issuance.

    ``token.issued`` goes to the audit log, not the table: it happens on every token request (the hot path), and
    the token rows themselves already record who got what, when. Refusals (``code.reused``, ``refresh.reused``,
    ``client.authentication.failed``) are persisted.
    """
    authorization = request.user if isinstance(request.user, Authorization) else None
    record(
        ctx.session,
        "token.issued",
        context=ctx.audit,
        account_id=authorization.account.id if authorization else None,
        client_id=request.client.get_client_id(),
        details={
            "grant_type": request.payload.grant_type,
            "scope": token.get("scope", ""),
            "refresh_issued": "refresh_token" in token,
        },
        persist=False,
    )


# -- finding and revoking


def find_token_by_jti(session: Session, jti: str) -> Token | None:
    """The row of an access (or refresh) token by its ``jti``; check ``revoked_at`` and ``expires_at`` yourself."""
    return storage.token_by_jti(session, jti)


def find_refresh_token(ctx: ProtocolContext, value: str) -> Token | None:
    """The row of a refresh token by its value (any state: rotated, revoked and expired ones included)."""
    token_hash = presented_refresh_token_hash(ctx, value)
    return storage.refresh_token_by_hash(ctx.session, token_hash) if token_hash is not None else None


def revoke_token_family(ctx: ProtocolContext, family_id: uuid.UUID) -> int:
    """Revoke every refresh and access token of a refresh family; returns how many were live."""
    return storage.revoke_tokens(ctx.session, ctx.clock.now(), family_id=family_id)


def revoke_tokens_of_code(ctx: ProtocolContext, code_id: uuid.UUID) -> int:
    """Revoke every token issued from an authorization code, refreshes included (RFC 6749 §4.1.2)."""
    return storage.revoke_tokens(ctx.session, ctx.clock.now(), authorization_code_id=code_id)


def revoke_tokens_of_session(ctx: ProtocolContext, session_id: uuid.UUID) -> int:
    """Revoke every token bound to a browser session (logout ends what the session granted)."""
    return storage.revoke_tokens(ctx.session, ctx.clock.now(), session_id=session_id)
