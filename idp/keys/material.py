"""Key material: generate, seal at rest, unseal, publish. Pure cryptography, no database.

- The kid is the RFC 7638 JWK thumbprint (SHA-256 of the required public members). It names the key by its content,
  so two instances can never publish two different keys under one kid, and anyone can recompute it.
- The private key is kept as PKCS#8 PEM sealed by ``SecretBox`` with the associated data ``signing-key:<kid>``: a
  ciphertext copied into another row (another kid) does not open, and a database dump alone reveals no key.
- The published JWK carries only the public members (RFC 7517 §4, RFC 7518 §6.2.1/§6.3.1) plus ``kid``, ``alg`` and
  ``use: "sig"`` (RFC 7517 §4.2-4.5), so that relying parties pick the right key without guessing.
"""

from __future__ import annotations

from typing import Any

from joserfc.jwk import ECKey, RSAKey

from idp.crypto import SecretBox

#: The algorithms the OP always signs with (SPEC §2): RS256 is the OIDC default, ES256 the compact choice.
ALGORITHMS = ("RS256", "ES256")

SigningJwk = RSAKey | ECKey

_EC_CURVE = "P-256"  # RFC 7518 §3.4: ES256 is ECDSA on P-256 with SHA-256


class KeyMismatch(Exception):
    """A stored private key is not the key its kid names (a row edited or copied by hand)."""


def _key_class(alg: str) -> type[RSAKey] | type[ECKey]:
    if alg == "RS256":
        return RSAKey
    if alg == "ES256":
        return ECKey
    raise ValueError(f"unsupported signing algorithm: {alg}")


def generate(alg: str, *, rsa_key_size: int) -> SigningJwk:
    """A fresh private key for ``alg``."""
    if _key_class(alg) is RSAKey:
        return RSAKey.generate_key(rsa_key_size)
    return ECKey.generate_key(_EC_CURVE)


def kid_of(key: SigningJwk) -> str:
    """RFC 7638 thumbprint, base64url SHA-256."""
    return key.thumbprint()


def associated_data(kid: str) -> bytes:
    return b"signing-key:" + kid.encode()


def seal(box: SecretBox, kid: str, key: SigningJwk) -> bytes:
    return box.encrypt(key.as_pem(private=True), associated_data(kid))


def unseal(box: SecretBox, kid: str, alg: str, blob: bytes) -> SigningJwk:
    """Decrypt and parse a stored private key; check that it still is the key its kid names.

    Raises ``idp.crypto.DecryptionError`` when ``IDP_SECRET_KEY`` is not the one that sealed it.
    """
    key = _key_class(alg).import_key(box.decrypt(blob, associated_data(kid)))
    if kid_of(key) != kid:
        raise KeyMismatch(f"signing key {kid} does not match its thumbprint")
    return key


def public_jwk(key: SigningJwk, kid: str, alg: str) -> dict[str, Any]:
    """The JWK as the JWKS publishes it: public members only."""
    return key.as_dict(private=False, kid=kid, alg=alg, use="sig")
