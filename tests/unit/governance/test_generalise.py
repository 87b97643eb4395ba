"""Generalisation keeps the band and the district, not the person."""

from __future__ import annotations

from datetime import date

import pytest

from governance.generalise import age_band, postcode_district

pytestmark = pytest.mark.unit

AS_OF = date(2017, 12, 31)


@pytest.mark.parametrize(
    ("born", "band"),
    [
        (date(1998, 12, 31), "19-24"),
        (date(1999, 1, 1), "under 19"),
        (date(1982, 12, 31), "35-44"),
        (date(1983, 1, 1), "25-34"),
        (date(1952, 12, 31), "65+"),
        (date(1953, 1, 1), "55-64"),
    ],
)
def test_age_bands_follow_the_demographics_bands(born: date, band: str) -> None:
    assert age_band(born, AS_OF) == band


@pytest.mark.parametrize(
    ("postcode", "district"),
    [("SW1A 1AA", "SW1A"), ("wd5 1xu", "WD5"), ("L86 1FR", "L86"), ("40784", "407"), ("10001-1234", "100")],
)
def test_postcodes_become_districts(postcode: str, district: str) -> None:
    assert postcode_district(postcode) == district


@pytest.mark.parametrize("unrecognised", ["not a postcode", "1234", "", None])
def test_an_unrecognised_postcode_becomes_missing_rather_than_passing_through(unrecognised: str | None) -> None:
    assert postcode_district(unrecognised) is None
