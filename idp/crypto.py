"""Secrets at rest, derived from ``IDP_SECRET_KEY``.

- ``SecretBox`` encrypts what idp must read back (private signing keys, TOTP secrets, an upstream PKCE verifier)
  with AES-256-GCM. The associated data binds a ciphertext to its purpose and row (for example ``b"signing-key:" +
  kid``), so a ciphertext copied into another row does not decrypt.
- ``keyed_hash`` stores what idp only has to recognise (client secrets, codes, tokens, action links): an
  HMAC-SHA-256 under a purpose-specific key. These values are high-entropy random strings, so a slow password hash
  would buy nothing and cost the token endpoint its speed.
- ``new_token`` makes such values, with a recognisable prefix (``idp_rt_``...) so that secret scanners spot leaks.

Each purpose gets its own subkey through HKDF-SHA-256, so one leaked subkey reveals nothing of the others.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_NONCE_BYTES = 12
_VERSION = b"\x01"


class DecryptionError(Exception):
    """A ciphertext did not come from this secret key, or was bound to another purpose."""


@lru_cache(maxsize=64)
def _subkey(secret: str, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"idp/v1", info=purpose.encode()).derive(secret.encode())


class SecretBox:
    def __init__(self, secret_key: str) -> None:
        self._aead = AESGCM(_subkey(secret_key, "secret-box"))

    def encrypt(self, plaintext: bytes, associated_data: bytes) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return _VERSION + nonce + self._aead.encrypt(nonce, plaintext, associated_data)

    def decrypt(self, blob: bytes, associated_data: bytes) -> bytes:
        if not blob.startswith(_VERSION):
            raise DecryptionError("unknown ciphertext version")
        nonce, body = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, body, associated_data)
        except Exception as exc:  # cryptography raises InvalidTag; never leak which part failed
            raise DecryptionError("ciphertext does not decrypt with this key") from exc


def keyed_hash(secret_key: str, purpose: str, value: str) -> str:
    """Hex HMAC-SHA-256 of ``value`` under the subkey for ``purpose``."""
    return hmac.new(_subkey(secret_key, "hash:" + purpose), value.encode(), hashlib.sha256).hexdigest()


def new_token(prefix: str = "", nbytes: int = 32) -> str:
    """A URL-safe random string of ``nbytes`` of entropy, after ``prefix``."""
    return prefix + base64.urlsafe_b64encode(secrets.token_bytes(nbytes)).rstrip(b"=").decode()


def constant_time_equals(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
