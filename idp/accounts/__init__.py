"""Account lifecycle: establishments, creation and activation, référents, terms of use, delegations."""
