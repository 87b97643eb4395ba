"""A name gazetteer: catches the person names spaCy's small English model misses (about one in twenty).

The first names are the census-derived popular-name lists of the US and UK
that Faker ships. A listed first name followed by a capitalised word, or a
title followed by one or two, is taken as a person. Caveat: the synthetic
feedback draws names from the same lists, so measured recall overstates recall
on real text; the spaCy model still finds names outside the lists.
"""

from __future__ import annotations

import re
from functools import lru_cache

from faker.providers.person.en_GB import Provider as BritishNames
from faker.providers.person.en_US import Provider as AmericanNames
from presidio_analyzer import Pattern, PatternRecognizer

SURNAME = r"(?:[A-Z]['\u2019]|Mc|Mac)?[A-Z][a-z]+(?:['-][A-Z]?[a-z]+)?"
"""A capitalised word, with the Irish and Scottish prefixes (O'Connor, D'Arcy, McDonald) and double-barrelled names."""
SUFFIX = r"(?:\s+(?:MD|PhD|DDS|DVM|Jr\.?|Sr\.?|II|III|IV))?"
TITLE = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?"


@lru_cache(maxsize=1)
def first_names() -> tuple[str, ...]:
    names = {*AmericanNames.first_names, *BritishNames.first_names}
    return tuple(sorted((name for name in names if len(name) > 2), key=len, reverse=True))


def person_name_recognizer() -> PatternRecognizer:
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
