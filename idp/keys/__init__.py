"""Signing keys: creation, encryption at rest, rotation, the in-process key ring and the JWKS document."""
