"""A name gazetteer: catches the person names spaCy's small English model misses.

The names are the census-derived popular-name lists of the US and UK that
Faker ships. Two recognisers use them:

- capitalised: a listed first name followed by a capitalised word, or a title
  followed by one or two;
- any case: a listed first name followed by a listed surname, compared without
  case or accents, so ``zoë ñúñez-öberg`` in a lower-case sentence is found.
  First names that are everyday words ("will", "may") need the surname's
  capital letter to count.

Caveat: the synthetic feedback draws names from the same lists, so measured
recall overstates recall on real text; the spaCy model still finds names
outside the lists.
"""

from __future__ import annotations

import importlib
import itertools
import re
import unicodedata
from functools import lru_cache

from faker.providers.person.en_GB import Provider as BritishNames
from faker.providers.person.en_US import Provider as AmericanNames
from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.lang.en.stop_words import STOP_WORDS

SURNAME = r"(?:\p{Lu}['\u2019]|Mc|Mac)?\p{Lu}\p{Ll}+(?:['-]\p{Lu}?\p{Ll}+)?"
"""A capitalised word, with the Irish and Scottish prefixes (O'Connor, D'Arcy, McDonald) and double-barrelled names."""
SUFFIX = r"(?:\s+(?:MD|PhD|DDS|DVM|Jr\.?|Sr\.?|II|III|IV))?"
TITLE = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?"


@lru_cache(maxsize=1)
def first_names() -> tuple[str, ...]:
    names = {*AmericanNames.first_names, *BritishNames.first_names}
    return tuple(sorted((name for name in names if len(name) > 2), key=len, reverse=True))


def fold(word: str) -> str:
    """A word without case or accents: ``Ñúñez`` -> ``nunez``."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(character for character in decomposed if not unicodedata.combining(character))


FOLDED_NAME_LOCALES = ("en_US", "en_GB", "en_IE", "fr_FR", "es_ES", "de_DE", "it_IT", "nl_NL", "pt_PT", "sv_SE")
"""Whose names a UK or US retailer's customers carry: the any-case lists draw on Faker's lists for these locales."""


def _locale_names(attribute: str) -> set[str]:
    names: set[str] = set()
    for locale in FOLDED_NAME_LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        names.update(fold(name) for name in getattr(provider, attribute) if len(name) > 2)
    return names


@lru_cache(maxsize=1)
def folded_first_names() -> frozenset[str]:
    return frozenset(_locale_names("first_names"))


@lru_cache(maxsize=1)
def folded_surnames() -> frozenset[str]:
    return frozenset(_locale_names("last_names"))


class FoldedNameRecognizer(EntityRecognizer):
    """A listed first name then a listed surname, in any case and with or without accents."""

    WORD = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*")
    SCORE = 0.7

    def __init__(self) -> None:
        super().__init__(supported_entities=["PERSON"], name="FoldedNameRecognizer", supported_language="en")

    def load(self) -> None:
        """The name lists load lazily, on first use."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        firsts, surnames = folded_first_names(), folded_surnames()
        words = list(self.WORD.finditer(text))
        found = []
        for first, surname in itertools.pairwise(words):
            given = fold(first.group())
            if given not in firsts or text[first.end() : surname.start()].strip():
                continue
            folded = fold(surname.group()).replace("\u2019", "'")
            if folded not in surnames and not any(barrel in surnames for barrel in folded.split("-")):
                continue
            if given in STOP_WORDS and not surname.group()[:1].isupper():
                continue
            found.append(RecognizerResult("PERSON", first.start(), surname.end(), self.SCORE))
        return found


def person_name_recognizers() -> list[EntityRecognizer]:
    return [capitalised_name_recognizer(), FoldedNameRecognizer()]


def capitalised_name_recognizer() -> PatternRecognizer:
    listed = "|".join(first_names())
    return PatternRecognizer(
        supported_entity="PERSON",
        name="NameGazetteerRecognizer",
        global_regex_flags=re.MULTILINE,  # names are capitalised: "bill was" is not Bill
        patterns=[
            Pattern("titled name", rf"\b{TITLE}\s+{SURNAME}(?:\s+{SURNAME})?{SUFFIX}\b", 0.75),
            Pattern("listed first name and surname", rf"\b(?:{listed})\s+{SURNAME}{SUFFIX}\b", 0.7),
        ],
    )
