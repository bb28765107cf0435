"""The user document of ``idp users create`` and the admin API (SPEC §3), validated.

Names follow the OpenID Connect standard claims (Core §5.1: ``given_name``, ``family_name``, ``email``,
``phone_number``, ``address`` with the members of §5.1.1) plus ours: ``username``, ``kind``, ``establishment``
(FINESS), ``profession``, ``specialty``, ``rpps``. Unknown names are refused, so that a typo (``familly_name``) is
an error and not silently dropped data.

Decisions:

- **Usernames are lowercased** on input and must then be 3–64 characters of ``[a-z0-9._-]`` with at least one
  letter. Lowercasing (as Keycloak does) makes uniqueness case-insensitive with a plain unique index, and lets the
  login page lowercase what it is given. The letter keeps usernames apart from the RPPS and ADELI numbers that
  libéraux type in the same "Nom d'utilisateur" field.
- **One login identifier per kind** (SPEC §1 table): ``establishment`` accounts need ``username`` and
  ``establishment`` (a FINESS number, checked by ``idp.accounts.establishments.validate_finess``); ``liberal``
  accounts log in with ``rpps`` and take neither; ``assistant`` accounts are invited by a libéral (SPEC §1.7) and
  cannot be created from a document.
- **E-mail**: one ASCII address, ``local@domain`` with a dotted domain; the domain is lowercased (the local part is
  the mail server's business). Internationalised domains are stored in their IDNA (``xn--``) form.
- **Phone**: international format only (``+33612345678``; spaces, dots, dashes and brackets are dropped). A
  national ``06...`` number is refused rather than guessed: overseas numbers (``0692...``) are not ``+33``.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from idp.accounts.establishments import validate_finess
from idp.errors import InvalidInput
from idp.validation import describe_error

USERNAME = re.compile(r"^(?=.*[a-z])[a-z0-9._-]{3,64}$")
RPPS = re.compile(r"^\d{11}$")
_PHONE = re.compile(r"^\+[1-9]\d{6,14}$")  # E.164: at most 15 digits
_PHONE_NOISE = re.compile(r"[\s.\-()]")
_EMAIL_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]


def _invalid(message: str) -> PydanticCustomError:
    return PydanticCustomError("invalid_field", message)


def normalise_email(value: str) -> str:
    value = value.strip()
    local, at, domain = value.rpartition("@")
    if not at or len(value) > 254 or len(local) > 64 or not _EMAIL_LOCAL.match(local):
        raise _invalid("is not a valid e-mail address")
    try:
        domain = domain.lower().encode("idna").decode("ascii")
    except UnicodeError:
        raise _invalid("is not a valid e-mail address") from None
    labels = domain.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        raise _invalid("is not a valid e-mail address")
    return f"{local}@{domain}"


class Address(BaseModel):
    """OIDC Core §5.1.1: the address claim, its standard members only."""

    model_config = ConfigDict(extra="forbid")

    formatted: Annotated[str, StringConstraints(strip_whitespace=True, max_length=512)] | None = None
    street_address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=256)] | None = None
    locality: Text | None = None
    region: Text | None = None
    postal_code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=16)] | None = None
    country: Text | None = None


class UserDocument(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: Literal["establishment", "liberal", "assistant"] = "establishment"
    username: str | None = None
    establishment: str | None = None
    given_name: Text
    family_name: Text
    email: str
    phone_number: str | None = None
    address: Address | None = None
    profession: Text | None = None
    specialty: Text | None = None
    rpps: str | None = None

    @field_validator("given_name", "family_name", "profession", "specialty")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        if value is not None and _CONTROL.search(value):
            raise _invalid("must not contain control characters")
        return value

    @field_validator("username")
    @classmethod
    def _username(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.lower()
        if not USERNAME.match(value):
            raise _invalid("must be 3 to 64 characters among a-z, 0-9, '.', '_' and '-', with at least one letter")
        return value

    @field_validator("establishment")
    @classmethod
    def _finess(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return validate_finess(value)  # the one FINESS rule: shape and check digit
        except InvalidInput as exc:
            raise _invalid(exc.description.removeprefix("finess: ")) from None

    @field_validator("rpps")
    @classmethod
    def _rpps(cls, value: str | None) -> str | None:
        if value is not None and not RPPS.match(value):
            raise _invalid("must be an RPPS number: 11 digits")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return normalise_email(value)

    @field_validator("phone_number")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        compact = _PHONE_NOISE.sub("", value)
        if not _PHONE.match(compact):
            raise _invalid("must be an international number such as +33612345678")
        return compact

    @model_validator(mode="after")
    def _identifier_for_kind(self) -> UserDocument:
        problems: list[tuple[str, str]] = []
        if self.kind == "assistant":
            problems.append(("kind", "assistants are invited by a libéral from their account page, not created here"))
        elif self.kind == "establishment":
            problems += [(name, "is required for an establishment account") for name in ("username", "establishment")
                         if getattr(self, name) is None]
        else:
            problems += [(name, "is not used by a libéral account") for name in ("username", "establishment")
                         if getattr(self, name) is not None]
            if self.rpps is None:
                problems.append(("rpps", "is required for a libéral account (it is their login)"))
        if problems:
            raise ValueError("; ".join(f"{name}: {message}" for name, message in problems))
        return self

    @property
    def login(self) -> str:
        """What the person types in "Nom d'utilisateur"."""
        return self.username or self.rpps or ""


def parse_user_document(document: object) -> UserDocument:
    """Validate a decoded JSON document; every problem, each naming its field, in one ``InvalidInput`` line."""
    if not isinstance(document, dict):
        raise InvalidInput("invalid user document: expected a JSON object")
    try:
        return UserDocument.model_validate(document)
    except ValidationError as exc:
        problems = "; ".join(describe_error(error) for error in exc.errors(include_url=False, include_input=False))
        raise InvalidInput(f"invalid user document: {problems}") from None
