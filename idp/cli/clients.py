"""PLACEHOLDER: `idp clients` (to be written)."""
