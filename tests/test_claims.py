"""Claims by scope (OIDC Core §5.4, SPEC §2) and one by one (§5.5), as /userinfo releases them."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import event

from idp.clock import utcnow
from idp.models import Account, Delegation, DelegationRight, Membership
from idp.protocol.claims import release_claims
from idp.storage import accounts as account_storage
from tests.support.resource_tokens import OTHER_FINESS, World, bearer
from tests.support.resource_tokens import world  # noqa: F401 (the fixture)


ADDRESS = {"street_address": "1 avenue Claude Vellefaux", "locality": "Paris", "postal_code": "75010", "country": "FR"}


def userinfo(world: World, account: Account, scope: str, **kwargs: Any) -> dict[str, Any]:
    value, _ = world.access_token("rp", account, scope, **kwargs)
    response = world.http.get("/userinfo", headers=bearer(value))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert None not in body.values(), "absent values are omitted, never null"
    return body


@pytest.fixture
def rp(world: World) -> str:
    return world.add_client("rp")


@pytest.fixture
def full(world: World, rp: str) -> Account:
    return world.add_user(phone_number="+33612345678", address=ADDRESS, profession="Infirmier", specialty="Gériatrie")


def test_openid_alone_releases_sub_only(world: World, full: Account) -> None:
    assert userinfo(world, full, "openid") == {"sub": str(full.id)}


def test_profile(world: World, full: Account) -> None:
    claims = userinfo(world, full, "openid profile")
    assert claims == {
        "sub": str(full.id),
        "name": "John Wick",
        "given_name": "John",
        "family_name": "Wick",
        "preferred_username": "john_wick",
        "profession": "Infirmier",
        "specialty": "Gériatrie",
        "updated_at": claims["updated_at"],
    }
    assert isinstance(claims["updated_at"], int) and abs(claims["updated_at"] - utcnow().timestamp()) < 60


def test_profile_omits_what_the_account_lacks(world: World, rp: str) -> None:
    liberal = world.add_user(kind="liberal", rpps="10000000001")
    claims = userinfo(world, liberal, "openid profile")
    assert set(claims) == {"sub", "name", "given_name", "family_name", "updated_at"}


def test_email_and_its_verification(world: World, full: Account) -> None:
    assert userinfo(world, full, "openid email") == {
        "sub": str(full.id),
        "email": "john_wick@hopital.example",
        "email_verified": False,
    }
    world.update(full, email_verified_at=utcnow())
    assert userinfo(world, full, "openid email")["email_verified"] is True


def test_phone_only_when_present(world: World, full: Account) -> None:
    claims = userinfo(world, full, "openid phone")
    assert claims == {"sub": str(full.id), "phone_number": "+33612345678", "phone_number_verified": False}
    bare = world.add_user("jane_doe")
    assert userinfo(world, bare, "openid phone") == {"sub": str(bare.id)}


def test_address(world: World, full: Account) -> None:
    assert userinfo(world, full, "openid address")["address"] == ADDRESS
    bare = world.add_user("jane_doe")
    assert "address" not in userinfo(world, bare, "openid address")


def test_rpps_and_national_id(world: World, rp: str) -> None:
    liberal = world.add_user(kind="liberal", rpps="10000000001")
    assert userinfo(world, liberal, "openid rpps") == {"sub": str(liberal.id), "rpps": "10000000001"}
    assistant = world.add_assistant("2600000001")
    assert userinfo(world, assistant, "openid rpps") == {"sub": str(assistant.id), "national_id": "2600000001"}


def test_establishments_of_enabled_establishments_with_roles(world: World, full: Account) -> None:
    from idp.accounts.establishments import create_establishment

    with world.db.session() as session:
        other = create_establishment(
            session, finess=OTHER_FINESS, name="EHPAD Les Tilleuls", region="Auvergne-Rhône-Alpes"
        )
        closed = create_establishment(
            session, finess="690000013", name="Clinique fermée", region="Auvergne-Rhône-Alpes"
        )
        closed.disabled_at = utcnow()
        account_storage.add_membership(
            session, Membership(account_id=full.id, establishment_id=other.id, role="referent")
        )
        account_storage.add_membership(session, Membership(account_id=full.id, establishment_id=closed.id))
    assert userinfo(world, full, "openid establishments")["establishments"] == [
        {"finess": "690000005", "name": "EHPAD Les Tilleuls", "region": "Auvergne-Rhône-Alpes", "role": "referent"},
        {"finess": "750000010", "name": "Hôpital Saint-Louis", "region": "Île-de-France", "role": "professional"},
    ]


def test_no_establishment_no_claim(world: World, rp: str) -> None:
    liberal = world.add_user(kind="liberal", rpps="10000000001")
    assert "establishments" not in userinfo(world, liberal, "openid establishments")


def _delegate(world: World, liberal: Account, assistant: Account, status: str = "active", **rights: str) -> None:
    with world.db.session() as session:
        delegation = Delegation(
            liberal_id=liberal.id,
            assistant_id=assistant.id,
            status=status,
            invited_given_name=assistant.given_name,
            invited_family_name=assistant.family_name,
            invited_email=assistant.email,
        )
        session.add(delegation)
        session.flush()
        session.add_all(DelegationRight(delegation_id=delegation.id, name=n, level=v) for n, v in rights.items())


def test_delegations_of_an_assistant(world: World, rp: str) -> None:
    doctor = world.add_user(kind="liberal", rpps="10000000001", given_name="Anne", family_name="Dupont")
    retired = world.add_user(kind="liberal", rpps="10000000002", given_name="Paul", family_name="Ancien")
    former = world.add_user(kind="liberal", rpps="10000000003", given_name="Zoé", family_name="Zéphyr")
    assistant = world.add_assistant()
    _delegate(world, doctor, assistant, dossiers="write", medical_data="read")
    _delegate(world, retired, assistant, dossiers="write")
    _delegate(world, former, assistant, status="revoked", dossiers="write")
    world.update(retired, status="disabled", disabled_at=utcnow())

    claims = userinfo(world, assistant, "openid delegations")
    assert claims["delegations"] == [
        {
            "liberal": {"sub": str(doctor.id), "given_name": "Anne", "family_name": "Dupont", "rpps": "10000000001"},
            "rights": {"dossiers": "write", "medical_data": "read", "autonomy_data": "none"},
        }
    ]
    assert claims["delegations"][0]["liberal"]["sub"] == userinfo(world, doctor, "openid")["sub"]


def test_a_rights_change_shows_on_the_next_call(world: World, rp: str) -> None:
    doctor = world.add_user(kind="liberal", rpps="10000000001")
    assistant = world.add_assistant()
    _delegate(world, doctor, assistant)
    assert userinfo(world, assistant, "openid delegations")["delegations"][0]["rights"] == {
        "dossiers": "none",
        "medical_data": "none",
        "autonomy_data": "none",
    }
    with world.db.session() as session:
        session.query(Delegation).update({"status": "revoked", "revoked_at": utcnow()})
    assert "delegations" not in userinfo(world, assistant, "openid delegations")


def test_a_liberal_carries_no_delegations_claim(world: World, rp: str) -> None:
    doctor = world.add_user(kind="liberal", rpps="10000000001")
    _delegate(world, doctor, world.add_assistant(), dossiers="read")
    assert "delegations" not in userinfo(world, doctor, "openid delegations")


def test_sub_is_stable_across_tokens_and_clients(world: World, full: Account) -> None:
    world.add_client("other-rp")
    first = userinfo(world, full, "openid")["sub"]
    second = userinfo(world, full, "openid profile")["sub"]
    value, _ = world.access_token("other-rp", full, "openid")
    third = world.http.get("/userinfo", headers=bearer(value)).json()["sub"]
    assert first == second == third == str(full.id)
    uuid.UUID(first)  # reveals nothing about the person


def test_claims_requested_one_by_one(world: World, full: Account) -> None:
    request = {
        "userinfo": {"email": {"essential": True}, "phone_number": None, "favourite_colour": None, "acr": None},
        "id_token": {"address": None},
    }
    claims = userinfo(world, full, "openid", claims_request=request)
    assert claims == {"sub": str(full.id), "email": "john_wick@hopital.example", "phone_number": "+33612345678"}


def test_claims_request_cannot_open_a_scope_the_client_is_not_registered_for(world: World, full: Account) -> None:
    world.add_client("narrow", scope="openid email")
    value, _ = world.access_token(
        "narrow", full, "openid", claims_request={"userinfo": {"email": None, "address": None}}
    )
    claims = world.http.get("/userinfo", headers=bearer(value)).json()
    assert claims == {"sub": str(full.id), "email": "john_wick@hopital.example"}


def test_release_claims_ignores_a_malformed_request(world: World, full: Account) -> None:
    with world.db.session() as session:
        account = session.merge(full)
        assert release_claims(session, account, "openid", requested="email") == {"sub": str(full.id)}  # type: ignore[arg-type]
        assert release_claims(session, account, "openid", requested={1: None}) == {"sub": str(full.id)}


def test_one_query_per_family(world: World, rp: str) -> None:
    doctor = world.add_user(kind="liberal", rpps="10000000001")
    assistant = world.add_assistant()
    _delegate(world, doctor, assistant, dossiers="read", medical_data="write", autonomy_data="read")
    statements: list[str] = []
    with world.db.session() as session:
        account = session.get(Account, assistant.id)
        assert account is not None
        bind = session.connection()

        def listener(*args: Any) -> None:
            statements.append(args[2])

        event.listen(bind, "before_cursor_execute", listener)
        try:
            claims = release_claims(
                session, account, "openid profile email phone address rpps establishments delegations"
            )
        finally:
            event.remove(bind, "before_cursor_execute", listener)
    assert len(statements) == 2, statements  # establishments, delegations: the rest is on the account row
    assert len(claims["delegations"]) == 1
