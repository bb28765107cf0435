"""One settings tree for idp.

Sources, strongest first: keyword arguments (tests), ``IDP_*`` environment variables, then a TOML file
(``IDP_CONFIG_FILE``, default ``config/idp.toml`` when it exists). Top-level names are the ones SPEC §3 fixes
(``IDP_ISSUER``, ``IDP_DATABASE_URL`` ...); sections are reached with a double underscore
(``IDP_TOKENS__CODE_TTL_SECONDS``) or a ``[tokens]`` table in the TOML file.

``config/idp.example.toml`` documents every key with its default; a test keeps it complete.

In production the service refuses to start with the development secret, a short secret, an ``http://`` issuer
or no SMTP server or SMS gateway (messages would otherwise be written to the log, with their links and codes).
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_FILE = PROJECT_ROOT / "config" / "idp.toml"
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'var' / 'idp.sqlite3'}"

#: The secret every development checkout shares. Refused in production.
DEVELOPMENT_SECRET_KEY = "development-only-secret-key-do-not-use-in-production"
MIN_SECRET_KEY_LENGTH = 32


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class PasswordPolicyName(StrEnum):
    current = "current"
    legacy = "legacy"


class Section(BaseModel):
    model_config = {"extra": "forbid"}


class TokenSettings(Section):
    """Lifetimes of what the OP issues."""

    code_ttl_seconds: int = Field(60, ge=1, le=600, description="Authorization code lifetime (at most 60 s by policy).")
    access_token_ttl_seconds: int = Field(600, ge=30, description="Access token (JWT) lifetime.")
    id_token_ttl_seconds: int = Field(600, ge=30, description="ID token lifetime.")
    refresh_token_ttl_seconds: int = Field(8 * 3600, ge=60, description="Refresh token lifetime (idle).")
    session_ttl_seconds: int = Field(10 * 3600, ge=60, description="Browser SSO session lifetime.")
    interaction_ttl_seconds: int = Field(30 * 60, ge=60, description="How long a login interaction may stay open.")
    access_token_alg: Literal["RS256", "ES256"] = Field(
        "ES256", description="Signature of access tokens (RFC 9068 JWTs): RS256 or ES256."
    )


class LinkSettings(Section):
    """Validity of the single-use links sent by e-mail."""

    activation_ttl_hours: int = Field(72, ge=1, le=24 * 30, description="Activation link (SPEC §1.1: 72 h).")
    password_reset_ttl_minutes: int = Field(60, ge=5, le=24 * 60, description="Password reset link (SPEC §1.4: 1 h).")


class KeySettings(Section):
    """Signing keys."""

    rsa_key_size: int = Field(2048, ge=2048, description="Modulus size of new RS256 keys.")
    retired_key_grace_seconds: int = Field(
        24 * 3600,
        ge=0,
        description="How long a retired key stays in the JWKS after its last possible token expired.",
    )
    refresh_seconds: float = Field(30.0, ge=0, description="How often a running server re-reads the key table.")


class Argon2Settings(Section):
    """Argon2id parameters for passwords (RFC 9106 second recommended option by default)."""

    time_cost: int = Field(3, ge=1, description="Iterations.")
    memory_cost_kib: int = Field(65536, ge=8192, description="Memory in KiB.")
    parallelism: int = Field(4, ge=1, description="Lanes.")


class ThrottleSettings(Section):
    """Brute-force protection of passwords and one-time codes (issue 4, item 7; SPEC §1.3).

    Failures are counted per login (an unknown login is counted exactly like an account, so the throttle reveals
    nothing) and per client address. The same numbers apply to one-time codes, counted apart from passwords.
    """

    account_free_attempts: int = Field(
        5, ge=1, description="Consecutive failures allowed without delay; each further attempt waits first."
    )
    account_lock_after: int = Field(
        10, ge=2, description="Consecutive failures that lock the login; every further failure locks it again."
    )
    lock_minutes: int = Field(15, ge=1, le=24 * 60, description="How long a temporary lock lasts.")
    delay_base_seconds: int = Field(
        1, ge=1, description="Wait after the last free failure; doubled by each further failure (1, 2, 4, 8 ...)."
    )
    delay_max_seconds: int = Field(30, ge=1, description="Ceiling of that increasing wait.")
    failure_window_hours: int = Field(
        12, ge=1, description="A series of failures is forgotten this long after its first failure (or on success)."
    )
    address_window_seconds: int = Field(900, ge=60, description="Window over which failures per address are counted.")
    address_max_failures: int = Field(
        100,
        ge=1,
        description="Failures (and, apart, one-time codes sent) allowed per client address (IPv6: per /64) in that "
        "window; an establishment's staff often share one address, hence a generous default.",
    )
    code_resend_seconds: int = Field(60, ge=1, description="Minimum wait between two one-time codes on one channel.")
    code_resend_max_per_hour: int = Field(5, ge=1, description="One-time codes sent to one account per hour.")
    password_reset_max_per_hour: int = Field(
        5, ge=1, description="Forgotten-password requests per identifier typed, per hour (per address: as failures)."
    )

    @model_validator(mode="after")
    def _lock_after_free(self) -> ThrottleSettings:
        if self.account_lock_after <= self.account_free_attempts:
            raise ValueError("account_lock_after must be greater than account_free_attempts")
        return self


class PscSettings(Section):
    """Pro Santé Connect, the e-CPS federation (SPEC §1.6, reference §1)."""

    enabled: bool = Field(False, description="Offer 'S'identifier par E-CPS'.")
    issuer: str = Field(
        "https://auth.bas.psc.esante.gouv.fr/auth/realms/esante-wallet", description="PSC issuer (sandbox by default)."
    )
    discovery_url: str = Field(
        "",
        description="PSC discovery document; empty means {issuer}/.well-known/wallet-openid-configuration.",
    )
    client_id: str = Field("", description="Our client id at PSC.")
    client_secret: SecretStr = Field(SecretStr(""), description="Our client secret at PSC.")
    scope: str = Field("openid scope_all", description="Scopes asked of PSC.")
    acr_values: str = Field("eidas1", description="acr_values sent to PSC.")
    accepted_acr: list[str] = Field(["eidas1", "eidas2"], description="acr values accepted in PSC ID tokens.")
    timeout_seconds: float = Field(10.0, gt=0, description="Timeout of every call to PSC.")
    tls_client_cert: str = Field("", description="Client certificate (PEM) for mTLS to PSC's back-channel endpoints.")
    tls_client_key: str = Field("", description="Its private key (PEM).")


class CardSettings(Section):
    """CPx card login by TLS client certificate (SPEC §1.5, reference §2)."""

    enabled: bool = Field(False, description="Offer 'S'identifier par carte CPS'.")
    ca_bundle: str = Field("", description="PEM bundle of the IGC-Santé CAs a card chain must reach.")
    header_name: str = Field(
        "X-SSL-Client-Cert", description="Header in which a trusted proxy passes the URL-encoded PEM certificate."
    )
    trusted_proxies: list[str] = Field([], description="Addresses or networks allowed to set that header.")


class Settings(BaseSettings):
    """All of idp's configuration."""

    model_config = SettingsConfigDict(
        env_prefix="IDP_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    environment: Environment = Field(Environment.development, description="development, test or production.")
    issuer: str = Field("https://localhost:8443", description="The OP's issuer URL; every endpoint hangs from it.")
    database_url: str = Field(DEFAULT_DATABASE_URL, description="SQLAlchemy URL; postgresql:// uses psycopg 3.")
    database_pool_size: int = Field(10, ge=1, description="Connections kept per process (PostgreSQL).")
    protocol_threads: int = Field(
        4,
        ge=1,
        le=64,
        description=(
            "Threads per process that run the token, userinfo, introspection and revocation endpoints; more than "
            "the cores only adds lock contention (measured: bench/oidc.py)."
        ),
    )
    client_cache_seconds: float = Field(
        10.0, ge=0, description="How long a process keeps a registered client in memory (0: always read the table)."
    )
    redis_url: str = Field("", description="Redis for state shared by several instances; empty: in-process.")
    smtp_url: str = Field(
        "",
        description="smtp://[user:pass@]host:port (STARTTLS with ?starttls=1) or smtps://; empty: e-mails go to the log.",
    )
    mail_from: str = Field("ViaTrajectoire <no-reply@viatrajectoire.fr>", description="From: of every e-mail.")
    login_contacts: dict[str, str] = Field(
        {},
        description=(
            "Region -> who to contact for an account, shown on the login page (empty: the generic sentence); "
            "IDP_LOGIN_CONTACTS (JSON) entries are merged into the file's."
        ),
    )
    portal_url: str = Field(
        "https://www.viatrajectoire.fr",
        pattern=r"^https?://[^\s]+$",
        description="The ViaTrajectoire front-end, linked from pages reached outside a login (password set).",
    )
    sms_url: str = Field("", description="HTTP gateway that sends SMS; empty: SMS go to the log.")
    sms_token: SecretStr = Field(SecretStr(""), description="Bearer token for the SMS gateway.")
    secret_key: SecretStr = Field(
        SecretStr(DEVELOPMENT_SECRET_KEY),
        description="Encrypts private keys and TOTP secrets at rest and keys every stored hash. 32+ characters.",
    )
    password_policy: PasswordPolicyName = Field(PasswordPolicyName.current, description="current or legacy (§1.2).")
    otp_remember_days: int = Field(30, ge=0, description="Days a browser stays trusted after a one-time code.")
    otp_required: bool = Field(
        True,
        description="Ask a one-time code after the password on a browser not trusted (SPEC §1.1.4). false only for "
        "development and tests; refused in production.",
    )
    cgu_version: str = Field(
        "2022-08",
        pattern=r"^[A-Za-z0-9._-]{0,32}$",
        description="Version of the terms of use users must have accepted; its text is config/cgu/<version>.html. "
        "Empty: no terms asked (development and tests only).",
    )
    cgu_label: str = Field("Version Août 2022", description="The version as shown above the terms of use.")
    cgu_dir: str = Field("", description="Folder of the terms of use texts (<version>.html); empty: the project's config/cgu.")
    listen_host: str = Field("127.0.0.1", description="Address `idp serve` binds.")
    listen_port: int = Field(8443, ge=1, le=65535, description="Port `idp serve` binds.")
    workers: int = Field(1, ge=1, description="uvicorn worker processes for `idp serve`.")
    tls_certfile: str = Field("", description="PEM certificate `idp serve` presents; empty: plain HTTP (behind nginx).")
    tls_keyfile: str = Field("", description="Its private key.")
    forwarded_allow_ips: str = Field("127.0.0.1", description="Proxies whose X-Forwarded-* headers are believed.")
    log_level: str = Field("INFO", description="Root log level.")
    log_json: bool = Field(True, description="One JSON object per log line.")
    tokens: TokenSettings = Field(default_factory=TokenSettings)
    links: LinkSettings = Field(default_factory=LinkSettings)
    keys: KeySettings = Field(default_factory=KeySettings)
    argon2: Argon2Settings = Field(default_factory=Argon2Settings)
    psc: PscSettings = Field(default_factory=PscSettings)
    card: CardSettings = Field(default_factory=CardSettings)
    throttle: ThrottleSettings = Field(default_factory=ThrottleSettings)

    @field_validator("issuer")
    @classmethod
    def _issuer_shape(cls, value: str) -> str:
        # OIDC Discovery §3: the issuer is an https URL without query or fragment; we also drop a trailing slash
        # so that every endpoint is issuer + path.
        if not value.startswith(("https://", "http://")) or "?" in value or "#" in value:
            raise ValueError("issuer must be an http(s) URL without query or fragment")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _production_guard(self) -> Settings:
        if self.environment is not Environment.production:
            return self
        problems = []
        secret = self.secret_key.get_secret_value()
        if secret == DEVELOPMENT_SECRET_KEY or len(secret) < MIN_SECRET_KEY_LENGTH:
            problems.append(f"IDP_SECRET_KEY must be a secret of its own, {MIN_SECRET_KEY_LENGTH}+ characters")
        if not self.issuer.startswith("https://"):
            problems.append("IDP_ISSUER must be an https:// URL")
        if not self.smtp_url:
            problems.append("IDP_SMTP_URL must be set (e-mails carry links that must not go to the log)")
        if not self.sms_url:
            problems.append("IDP_SMS_URL must be set (SMS carry one-time codes that must not go to the log)")
        if not self.otp_required:
            problems.append("IDP_OTP_REQUIRED must stay true (SPEC §1.1.4)")
        if not self.cgu_version:
            problems.append("IDP_CGU_VERSION must name the terms of use in force")
        if problems:
            raise ValueError("refusing to run in production: " + "; ".join(problems))
        return self

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.production

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = config_file_path()
        if config_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        return tuple(sources)


def config_file_path() -> Path | None:
    """The TOML file in force: ``IDP_CONFIG_FILE`` (must exist) or ``config/idp.toml`` when present."""
    named = os.environ.get("IDP_CONFIG_FILE")
    if named:
        path = Path(named)
        if not path.is_file():
            raise FileNotFoundError(f"IDP_CONFIG_FILE={named} does not exist")
        return path
    return DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.is_file() else None


def load_settings(**overrides: Any) -> Settings:
    """Read the settings from the environment and the config file; keyword arguments win (tests)."""
    return Settings(**overrides)
