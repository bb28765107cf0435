"""Establishments (hospitals, nursing homes), known by their FINESS number.

A FINESS number (Fichier national des établissements sanitaires et sociaux, kept by the ANS/DREES) has 9
characters: the département (2 digits, or ``2A``/``2B`` for Corsica; overseas départements start with ``97``/``98``),
6 digits of sequence number, and a check digit. The ANS publishes the numbers alphanumeric on 9 characters
(``finessId`` in the JSON schema of github.com/ansforge/finess, ``flux/out/data.gouv/structure``) and shows them on
its site grouped as ``NN NNN NNN N`` (ansforge/finess issue #22), so we accept spaces and lower-case letters and store
the 9 characters.

The check digit makes the whole number pass the Luhn (mod 10) algorithm, as SIREN numbers do. We could not find the
rule in a published specification, so it was checked against real numbers from the ANS's own sample file
(``010000016``, ``010000156``, ``010780195``, ``010787190``: all pass, and a changed digit fails). For Corsica the
letter is replaced by ``0`` (``2A``/``2B`` -> ``20``) before the computation: the usual convention for INSEE-derived
identifiers, NOT confirmed against a published Corsican FINESS. If a genuine Corsican number is refused, that
substitution is the line to revisit (``_key_digits``).

A malformed number is ``InvalidInput``; creating one twice is ``AlreadyExists``; looking up one nobody created is
``NotFound``. Each creation writes ``establishment.created`` to the audit trail.
"""

from __future__ import annotations

import re
from typing import Any

from idp.audit import CLI, AuditContext, record
from idp.db import Session
from idp.errors import AlreadyExists, InvalidInput, NotFound
from idp.models import Establishment
from idp.storage import establishments as storage

_FINESS_SHAPE = re.compile(r"(?:[0-9]{2}|2[AB])[0-9]{7}")
_NAME_MAX = 255
_REGION_MAX = 64


def normalise_finess(value: str) -> str:
    """The 9 characters of a FINESS number as typed (spaces dropped, Corsican letter upper-cased)."""
    return "".join(value.split()).upper()


def _key_digits(finess: str) -> list[int]:
    return [int(c) for c in finess[:1] + finess[1:2].replace("A", "0").replace("B", "0") + finess[2:]]


def luhn_valid(digits: list[int]) -> bool:
    """Luhn: from the right, double every second digit (minus 9 above 9); the sum is a multiple of 10."""
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def validate_finess(value: str) -> str:
    """Return the normalised FINESS number, or raise ``InvalidInput`` saying what is wrong with it."""
    finess = normalise_finess(value)
    if not _FINESS_SHAPE.fullmatch(finess):
        raise InvalidInput(
            f"finess: {value!r} is not a FINESS number (9 characters: département as 2 digits or 2A/2B, then 7 digits)"
        )
    if not luhn_valid(_key_digits(finess)):
        raise InvalidInput(f"finess: {finess} has a wrong check digit (the last digit); check the number")
    return finess


def _text(field: str, value: str, limit: int) -> str:
    value = " ".join(value.split())
    if not value:
        raise InvalidInput(f"{field}: must not be empty")
    if len(value) > limit:
        raise InvalidInput(f"{field}: at most {limit} characters")
    return value


def create_establishment(
    session: Session, *, finess: str, name: str, region: str, context: AuditContext = CLI
) -> Establishment:
    finess = validate_finess(finess)
    establishment = Establishment(
        finess=finess, name=_text("name", name, _NAME_MAX), region=_text("region", region, _REGION_MAX)
    )
    if storage.get_by_finess(session, finess) is not None:
        raise AlreadyExists(f"establishment {finess} already exists")
    storage.add_establishment(session, establishment)
    record(
        session,
        "establishment.created",
        context=context,
        details={"finess": finess, "name": establishment.name, "region": establishment.region},
    )
    return establishment


def get_establishment(session: Session, finess: str) -> Establishment:
    establishment = storage.get_by_finess(session, normalise_finess(finess))
    if establishment is None:
        raise NotFound(f"unknown establishment: {finess}")
    return establishment


def list_establishments(session: Session) -> list[Establishment]:
    return storage.list_establishments(session)


def establishment_document(establishment: Establishment) -> dict[str, Any]:
    """The JSON shape the CLI prints and the admin API will return."""
    return {
        "finess": establishment.finess,
        "name": establishment.name,
        "region": establishment.region,
        "created_at": establishment.created_at.isoformat() if establishment.created_at else None,
        "disabled": establishment.disabled_at is not None,
    }
