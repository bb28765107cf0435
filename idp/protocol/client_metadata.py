"""Client metadata: the document ``idp clients add`` and the admin API take, checked before anything is stored.

The names are those of RFC 7591 §2 and OpenID Connect Dynamic Client Registration 1.0 §2, plus our ``minimum_acr``
(SPEC §1.8). Members we do not know are refused rather than ignored: a misspelt ``post_logout_redirect_uri`` silently
dropped would surface months later as a logout that does not redirect.

Redirect URIs are where codes are sent, so they get the strictest rules (RFC 9700, the OAuth 2.0 Security BCP):
absolute, no fragment (RFC 6749 §3.1.2), no wildcard and no ``user@host`` since they are later compared by exact
string (RFC 9700 §4.1.3), https except http on the loopback interface (RFC 8252 §7.3; ``localhost`` is tolerated for
development although §8.3 prefers the IP literal), and private-use schemes such as ``com.example.app:/cb`` only for
public native clients (RFC 8252 §7.1). A field-level problem is reported by pydantic with its location; consistency
between fields is checked once all fields are valid (``_consistent``).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlsplit

from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_core import PydanticCustomError

from idp.authn.levels import ACR_LADDER

AuthMethod = Literal["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]
SigningAlg = Literal["RS256", "ES256"]
GrantType = Literal["authorization_code", "refresh_token", "client_credentials"]

AUTH_METHODS: tuple[str, ...] = get_args(AuthMethod)
SECRET_AUTH_METHODS = frozenset({"client_secret_basic", "client_secret_post"})
DEFAULT_GRANT_TYPES = ("authorization_code", "refresh_token")
DEFAULT_SCOPE = "openid profile email"
#: SPEC §2 scopes, and the admin API's.
SUPPORTED_SCOPES = frozenset(
    {"openid", "profile", "email", "phone", "address", "rpps", "establishments", "delegations"}
    | {"idp:admin", "idp:referent"}
)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
MIN_CLIENT_SECRET_LENGTH = 32  # stored as a fast keyed hash: the secret itself must carry the entropy

_CLIENT_ID = re.compile(r"[A-Za-z0-9._~-]{1,128}")
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*")  # RFC 3986 §3.1
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")  # RFC 6749 §3.3
_URI_MAX = 2000
_PUBLIC_KEY_TYPES = frozenset({"RSA", "EC", "OKP"})  # private_key_jwt: a symmetric ("oct") key would be a secret


def _fail(kind: str, message: str) -> PydanticCustomError:
    # The message goes through the context so that braces in it (a scope name, say) are not read as placeholders.
    return PydanticCustomError(kind, "{message}", {"message": message})


def uri_problem(value: str, *, private_use: bool, loopback_http: bool) -> str | None:
    """What makes ``value`` unfit as a URI the OP sends people or requests to; None when it is fit."""
    if len(value) > _URI_MAX:
        return f"at most {_URI_MAX} characters"
    if any(c.isspace() or not c.isprintable() for c in value):
        return "must not contain spaces or control characters"
    if "*" in value:
        return "must not contain a wildcard (*): URIs are compared exactly (RFC 9700 §4.1.3)"
    if "#" in value:
        return "must not contain a fragment (RFC 6749 §3.1.2)"
    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    if not scheme or not _SCHEME.fullmatch(scheme):
        return "must be an absolute URI (RFC 6749 §3.1.2)"
    if scheme not in ("http", "https"):
        if not private_use:
            return "must use https"
        if "." not in scheme or not (parts.netloc or parts.path):
            return "a private-use scheme must be a reverse domain name such as com.example.app:/cb (RFC 8252 §7.1)"
        return None
    if not parts.hostname:
        return "must name a host"
    if parts.username is not None or parts.password is not None:
        return "must not carry user information (user@host)"
    try:
        parts.port
    except ValueError:
        return "has an invalid port"
    if scheme == "http" and not (loopback_http and parts.hostname in LOOPBACK_HOSTS):
        return "must use https (http only for loopback)" if loopback_http else "must use https"
    return None


def _uri_check(kind: str, *, private_use: bool, loopback_http: bool) -> AfterValidator:
    def check(value: str) -> str:
        problem = uri_problem(value, private_use=private_use, loopback_http=loopback_http)
        if problem:
            raise _fail(kind, problem)
        return value

    return AfterValidator(check)


def _client_id(value: str) -> str:
    if not _CLIENT_ID.fullmatch(value):
        raise _fail("invalid_client_metadata", "1 to 128 characters among A-Z a-z 0-9 . _ ~ -")
    return value


def _client_secret(value: SecretStr) -> SecretStr:
    secret = value.get_secret_value()
    if len(secret) < MIN_CLIENT_SECRET_LENGTH or len(secret) > 255:
        raise _fail(
            "invalid_client_metadata",
            f"{MIN_CLIENT_SECRET_LENGTH} to 255 characters; leave it out to have one generated",
        )
    if not all("\x21" <= c <= "\x7e" for c in secret):
        raise _fail("invalid_client_metadata", "printable ASCII characters only, no spaces")
    return value


def _client_name(value: str) -> str:
    value = " ".join(value.split())
    if not 1 <= len(value) <= 255:
        raise _fail("invalid_client_metadata", "1 to 255 characters")
    return value


def _scope(value: str) -> str:
    tokens = [token for token in dict.fromkeys(value.split(" ")) if token]
    if not tokens:
        raise _fail("invalid_client_metadata", "must name at least one scope")
    for token in tokens:
        if not _SCOPE_TOKEN.fullmatch(token):
            raise _fail("invalid_client_metadata", "space-separated scope names (RFC 6749 §3.3)")
        if token not in SUPPORTED_SCOPES:
            known = " ".join(sorted(SUPPORTED_SCOPES))
            raise _fail("invalid_client_metadata", f"unknown scope {token!r}; known: {known}")
    return " ".join(tokens)


def _acr(value: str) -> str:
    if value not in ACR_LADDER:
        raise _fail("invalid_client_metadata", "must be one of " + ", ".join(ACR_LADDER))
    return value


def _jwks(value: dict[str, Any]) -> dict[str, Any]:
    keys = value.get("keys")
    if not isinstance(keys, list) or not keys:
        raise _fail("invalid_client_metadata", 'must be a JWK Set: {"keys": [...]} with at least one key (RFC 7517 §5)')
    for index, key in enumerate(keys):
        if not isinstance(key, dict) or key.get("kty") not in _PUBLIC_KEY_TYPES:
            raise _fail("invalid_client_metadata", f"keys[{index}]: kty must be RSA, EC or OKP (public keys)")
        if "d" in key:
            raise _fail("invalid_client_metadata", "holds private key material; register the public keys only")
    try:
        KeySet.import_key_set(value)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise _fail("invalid_client_metadata", f"is not a valid JWK Set: {exc}") from exc
    return value


RedirectUri = Annotated[str, _uri_check("invalid_redirect_uri", private_use=True, loopback_http=True)]
BackchannelUri = Annotated[str, _uri_check("invalid_client_metadata", private_use=False, loopback_http=True)]
HttpsUri = Annotated[str, _uri_check("invalid_client_metadata", private_use=False, loopback_http=False)]
Acr = Annotated[str, AfterValidator(_acr)]


class ClientMetadata(BaseModel):
    """One client's registration document, validated; defaults follow RFC 7591 §2 except where noted."""

    model_config = ConfigDict(extra="forbid", strict=True)

    client_id: Annotated[str, AfterValidator(_client_id)] | None = None
    client_secret: Annotated[SecretStr, AfterValidator(_client_secret)] | None = None
    client_name: Annotated[str, AfterValidator(_client_name)] | None = None
    redirect_uris: list[RedirectUri] = Field(default_factory=list)
    post_logout_redirect_uris: list[RedirectUri] = Field(default_factory=list)
    backchannel_logout_uri: BackchannelUri | None = None
    backchannel_logout_session_required: bool = False
    token_endpoint_auth_method: AuthMethod = "client_secret_basic"
    jwks: Annotated[dict[str, Any], AfterValidator(_jwks)] | None = None
    jwks_uri: HttpsUri | None = None
    id_token_signed_response_alg: SigningAlg = "RS256"  # OIDC Registration §2: RS256 by default
    # Ours: RFC 7591 §2 defaults to authorization_code alone; our relying parties all want refresh tokens.
    grant_types: list[GrantType] = Field(default_factory=lambda: list(DEFAULT_GRANT_TYPES))
    response_types: list[Literal["code"]] | None = None  # None: derived from grant_types (RFC 7591 §2.1)
    scope: Annotated[str, AfterValidator(_scope)] = DEFAULT_SCOPE  # RFC 7591 §2 leaves the default to the server
    default_acr_values: list[Acr] = Field(default_factory=list)
    minimum_acr: Acr | None = None

    @property
    def is_public(self) -> bool:
        """A public client cannot keep a secret: PKCE is mandatory for it at /authorize (RFC 9700 §2.1.1)."""
        return self.token_endpoint_auth_method == "none"

    @model_validator(mode="after")
    def _consistent(self) -> ClientMetadata:
        self.grant_types = list(dict.fromkeys(self.grant_types))
        self.default_acr_values = list(dict.fromkeys(self.default_acr_values))
        _check_authentication(self)
        _check_grants(self)
        _check_uris(self)
        return self


