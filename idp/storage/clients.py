"""Queries on OAuth clients (relying parties).

``add_client`` flushes inside a savepoint: a ``client_id`` registered concurrently by someone else surfaces as
``AlreadyExists`` and leaves the caller's transaction usable.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from idp.models import Client
from idp.storage._unique import add_unique


def get_by_client_id(session: Session, client_id: str) -> Client | None:
    return session.scalars(select(Client).where(Client.client_id == client_id)).one_or_none()


def add_client(session: Session, client: Client) -> Client:
    add_unique(session, client, f"client_id {client.client_id} is already registered")
    return client


def list_clients(session: Session) -> list[Client]:
    return list(session.scalars(select(Client).order_by(Client.created_at, Client.client_id)))


def detach(session: Session, client: Client) -> None:
    """Take a fully loaded row out of the session, to be kept and read after the session ends."""
    session.expunge(client)
