"""The scanner finds planted profile values as whole words, whatever the case, and never prints them."""

from __future__ import annotations

import pytest

from governance.pii_scan import PiiScanner, PlantedValues, looks_like_it_could_hold_pii, masked_preview

pytestmark = pytest.mark.unit

PROFILE = {
    "first_name": "Shane",
    "last_name": "O'Connor",
    "email": "shane.oconnor7@example.org",
    "phone": "+44 20 7946 0958",
    "street_address": "12 Mill Lane",
    "loyalty_card_number": "LC-4829-3017-46",
}


def test_each_planted_value_is_found_inside_text_ignoring_case_and_punctuation() -> None:
    planted = PlantedValues.from_profiles([PROFILE])

    assert planted.find(
        "Hi, this is SHANE O'CONNOR. Call +44 20 7946 0958, or write to shane.oconnor7@example.org!"
    ) == [
        ("planted full name", "shane o'connor"),
        ("planted phone", "+44 20 7946 0958"),
        ("planted email", "shane.oconnor7@example.org"),
    ]
    assert planted.find("Delivered to 12 Mill Lane; card LC-4829-3017-46") == [
        ("planted street address", "12 mill lane"),
        ("planted loyalty card number", "lc-4829-3017-46"),
    ]


def test_planted_values_with_punctuation_match_as_they_appear_in_text() -> None:
    planted = PlantedValues.from_profiles(
        [{**PROFILE, "street_address": "Flat 3, Mill Lane", "phone": "(555) 010-7788"}]
    )

    assert planted.find("Post to Flat 3, Mill Lane or ring (555) 010-7788.") == [
        ("planted street address", "flat 3 mill lane"),
        ("planted phone", "555 010-7788"),
    ]


def test_part_of_a_planted_value_is_not_a_finding() -> None:
    planted = PlantedValues.from_profiles([PROFILE])

    assert planted.find("Shane bought 12 Mill biscuits; tok_4829 <PERSON> <PHONE_NUMBER>") == []


def test_findings_name_the_location_and_count_values_but_show_only_a_masked_preview() -> None:
    scanner = PiiScanner(PlantedValues.from_profiles([PROFILE]), analyse=None)

    scanner.scan("warehouse loyalty.household_rfm column segment", "shane.oconnor7@example.org")
    scanner.scan("warehouse loyalty.household_rfm column segment", "SHANE.OCONNOR7@EXAMPLE.ORG")
    [finding] = scanner.results

    assert (
        finding.describe() == "warehouse loyalty.household_rfm column segment: planted email (s************, 2 values)"
    )
    assert "example" not in finding.describe()


def test_presidio_is_asked_only_about_text_shaped_like_an_identifier() -> None:
    asked: list[str] = []

    def analyse(text: str) -> list[tuple[str, str, float]]:
        asked.append(text)
        return []

    scanner = PiiScanner(PlantedValues({}), analyse=analyse)

    shaped = ["write to a@b.io", "call 0207 946 0958", "NI QQ 12 34 56 C", "from 10.2.3.4", "zq dot c at x dot org"]
    for text in ("GROCERY", "champions", "SOFT DRINKS 12PK", *shaped):
        scanner.scan("somewhere", text)

    assert asked == shaped
    assert masked_preview("ab") == "a***"
    assert not looks_like_it_could_hold_pii("tok_ab")
