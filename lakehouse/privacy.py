"""The settings-facing side of governance: the tokenisation key and the masker for this deployment.

Presidio (and spaCy under it) is imported when a masker is built, not with this
module: it takes seconds, and every process that loads the Dagster code
location or runs a command imports this module for the key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from governance.keys import resolve_tokenisation_key
from governance.tokenise import Tokeniser
from lakehouse.settings import Settings

if TYPE_CHECKING:
    from governance.masking import TextMasker


def tokenisation_key(settings: Settings) -> bytes:
    """The key from settings or its file; the local profile generates one on first use (kept out of git)."""
    return resolve_tokenisation_key(
        settings.tokenisation_key.get_secret_value(),
        settings.tokenisation_key_file,
        generate_if_missing=settings.profile == "local",
    )


def deployment_masker(settings: Settings) -> TextMasker:
    from governance.masking import text_masker

    return text_masker(settings.presidio_model, Tokeniser(tokenisation_key(settings)))
