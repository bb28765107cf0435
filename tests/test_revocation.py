"""POST /revoke (RFC 7009): a client revokes its own tokens; what it revoked stops working everywhere."""

from __future__ import annotations

import pytest

from idp.clock import utcnow
from idp.models import Account, AuditEvent, Token
from tests.support.resource_tokens import World, basic, bearer, unverified_claims
from tests.support.resource_tokens import world  # noqa: F401 (the fixture)


@pytest.fixture
def person(world: World) -> Account:
    world.add_client("rp")
    world.add_client("other-rp")
    world.add_client("resource-server", scope="openid")
    world.add_client("spa", method="none")
    return world.add_user()


def revoke(world: World, token: str, client: str = "rp", **form: str):  # type: ignore[no-untyped-def]
    response = world.http.post("/revoke", data={"token": token, **form}, headers=basic(client))
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    return response


def is_active(world: World, token: str) -> bool:
    response = world.http.post("/introspect", data={"token": token}, headers=basic("resource-server"))
    return response.json()["active"]  # type: ignore[no-any-return]


def userinfo_status(world: World, token: str) -> int:
    return world.http.get("/userinfo", headers=bearer(token)).status_code


def row(world: World, token_id: object) -> Token:
    with world.db.session() as session:
        found = session.get(Token, token_id)
        assert found is not None
        return found


def test_revoking_an_access_token(world: World, person: Account) -> None:
    value, token = world.access_token("rp", person, "openid")
    assert userinfo_status(world, value) == 200
    revoke(world, value, token_type_hint="access_token")
    assert row(world, token.id).revoked_at is not None
    assert is_active(world, value) is False
    response = world.http.get("/userinfo", headers=bearer(value))
    assert response.status_code == 401 and response.json()["error"] == "invalid_token"
    assert "revoked" in response.json()["error_description"]


def test_revoking_an_access_token_leaves_its_refresh_token(world: World, person: Account) -> None:
    refresh, _, access = world.refresh_token("rp", person)
    revoke(world, access)
    assert is_active(world, access) is False
    assert is_active(world, refresh) is True


def test_revoking_a_refresh_token_revokes_its_family(world: World, person: Account) -> None:
    refresh, refresh_row, access = world.refresh_token("rp", person)
    unrelated, _ = world.access_token("rp", person, "openid")
    revoke(world, refresh, token_type_hint="refresh_token")
    assert row(world, refresh_row.id).revoked_at is not None
    assert is_active(world, refresh) is False
    assert is_active(world, access) is False
    assert userinfo_status(world, access) == 401
    assert is_active(world, unrelated) is True  # another grant of the same person


def test_revoking_a_rotated_refresh_token_still_ends_the_grant(world: World, person: Account) -> None:
    refresh, refresh_row, access = world.refresh_token("rp", person)
    world.update(refresh_row, rotated_at=utcnow())
    revoke(world, refresh)
    assert is_active(world, access) is False


@pytest.mark.parametrize("hint", ["refresh_token", "access_token", "something_else"])
def test_the_hint_is_only_a_hint(world: World, person: Account, hint: str) -> None:
    refresh, _, access = world.refresh_token("rp", person)
    revoke(world, access, token_type_hint=hint)
    revoke(world, refresh, token_type_hint=hint)
    assert not is_active(world, access) and not is_active(world, refresh)


@pytest.mark.parametrize("value", ["unknown", "a.b.c", "idp_rt_unknown"])
def test_unknown_tokens_answer_200(world: World, person: Account, value: str) -> None:
    revoke(world, value)


def test_revoking_twice_answers_200_and_audits_once(world: World, person: Account) -> None:
    value, _ = world.access_token("rp", person, "openid")
    revoke(world, value)
    revoke(world, value)
    with world.db.session() as session:
        assert session.query(AuditEvent).filter_by(event="token.revoked", outcome="success").count() == 1


def test_another_client_s_token_is_left_untouched(world: World, person: Account) -> None:
    refresh, refresh_row, access = world.refresh_token("rp", person)
    revoke(world, access, client="other-rp")
    revoke(world, refresh, client="other-rp")
    assert is_active(world, access) and is_active(world, refresh)
    assert row(world, refresh_row.id).revoked_at is None
    with world.db.session() as session:
        refused = session.query(AuditEvent).filter_by(event="token.revoked", outcome="failure").all()
    assert {(e.client_id, e.details["reason"]) for e in refused} == {("other-rp", "issued_to_another_client")}


def test_revocation_is_audited(world: World, person: Account) -> None:
    value, token = world.access_token("rp", person, "openid")
    revoke(world, value)
    with world.db.session() as session:
        (event,) = session.query(AuditEvent).filter_by(event="token.revoked").all()
    assert (event.client_id, event.account_id, event.outcome) == ("rp", person.id, "success")
    assert event.details == {"token_kind": "access", "token_id": str(token.id), "issued_to": "rp"}


def test_a_public_client_revokes_with_its_client_id(world: World, person: Account) -> None:
    value, _ = world.access_token("spa", person, "openid")
    response = world.http.post("/revoke", data={"token": value, "client_id": "spa"})
    assert response.status_code == 200
    assert is_active(world, value) is False


def test_a_public_client_cannot_revoke_another_client_s_token(world: World, person: Account) -> None:
    value, _ = world.access_token("rp", person, "openid")
    assert world.http.post("/revoke", data={"token": value, "client_id": "spa"}).status_code == 200
    assert is_active(world, value) is True


# -- client authentication


def test_no_client_authentication(world: World, person: Account) -> None:
    value, _ = world.access_token("rp", person, "openid")
    response = world.http.post("/revoke", data={"token": value})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert is_active(world, value) is True


def test_wrong_secret(world: World, person: Account) -> None:
    value, _ = world.access_token("rp", person, "openid")
    response = world.http.post("/revoke", data={"token": value}, headers=basic("rp", "wrong"))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert is_active(world, value) is True


def test_a_confidential_client_must_authenticate(world: World, person: Account) -> None:
    value, _ = world.access_token("rp", person, "openid")
    response = world.http.post("/revoke", data={"token": value, "client_id": "rp"})
    assert response.status_code == 401
    assert is_active(world, value) is True


def test_missing_token_parameter(world: World, person: Account) -> None:
    response = world.http.post("/revoke", data={}, headers=basic("rp"))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_revoking_a_client_credentials_token(world: World, person: Account) -> None:
    # Issued without a row (idp.protocol.tokens); revocation writes its row, revoked, and every check then refuses it.
    value, token = world.access_token("rp", None, "openid")
    jti = unverified_claims(value)["jti"]
    with world.db.session() as session:
        assert token is None and session.query(Token).filter_by(jti=jti).count() == 0
    revoke(world, value, client="other-rp")  # another client's revocation leaves it alone
    assert is_active(world, value)
    revoke(world, value)
    assert is_active(world, value) is False
    revoke(world, value)  # again: 200, nothing more
    with world.db.session() as session:
        (stored,) = session.query(Token).filter_by(jti=jti).all()
        revoked = session.query(AuditEvent).filter_by(event="token.revoked", outcome="success").all()
    assert stored.revoked_at is not None and stored.account_id is None and stored.kind == "access"
    assert [e.details for e in revoked] == [{"token_kind": "access", "token_id": str(stored.id), "issued_to": "rp"}]
