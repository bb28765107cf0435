"""authlib's view of a registered client (``ClientMixin``), over our ``Client`` row.

Redirect URIs are compared exactly, character for character (OAuth 2.0 Security BCP §4.1.3; OIDC Core §3.1.2.1):
no prefix, no normalisation, no wildcard. Client secrets are checked against their keyed hash in constant time.
"""

from __future__ import annotations

from authlib.oauth2.rfc6749 import ClientMixin

from idp.models import Client
from idp.protocol.clients import verify_client_secret
from idp.settings import Settings

PUBLIC = "none"


class OAuthClient(ClientMixin):
    def __init__(self, row: Client, settings: Settings) -> None:
        self.row = row
        self._settings = settings

    # -- identity
    def get_client_id(self) -> str:
        return self.row.client_id

    @property
    def client_id(self) -> str:
        return self.row.client_id

    @property
    def is_public(self) -> bool:
        return self.row.token_endpoint_auth_method == PUBLIC

    @property
    def id_token_signed_response_alg(self) -> str:
        return self.row.id_token_signed_response_alg

    # -- authorization endpoint
    def get_default_redirect_uri(self) -> str | None:
        # OIDC Core §3.1.2.1: redirect_uri is REQUIRED; we never guess it, even for a single registered one.
        return None

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.row.redirect_uris

    def check_response_type(self, response_type: str) -> bool:
        return response_type in self.row.response_types

    def get_allowed_scope(self, scope: str) -> str:
        if not scope:
            return ""
        allowed = set(self.row.scope.split())
        return " ".join(s for s in scope.split() if s in allowed)

    # -- token endpoint
    def check_client_secret(self, client_secret: str) -> bool:
        return verify_client_secret(self._settings, self.row, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if endpoint == "token":
            return method == self.row.token_endpoint_auth_method
        # introspection and revocation: the client authenticates as it does at the token endpoint
        # (RFC 7009 §2.1, RFC 7662 §2.1); a public client may revoke its own tokens but not introspect.
        if endpoint == "revocation":
            return method == self.row.token_endpoint_auth_method
        return method == self.row.token_endpoint_auth_method and not self.is_public

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.row.grant_types
