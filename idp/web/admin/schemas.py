"""The admin API's documents, as pydantic models: they shape the responses and the OpenAPI description.

Requests that create accounts or clients are *not* validated here: their bodies are taken as raw JSON objects and
handed to the services, which validate them with the one validator each (``idp.accounts.user_document``,
``idp.protocol.client_metadata``) and name the faulty field; OpenAPI shows those validators' own JSON schemas
(``REQUEST_DOCUMENTS``). The response shapes are the services' documents (``user_documents``,
``establishment_document``, ``client_document``) written down field by field, so that the contract is explicit.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from idp.accounts.user_document import UserDocument
from idp.protocol.client_metadata import ClientMetadata

Finess = Annotated[str, Path(description="FINESS number of the establishment (9 characters)")]
Login = Annotated[str, Path(description="Username, or the RPPS number of a libéral")]


def body_of(*components: str, description: str) -> dict[str, Any]:
    """``openapi_extra`` documenting a raw JSON body as one of the ``REQUEST_DOCUMENTS`` (or one of several)."""
    refs = [{"$ref": f"#/components/schemas/{name}"} for name in components]
    schema = refs[0] if len(refs) == 1 else {"oneOf": refs}
    return {"requestBody": {"required": True, "description": description,
                            "content": {"application/json": {"schema": schema}}}}


class EstablishmentIn(BaseModel):
    """The FINESS number (9 characters; spaces allowed), checked with its check digit by the service."""

    model_config = ConfigDict(extra="forbid")

    finess: str = Field(examples=["750000010"])
    name: str = Field(examples=["Hôpital Saint-Louis"])
    region: str = Field(examples=["Île-de-France"])


class Establishment(BaseModel):
    finess: str
    name: str
    region: str
    created_at: str | None
    disabled: bool


class Membership(BaseModel):
    finess: str
    name: str
    role: str = Field(description="`professional` or `referent`")


class User(BaseModel):
    """An account, under OIDC claim names; never a password, hash or secret. A référent sees only the memberships
    of their own establishments."""

    id: str
    kind: str
    status: str = Field(description="`pending` (not activated yet), `active` or `disabled`")
    username: str | None
    rpps: str | None
    given_name: str
    family_name: str
    email: str
    email_verified: bool
    phone_number: str | None
    address: dict[str, Any] | None
    profession: str | None
    specialty: str | None
    establishments: list[Membership]
    created_at: str | None
    disabled_at: str | None


class Activation(BaseModel):
    """The activation link that was issued (the link itself is only ever e-mailed to the person)."""

    expires_at: str
    email_sent: bool = Field(description="false when the mail server failed: the account is kept; re-send later")
    error_description: str | None = None


class CreatedUser(User):
    activation: Activation


class AddedReferent(User):
    activation: Activation | None = Field(None, description="present when the référent's account was created")


class ActivationSent(BaseModel):
    login: str
    expires_at: str


class ResetSent(BaseModel):
    login: str
    valid_minutes: int


class ReferentRequest(BaseModel):
    """Promote an existing establishment account (``username`` alone); a full user document creates one instead."""

    model_config = ConfigDict(extra="forbid")

    username: str


class Client(BaseModel):
    """A client's registration under RFC 7591 / OIDC Registration names; never its secret."""

    client_id: str
    client_id_issued_at: int | None = None
    client_name: str
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]
    backchannel_logout_uri: str | None = None
    backchannel_logout_session_required: bool
    token_endpoint_auth_method: str
    jwks: dict[str, Any] | None = None
    jwks_uri: str | None = None
    id_token_signed_response_alg: str
    grant_types: list[str]
    response_types: list[str]
    scope: str
    default_acr_values: list[str]
    minimum_acr: str | None = None


class RegisteredClient(Client):
    """RFC 7591 §3.2.1: the secret, when there is one, is shown in this answer only."""

    client_secret: str | None = None
    client_secret_expires_at: int | None = None


#: Raw request bodies, documented by these schemas (components of the same name; the first two are the validators').
REQUEST_DOCUMENTS: dict[str, type[BaseModel]] = {
    "UserDocument": UserDocument, "ClientMetadata": ClientMetadata, "ReferentRequest": ReferentRequest,
}
