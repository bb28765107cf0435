"""The French wording of the password pages that UI-TEXTS leaves to us (SPEC §4: what happened, what to do next).

Kept apart from the routes so that it can be reviewed as text. Each page is a title, paragraphs and at most one
link, rendered by ``password_message.html``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from idp.notify.messages import french_duration
from idp.settings import Settings

DIFFERENT = "Les deux mots de passe saisis sont différents : saisissez deux fois le même mot de passe."
EMPTY_IDENTIFIER = "Indiquez votre nom d'utilisateur ou votre adresse e-mail."
TOO_MANY_REQUESTS = ("Trop de demandes ont été faites en peu de temps. Patientez quelques minutes avant de faire une "
                     "nouvelle demande ; si un e-mail vous a déjà été envoyé, pensez à regarder dans vos courriers "
                     "indésirables.")

_ASK_REFERENT = "Pour activer votre compte, demandez un nouveau lien au référent de votre établissement."
_ASK_AGAIN = "Pour choisir un nouveau mot de passe, faites une nouvelle demande."

#: (purpose, problem code) -> (title, paragraphs)
_LINK_PROBLEMS: dict[tuple[str, str], tuple[str, list[str]]] = {
    ("activation", "link_expired"): ("Lien expiré", [
        "Ce lien d'activation a expiré : il n'est valable que pendant une durée limitée.", _ASK_REFERENT]),
    ("activation", "link_used"): ("Lien déjà utilisé", [
        "Ce lien d'activation a déjà servi : votre mot de passe a déjà été défini. Vous pouvez vous connecter à "
        "ViaTrajectoire avec votre nom d'utilisateur et ce mot de passe.",
        "Si vous l'avez oublié, utilisez « Mot de passe oublié ? » sur la page de connexion."]),
    ("activation", "link_invalid"): ("Lien non valable", [
        "Ce lien d'activation n'est pas valable : il est incomplet, ou il a été remplacé par un lien plus récent.",
        "Utilisez le lien du dernier e-mail reçu, en entier. " + _ASK_REFERENT]),
    ("reset", "link_expired"): ("Lien expiré", [
        "Ce lien de changement de mot de passe a expiré : il n'est valable que pendant une durée limitée.",
        _ASK_AGAIN]),
    ("reset", "link_used"): ("Lien déjà utilisé", [
        "Ce lien de changement de mot de passe a déjà servi : le mot de passe a été changé avec ce lien.",
        "Si vous ne connaissez pas votre mot de passe actuel, faites une nouvelle demande."]),
    ("reset", "link_invalid"): ("Lien non valable", [
        "Ce lien de changement de mot de passe n'est pas valable : il est incomplet, il a été remplacé par un lien "
        "plus récent, ou votre mot de passe a changé depuis son envoi.", _ASK_AGAIN]),
}


def link_problem_texts(settings: Settings, code: str, purpose: str) -> dict[str, Any]:
    title, paragraphs = _LINK_PROBLEMS[(purpose, code)]
    if purpose == "reset":
        link = {"href": "/password/forgot", "text": "Faire une nouvelle demande"}
    else:
        link = {"href": settings.portal_url, "text": "Retourner sur ViaTrajectoire"}
    return {"title": title, "paragraphs": paragraphs, "link": link, "problem": True}


def done_texts(settings: Settings, via: str) -> dict[str, Any]:
    paragraphs = ["Votre mot de passe a été enregistré."]
    if via == "activation":
        paragraphs.append("Votre compte ViaTrajectoire est activé.")
    if via == "reset":
        paragraphs.append("Par sécurité, les connexions ouvertes avec votre ancien mot de passe ont été fermées.")
    paragraphs.append("Vous pouvez maintenant vous connecter à ViaTrajectoire avec votre nom d'utilisateur et ce mot "
                      "de passe. Un e-mail de confirmation vous a été envoyé.")
    return {"title": "Mot de passe enregistré", "paragraphs": paragraphs,
            "link": {"href": settings.portal_url, "text": "Retourner sur ViaTrajectoire"}}


def forgot_sent_texts(settings: Settings) -> dict[str, Any]:
    validity = french_duration(timedelta(minutes=settings.links.password_reset_ttl_minutes))
    return {"title": "Mot de passe oublié", "link": None, "paragraphs": [
        "Si un compte correspond, un e-mail vient d'être envoyé à l'adresse enregistrée pour ce compte, avec un lien "
        f"pour choisir un nouveau mot de passe. Ce lien est valable {validity} et ne sert qu'une seule fois.",
        "Pensez à regarder dans vos courriers indésirables. Si vous ne recevez rien, vérifiez ce que vous avez "
        "saisi et faites une nouvelle demande, ou contactez le référent ViaTrajectoire de votre établissement.",
    ]}
