"""Rendering people's pages: one Jinja2 environment (autoescaped), French, with the CSRF token at hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from idp.settings import Settings
from idp.web import csrf
from idp.web.security_headers import csp_allowing_forms_to

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

#: Titles and messages of the error page, by reason (SPEC §4: say what happened and what to do).
ERRORS: dict[str, tuple[str, str]] = {
    "unknown_client": (
        "Demande de connexion invalide",
        "Le site qui vous a envoyé ici n'est pas connu de ViaTrajectoire. Revenez sur ce site et réessayez ; "
        "si le problème persiste, contactez son assistance.",
    ),
    "invalid_redirect_uri": (
        "Demande de connexion invalide",
        "L'adresse de retour demandée par le site qui vous a envoyé ici n'est pas enregistrée. Par sécurité, "
        "vous n'y avez pas été redirigé. Revenez sur ce site et réessayez ; si le problème persiste, contactez son "
        "assistance.",
    ),
    "interaction_unavailable": (
        "Demande de connexion expirée",
        "Cette demande de connexion a expiré, a déjà été utilisée ou a été ouverte dans un autre navigateur. "
        "Revenez sur le site d'origine et relancez la connexion.",
    ),
    "csrf": (
        "Formulaire expiré",
        "Ce formulaire a expiré ou n'a pas été envoyé depuis cette page. Rechargez la page et réessayez.",
    ),
    "not_found": ("Page introuvable", "Cette page n'existe pas. Vérifiez l'adresse ou revenez à la page précédente."),
}


def render(
    request: Request,
    settings: Settings,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    form_leads_to: str | None = None,
) -> HTMLResponse:
    """Render a page; ``form_leads_to`` is the client URI its form ends at after redirects (see
    ``security_headers.csp_allowing_forms_to``)."""
    token = csrf.csrf_token(request, settings)
    response = TEMPLATES.TemplateResponse(
        request, template, {"csrf_field": csrf.FIELD_NAME, "csrf_token": token, "settings": settings, **context},
        status_code=status,
    )
    csrf.ensure_cookie(request, response, settings)
    response.headers["Cache-Control"] = "no-store"
    if form_leads_to:
        response.headers["Content-Security-Policy"] = csp_allowing_forms_to(form_leads_to)
    return response


def csrf_refusal(request: Request, settings: Settings, submitted: str | None) -> HTMLResponse | None:
    """The 403 page when the form's CSRF token does not match the browser's (``idp.web.csrf``), else None: every
    form handler starts with ``if (refused := csrf_refusal(...)) is not None: return refused``."""
    try:
        csrf.verify(request, settings, submitted)
    except csrf.CsrfRejected:
        return error_page(request, settings, "csrf", status=403)
    return None


def error_page(request: Request, settings: Settings, reason: str, *, status: int = 400) -> HTMLResponse:
    title, message = ERRORS[reason]
    return render(request, settings, "error.html", {"title": title, "message": message, "reason": reason}, status=status)
