"""PLACEHOLDER: `idp users` (to be written)."""
