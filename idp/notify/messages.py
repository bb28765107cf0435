"""The e-mails idp sends, rendered from the Jinja2 templates in ``idp/notify/templates/``.

Each e-mail has a plain-text and an HTML template of the same name. HTML templates are autoescaped (a family name
or an establishment name is data, never markup); the text templates are not, since escaping would put ``&amp;``
in a plain-text body. Templates are the one place where the French wording lives, so that it can be reviewed
without reading Python.

The Jinja2 environment is built on first use, not at import time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2

from idp.notify.email import EmailMessage

ACTIVATION_SUBJECT = "Activation de votre compte ViaTrajectoire"


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("idp.notify", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False, default=False),
        undefined=jinja2.StrictUndefined,  # a missing variable is a bug, not an empty string in someone's inbox
        keep_trailing_newline=True,
    )


def render_email(template: str, *, to: str, subject: str, **context: object) -> EmailMessage:
    env = _environment()
    text = env.get_template(f"{template}.txt").render(subject=subject, **context)
    html = env.get_template(f"{template}.html").render(subject=subject, **context)
    return EmailMessage(to=to, subject=subject, text=text, html=html)


def french_duration(duration: timedelta) -> str:
    """``72 heures``, ``1 heure``, ``30 minutes``: how long a link stays valid, in words."""
    minutes = int(duration.total_seconds() // 60)
    if minutes % 60:
        return f"{minutes} minute" + ("s" if minutes > 1 else "")
    hours = minutes // 60
    return f"{hours} heure" + ("s" if hours > 1 else "")


def activation_email(
    *,
    to: str,
    given_name: str,
    family_name: str,
    login: str,
    link: str,
    validity: timedelta,
    establishment_name: str | None = None,
) -> EmailMessage:
    """SPEC §1.1.1: the username and a single-use link that verifies the address and leads to the password page."""
    return render_email(
        "activation",
        to=to,
        subject=ACTIVATION_SUBJECT,
        given_name=given_name,
        family_name=family_name,
        login=login,
        link=link,
        validity=french_duration(validity),
        establishment_name=establishment_name,
    )


PASSWORD_CHANGED_SUBJECT = "Votre mot de passe a été modifié"
PASSWORD_RESET_SUBJECT = "Réinitialisation de votre mot de passe ViaTrajectoire"
_PARIS = "Europe/Paris"


def french_moment(moment: datetime) -> str:
    """``12/03/2026 à 10:42 (heure de Paris)``: French people read times in their own zone."""
    try:
        local, zone = moment.astimezone(ZoneInfo(_PARIS)), "heure de Paris"
    except ZoneInfoNotFoundError:  # a machine without tz data: say UTC rather than give a wrong local time
        local, zone = moment.astimezone(UTC), "UTC"
    return f"{local:%d/%m/%Y} à {local:%H:%M} ({zone})"


def password_changed_email(
    *, to: str, given_name: str, family_name: str, login: str, changed_at: datetime, forgot_link: str
) -> EmailMessage:
    """SPEC §1.1.2: "votre mot de passe a été modifié", with what to do if the person did not do it."""
    return render_email(
        "password_changed",
        to=to,
        subject=PASSWORD_CHANGED_SUBJECT,
        given_name=given_name,
        family_name=family_name,
        login=login,
        changed_at=french_moment(changed_at),
        forgot_link=forgot_link,
    )


def password_reset_email(
    *, to: str, given_name: str, family_name: str, login: str, link: str, validity: timedelta
) -> EmailMessage:
    """SPEC §1.4: a single-use link to choose a new password, naming the account it is for."""
    return render_email(
        "password_reset",
        to=to,
        subject=PASSWORD_RESET_SUBJECT,
        given_name=given_name,
        family_name=family_name,
        login=login,
        link=link,
        validity=french_duration(validity),
    )
