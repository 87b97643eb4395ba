"""The scanner finds planted profile values as whole words, whatever the case, and never prints them."""

from __future__ import annotations

import pytest

from governance.pii_scan import (
    PiiScanner,
    PlantedValues,
    looks_like_it_could_hold_pii,
    masked_preview,
    without_machine_identifiers,
)

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


def test_machine_identifiers_in_a_log_line_are_never_asked_about() -> None:
    asked: list[str] = []

    def analyse(text: str) -> list[tuple[str, str, float]]:
        asked.append(text.strip())
        return []

    scanner = PiiScanner(PlantedValues({}), analyse=analyse)
    line = (
        "2026-12-01 04:20:42,387 INFO warehouse.queries user=default query_id=31783136-4033-4287-abfe-a731ece55220 "
        "rows=9 checksum 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 email_token tok_" + "0" * 32
    )

    scanner.scan("log warehouse.log line 1", line)
    scanner.scan("log warehouse.log line 2", line + " call 0113 496 0000")

    assert asked == [without_machine_identifiers(line + " call 0113 496 0000").strip()]
    assert not [part for part in ("2026-12-01", "31783136", "9f86d081", "tok_") if part in asked[0]]


def test_log_lines_that_differ_only_in_clocks_and_ids_are_analysed_once_and_each_reported() -> None:
    asked: list[str] = []

    def analyse(text: str) -> list[tuple[str, str, float]]:
        asked.append(text)
        return [("EMAIL_ADDRESS", "a@b.io", 1.0)]

    scanner = PiiScanner(PlantedValues({}), analyse=analyse)
    for line, (clock, run) in enumerate([("04:20:42,387", "31783136"), ("04:20:43,112", "9a0b1c2d")], start=1):
        scanner.scan(f"log run.log line {line}", f"2026-12-01 {clock} run {run}-4033-4287-abfe-a731ece55220 to a@b.io")

    assert len(asked) == 1
    assert [finding.location for finding in scanner.results] == ["log run.log line 1", "log run.log line 2"]


def test_clock_readings_are_blanked_and_a_phone_number_beside_them_is_kept() -> None:
    line = (
        '"created": 1796105321.8723373, "relativeCreated": 73924.10230636597, '
        '"time_windows": [[1482710400.0, 1514764800.0]], "timestamp_ms": 1796105321872, call 0113 496 0000'
    )

    shaped = without_machine_identifiers(line)

    assert not [part for part in ("1796105321", "10230636597", "1482710400", "1514764800") if part in shaped]
    assert shaped.endswith("call 0113 496 0000")
    assert len(shaped) == len(line)
