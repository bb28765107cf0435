"""The account page's words (French; UI-TEXTS "Account" gives the labels, the rest says what happened and what next)."""

from __future__ import annotations

TEXTS = {
    "phone_invalid": "Ce numéro de téléphone n'est pas valide. Indiquez un numéro de mobile, par exemple "
                     "06 12 34 56 78 ou +33 6 12 34 56 78.",
    "send_throttled": "Un code vient déjà de vous être envoyé. Patientez quelques minutes avant d'en demander un "
                      "nouveau.",
    "send_failed": "Le SMS n'a pas pu être envoyé. Vérifiez le numéro, puis cliquez à nouveau sur « Vérifier » dans "
                   "quelques instants ; si le problème persiste, contactez le référent ViaTrajectoire de votre "
                   "établissement.",
    "too_many": "Trop de tentatives. Réessayez dans quelques minutes.",
    "channel_refused": "Ce moyen de réception n'est pas disponible pour votre compte : vérifiez d'abord votre numéro "
                       "de téléphone, ou configurez l'application d'authentification.",
    "totp_wrong": "Code incorrect. Saisissez le code à 6 chiffres affiché par l'application ; si le problème "
                  "persiste, vérifiez que l'heure de votre téléphone est exacte.",
    "done_sent": "Un code de confirmation vous a été envoyé par SMS. Il est valable 10 minutes.",
    "done_phone": "Votre numéro de téléphone est vérifié.",
    "done_channel": "Votre choix est enregistré.",
    "done_totp": "L'application d'authentification est activée. Vous pouvez maintenant la choisir pour recevoir "
                 "vos codes.",
}

#: Why a typed SMS code was refused (``phone_verification.CodeRejected.reason``).
CODE_PROBLEMS = {
    "wrong": "Code incorrect. Il vous reste {tries} essai(s).",
    "exhausted": "Trop d'essais avec ce code. Demandez un nouveau code avec le bouton « Vérifier ».",
    "expired": "Ce code a expiré. Demandez un nouveau code avec le bouton « Vérifier ».",
    "none": "Aucun code n'est en attente. Demandez un code avec le bouton « Vérifier ».",
}
