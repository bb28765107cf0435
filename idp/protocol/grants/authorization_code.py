"""The authorization code grant (RFC 6749 §4.1; OIDC Core §3.1), on authlib's ``AuthorizationCodeGrant``.

At /authorize, ``save_authorization_code`` stores the code's keyed hash with everything the exchange needs: client,
account, browser session, exact ``redirect_uri``, scope, ``nonce``, PKCE challenge, the ``claims`` parameter and
the authentication (acr, amr, auth_time); it lives ``settings.tokens.code_ttl_seconds`` (60 s at most). The client
is recorded as a participant of the browser session, for back-channel logout.

At /token, in this order (as node-oidc-provider does): the code must exist, belong to the authenticated client and
be unexpired; authlib checks ``redirect_uri`` (RFC 6749 §4.1.3) and PKCE. Only then is the code consumed, by one
conditional UPDATE: a code already used fails with ``invalid_grant`` and revokes every token issued from it
(RFC 6749 §4.1.2). The account must still be active and the browser session not ended. The code is read with its
account and session in one query (``idp.storage.grant_records``), as a read-only view.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

from authlib.oauth2.rfc6749 import InvalidGrantError, InvalidRequestError, OAuth2Request, grants
from authlib.oidc.core import AuthorizationCodeMixin

from idp.audit import record
from idp.crypto import keyed_hash, new_token
from idp.models import AuthorizationCode
from idp.protocol.context import ProtocolContext
from idp.protocol.grants.client_auth import ANY_METHOD, ClientAuthenticating
from idp.protocol.grants.lineage import load_subject
from idp.protocol.oauth_client import OAuthClient
from idp.protocol.tokens import Authorization, revoke_tokens_of_code
from idp.storage import grant_records
from idp.storage import grants as storage
from idp.storage.grant_records import CodeRecord, CodeView

CODE_PREFIX = "idp_ac_"
CODE_PURPOSE = "authorization-code"


def code_hash(ctx: ProtocolContext, code: str) -> str:
    return keyed_hash(ctx.settings.secret_key.get_secret_value(), CODE_PURPOSE, code)


class StoredCode(AuthorizationCodeMixin):
    """authlib's view of a stored code (``CodeView``), with who it stands for."""

    def __init__(self, record: CodeRecord) -> None:
        self.record = record
        self.row: CodeView = record.code
        self.code_challenge = record.code.code_challenge
        self.code_challenge_method = record.code.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope

    def get_nonce(self) -> str | None:
        return self.row.nonce

    def get_auth_time(self) -> int:
        return int(self.row.auth_time.timestamp())

    def get_acr(self) -> str:
        return self.row.acr

    def get_amr(self) -> list[str]:
        return list(self.row.amr)


class AuthorizationCodeGrant(ClientAuthenticating, grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ANY_METHOD

    @property
    def ctx(self) -> ProtocolContext:
        return self.server.ctx

    # -- /authorize

    def validate_requested_scope(self) -> None:
        """Unknown scopes are left out, not refused (OIDC Core §3.1.2.1: "Scope values used that are not understood
        by an implementation SHOULD be ignored"); ``get_allowed_scope`` keeps the client's registered ones."""

    def generate_authorization_code(self) -> str:
        return new_token(CODE_PREFIX)

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        subject, client, data = request.user, request.client, request.payload.data
        now = self.ctx.clock.now()
        row = AuthorizationCode(
            code_hash=code_hash(self.ctx, code),
            client_id=client.row.id,
            account_id=subject.account.id,
            session_id=subject.session_id,
            redirect_uri=request.payload.redirect_uri,
            scope=request.scope or "",
            nonce=data.get("nonce") or None,
            code_challenge=data.get("code_challenge") or None,
            code_challenge_method="S256" if data.get("code_challenge") else None,
            claims=_claims_parameter(data.get("claims")),
            acr=subject.acr,
            amr=list(subject.amr),
            auth_time=subject.auth_time,
            expires_at=now + timedelta(seconds=self.ctx.settings.tokens.code_ttl_seconds),
        )
        storage.add_authorization_code(self.ctx.session, row)
        if subject.session_id is not None:
            storage.remember_session_client(self.ctx.session, subject.session_id, client.row.id)

    # -- /token

    def query_authorization_code(self, code: str, client: OAuthClient) -> StoredCode | None:
        if not code.startswith(CODE_PREFIX):
            return None
        found = grant_records.code_by_hash(self.ctx.session, code_hash(self.ctx, code))
        if found is None or found.code.client_id != client.row.id:  # RFC 6749 §4.1.3: issued to this client only
            return None
        if found.code.expires_at <= self.ctx.clock.now() and found.code.used_at is None:
            return None  # a used code stays reachable after expiry: a late replay still revokes (RFC 6749 §4.1.2)
        return StoredCode(found)

    def authenticate_user(self, authorization_code: StoredCode) -> Authorization:
        row = authorization_code.row
        if not grant_records.consume_code(self.ctx.session, row.id, self.ctx.clock.now()):
            self._reused(row)
        subject = load_subject(
            self.ctx, authorization_code.record.subject, row.session_id, acr=row.acr, amr=row.amr,
            auth_time=row.auth_time,
        )
        return Authorization(
            subject=subject,
            granted_scope=row.scope,
            family_id=uuid.uuid4(),  # a new refresh family per code exchange
            authorization_code_id=row.id,
            nonce=row.nonce,
            claims=row.claims,
        )

    def _reused(self, row: CodeView) -> None:
        revoked = revoke_tokens_of_code(self.ctx, row.id)
        record(self.ctx.session, "code.reused", context=self.ctx.audit, outcome="failure", account_id=row.account_id,
               client_id=self.request.client.client_id, details={"revoked_count": revoked})
        raise InvalidGrantError("the authorization code has already been used")

    def delete_authorization_code(self, authorization_code: StoredCode) -> None:
        """Nothing to do: the row was consumed before the tokens were minted, and stays to detect reuse."""


def _claims_parameter(value: Any) -> dict[str, Any] | None:
    """The ``claims`` parameter (OIDC Core §5.5), already validated by the authorization endpoint."""
    if not value:
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        raise InvalidRequestError("the claims parameter is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise InvalidRequestError("the claims parameter must be a JSON object")
    return parsed
