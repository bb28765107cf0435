"""Authentication factors and their strength: the acr ladder and amr table, passwords, one-time codes, cards,
upstream providers."""
