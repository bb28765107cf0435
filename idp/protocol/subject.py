"""Who the authorization is for: the account and how it authenticated.

The authorization endpoint hands this to authlib as ``grant_user``; authlib puts it on ``request.user``, where
``save_authorization_code`` reads the session, acr, amr and auth_time to store with the code (OIDC Core §2:
``acr``, ``amr`` and ``auth_time`` describe the authentication, not the code exchange).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from idp.models import Account
from idp.storage.token_records import AccountRef, AccountView


@dataclass(frozen=True)
class AuthenticatedSubject:
    account: Account | AccountView | AccountRef  # the session's entity at /authorize, the grant's id at /token
    session_id: uuid.UUID | None  # the browser session's row id
    sid: str | None  # its public id, put in ID tokens and logout tokens
    acr: str
    amr: tuple[str, ...]
    auth_time: datetime

    @property
    def sub(self) -> str:
        return subject_identifier(self.account)

    def get_user_id(self) -> str:  # authlib's user protocol
        return self.sub


def subject_identifier(account: Account | AccountView | AccountRef) -> str:
    """``sub``: stable for the account's whole life, never reassigned (OIDC Core §2), and revealing nothing."""
    return str(account.id)
