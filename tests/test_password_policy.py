"""The password policy (SPEC §1.2): each rule of both policies, the names, the common list, the current password, and
the text the page shows (UI-TEXTS "Password definition", word for word)."""

from __future__ import annotations

import pytest

from idp.authn.password_login import MAX_PASSWORD_LENGTH, hasher_for
from idp.authn.password_policy import CURRENT, LEGACY, PasswordPolicy, common_passwords, policy_for
from idp.settings import Settings
from tests.conftest import make_settings

GOOD = "Vq7#mLz!pR2w"  # 12 characters, every class, nothing common


def codes(policy: PasswordPolicy, password: str, **identity: object) -> list[str]:
    return [refusal.code for refusal in policy.check(password, **identity)]  # type: ignore[arg-type]


def test_the_texts_are_the_manuals_word_for_word() -> None:
    assert CURRENT.description == (
        "(12 caractères minimum, comportant au moins 1 minuscule, 1 majuscule, 1 chiffre et 1 caractère spécial)"
    )
    assert LEGACY.description == "(8 caractères minimum, comportant au moins 1 minuscule, 1 majuscule et 1 chiffre)"


def test_the_setting_chooses_the_policy(settings: Settings, database_url: str) -> None:
    assert policy_for(settings).description == CURRENT.description
    legacy = policy_for(make_settings(database_url, password_policy="legacy"))
    assert (legacy.name, legacy.min_length, legacy.require_special) == ("legacy", 8, False)


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        (GOOD, []),
        ("Vq7#mLz!pR2", ["too_short"]),  # 11
        ("VQ7#MLZ!PR2W", ["lowercase"]),
        ("vq7#mlz!pr2w", ["uppercase"]),
        ("Vqx#mLz!pRyw", ["digit"]),
        ("Vq7xmLzupR2w", ["special"]),
        ("Vq7 mLzupR2w", []),  # a space is a special character
        ("Éq7#mlz!pr2w", []),  # so are accented capitals
        ("ab", ["too_short", "uppercase", "digit", "special"]),
    ],
)
def test_current_policy_rules(password: str, expected: list[str]) -> None:
    assert codes(CURRENT, password) == expected


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("Vq7mLzpR", []),  # 8, no special character needed
        ("Vq7mLzp", ["too_short"]),
        ("vq7mlzpr", ["uppercase"]),
        ("VQ7MLZPR", ["lowercase"]),
        ("VqxmLzpR", ["digit"]),
    ],
)
def test_legacy_policy_rules(password: str, expected: list[str]) -> None:
    assert codes(LEGACY, password) == expected


def test_each_refusal_has_a_french_message() -> None:
    messages = {r.code: r.message for r in CURRENT.check("ab")}
    assert messages == {
        "too_short": "Le mot de passe doit comporter au moins 12 caractères.",
        "uppercase": "Le mot de passe doit comporter au moins 1 majuscule.",
        "digit": "Le mot de passe doit comporter au moins 1 chiffre.",
        "special": "Le mot de passe doit comporter au moins 1 caractère spécial (par exemple ! ? @ # - ou une espace).",
    }
    assert LEGACY.check("Vq7mLzp")[0].message == "Le mot de passe doit comporter au moins 8 caractères."


def test_at_most_1024_characters_like_the_login() -> None:
    assert MAX_PASSWORD_LENGTH == 1024
    assert codes(CURRENT, (GOOD * 100)[:1024]) == []
    [refusal] = CURRENT.check((GOOD * 100)[:1025])
    assert (refusal.code, refusal.message) == ("too_long", "Le mot de passe ne doit pas dépasser 1024 caractères.")


@pytest.mark.parametrize(
    "password",
    ["Xx7!John_Wick", "Xx7!JOHN_WICKq", "Johnny-7!Qzpw", "Q7!zp-wick-Aaa"],
)
def test_the_username_or_its_parts_are_refused_in_any_case(password: str) -> None:
    assert "username" in codes(CURRENT, password, username="john_wick")


@pytest.mark.parametrize(
    ("password", "names"),
    [
        ("Qz7!duprePlop", ("Jeanne", "Dupré")),  # accents do not matter
        ("Qz7!DUPRÉplop", ("Jeanne", "Dupre")),
        ("Qz7!pierrePlop", ("Jean-Pierre", "Martin")),  # each part of a compound name
        ("Qz7!fontainePl", ("Anne", "de La Fontaine")),
    ],
)
def test_names_of_three_letters_or_more_are_refused(password: str, names: tuple[str, str]) -> None:
    assert codes(CURRENT, password, names=names) == ["name"]


def test_short_names_are_not_names_to_refuse() -> None:
    assert codes(CURRENT, "Vq7#mLz!pR2wLi", names=("Li", "Ba")) == []  # would refuse half the dictionary


@pytest.mark.parametrize("password", ["Password123!", "Marseille2024!", "!!Azertyuiop12", "Motdepasse1234?",
                                      "Viatrajectoire1!", "P@ssw0rd"])
def test_common_passwords_and_their_decorated_forms_are_refused(password: str) -> None:
    policy = LEGACY if len(password) < 12 else CURRENT
    assert "common" in codes(policy, password)


def test_the_shipped_list_is_lowercased_and_large() -> None:
    words = common_passwords()
    assert len(words) > 9_000 and "123456" in words and "azerty" in words and "viatrajectoire" in words
    assert all(word == word.lower() for word in words)


def test_the_current_password_is_refused_after_every_other_rule(settings: Settings) -> None:
    policy = policy_for(settings)
    current_hash = hasher_for(settings).hash(GOOD)
    assert codes(policy, GOOD, current_hash=current_hash) == ["current"]
    assert codes(policy, GOOD + "x", current_hash=current_hash) == []
    [refusal] = policy.check(GOOD, current_hash=current_hash)
    assert refusal.message == "Le nouveau mot de passe doit être différent de votre mot de passe actuel."
    assert codes(CURRENT, GOOD, current_hash=current_hash) == []  # without a verifier the rule cannot run


def test_every_rule_that_fails_is_reported_together() -> None:
    assert codes(CURRENT, "wick2024", username="john_wick", names=("John", "Wick")) == [
        "too_short", "uppercase", "special", "username", "name",
    ]