def _check_authentication(m: ClientMetadata) -> None:
    method = m.token_endpoint_auth_method
    if m.client_secret is not None and method not in SECRET_AUTH_METHODS:
        raise _fail("invalid_client_metadata", f"client_secret: not used with token_endpoint_auth_method {method}")
    if method == "private_key_jwt":
        if m.jwks is None and m.jwks_uri is None:
            raise _fail("invalid_client_metadata", "jwks: private_key_jwt needs jwks or jwks_uri (RFC 7523 §2.2)")
        if m.jwks is not None and m.jwks_uri is not None:
            raise _fail("invalid_client_metadata", "jwks: give jwks or jwks_uri, not both (RFC 7591 §2)")
    elif m.jwks is not None or m.jwks_uri is not None:
        name = "jwks" if m.jwks is not None else "jwks_uri"
        raise _fail("invalid_client_metadata", f"{name}: only used with token_endpoint_auth_method private_key_jwt")


def _check_grants(m: ClientMetadata) -> None:
    grants = m.grant_types
    if not grants:
        raise _fail("invalid_client_metadata", "grant_types: must name at least one grant type")
    if "client_credentials" in grants and m.is_public:
        raise _fail(
            "invalid_client_metadata", "grant_types: client_credentials needs a confidential client (RFC 6749 §4.4)"
        )
    if "refresh_token" in grants and "authorization_code" not in grants:
        raise _fail(
            "invalid_client_metadata",
            "grant_types: refresh_token comes with authorization_code"
            " (no refresh token for client_credentials, RFC 6749 §4.4.3)",
        )
    expected = ["code"] if "authorization_code" in grants else []
    if m.response_types is None:
        m.response_types = expected  # type: ignore[assignment]
    elif list(dict.fromkeys(m.response_types)) != expected:
        raise _fail(
            "invalid_client_metadata",
            f"response_types: must be {expected} for grant_types {grants} (RFC 7591 §2.1)",
        )


def _check_uris(m: ClientMetadata) -> None:
    redirecting = "authorization_code" in m.grant_types
    if redirecting and not m.redirect_uris:
        raise _fail("invalid_redirect_uri", "redirect_uris: required for the authorization_code grant (RFC 7591 §2)")
    for name in ("redirect_uris", "post_logout_redirect_uris"):
        uris: list[str] = getattr(m, name)
        if uris and not redirecting:
            raise _fail("invalid_client_metadata", f"{name}: only used with the authorization_code grant")
        for index, uri in enumerate(uris):
            if uris.index(uri) != index:
                raise _fail("invalid_redirect_uri", f"{name}[{index}]: duplicate of {name}[{uris.index(uri)}]")
            if not m.is_public and urlsplit(uri).scheme.lower() not in ("http", "https"):
                raise _fail(
                    "invalid_redirect_uri",
                    f"{name}[{index}]: private-use schemes are for public clients only (RFC 8252 §7.1); use https",
                )
    if m.backchannel_logout_session_required and m.backchannel_logout_uri is None:
        raise _fail("invalid_client_metadata", "backchannel_logout_session_required: needs backchannel_logout_uri")
