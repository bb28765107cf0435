"""The one-time login code, as an e-mail and as an SMS (SPEC §1.3)."""

from __future__ import annotations

from datetime import timedelta

from idp.notify.email import EmailMessage
from idp.notify.messages import french_duration, render_email

LOGIN_CODE_SUBJECT = "Votre code de confirmation ViaTrajectoire"


def login_code_email(*, to: str, given_name: str, family_name: str, code: str, validity: timedelta) -> EmailMessage:
    return render_email("login_code", to=to, subject=LOGIN_CODE_SUBJECT, given_name=given_name,
                        family_name=family_name, code=code, validity=french_duration(validity))


def login_code_sms(code: str, validity: timedelta) -> str:
    # No link, no name: an SMS can be read on a locked screen.
    return f"ViaTrajectoire : votre code de confirmation est {code}. Il est valable {french_duration(validity)}."
