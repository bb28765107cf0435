"""PKCE (RFC 7636), S256 only, mandatory for public clients.

authlib's ``CodeChallenge`` does the work; this subclass narrows it:

- ``plain`` is refused, and so is a ``code_challenge`` without ``code_challenge_method`` (RFC 7636 §4.3 would make
  it ``plain``): RFC 9700 §2.1.1 recommends S256, and discovery announces S256 only.
- A public client (``token_endpoint_auth_method`` ``none``) must send a challenge (RFC 9700 §2.1.1; RFC 8252 §8.1):
  it has no secret, so the verifier is what binds the code to it.

At the token endpoint authlib checks the verifier (RFC 7636 §4.6): required when the code has a challenge, refused
when it has none (RFC 9700 §4.8.2), ``invalid_grant`` when it does not match.
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7636.challenge import compare_s256_code_challenge

S256 = "S256"


class S256CodeChallenge(CodeChallenge):
    DEFAULT_CODE_CHALLENGE_METHOD = S256  # codes are only ever stored with S256
    SUPPORTED_CODE_CHALLENGE_METHOD = [S256]
    CODE_CHALLENGE_METHODS = {S256: compare_s256_code_challenge}

    def __init__(self) -> None:
        super().__init__(required=True)

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        challenge, method = data.get("code_challenge"), data.get("code_challenge_method")
        if not challenge and grant.request.client.is_public:
            raise InvalidRequestError("code_challenge is required for public clients (PKCE, RFC 7636)")
        if challenge and method != S256:
            raise InvalidRequestError("code_challenge_method must be S256 (plain is not supported)")
        super().validate_code_challenge(grant, redirect_uri)
