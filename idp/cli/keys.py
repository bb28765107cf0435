"""PLACEHOLDER: `idp keys` (to be written)."""
