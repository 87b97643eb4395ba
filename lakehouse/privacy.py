"""The settings-facing side of governance: the tokenisation key and the masker for this deployment."""

from __future__ import annotations

from governance.keys import resolve_tokenisation_key
from governance.masking import TextMasker, text_masker
from governance.tokenise import Tokeniser
from lakehouse.settings import Settings


def tokenisation_key(settings: Settings) -> bytes:
    """The key from settings or its file; the local profile generates one on first use (kept out of git)."""
    return resolve_tokenisation_key(
        settings.tokenisation_key.get_secret_value(),
        settings.tokenisation_key_file,
        generate_if_missing=settings.profile == "local",
    )


def deployment_masker(settings: Settings) -> TextMasker:
    return text_masker(settings.presidio_model, Tokeniser(tokenisation_key(settings)))
