"""Client authentication at introspection and revocation exactly as at the token endpoint.

RFC 7662 §2.1 and RFC 7009 §2.1 send the client to authenticate "as described in Section 2.3 of RFC 6749", so these
endpoints reuse the token endpoint's ``ClientAuthenticating``: one credential per request, the registered method only,
a ``client_id`` that names the authenticated client, and every failure the same audited ``invalid_client`` 401 with
its ``WWW-Authenticate`` challenge. authlib's ``TokenEndpoint.authenticate_endpoint_client`` is the seam.
"""

from __future__ import annotations

from typing import Any

from idp.protocol.grants.client_auth import ClientAuthenticating
from idp.protocol.oauth_client import OAuthClient


class _AuthlibEndpointClient:
    server: Any
    request: Any
    CLIENT_AUTH_METHODS: list[str]
    ENDPOINT_NAME: str

    def authenticate_token_endpoint_client(self) -> OAuthClient:
        client: OAuthClient = self.server.authenticate_client(
            self.request, self.CLIENT_AUTH_METHODS, self.ENDPOINT_NAME
        )
        return client


class EndpointClientAuthentication(ClientAuthenticating, _AuthlibEndpointClient):
    """Mixed into an authlib ``TokenEndpoint`` subclass, before it."""

    def authenticate_endpoint_client(self, request: Any) -> OAuthClient:
        self.request = request  # the endpoint is built per request with the server (``build_server``)
        client = self.authenticate_token_endpoint_client()
        request.client = client
        return client
