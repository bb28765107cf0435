"""The OpenID Connect / OAuth 2 protocol layer on authlib: discovery, grants, endpoints, claims, ID tokens.
No templates, no cookies: pages live in ``idp.web``; people's logins reach the protocol through ``idp.interaction``."""
