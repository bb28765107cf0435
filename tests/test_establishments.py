"""Establishments: FINESS numbers checked (shape and Luhn key), created once, found again, audited."""

from __future__ import annotations

import pytest

from idp.accounts.establishments import (
    create_establishment,
    establishment_document,
    get_establishment,
    list_establishments,
    validate_finess,
)
from idp.db import Database
from idp.errors import AlreadyExists, InvalidInput, NotFound
from idp.models import Establishment
from idp.storage import audit as audit_storage
from idp.storage import establishments as storage

# Real numbers from the ANS's public sample (github.com/ansforge/finess, flux/out/data.gouv/structure): the Luhn
# rule must accept what the registry actually issues.
REAL_FINESS = ["010000016", "010000156", "010000164", "010780195", "010787190"]
DEMO_FINESS = "750000010"  # Paris, valid key; used by the tests as "the demo establishment"


@pytest.mark.parametrize("finess", REAL_FINESS + [DEMO_FINESS, "971000013", "2A0000016", "2B0000016"])
def test_valid_finess_numbers_are_accepted(finess: str) -> None:
    assert validate_finess(finess) == finess


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("01 078 019 5", "010780195"), (" 010780195\n", "010780195"), ("2a0000016", "2A0000016")],
)
def test_finess_is_normalised_as_the_registry_shows_it(typed: str, stored: str) -> None:
    assert validate_finess(typed) == stored


@pytest.mark.parametrize(
    "finess",
    ["", "01078019", "0107801950", "01078019X", "A10780195", "2C0000016", "0A0780195", "01-078-019-5", "０10780195"],
)
def test_malformed_finess_is_refused(finess: str) -> None:
    with pytest.raises(InvalidInput, match=r"^finess: .* is not a FINESS number"):
        validate_finess(finess)


def test_any_single_mistyped_digit_is_caught_by_the_key() -> None:
    for position in range(9):
        for digit in "0123456789":
            typo = REAL_FINESS[3][:position] + digit + REAL_FINESS[3][position + 1 :]
            if typo == REAL_FINESS[3]:
                continue
            with pytest.raises(InvalidInput, match="wrong check digit"):
                validate_finess(typo)


def test_create_stores_audits_and_finds_the_establishment(db: Database) -> None:
    with db.session() as session:
        created = create_establishment(session, finess="75 000 001 0", name="  Hôpital   Démo ", region="Île-de-France")
        assert (created.finess, created.name, created.region) == (DEMO_FINESS, "Hôpital Démo", "Île-de-France")
        assert get_establishment(session, DEMO_FINESS) is created
        assert get_establishment(session, "750 000 010") is created
        assert [e.finess for e in list_establishments(session)] == [DEMO_FINESS]
        [event] = audit_storage.events(session, event="establishment.created")
        assert event.details == {"finess": DEMO_FINESS, "name": "Hôpital Démo", "region": "Île-de-France"}
        assert event.outcome == "success" and event.request_id == "cli"
        document = establishment_document(created)
        assert document["finess"] == DEMO_FINESS and document["disabled"] is False and document["created_at"]


def test_duplicate_finess_is_refused(db: Database) -> None:
    with db.session() as session:
        create_establishment(session, finess=DEMO_FINESS, name="A", region="R")
        with pytest.raises(AlreadyExists, match=f"establishment {DEMO_FINESS} already exists"):
            create_establishment(session, finess="750 000 010", name="B", region="R")


def test_a_concurrent_duplicate_leaves_the_transaction_usable(db: Database) -> None:
    # The service checks first; this is the race it cannot see, caught by the unique constraint in a savepoint.
    with db.session() as session:
        create_establishment(session, finess=DEMO_FINESS, name="A", region="R")
        with pytest.raises(AlreadyExists):
            storage.add_establishment(session, Establishment(finess=DEMO_FINESS, name="B", region="R"))
        assert [e.name for e in list_establishments(session)] == ["A"]


def test_unknown_establishment_is_not_found(db: Database) -> None:
    with db.session() as session, pytest.raises(NotFound, match="^unknown establishment: 010780195$"):
        get_establishment(session, "010780195")


@pytest.mark.parametrize(
    ("name", "region", "message"),
    [
        ("", "R", "name: must not be empty"),
        ("N", "   ", "region: must not be empty"),
        ("N", "x" * 65, "region: at most 64"),
    ],
)
def test_name_and_region_are_required(db: Database, name: str, region: str, message: str) -> None:
    with db.session() as session, pytest.raises(InvalidInput, match=message):
        create_establishment(session, finess=DEMO_FINESS, name=name, region=region)
