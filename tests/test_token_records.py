"""The access-token lookup behind userinfo, introspection and the admin API (``idp.storage.token_records``): read-only
views of exactly the stored values, no ORM entity, and revocation written through the database, not the views."""

from __future__ import annotations

from datetime import timedelta

import pytest

from idp.clock import utcnow
from idp.models import Account, Client, Token
from idp.protocol import tokens
from idp.storage import clients as client_storage
from idp.storage.token_records import AccountView, ClientView, TokenView, access_token_lookup
from tests.support.resource_tokens import World, unverified_claims
from tests.support.resource_tokens import world  # noqa: F401 (the fixture)


@pytest.fixture
def person(world: World) -> Account:
    world.add_client("rp")
    return world.add_user(phone_number="+33612345678")


def test_the_lookup_answers_views_of_the_stored_values_and_loads_no_entity(world: World, person: Account) -> None:
    value, _ = world.access_token("rp", person, "openid email", claims_request={"userinfo": {"email": None}})
    jti = unverified_claims(value)["jti"]
    with world.db.session() as session:
        found = access_token_lookup(session, jti, "rp")
        assert len(session.identity_map) == 0  # the point of the views: no entity loading, no identity map
        client = client_storage.get_by_client_id(session, "rp")
        row = session.query(Token).filter_by(jti=jti).one()
        account = session.get(Account, person.id)
        assert found is not None and client is not None and account is not None
        assert found.client == ClientView(*(getattr(client, name) for name in ClientView._fields))
        assert found.token == TokenView(*(getattr(row, name) for name in TokenView._fields))
        assert found.token.rotated_at is None and row.rotated_at is None
        assert found.account == AccountView(*(getattr(account, name) for name in AccountView._fields))


def test_the_lookup_of_a_row_less_token_brings_its_client_only(world: World, person: Account) -> None:
    value, _ = world.access_token("rp", None, "openid")
    with world.db.session() as session:
        found = access_token_lookup(session, unverified_claims(value)["jti"], "rp")
        assert found is not None and found.client.client_id == "rp"
        assert (found.token, found.account) == (None, None)
        assert access_token_lookup(session, unverified_claims(value)["jti"], "no-such-client") is None


def test_the_lookup_sees_a_row_staged_in_its_own_session(world: World, person: Account) -> None:
    # As the ORM query it replaced did: Session.execute autoflushes before a Core statement too (SQLAlchemy #9809).
    with world.db.session() as session:
        client = session.query(Client).filter_by(client_id="rp").one()
        session.add(Token(kind="access", jti="staged-jti", client_id=client.id, account_id=person.id, scope="openid",
                          expires_at=utcnow() + timedelta(minutes=5)))
        found = access_token_lookup(session, "staged-jti", "rp")
        assert found is not None and found.token is not None and found.account is not None
        assert found.account.id == person.id


def test_two_revocations_of_one_stored_token_leave_one_revoked_row(world: World, person: Account) -> None:
    # Two revokers read the (live) view before either wrote: the second finds no live row to UPDATE, and its
    # fallback insert meets the row already there.
    value, issued = world.access_token("rp", person, "openid")
    jti = unverified_claims(value)["jti"]
    with world.db.session() as session:
        lookup = access_token_lookup(session, jti, "rp")
        assert lookup is not None and lookup.token is not None
        tokens.revoke_access_token(world.context(session), lookup.token)
        tokens.revoke_access_token(world.context(session), lookup.token)
    with world.db.session() as session:
        (stored,) = session.query(Token).filter_by(jti=jti).all()
        assert issued is not None and stored.id == issued.id and stored.revoked_at is not None
