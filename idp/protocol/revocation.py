"""Token revocation (RFC 7009): a client tells the OP it no longer needs a token.

- **Who may revoke.** Every client, authenticated as it registered; public clients identify themselves with
  ``client_id`` alone (RFC 7009 §2.1: "the authorization server ... authenticates the client if it was issued client
  credentials"). A client revokes only its own tokens.
- **Always 200.** An unknown, malformed, already revoked or expired token answers 200 (RFC 7009 §2.2: "invalid tokens
  do not cause an error response since the client cannot handle such an error in a reasonable way"). So does another
  client's token, which is left untouched: an error would tell the caller that the string it holds is a live token
  of someone else. That refusal is audited (``token.revoked``, outcome ``failure``).
- **What goes.** An access token: its ``jti`` is marked revoked by one UPDATE (the lookup gave a read-only view,
  not a session object; a row-less ``client_credentials`` token gets its row, revoked), so userinfo and
  introspection refuse it at once (the JWT itself cannot be recalled; the row is what every check reads). A refresh
  token: its whole family (RFC 7009 §2.1: "the authorization server SHOULD also invalidate all access tokens based
  on the same authorization grant"), which ``idp.protocol.tokens.revoke_token_family`` extends to the access tokens
  issued with it.
- **The hint** only orders the search; an unknown hint is ignored (``unsupported_token_type`` is for a server that
  cannot revoke a kind it knows, RFC 7009 §2.2.1, and we revoke both).
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc7009 import RevocationEndpoint

from idp.audit import record
from idp.protocol import tokens
from idp.protocol.context import ProtocolContext
from idp.protocol.endpoint_client_auth import EndpointClientAuthentication
from idp.protocol.oauth_client import OAuthClient
from idp.protocol.presented_tokens import ACCESS_TOKEN, PresentedToken, find_presented_token

CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]


class TokenRevocationEndpoint(EndpointClientAuthentication, RevocationEndpoint):
    CLIENT_AUTH_METHODS = CLIENT_AUTH_METHODS

    @property
    def ctx(self) -> ProtocolContext:
        return self.server.ctx  # type: ignore[no-any-return]

    def check_params(self, request: Any, client: OAuthClient) -> None:
        if not request.form.get("token"):
            raise InvalidRequestError("The token parameter is required.")  # RFC 7009 §2.1: REQUIRED

    def query_token(self, token_string: str, token_type_hint: str | None) -> PresentedToken | None:
        return find_presented_token(self.ctx, token_string, token_type_hint)

    def authenticate_token(self, request: Any, client: OAuthClient) -> PresentedToken | None:
        self.check_params(request, client)
        token = self.query_token(request.form["token"], request.form.get("token_type_hint"))
        if token is None:
            return None
        if not token.check_client(client):
            # authlib answers invalid_grant here; RFC 7009 §2.2 lets us answer 200, which discloses nothing.
            self._audit(token, client, outcome="failure", reason="issued_to_another_client")
            return None
        if token.row.revoked_at is not None:
            return None  # nothing left to do, and nothing new to record
        return token

    def revoke_token(self, token: PresentedToken, request: Any) -> None:
        # A rotated refresh token still names its grant: revoking it ends the family like its live successor would.
        if token.type_name == ACCESS_TOKEN:
            tokens.revoke_access_token(self.ctx, token.row)
        elif token.row.family_id is not None:
            tokens.revoke_token_family(self.ctx, token.row.family_id)
        else:
            token.row.revoked_at = self.ctx.clock.now()
        self._audit(token, request.client)

    def _audit(self, token: PresentedToken, client: OAuthClient, *, outcome: str = "success", reason: str = "") -> None:
        details = {"token_kind": token.row.kind, "token_id": str(token.row.id), "issued_to": token.client.client_id}
        if reason:
            details["reason"] = reason
        record(
            self.ctx.session,
            "token.revoked",
            context=self.ctx.audit,
            outcome=outcome,
            account_id=token.row.account_id,
            client_id=client.client_id,
            details=details,
        )


def register(server: Any) -> None:
    server.register_endpoint(TokenRevocationEndpoint)
