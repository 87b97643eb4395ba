"""Keyed HMAC-SHA256 tokens: the same value gives the same token in every table, irreversible without the key."""

from __future__ import annotations

import hashlib
import hmac
import re

from governance.policy import Normalisation

TOKEN_PREFIX = "tok_"
_NON_DIGITS = re.compile(r"\D")
_SPELLED_AT = re.compile(r"\s*(?:[\(\[]\s*at\s*[\)\]]|\bat\b)\s*", re.IGNORECASE)
_SPELLED_DOT = re.compile(r"\s*(?:[\(\[]\s*dot\s*[\)\]]|\bdot\b|\.)\s*", re.IGNORECASE)


def unspell_email(text: str) -> str:
    """``jane dot doe at example dot org`` -> ``jane.doe@example.org``; an address with an ``@`` is left as it is."""
    if "@" in text:
        return text
    return _SPELLED_DOT.sub(".", _SPELLED_AT.sub("@", text.strip()))


def normalise_value(value: str, normalisation: Normalisation) -> str:
    """Make equal values compare equal: emails by case, phones by their digits, codes by case."""
    value = value.strip()
    if normalisation is Normalisation.EMAIL:
        return unspell_email(value).lower()
    if normalisation is Normalisation.PHONE:
        digits = _NON_DIGITS.sub("", value.split("x")[0])
        return digits.removeprefix("00")
    if normalisation is Normalisation.UPPER:
        return value.upper().replace(" ", "")
    return value


class Tokeniser:
    """Turns personal values into ``tok_<32 hex>`` with one secret key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def tokenise(self, value: str | None, normalisation: Normalisation = Normalisation.NONE) -> str | None:
        if value is None or not str(value).strip():
            return None
        message = normalise_value(str(value), normalisation).encode("utf-8")
        return TOKEN_PREFIX + hmac.new(self._key, message, hashlib.sha256).hexdigest()[:32]
