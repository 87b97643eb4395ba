"""Find raw personal data in text: the planted values of the synthetic profiles, and what Presidio recognises.

The profiles hold known emails, phones, names, street addresses and loyalty
card numbers; any of them outside the restricted raw zone is a leak whatever
its surroundings. Presidio adds what no list can know: an email, phone, payment
or loyalty card in a shape it recognises. A finding never carries the value
itself, only its kind and a masked preview, so the scanner's own output is
not a leak.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

PLANTED_COLUMNS = {
    "email": "email",
    "phone": "phone",
    "street_address": "street address",
    "loyalty_card_number": "loyalty card number",
}
"""Profile columns whose every value is distinctive enough to be searched for anywhere."""
PRESIDIO_ENTITIES = (
    "EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "LOYALTY_CARD", "IBAN_CODE", "UK_NINO", "US_SSN", "IP_ADDRESS",
)  # fmt: skip
"""Every identifier the masker recognises by shape (emails written out included). Names are left to the
planted list (product and brand names look like names), postcodes too (silver keeps their district)."""
EDGE_PUNCTUATION = " \t\r\n,.;:!?()[]{}<>\"'`|="
MAX_WORDS = 6


def normalise(text: str) -> str:
    return " ".join(text.lower().split())


def words_of(text: str) -> str:
    """Lower case, single spaces, each word without the punctuation around it: text and planted values alike."""
    return " ".join(word for word in (word.strip(EDGE_PUNCTUATION) for word in normalise(text).split(" ")) if word)


def masked_preview(value: str) -> str:
    """Enough of a value to find it again, not enough to read it: first character, then asterisks."""
    return value[:1] + "*" * min(max(len(value) - 1, 3), 12)


@dataclass(frozen=True)
class Finding:
    location: str
    """Where: a table and column, a file and line."""
    kind: str
    """What: ``planted email``, ``Presidio EMAIL_ADDRESS``..."""
    preview: str
    occurrences: int = 1

    def describe(self) -> str:
        times = f", {self.occurrences} values" if self.occurrences > 1 else ""
        return f"{self.location}: {self.kind} ({self.preview}{times})"


class PlantedValues:
    """The raw values of the synthetic profiles, matched as whole words or word sequences, ignoring case."""

    def __init__(self, values: dict[str, str]) -> None:
        self.kinds = {words_of(value): kind for value, kind in values.items() if len(value.strip()) >= 6}
        self.longest = min(MAX_WORDS, max((len(value.split()) for value in self.kinds), default=1))

    @classmethod
    def from_profiles(cls, rows: Iterable[Mapping[str, object]]) -> PlantedValues:
        values: dict[str, str] = {}
        for row in rows:
            for column, kind in PLANTED_COLUMNS.items():
                if isinstance(row.get(column), str):
                    values[str(row[column])] = f"planted {kind}"
            first, last = row.get("first_name"), row.get("last_name")
            if isinstance(first, str) and isinstance(last, str):
                values[f"{first} {last}"] = "planted full name"
        return cls(values)

    def __len__(self) -> int:
        return len(self.kinds)

    def find(self, text: str) -> list[tuple[str, str]]:
        """(kind, matched text) for each planted value in ``text``."""
        words = words_of(text).split(" ")
        found = []
        for start in range(len(words)):
            for width in range(1, min(self.longest, len(words) - start) + 1):
                candidate = " ".join(words[start : start + width])
                if kind := self.kinds.get(candidate):
                    found.append((kind, candidate))
        return found


Analyse = Callable[[str], list[tuple[str, str, float]]]
"""Presidio as the scanner uses it: text -> (entity, matched text, score)."""


class PiiScanner:
    """Collects findings per location from planted values and, for free text, Presidio."""

    def __init__(self, planted: PlantedValues, analyse: Analyse | None) -> None:
        self.planted = planted
        self.analyse = analyse
        self.findings: dict[tuple[str, str], Finding] = {}
        self.values_scanned = 0
        # Presidio's answer per text with machine identifiers removed: log lines repeat but for clocks and ids.
        self._analysed: dict[str, list[tuple[str, str, float]]] = {}

    def _add(self, location: str, kind: str, value: str) -> None:
        key = (location, kind)
        if key in self.findings:
            found = self.findings[key]
            self.findings[key] = Finding(location, kind, found.preview, found.occurrences + 1)
        else:
            self.findings[key] = Finding(location, kind, masked_preview(value))

    def scan(self, location: str, text: str, with_presidio: bool = True) -> None:
        self.values_scanned += 1
        for kind, value in self.planted.find(text):
            self._add(location, kind, value)
        shaped = without_machine_identifiers(text)
        if with_presidio and self.analyse is not None and looks_like_it_could_hold_pii(shaped):
            if shaped not in self._analysed:
                self._analysed[shaped] = self.analyse(shaped)
            for entity, value, _ in self._analysed[shaped]:
                self._add(location, f"Presidio {entity}", value)

    @property
    def results(self) -> list[Finding]:
        return sorted(self.findings.values(), key=lambda finding: (finding.location, finding.kind))


MACHINE_IDENTIFIERS = re.compile(
    r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}"  # UUIDs: query, run and event ids
    r"|\btok_[0-9a-f]{32}\b"  # the platform's own tokens
    r"|\b(?=[0-9a-f]*[a-f])[0-9a-f]{16,}\b"  # hashes and checksums (a letter in them: 16 digits is a card)
    r"|\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?"  # timestamps
    r"|\b\d+\.\d{8,}\b"  # measured floats: a duration's long fraction
    r"|\b1\d{9}(?:\d{3}|\.\d+)?\b"  # epoch seconds or milliseconds, 2001 to 2033 (no US number starts with 1)
)
"""Machine identifiers: their digit runs match phone and card shapes by chance (a query id's ``3178313640334287``)."""


def without_machine_identifiers(text: str) -> str:
    """``text`` with machine identifiers blanked, for Presidio; planted values are still sought in all of it."""
    return MACHINE_IDENTIFIERS.sub(lambda match: " " * len(match.group()), text)


PII_HINT = re.compile(r"@|\d{3}|\d{1,3}(?:[.\s]\d{1,3}){2}|\b(?:at|dot)\b", re.IGNORECASE)
"""An ``@``, a run of three digits, digit groups (an NI number, an IP address) or a spelled-out ``at``/``dot``."""


def looks_like_it_could_hold_pii(text: str) -> bool:
    """Every entity Presidio is asked for has one of :data:`PII_HINT`'s shapes: skip the model for anything else."""
    return bool(PII_HINT.search(text))
