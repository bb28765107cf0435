"""PLACEHOLDER: `idp demo` (to be written)."""
