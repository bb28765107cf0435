"""The refresh token grant (RFC 6749 §6): rotation, reuse detection (RFC 9700 §4.14.2), scope, ID token (OIDC §12.2)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from idp.db import Database
from idp.models import Token
from idp.protocol.id_token import at_hash
from idp.protocol.tokens import find_refresh_token
from idp.settings import Settings
from idp.storage import grant_records
from tests.support.tokens import World, decode, error_of, make_client, make_world, pkce_pair


@pytest.fixture
def world(settings: Settings, db: Database) -> Iterator[World]:
    yield from make_world(settings, db)


def first_tokens(world: World, **params: str | None) -> dict[str, Any]:
    response = world.exchange(world.code(**params))
    assert response.status == 200, response.body
    return dict(response.body)


def refresh(world: World, refresh_token: str, **form: str) -> Any:
    return world.token(grant_type="refresh_token", refresh_token=refresh_token, **form)


def test_refresh_rotates_and_reissues_an_id_token(world: World) -> None:
    first = first_tokens(world)
    world.clock.advance(30)
    response = refresh(world, first["refresh_token"])
    assert response.status == 200, response.body
    body = response.body
    assert body["refresh_token"] != first["refresh_token"] and body["refresh_token"].startswith("idp_rt_")
    assert body["scope"] == "openid profile email"
    assert response.header("Cache-Control") == "no-store"

    old = find_refresh_token(world.ctx, first["refresh_token"])
    new = find_refresh_token(world.ctx, body["refresh_token"])
    assert old is not None and old.rotated_at is not None and old.revoked_at is None
    assert new is not None and new.family_id == old.family_id and new.authorization_code_id == old.authorization_code_id

    before = decode(first["id_token"], world.keys).claims
    claims = decode(body["id_token"], world.keys).claims
    for name in ("iss", "sub", "aud", "azp", "auth_time", "acr", "amr", "sid"):  # OIDC Core §12.2
        assert claims[name] == before[name], name
    assert claims["iat"] == before["iat"] + 30
    assert "nonce" not in claims
    assert claims["at_hash"] == at_hash(body["access_token"])
    access = decode(body["access_token"], world.keys).claims
    assert access["sid"] == world.browser.sid and access["sub"] == str(world.account.id)


def test_a_rotated_refresh_token_presented_again_revokes_the_family(world: World) -> None:
    first = first_tokens(world)
    second = refresh(world, first["refresh_token"]).body
    replay = refresh(world, first["refresh_token"])
    assert error_of(replay) == "invalid_grant"
    family = list(world.session.scalars(select(Token)))
    assert len(family) == 4 and all(row.revoked_at is not None for row in family)  # access tokens too
    assert error_of(refresh(world, second["refresh_token"])) == "invalid_grant"
    [event] = world.audit("refresh.reused")
    assert event.outcome == "failure" and event.details["revoked_count"] == 4


def test_a_concurrent_rotation_counts_as_reuse(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    first = first_tokens(world)
    # Another request rotated it between our read and our conditional UPDATE: the UPDATE matches no row.
    monkeypatch.setattr(grant_records, "rotate_refresh", lambda session, token_id, now: False)
    assert error_of(refresh(world, first["refresh_token"])) == "invalid_grant"
    assert all(row.revoked_at is not None for row in world.session.scalars(select(Token)))


def test_rotation_and_consumption_are_conditional_updates(world: World) -> None:
    first = first_tokens(world)
    row = find_refresh_token(world.ctx, first["refresh_token"])
    assert row is not None and row.authorization_code_id is not None
    now = world.clock.now()
    assert grant_records.rotate_refresh(world.session, row.id, now)
    assert not grant_records.rotate_refresh(world.session, row.id, now)
    assert not grant_records.consume_code(world.session, row.authorization_code_id, now)  # used by the exchange


def test_scope_may_narrow_and_the_new_refresh_token_keeps_the_grant(world: World) -> None:
    first = first_tokens(world)
    narrowed = refresh(world, first["refresh_token"], scope="profile")
    assert narrowed.status == 200, narrowed.body
    assert narrowed.body["scope"] == "profile" and "id_token" not in narrowed.body
    assert decode(narrowed.body["access_token"], world.keys).claims["scope"] == "profile"
    row = find_refresh_token(world.ctx, narrowed.body["refresh_token"])
    assert row is not None and row.scope == "openid profile email"  # RFC 6749 §6
    again = refresh(world, narrowed.body["refresh_token"])
    assert again.body["scope"] == "openid profile email" and "id_token" in again.body


def test_scope_may_not_widen(world: World) -> None:
    first = first_tokens(world, scope="openid profile")
    response = refresh(world, first["refresh_token"], scope="openid profile email")
    assert error_of(response) == "invalid_scope"
    assert refresh(world, first["refresh_token"]).status == 200  # the refused request did not rotate it


def test_another_clients_refresh_token_is_refused(world: World) -> None:
    make_client(world.session, world.settings, "rp-other")
    first = first_tokens(world)
    assert error_of(refresh(world, first["refresh_token"], basic="rp-other")) == "invalid_grant"
    assert refresh(world, first["refresh_token"]).status == 200


def test_expired_revoked_and_unknown_refresh_tokens_are_refused(world: World) -> None:
    first = first_tokens(world)
    assert error_of(refresh(world, "idp_rt_unknown")) == "invalid_grant"
    assert error_of(refresh(world, "garbage")) == "invalid_grant"
    assert error_of(world.token(grant_type="refresh_token")) == "invalid_request"
    world.clock.advance(world.settings.tokens.refresh_token_ttl_seconds)
    assert error_of(refresh(world, first["refresh_token"])) == "invalid_grant"


def test_logout_ends_the_refresh_tokens(world: World) -> None:
    first = first_tokens(world)
    world.browser.ended_at = world.clock.now()
    assert error_of(refresh(world, first["refresh_token"])) == "invalid_grant"


def test_a_disabled_account_cannot_refresh(world: World) -> None:
    first = first_tokens(world)
    world.account.status = "disabled"
    assert error_of(refresh(world, first["refresh_token"])) == "invalid_grant"


def test_a_public_client_refreshes_with_its_client_id(world: World) -> None:
    make_client(world.session, world.settings, "spa", token_endpoint_auth_method="none")
    verifier, challenge = pkce_pair()
    code = world.code(client_id="spa", code_challenge=challenge, code_challenge_method="S256")
    first = world.exchange(code, basic="", client_id="spa", code_verifier=verifier).body
    response = refresh(world, first["refresh_token"], basic="", client_id="spa")
    assert response.status == 200, response.body
