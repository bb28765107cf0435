"""Reading the one-time login code a person received, from the test's real SMTP server."""

from __future__ import annotations

import re

from tests.support.smtp import SmtpServer


def last_code(smtp: SmtpServer) -> str:
    assert smtp.received, "no e-mail received"
    mail = smtp.received[-1].message
    assert mail["Subject"] == "Votre code de confirmation ViaTrajectoire"
    text = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    found = re.search(r"\b(\d{6})\b", text)
    assert found, text
    return found.group(1)


def code_reader(smtp: SmtpServer):  # type: ignore[no-untyped-def]
    return lambda: last_code(smtp)
