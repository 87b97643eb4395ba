"""Recognisers for the identifiers a UK or US retailer's free text holds besides names, emails, phones and cards.

Presidio's own recognisers, configured, where it has them: IBAN (mod-97
checked), UK National Insurance number (HMRC's prefix rules), US SSN (the
SSA's area, group and serial rules) and IP addresses (parsed). Ours only where
it has none: an email written out with "at" and "dot". Emails are checked
against tldextract's bundled suffix list, so detection never reaches the network.
"""

from __future__ import annotations

import tldextract
from presidio_analyzer import Pattern, PatternRecognizer
from presidio_analyzer.predefined_recognizers import (
    EmailRecognizer,
    IbanRecognizer,
    IpRecognizer,
    UkNinoRecognizer,
    UsSsnRecognizer,
)

from governance.tokenise import unspell_email

_OFFLINE_TLD = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def has_public_suffix(address: str) -> bool:
    """Whether an address ends in a real domain, judged by tldextract's bundled suffix list (never the network)."""
    return _OFFLINE_TLD(address).fqdn != ""


class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's email recogniser with the offline suffix check."""

    def validate_result(self, pattern_text: str) -> bool:
        return has_public_suffix(pattern_text)


NINO_SPECIMEN_PREFIX = "QQ"
"""HMRC's specimen prefix: never issued, but it is what people copy from forms, so it is masked too."""


class NationalInsuranceRecognizer(UkNinoRecognizer):
    """Presidio's NI number pattern (no D, F, I, Q, U, V; no BG, GB, KN, NK, NT, TN, ZZ) plus the specimen prefix."""

    def __init__(self) -> None:
        specimen = Pattern(
            "NINO specimen", rf"\b(?i:{NINO_SPECIMEN_PREFIX}) ?\d{{2}} ?\d{{2}} ?\d{{2}} ?[a-dA-D]\b", 0.5
        )
        super().__init__(patterns=[*UkNinoRecognizer.PATTERNS, specimen])


class SocialSecurityRecognizer(UsSsnRecognizer):
    """Presidio's SSN recogniser without its exemption of published sample numbers.

    Presidio lets 078-05-1120 and 123-45-6789 through as placeholders, but
    thousands of people wrote the first as their own; masking a placeholder
    costs nothing, leaking a number costs a person.
    """

    SAMPLE_NUMBERS = frozenset({"123456789", "987654320", "078051120"})

    def invalidate_result(self, pattern_text: str) -> bool:
        digits = "".join(character for character in pattern_text if character.isdigit())
        if digits in self.SAMPLE_NUMBERS:
            return len({character for character in pattern_text if character in ".- "}) > 1
        return bool(super().invalidate_result(pattern_text))


class SpelledOutEmailRecognizer(PatternRecognizer):
    """``jane dot doe at example dot org``: an email written out to dodge filters, checked by its domain."""

    WORD = r"[\w+-]+"
    AT = r"\s*(?:[\(\[]\s*at\s*[\)\]]|\bat\b)\s*"
    DOT = r"\s*(?:[\(\[]\s*dot\s*[\)\]]|\bdot\b|\.)\s*"
    SPELLED_DOT = r"\s*(?:[\(\[]\s*dot\s*[\)\]]|\bdot\b)\s*"
    PATTERN = rf"\b{WORD}(?:{DOT}{WORD})*{AT}{WORD}(?:{DOT}{WORD})*{SPELLED_DOT}\w+\b(?!{AT}\w|{DOT}\w)"
    """The last dot must be spelled out ("shop at tesco.com" is not an email); the match runs to the address's end."""

    def __init__(self) -> None:
        super().__init__(
            supported_entity="EMAIL_ADDRESS",
            name="SpelledOutEmailRecognizer",
            patterns=[Pattern("email written out", self.PATTERN, 0.6)],
            context=["email", "mail", "write", "reach", "contact"],
        )

    def validate_result(self, pattern_text: str) -> bool:
        return has_public_suffix(unspell_email(pattern_text))


def identifier_recognizers() -> list[PatternRecognizer]:
    return [
        OfflineEmailRecognizer(),
        IbanRecognizer(),
        NationalInsuranceRecognizer(),
        SocialSecurityRecognizer(),
        IpRecognizer(),
        SpelledOutEmailRecognizer(),
    ]
