"""PLACEHOLDER: JSON logging (to be written)."""

import logging

from idp.settings import Settings


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level)
