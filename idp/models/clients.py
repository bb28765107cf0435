"""OAuth clients (relying parties), with the metadata names of RFC 7591 / OIDC Dynamic Client Registration.

The secret is stored as a keyed hash (``idp.crypto.keyed_hash``); clients using ``private_key_jwt`` have none and
register ``jwks`` or ``jwks_uri``. ``minimum_acr`` is ours: the lowest acr every request of the client gets.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from idp.db import Base, UUIDPrimaryKey
from idp.models._common import Timestamps, one_of

AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt", "none")
SIGNING_ALGS = ("RS256", "ES256")


class Client(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "clients"
    __table_args__ = (
        one_of("token_endpoint_auth_method", AUTH_METHODS, "auth_method"),
        one_of("id_token_signed_response_alg", SIGNING_ALGS, "id_token_alg"),
    )

    client_id: Mapped[str] = mapped_column(String(128), unique=True)
    client_secret_hash: Mapped[str | None] = mapped_column(String(64))
    client_name: Mapped[str] = mapped_column(String(255))
    redirect_uris: Mapped[list[Any]] = mapped_column(default=list)
    post_logout_redirect_uris: Mapped[list[Any]] = mapped_column(default=list)
    backchannel_logout_uri: Mapped[str | None] = mapped_column(Text)
    backchannel_logout_session_required: Mapped[bool] = mapped_column(Boolean, default=False)
    token_endpoint_auth_method: Mapped[str] = mapped_column(String(32), default="client_secret_basic")
    jwks: Mapped[dict[str, Any] | None]
    jwks_uri: Mapped[str | None] = mapped_column(Text)
    id_token_signed_response_alg: Mapped[str] = mapped_column(String(8), default="RS256")
    grant_types: Mapped[list[Any]] = mapped_column(default=list)
    response_types: Mapped[list[Any]] = mapped_column(default=list)
    scope: Mapped[str] = mapped_column(Text, default="openid")
    default_acr_values: Mapped[list[Any]] = mapped_column(default=list)
    minimum_acr: Mapped[str | None] = mapped_column(String(128))
    disabled_at: Mapped[datetime | None]
