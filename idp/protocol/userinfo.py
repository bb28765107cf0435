"""The UserInfo endpoint (OIDC Core §5.3): the claims about the person an access token was issued for.

authlib's ``UserInfoEndpoint`` gives the shape (``generate_user_info``, ``get_issuer``); its ``__call__`` relies on a
framework ``ResourceProtector.acquire_token`` (Flask/Django integrations only), so ours reads the token itself
(``idp.protocol.bearer``) from the framework-neutral request. Decisions:

- The token must carry ``openid`` (OIDC Core §5.3: userinfo is an OpenID Connect resource): otherwise 403
  ``insufficient_scope``. A token with no end-user (``client_credentials``) is ``invalid_token``: there is no one to
  describe.
- Claims come from ``release_claims``: the token's scope, plus the ``userinfo`` member of the ``claims`` request
  parameter when the authorization stored it on the token row (OIDC Core §5.5), limited to the client's registered
  scope. Values are read now, not at issue time: a name or delegation changed since shows at once. The account is
  the read-only view the bearer check fetched with the token (``idp.storage.token_records.AccountView``): no second
  read of the account, and no ORM entity on this hot path.
- The answer is plain JSON (``userinfo_signed_response_alg`` is not a registration member here) with
  ``Cache-Control: no-store``: it is personal data.
"""

from __future__ import annotations

from typing import Any

from authlib.consts import default_json_headers
from authlib.oauth2.rfc6749 import OAuth2Error
from authlib.oidc.core import UserInfo, UserInfoEndpoint

from idp.models import Account
from idp.protocol.bearer import AccessTokenClaims, authenticate_bearer, bearer_token, invalid_token
from idp.protocol.claims import release_claims
from idp.protocol.context import ProtocolContext
from idp.protocol.requests import HttpRequest
from idp.protocol.responses import ProtocolResponse
from idp.storage.token_records import AccountView

REQUIRED_SCOPE = "openid"


class IdpUserInfoEndpoint(UserInfoEndpoint):
    def __init__(self, ctx: ProtocolContext) -> None:
        super().__init__(server=None, resource_protector=None)
        self.ctx = ctx

    def __call__(self, request: HttpRequest) -> tuple[int, Any, list[tuple[str, str]]]:  # type: ignore[override]
        access = authenticate_bearer(self.ctx, bearer_token(request), scope=REQUIRED_SCOPE)
        if access.account is None:
            raise invalid_token("The access token was issued to a client, not to a person.")
        user_info = self.generate_user_info(access.account, access.scope, access=access)
        return 200, dict(user_info), default_json_headers

    def generate_user_info(  # type: ignore[override]
        self, user: Account | AccountView, scope: str, *, access: AccessTokenClaims | None = None
    ) -> UserInfo:
        requested = _userinfo_request(access.token.claims) if access else None
        allowed_scope = access.client.scope if access else None
        return UserInfo(release_claims(self.ctx.session, user, scope, requested=requested, allowed_scope=allowed_scope))

    def get_issuer(self) -> str:
        return self.ctx.issuer


def _userinfo_request(claims_request: dict[str, Any] | None) -> dict[str, Any] | None:
    member = (claims_request or {}).get("userinfo")
    return member if isinstance(member, dict) else None


def userinfo_response(ctx: ProtocolContext, http: HttpRequest) -> ProtocolResponse:
    """GET or POST /userinfo: the claims, or the RFC 6750 error with its ``WWW-Authenticate`` challenge."""
    try:
        status, body, headers = IdpUserInfoEndpoint(ctx)(http)
    except OAuth2Error as error:
        status, body, headers = error()
    return ProtocolResponse(status, body, list(headers))
