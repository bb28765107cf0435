"""PLACEHOLDER: `idp establishments` (to be written)."""
