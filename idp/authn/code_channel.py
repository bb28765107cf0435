"""Which channel carries a person's one-time codes (SPEC §1.3): e-mail, SMS or an authenticator app.

E-mail is always possible; SMS only to a verified phone number; the app only once its secret is confirmed
(``idp.authn.totp``). The choice is the person's, at any time, from the account page.
"""

from __future__ import annotations

from idp.audit import AuditContext, record
from idp.authn import totp
from idp.db import Session
from idp.models import Account

CHANNELS = ("email", "sms", "totp")


class ChannelUnavailable(Exception):
    """The channel is unknown, or not ready for this account (no verified phone, no confirmed app)."""


def available_channels(account: Account) -> list[str]:
    channels = ["email"]
    if account.phone_number and account.phone_verified_at is not None:
        channels.append("sms")
    if totp.is_enrolled(account):
        channels.append("totp")
    return channels


def choose_channel(session: Session, account: Account, channel: str, *, context: AuditContext) -> bool:
    """Make ``channel`` the account's; False when it already was. ``ChannelUnavailable`` when it may not be."""
    if channel not in CHANNELS or channel not in available_channels(account):
        raise ChannelUnavailable(channel[:16])
    if account.otp_channel == channel:
        return False
    previous, account.otp_channel = account.otp_channel, channel
    record(session, "otp.channel.changed", context=context, account_id=account.id,
           details={"from": previous, "to": channel})
    return True
