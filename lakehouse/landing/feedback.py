"""Synthetic free-text customer feedback that mentions personal data, with the spans it planted.

Texts are built from templates filled with a household's own profile (and
sometimes another person's name or a payment card), and every planted value is
recorded as a labelled span so PII detection can be scored against it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa
from faker import Faker

from lakehouse.landing.complete_journey import DATA_START
from lakehouse.landing.profiles import LOCALES

CHANNELS = ("app", "email", "web", "store")

TEMPLATES = (
    "Hi, this is {PERSON}. The checkout at your store overcharged me, please call {PHONE_NUMBER}.",
    "Loved the new bakery range! You can reach me at {EMAIL_ADDRESS} if you want more feedback.",
    "My card {CREDIT_CARD} was charged twice for one shop. Contact {PERSON} on {PHONE_NUMBER}.",
    "Points from last week never reached loyalty card {LOYALTY_CARD}. Email {EMAIL_ADDRESS} please.",
    "Staff member {PERSON} was really helpful finding gluten free pasta.",
    "Delivery to {POSTCODE} arrived two hours late and the milk was warm.",
    "Please stop sending mailers to {PERSON}, {POSTCODE}. I asked before.",
    "Great prices on fruit this week, keep it up.",
    "The self-checkout kept freezing. Refund to card {CREDIT_CARD} please, my number is {PHONE_NUMBER}.",
    "I am {PERSON} and my loyalty number is {LOYALTY_CARD}; the app says it is invalid.",
    "Aisle 7 was blocked by pallets all morning.",
    "Reply to {EMAIL_ADDRESS} or text {PHONE_NUMBER} about my complaint, thanks, {PERSON}.",
    "Receipt 4471 2039 shows 3 items at $23.45 but I was charged $32.45 at till 12 on 03/11/2017.",
    "Bought 2 x 500g packs, barcode 5012345678900, and one was out of date. Batch 20170311-7.",
    "Ask for {PERSON} at the deli counter, she sorted my order 209311 in minutes.",
    "{PERSON} and I shop every Saturday; last week's bill was 104.20 for 37 items at store 316.",
    "Called 3 times about order 8812-3341 and nobody answered; call me back on {PHONE_NUMBER}.",
)


@dataclass(frozen=True)
class PlantedSpan:
    """A personal value written into a text: where it is and what kind it is."""

    entity_type: str
    start: int
    end: int
    value: str


@dataclass
class FeedbackText:
    feedback_id: str
    household_id: int
    week: int
    submitted_at: datetime
    channel: str
    rating: int
    text: str
    spans: list[PlantedSpan] = field(default_factory=list)


def _fill(template: str, values: dict[str, str]) -> tuple[str, list[PlantedSpan]]:
    """Fill ``{ENTITY}`` slots left to right, recording the span of each value written."""
    text, spans, cursor = "", [], 0
    while (opening := template.find("{", cursor)) >= 0:
        closing = template.index("}", opening)
        entity = template[opening + 1 : closing]
        text += template[cursor:opening]
        value = values[entity]
        spans.append(PlantedSpan(entity, len(text), len(text) + len(value), value))
        text += value
        cursor = closing + 1
    return text + template[cursor:], spans


def feedback_for_household(
    profile: dict[str, object], weeks: list[int], seed: int, first_day: datetime
) -> list[FeedbackText]:
    """Zero to three feedback texts for one household, in weeks it shopped."""
    household = int(str(profile["household_id"]))
    rng = np.random.default_rng(seed * 7_919 + household)
    fake = Faker(LOCALES[str(profile["country"])])
    fake.seed_instance(seed * 31 + household)
    texts = []
    for number in range(int(rng.integers(0, 4))):
        week = int(rng.choice(weeks))
        person = f"{profile['first_name']} {profile['last_name']}" if rng.random() < 0.7 else fake.name()
        values = {
            "PERSON": person,
            "EMAIL_ADDRESS": str(profile["email"]),
            "PHONE_NUMBER": str(profile["phone"]),
            "CREDIT_CARD": fake.credit_card_number(card_type=str(rng.choice(["visa16", "mastercard"]))),
            "LOYALTY_CARD": str(profile["loyalty_card_number"]),
            "POSTCODE": str(profile["postcode"]),
        }
        text, spans = _fill(str(rng.choice(TEMPLATES)), values)
        texts.append(
            FeedbackText(
                feedback_id=f"FB-{household:05d}-{number}",
                household_id=household,
                week=week,
                submitted_at=first_day + timedelta(days=7 * (week - 1), seconds=int(rng.integers(0, 6 * 86_400))),
                channel=str(rng.choice(CHANNELS)),
                rating=int(rng.integers(1, 6)),
                text=text,
                spans=spans,
            )
        )
    return texts


def synthetic_feedback(transactions: pa.Table, profiles: pa.Table, seed: int) -> list[FeedbackText]:
    """Feedback for every profiled household, each text dated in a week that household shopped."""
    weeks = transactions.group_by("household_id").aggregate([("week", "distinct")])
    shopped = dict(zip(weeks["household_id"].to_pylist(), weeks["week_distinct"].to_pylist(), strict=True))
    texts: list[FeedbackText] = []
    for profile in profiles.to_pylist():
        texts.extend(feedback_for_household(profile, sorted(shopped[profile["household_id"]]), seed, DATA_START))
    return texts
