"""The strength of an authentication: the acr ladder of SPEC §1.8, as data.

Every login gets one of these ``acr`` values; a request (``acr_values``, the ``claims`` parameter) or a client's
registered ``minimum_acr`` asks for one, and a session satisfies a request when its level is at least the level asked
for. Discovery's ``acr_values_supported`` and client registration read the ladder from here, so adding a rung is one
line. (The amr table, RFC 8176, belongs beside it when the factors are written.)
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

ACR_WEAK = "urn:viatrajectoire:acr:weak"
"""Password alone, or a third-party login without strong authentication."""
ACR_OTP = "urn:viatrajectoire:acr:otp"
"""Password and a one-time code (e-mail, SMS or TOTP), fresh or on a browser still trusted."""
ACR_CARD = "urn:viatrajectoire:acr:card"
"""CPx card, or e-CPS through Pro Santé Connect."""

#: acr value -> level (higher is stronger), weakest first.
ACR_LADDER: Mapping[str, int] = MappingProxyType({ACR_WEAK: 1, ACR_OTP: 2, ACR_CARD: 3})


def acr_level(acr: str) -> int:
    """The level of a known acr value; 0 for anything else (an unknown acr satisfies nothing)."""
    return ACR_LADDER.get(acr, 0)


def satisfies(achieved: str, required: str) -> bool:
    """Whether a session at ``achieved`` meets a request for ``required``."""
    return acr_level(required) > 0 and acr_level(achieved) >= acr_level(required)


# -- How each login method is described (RFC 8176 amr values) and which rung it reaches (SPEC §1.8).
#: method -> (amr values, acr reached)
METHODS: Mapping[str, tuple[tuple[str, ...], str]] = MappingProxyType(
    {
        "password": (("pwd",), ACR_WEAK),
        "password+email_otp": (("pwd", "otp", "mfa"), ACR_OTP),
        "password+sms_otp": (("pwd", "sms", "mfa"), ACR_OTP),
        "password+totp": (("pwd", "otp", "mfa"), ACR_OTP),
        # A browser still trusted after a code (SPEC §1.8 "fresh or on a browser still trusted"): RFC 8176 amr
        # describes the methods used in *this* authentication, and no code was typed in it, so no "otp"/"sms";
        # "mfa" because the level rests on two factors, the second proved when the browser was trusted.
        "password+trusted_browser": (("pwd", "mfa"), ACR_OTP),
        "card": (("sc", "hwk", "pin", "mfa"), ACR_CARD),
        "ecps": (("mca", "mfa"), ACR_CARD),
    }
)

#: The methods this release can run. A level no method reaches cannot be stepped up to: a request that demands it
#: as essential gets ``unmet_authentication_requirements`` (SPEC §1.8).
IMPLEMENTED_METHODS: tuple[str, ...] = (
    "password", "password+email_otp", "password+sms_otp", "password+totp", "password+trusted_browser",
)


def amr_of(method: str) -> list[str]:
    return list(METHODS[method][0])


def acr_of(method: str) -> str:
    return METHODS[method][1]


def reachable(required: str, methods: tuple[str, ...] = IMPLEMENTED_METHODS) -> bool:
    """Whether some available method reaches ``required``."""
    return any(acr_level(METHODS[m][1]) >= acr_level(required) > 0 for m in methods)
