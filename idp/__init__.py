"""idp — the OpenID Connect identity provider of ViaTrajectoire."""

__version__ = "0.1.0"
