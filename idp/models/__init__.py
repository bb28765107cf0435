"""ORM tables only: no queries (those live in ``idp.storage``), no rules (those live in the services).

Importing this package registers every table on ``Base.metadata``, which alembic compares with the migrations.
"""

from idp.models.accounts import Account, Membership
from idp.models.audit import AuditEvent
from idp.models.clients import Client
from idp.models.delegations import Delegation, DelegationRight
from idp.models.establishments import Establishment
from idp.models.federation import CardBinding, FederatedIdentity, UpstreamLogin
from idp.models.grants import AuthorizationCode, ClientAssertion, Token
from idp.models.interactions import Interaction
from idp.models.keys import SigningKey
from idp.models.onetime import ActionToken, OtpCode
from idp.models.sessions import BrowserSession, SessionClient, TrustedBrowser
from idp.models.terms import TermsAcceptance

__all__ = [
    "Account",
    "ActionToken",
    "AuditEvent",
    "AuthorizationCode",
    "BrowserSession",
    "CardBinding",
    "Client",
    "ClientAssertion",
    "Delegation",
    "DelegationRight",
    "Establishment",
    "FederatedIdentity",
    "Interaction",
    "Membership",
    "OtpCode",
    "SessionClient",
    "SigningKey",
    "TermsAcceptance",
    "Token",
    "TrustedBrowser",
    "UpstreamLogin",
]
