"""PLACEHOLDER: `idp serve` (to be written)."""
