"""PLACEHOLDER: `idp referents` (to be written)."""
