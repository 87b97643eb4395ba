"""Synthetic profiles, feedback and the retailer map are seeded: same inputs, same output."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from lakehouse.landing.feedback import TEMPLATES, feedback_for_household
from lakehouse.landing.profiles import customer_profile, customer_profiles, loyalty_card_number
from lakehouse.landing.retailers import RETAILERS, store_retailer_map

pytestmark = pytest.mark.unit

SEED = 8451


def test_a_household_gets_the_same_profile_every_time() -> None:
    assert customer_profile(42, "GB", SEED) == customer_profile(42, "GB", SEED)


def test_different_households_get_different_people() -> None:
    emails = customer_profiles({household: "US" for household in range(1, 201)}, SEED)["email"].to_pylist()
    assert len(set(emails)) == 200


def test_loyalty_card_numbers_follow_the_format() -> None:
    assert re.fullmatch(r"LC-\d{4}-\d{4}-\d{2}", loyalty_card_number(1234, SEED))


def test_every_planted_span_points_at_its_value_in_the_text() -> None:
    profile = customer_profile(7, "GB", SEED)
    texts = [
        text for seed in range(40) for text in feedback_for_household(profile, [3, 4, 5], seed, datetime(2017, 1, 1))
    ]
    spans = [(text.text[span.start : span.end], span.value) for text in texts for span in text.spans]
    assert spans
    assert all(found == value for found, value in spans)


def test_feedback_lands_only_in_weeks_the_household_shopped() -> None:
    profile = customer_profile(9, "US", SEED)
    weeks = {
        text.week
        for seed in range(40)
        for text in feedback_for_household(profile, [12, 30], seed, datetime(2017, 1, 1))
    }
    assert weeks <= {12, 30}


def test_templates_cover_every_entity_the_masker_must_find() -> None:
    slots = {slot for template in TEMPLATES for slot in re.findall(r"\{(\w+)\}", template)}
    assert slots == {"PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "LOYALTY_CARD", "POSTCODE"}


def test_the_retailer_map_is_seeded_and_spreads_stores_over_every_retailer() -> None:
    first = store_retailer_map(list(range(1, 101)), SEED)
    assert first.equals(store_retailer_map(list(range(100, 0, -1)), SEED))
    counts = first.to_pandas()["retailer_id"].value_counts().to_dict()
    assert counts == {retailer: 20 for retailer, _, _ in RETAILERS}
