"""Accounts as a service: the user document, creation with an activation link, listing, disabling, référents."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from idp.accounts.activation import email_fingerprint, token_hash
from idp.accounts.establishments import create_establishment
from idp.accounts.referents import add_referent, create_referent
from idp.accounts.users import create_user, disable_user, list_users, send_activation_again, user_documents
from idp.clock import utcnow
from idp.db import Database, Session
from idp.errors import AlreadyExists, InvalidInput, NotFound
from idp.models import Account, ActionToken, AuditEvent, Membership
from idp.notify.email import MemoryEmailSender
from idp.notify.outbox import Outbox
from idp.settings import Settings
from tests.conftest import make_settings
from idp.storage.accounts import add_account

CH_BOURG = "010780195"
EHPAD = "010000016"


def person(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "username": "john_wick",
        "establishment": CH_BOURG,
        "given_name": "John",
        "family_name": "Wick",
        "email": "john.wick@example.fr",
    }
    document.update(changes)
    return {k: v for k, v in document.items() if v is not None}


@pytest.fixture
def session(db: Database):  # type: ignore[no-untyped-def]
    with db.session() as session:
        create_establishment(session, finess=CH_BOURG, name="Centre hospitalier de Bourg", region="ARA")
        create_establishment(session, finess=EHPAD, name="EHPAD Les Tilleuls", region="ARA")
        yield session


def create(session: Session, settings: Settings, outbox: Outbox | None = None, **changes: Any):  # type: ignore[no-untyped-def]
    return create_user(session, settings, person(**changes), outbox=outbox if outbox is not None else Outbox())


def invalid(session: Session, settings: Settings, **changes: Any) -> str:
    with pytest.raises(InvalidInput) as caught:
        create(session, settings, **changes)
    return caught.value.description


# -- the document, field by field -------------------------------------------------------------------------------


def test_full_document_is_stored_with_oidc_names(session: Session, settings: Settings) -> None:
    address = {"street_address": "1 rue de la Paix", "postal_code": "01000", "locality": "Bourg-en-Bresse",
               "country": "FR"}
    created = create(session, settings, phone_number="+33 6 12-34.56 78", address=address, profession="Infirmier",
                     specialty="Gériatrie", rpps="10001234567")
    account = created.account
    assert (account.kind, account.status, account.username) == ("establishment", "pending", "john_wick")
    assert account.phone_number == "+33612345678"
    assert account.address == address
    assert (account.profession, account.specialty, account.rpps) == ("Infirmier", "Gériatrie", "10001234567")
    assert account.password_hash is None and account.email_verified_at is None
    assert created.membership is not None and created.membership.role == "professional"
    assert created.establishment is not None and created.establishment.finess == CH_BOURG


def test_username_is_lowercased_so_uniqueness_ignores_case(session: Session, settings: Settings) -> None:
    assert create(session, settings, username="John_Wick").account.username == "john_wick"
    with pytest.raises(AlreadyExists, match="john_wick"):
        create(session, settings, username="JOHN_WICK", email="other@example.fr")


@pytest.mark.parametrize("username", ["jw", "a" * 65, "john wick", "jöhn", "john@wick", "12345678901", "..."])
def test_bad_usernames(session: Session, settings: Settings, username: str) -> None:
    assert invalid(session, settings, username=username).startswith("invalid user document: username: ")


@pytest.mark.parametrize("email", ["john", "john@", "@example.fr", "john@example", "jo hn@example.fr",
                                   "john@@example.fr", "john@-example.fr", "john@example.123", "a" * 65 + "@example.fr",
                                   "john..wick@example.fr"])
def test_bad_emails(session: Session, settings: Settings, email: str) -> None:
    assert "email: is not a valid e-mail address" in invalid(session, settings, email=email)


def test_email_domain_is_lowercased_and_idna_encoded(session: Session, settings: Settings) -> None:
    assert create(session, settings, email="John.Wick@Hôpital.FR").account.email == "John.Wick@xn--hpital-ixa.fr"


@pytest.mark.parametrize("phone", ["0612345678", "+0612345678", "+33 6", "+33612345678901234", "phone"])
def test_bad_phone_numbers(session: Session, settings: Settings, phone: str) -> None:
    assert "phone_number: must be an international number" in invalid(session, settings, phone_number=phone)


@pytest.mark.parametrize("rpps", ["1000123456", "100012345678", "1000123456a", 10001234567])
def test_bad_rpps(session: Session, settings: Settings, rpps: Any) -> None:
    assert "rpps: " in invalid(session, settings, rpps=rpps)


@pytest.mark.parametrize("finess", ["12345", "0107801950", "01078019X", "010780196"])
def test_malformed_finess_is_invalid_input_not_not_found(session: Session, settings: Settings, finess: str) -> None:
    assert "establishment: " in invalid(session, settings, establishment=finess)


def test_address_takes_the_oidc_members_only(session: Session, settings: Settings) -> None:
    assert "address.city: unknown field" in invalid(session, settings, address={"city": "Bourg"})
    assert "address: " in invalid(session, settings, address="1 rue de la Paix")


def test_unknown_and_missing_fields_are_named(session: Session, settings: Settings) -> None:
    description = invalid(session, settings, familly_name="Wick", family_name=None, given_name=" ")
    assert "familly_name: unknown field" in description
    assert "family_name: is required" in description
    assert "given_name: " in description


def test_names_refuse_control_characters(session: Session, settings: Settings) -> None:
    assert "given_name: must not contain control characters" in invalid(session, settings, given_name="Jo\nhn")


def test_establishment_account_needs_username_and_establishment(session: Session, settings: Settings) -> None:
    description = invalid(session, settings, username=None, establishment=None)
    assert "username: is required for an establishment account" in description
    assert "establishment: is required for an establishment account" in description


def test_liberal_logs_in_with_rpps(session: Session, settings: Settings) -> None:
    description = invalid(session, settings, kind="liberal")
    assert "rpps: is required for a libéral account" in description
    assert "username: is not used by a libéral account" in description
    created = create(session, settings, kind="liberal", username=None, establishment=None, rpps="10001234567")
    assert (created.account.kind, created.account.username, created.membership) == ("liberal", None, None)


def test_assistants_are_not_created_from_a_document(session: Session, settings: Settings) -> None:
    assert "kind: assistants are invited by a libéral" in invalid(session, settings, kind="assistant")
    assert "kind: " in invalid(session, settings, kind="admin")


def test_a_document_must_be_an_object(session: Session, settings: Settings) -> None:
    with pytest.raises(InvalidInput, match="expected a JSON object"):
        create_user(session, settings, ["john"], outbox=Outbox())  # type: ignore[arg-type]


# -- creation: uniqueness, establishment, activation -------------------------------------------------------------


def test_unknown_establishment_is_not_found(session: Session, settings: Settings) -> None:
    with pytest.raises(NotFound, match="unknown establishment: 010787190"):
        create(session, settings, establishment="010787190")


def test_duplicate_rpps(session: Session, settings: Settings) -> None:
    create(session, settings, rpps="10001234567")
    with pytest.raises(AlreadyExists, match="RPPS"):
        create(session, settings, username="other", rpps="10001234567")


def test_activation_token_is_stored_only_as_a_keyed_hash(session: Session, settings: Settings) -> None:
    created = create(session, settings)
    url = created.activation.url
    assert url.startswith(f"{settings.issuer}/password/activate?token=idp_act_")
    token = url.partition("token=")[2]
    row = session.scalars(select(ActionToken).where(ActionToken.account_id == created.account.id)).one()
    assert row.purpose == "activation" and row.used_at is None
    assert row.token_hash == token_hash(settings, token) != token
    assert token not in repr([getattr(row, c.key) for c in ActionToken.__table__.columns])
    assert row.bound_to == email_fingerprint(settings, "john.wick@example.fr")


def test_activation_expires_in_72_hours(session: Session, settings: Settings) -> None:
    before = utcnow()
    created = create(session, settings)
    row = session.scalars(select(ActionToken).where(ActionToken.account_id == created.account.id)).one()
    validity = timedelta(hours=72)
    assert settings.links.activation_ttl_hours == 72
    assert before + validity <= row.expires_at <= utcnow() + validity
    assert created.activation.expires_at == row.expires_at


def test_activation_validity_follows_the_setting(session: Session, database_url: str) -> None:
    settings = make_settings(database_url, links={"activation_ttl_hours": 24})
    outbox = Outbox()
    before = utcnow()
    created = create(session, settings, outbox=outbox)
    assert before + timedelta(hours=24) <= created.activation.expires_at <= utcnow() + timedelta(hours=24)
    assert "24 heures" in outbox.pending[0].text


def test_activation_email_waits_in_the_outbox(session: Session, settings: Settings) -> None:
    outbox = Outbox()
    created = create(session, settings, outbox=outbox)
    [message] = outbox.pending
    assert message.to == "john.wick@example.fr"
    assert "Votre nom d'utilisateur : john_wick" in message.text
    assert created.activation.url in message.text and "valable 72 heures" in message.text
    assert "Centre hospitalier de Bourg" in message.text


def test_nothing_is_sent_when_the_transaction_rolls_back(db: Database, settings: Settings) -> None:
    with db.session() as session:
        create_establishment(session, finess=CH_BOURG, name="CH", region="ARA")
    outbox, sender = Outbox(), MemoryEmailSender()
    with pytest.raises(RuntimeError), db.session() as session:
        create_user(session, settings, person(), outbox=outbox)
        raise RuntimeError("something later in the same transaction failed")
    # The caller flushes only after a commit; the rolled-back account left no row behind it.
    with db.session() as session:
        assert session.scalars(select(Account)).all() == []
        assert session.scalars(select(ActionToken)).all() == []
    assert sender.sent == []
    # And the pattern that does send: create, commit, flush.
    outbox = Outbox()
    with db.session() as session:
        create_user(session, settings, person(), outbox=outbox)
    outbox.flush(sender)
    assert [m.to for m in sender.sent] == ["john.wick@example.fr"] and outbox.pending == ()


def test_creation_is_audited_without_secrets(session: Session, settings: Settings) -> None:
    created = create(session, settings)
    event = session.scalars(select(AuditEvent).where(AuditEvent.event == "user.created")).one()
    assert event.account_id == created.account.id
    assert event.details["username"] == "john_wick" and event.details["establishment"] == CH_BOURG
    assert "idp_act_" not in str(event.details)


# -- listing, disabling, re-sending --------------------------------------------------------------------------------


def test_list_users_filters_by_establishment(session: Session, settings: Settings) -> None:
    create(session, settings, username="anne", family_name="Martin")
    create(session, settings, username="bob", family_name="Bernard", establishment=EHPAD)
    assert [a.username for a in list_users(session)] == ["bob", "anne"]  # by family name
    assert [a.username for a in list_users(session, establishment=EHPAD)] == ["bob"]
    with pytest.raises(NotFound):
        list_users(session, establishment="010787190")


def test_user_documents_carry_no_secret(session: Session, settings: Settings) -> None:
    created = create(session, settings)
    created.account.password_hash = "$argon2id$..."
    [document] = user_documents(session, [created.account])
    assert "password_hash" not in document and "$argon2id$" not in str(document)
    assert document["establishments"] == [{"finess": CH_BOURG, "name": "Centre hospitalier de Bourg",
                                           "role": "professional"}]


def test_disable_user_kills_pending_links_and_is_idempotent(session: Session, settings: Settings) -> None:
    created = create(session, settings)
    account = disable_user(session, "John_Wick")
    assert account.status == "disabled" and account.disabled_at is not None
    assert session.scalars(select(ActionToken).where(ActionToken.account_id == created.account.id)).all() == []
    first = account.disabled_at
    assert disable_user(session, "john_wick").disabled_at == first
    events = session.scalars(select(AuditEvent).where(AuditEvent.event == "user.disabled")).all()
    assert len(events) == 1
    with pytest.raises(NotFound, match="unknown user: nobody"):
        disable_user(session, "nobody")


def test_disable_a_liberal_by_rpps(session: Session, settings: Settings) -> None:
    create(session, settings, kind="liberal", username=None, establishment=None, rpps="10001234567")
    assert disable_user(session, "10001234567").status == "disabled"


def test_send_activation_again_replaces_the_link(session: Session, settings: Settings) -> None:
    created = create(session, settings)
    outbox = Outbox()
    link = send_activation_again(session, settings, "john_wick", outbox=outbox)
    rows = session.scalars(select(ActionToken).where(ActionToken.account_id == created.account.id)).all()
    assert [r.token_hash for r in rows] == [token_hash(settings, link.url.partition("token=")[2])]
    assert link.url in outbox.pending[0].text
    disable_user(session, "john_wick")
    with pytest.raises(InvalidInput, match="disabled"):
        send_activation_again(session, settings, "john_wick", outbox=outbox)


# -- référents -----------------------------------------------------------------------------------------------------


def test_promote_a_member(session: Session, settings: Settings) -> None:
    created = create(session, settings)
    membership = add_referent(session, username="john_wick", establishment=CH_BOURG)
    assert membership.id == created.membership.id and membership.role == "referent"  # type: ignore[union-attr]
    with pytest.raises(AlreadyExists, match="already référent"):
        add_referent(session, username="john_wick", establishment=CH_BOURG)
    event = session.scalars(select(AuditEvent).where(AuditEvent.event == "referent.added")).one()
    assert event.details == {"username": "john_wick", "establishment": CH_BOURG, "membership_created": False}


def test_promote_to_another_establishment_adds_the_membership(session: Session, settings: Settings) -> None:
    created = create(session, settings)
    membership = add_referent(session, username="john_wick", establishment=EHPAD)
    assert membership.role == "referent"
    roles = session.scalars(select(Membership.role).where(Membership.account_id == created.account.id)).all()
    assert sorted(roles) == ["professional", "referent"]


def test_promotion_errors(session: Session, settings: Settings) -> None:
    with pytest.raises(NotFound, match="unknown user"):
        add_referent(session, username="nobody", establishment=CH_BOURG)
    create(session, settings)
    with pytest.raises(NotFound, match="unknown establishment"):
        add_referent(session, username="john_wick", establishment="010787190")
    create(session, settings, kind="liberal", username=None, establishment=None, rpps="10001234567",
           email="doc@example.fr")
    with pytest.raises(InvalidInput, match="liberal account"):
        add_referent(session, username="10001234567", establishment=CH_BOURG)
    disable_user(session, "john_wick")
    with pytest.raises(InvalidInput, match="disabled"):
        add_referent(session, username="john_wick", establishment=EHPAD)


def test_create_a_referent_from_a_document(session: Session, settings: Settings) -> None:
    outbox = Outbox()
    created = create_referent(session, settings, person(), outbox=outbox)
    assert created.membership is not None and created.membership.role == "referent"
    assert len(outbox.pending) == 1
    events = session.scalars(select(AuditEvent).where(AuditEvent.account_id == created.account.id)).all()
    assert sorted(e.event for e in events) == ["referent.added", "user.created"]
    with pytest.raises(InvalidInput, match="référent is an establishment account"):
        create_referent(session, settings, person(kind="liberal", username=None, establishment=None,
                                                  rpps="10001234567"), outbox=outbox)


def test_a_race_on_the_username_ends_in_already_exists(session: Session, settings: Settings) -> None:
    # Two administrators passing the existence check at once: the unique index decides, the transaction survives.
    create(session, settings)
    with pytest.raises(AlreadyExists):
        add_account(session, Account(kind="establishment", username="john_wick", given_name="J", family_name="W",
                                     email="j@example.fr"))
    assert [a.username for a in list_users(session)] == ["john_wick"]
