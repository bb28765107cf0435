"""Terms of use (CGU, SPEC §1.1.3 and §1.1.5): which version is in force, its text, and who accepted it.

The text of version ``v`` is ``<IDP_CGU_DIR>/v.html`` (default ``config/cgu/v.html``) (operator content from ``config/``, trusted like a template);
``IDP_CGU_LABEL`` is how the version is named on the page. A new ``IDP_CGU_VERSION`` asks every account again at
its next login. An acceptance is kept with the version, the time and the address it came from.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

from idp.audit import AuditContext, record
from idp.db import Session
from idp.errors import NotConfigured
from idp.models import TermsAcceptance
from idp.settings import PROJECT_ROOT, Settings
from idp.storage import login_factors as storage


def pending(session: Session, settings: Settings, account_id: uuid.UUID) -> bool:
    """Whether the account must accept the terms in force before going on (never when no terms are configured)."""
    return bool(settings.cgu_version) and not storage.terms_accepted(session, account_id, settings.cgu_version)


def text(settings: Settings) -> str:
    path = (Path(settings.cgu_dir) if settings.cgu_dir else PROJECT_ROOT / "config" / "cgu") / f"{settings.cgu_version}.html"
    try:
        return path.read_text(encoding="utf-8")
    except OSError as missing:
        raise NotConfigured(f"the terms of use {settings.cgu_version} have no text ({path})") from missing


def accept(session: Session, settings: Settings, account_id: uuid.UUID, *, context: AuditContext, now: datetime,
           client_id: str | None = None) -> None:
    if not pending(session, settings, account_id):
        return  # accepted meanwhile (another tab): one row per account and version
    storage.add(session, TermsAcceptance(account_id=account_id, version=settings.cgu_version, accepted_at=now,
                                         ip_address=context.ip_address))
    record(session, "terms.accepted", context=context, account_id=account_id, client_id=client_id,
           details={"version": settings.cgu_version})
