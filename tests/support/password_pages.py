"""What the password tests share: reading links out of received e-mails, and filling the password pages like a browser."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx

from tests.support.rp import forms_of
from tests.support.smtp import ReceivedMail

NEW_PASSWORD = "Vq7#mLz!pR2w-neuf"


def text_of(mail: ReceivedMail) -> str:
    return mail.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def html_of(mail: ReceivedMail) -> str:
    return mail.message.get_body(("html",)).get_content()  # type: ignore[union-attr]


def link_in(mail: ReceivedMail, path: str) -> str:
    """The one link to ``path`` in the text body, relative to the issuer (as a browser on the OP would open it)."""
    [link] = set(re.findall(r"https://idp\.test(" + re.escape(path) + r"\?token=[A-Za-z0-9_-]+)", text_of(mail)))
    assert link in html_of(mail)
    return link


def form_of(page: httpx.Response, action: str) -> dict[str, str]:
    [form] = [f for f in forms_of(page.text) if f["action"] == action]
    assert form["method"] == "post"
    return dict(form["fields"])


def submit_password(http: httpx.Client, page: httpx.Response, action: str, password: str,
                    repeated: str | None = None, **changes: Any) -> httpx.Response:
    """Fill "Nouveau mot de passe" and "Répéter le mot de passe" on ``page`` and press "Valider"."""
    assert page.status_code == 200, page.text
    fields = {**form_of(page, action), "password": password,
              "password_repeat": password if repeated is None else repeated, **changes}
    return http.post(action, data=fields, follow_redirects=False)


def alert_of(page: httpx.Response) -> str:
    """The text of the element announced with role=alert (tags dropped, whitespace folded)."""
    match = re.search(r'<(\w+)[^>]*role="alert"[^>]*>(.*?)</\1>', page.text, re.S)
    assert match, page.text
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(2))).split())
