"""What a good password is (SPEC §1.2): one object both checks a password and states the rule in words.

Two policies, chosen by ``settings.password_policy``:

- ``current`` (the seed's text): 12 characters or more, with at least one lowercase letter, one uppercase letter,
  one digit and one special character;
- ``legacy``: 8 characters or more, with at least one lowercase letter, one uppercase letter and one digit.

Both also refuse, whatever the composition (SPEC §1.2 "Also refuse"):

- the username, or a given or family name of 3 letters or more, inside the password — compared without case or
  accents, each part of a compound name on its own (``Jean-Pierre`` gives ``jean`` and ``pierre``);
- a common password (``data/common-passwords.txt``): the password itself, or its core once the digits and
  symbols around it are stripped (``Marseille2024!`` is ``marseille`` with decorations);
- the current password (one Argon2 verification, made only when every other rule passed).

``description`` is the text the password page shows (UI-TEXTS "Password definition", word for word), built from
the same numbers the checks use so that the page never states one rule while another is enforced. Each refusal
carries a stable ``code`` and a French ``message`` for the page.

"Lowercase", "uppercase" and "digit" are Unicode categories (``é`` is a lowercase letter); a special character is
anything else that is printable, the space included. At most 1024 characters: the login accepts no more.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from idp.authn.password_login import MAX_PASSWORD_LENGTH, hasher_for
from idp.settings import PasswordPolicyName, Settings

MIN_NAME_LENGTH = 3  # shorter names ("Li", "Ba") would refuse half the dictionary
MIN_COMMON_CORE = 4
_DECORATION = re.compile(r"^[\W\d_]+|[\W\d_]+$")  # digits and symbols around a word: "2024!" in "Marseille2024!"


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str


_MESSAGES = {
    "too_long": f"Le mot de passe ne doit pas dépasser {MAX_PASSWORD_LENGTH} caractères.",
    "lowercase": "Le mot de passe doit comporter au moins 1 minuscule.",
    "uppercase": "Le mot de passe doit comporter au moins 1 majuscule.",
    "digit": "Le mot de passe doit comporter au moins 1 chiffre.",
    "special": "Le mot de passe doit comporter au moins 1 caractère spécial (par exemple ! ? @ # - ou une espace).",
    "username": "Le mot de passe ne doit pas contenir votre nom d'utilisateur.",
    "name": "Le mot de passe ne doit pas contenir votre nom ni votre prénom.",
    "common": "Ce mot de passe est trop courant et facile à deviner : choisissez-en un autre.",
    "current": "Le nouveau mot de passe doit être différent de votre mot de passe actuel.",
}


@dataclass(frozen=True)
class PasswordPolicy:
    name: str
    min_length: int
    require_special: bool
    #: ``verify(stored_hash, password)``; the current-password rule is skipped without it.
    verify: Callable[[str, str], bool] | None = None

    @property
    def description(self) -> str:
        """``(12 caractères minimum, comportant au moins 1 minuscule, 1 majuscule, 1 chiffre et 1 caractère spécial)``"""
        parts = ["1 minuscule", "1 majuscule", "1 chiffre"] + (["1 caractère spécial"] if self.require_special else [])
        return f"({self.min_length} caractères minimum, comportant au moins {', '.join(parts[:-1])} et {parts[-1]})"

    def check(
        self,
        password: str,
        *,
        username: str | None = None,
        names: Iterable[str | None] = (),
        current_hash: str | None = None,
    ) -> list[Refusal]:
        """Every rule the password breaks, in the order the page lists them; empty when it is acceptable."""
        if len(password) > MAX_PASSWORD_LENGTH:
            return [self._refusal("too_long")]
        codes = self._composition(password)
        folded = _fold(password)
        if username and (_fold(username) in folded or any(part in folded for part in _parts(username))):
            codes.append("username")
        if any(part in folded for name in names if name for part in _parts(name)):
            codes.append("name")
        if _is_common(password):
            codes.append("common")
        if not codes and current_hash and self.verify is not None and self.verify(current_hash, password):
            codes.append("current")
        return [self._refusal(code) for code in codes]

    def _composition(self, password: str) -> list[str]:
        codes = []
        if len(password) < self.min_length:
            codes.append("too_short")
        if not any(c.islower() for c in password):
            codes.append("lowercase")
        if not any(c.isupper() for c in password):
            codes.append("uppercase")
        if not any(c.isdigit() for c in password):
            codes.append("digit")
        if self.require_special and not any(_is_special(c) for c in password):
            codes.append("special")
        return codes

    def _refusal(self, code: str) -> Refusal:
        if code == "too_short":
            return Refusal(code, f"Le mot de passe doit comporter au moins {self.min_length} caractères.")
        return Refusal(code, _MESSAGES[code])


CURRENT = PasswordPolicy("current", min_length=12, require_special=True)
LEGACY = PasswordPolicy("legacy", min_length=8, require_special=False)


def policy_for(settings: Settings) -> PasswordPolicy:
    """The configured policy, able to recognise the current password with the configured Argon2 parameters."""
    base = LEGACY if settings.password_policy is PasswordPolicyName.legacy else CURRENT
    return PasswordPolicy(base.name, base.min_length, base.require_special, verify=hasher_for(settings).verify)


def _is_special(char: str) -> bool:
    return not char.isalnum() and char.isprintable()  # punctuation, symbols, the space; not a control character


def _fold(text: str) -> str:
    """Lowercase without accents: ``Dupré`` and ``DUPRE`` compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _parts(name: str) -> list[str]:
    """The alphabetic runs of a name or username that are long enough to matter (``j.de-la-fontaine`` -> fontaine)."""
    runs, current = [], []
    for char in _fold(name) + " ":
        if char.isalpha():
            current.append(char)
        else:
            runs.append("".join(current))
            current = []
    return [run for run in runs if len(run) >= MIN_NAME_LENGTH]


def _is_common(password: str) -> bool:
    common = common_passwords()
    folded = _fold(password)
    core = _DECORATION.sub("", folded)
    return password.lower() in common or folded in common or (len(core) >= MIN_COMMON_CORE and core in common)


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list, read once, on first use (not at import time)."""
    text = resources.files("idp.authn").joinpath("data/common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))
