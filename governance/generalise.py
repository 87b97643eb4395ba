"""Generalisation: keep what analysis needs (an age band, a postal district), not the person."""

from __future__ import annotations

import re
from datetime import date

AGE_BANDS = ((19, "19-24"), (25, "25-34"), (35, "35-44"), (45, "45-54"), (55, "55-64"), (65, "65+"))
"""The bands the Complete Journey demographics use, so profile and demographic ages line up."""

_UK_POSTCODE = re.compile(r"^\s*([A-Z]{1,2}\d[A-Z\d]?)\s*\d[A-Z]{2}\s*$", re.IGNORECASE)
_US_ZIP = re.compile(r"^\s*(\d{3})\d{2}(-\d{4})?\s*$")


def age_band(date_of_birth: date | None, on: date) -> str | None:
    """The band of the age reached on ``on``; under 19 is ``"under 19"``."""
    if date_of_birth is None:
        return None
    age = on.year - date_of_birth.year - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))
    band = "under 19"
    for lower, label in AGE_BANDS:
        if age >= lower:
            band = label
    return band


def postcode_district(postcode: str | None) -> str | None:
    """UK: the outward code (``SW1A 1AA`` -> ``SW1A``); US: the three-digit ZIP prefix (``40784`` -> ``407``).

    Anything else becomes ``None`` rather than passing through unrecognised.
    """
    if postcode is None:
        return None
    if uk := _UK_POSTCODE.match(postcode):
        return uk.group(1).upper()
    if us := _US_ZIP.match(postcode):
        return us.group(1)
    return None
