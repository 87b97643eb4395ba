"""Synthetic customer profiles, one per household: the personal data the real set lacks.

Seeded per household, so a household's profile is the same in a sample and in
the full landing, on every machine.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pyarrow as pa
from faker import Faker

LOCALES = {"GB": "en_GB", "US": "en_US"}
CONSENT_RATE = 0.7


def loyalty_card_number(household_id: int, seed: int) -> str:
    """The loyalty card format: ``LC`` then ten digits in groups, e.g. ``LC-4829-3017-46``."""
    digits = f"{(household_id * 2_654_435_761 + seed) % 10**10:010d}"
    return f"LC-{digits[:4]}-{digits[4:8]}-{digits[8:]}"


def customer_profile(household_id: int, country: str, seed: int) -> dict[str, object]:
    """One household's profile; the same inputs always give the same person."""
    fake = Faker(LOCALES[country])
    fake.seed_instance(seed * 1_000_003 + household_id)
    first, last = fake.first_name(), fake.last_name()
    domain = fake.free_email_domain()
    birth = fake.date_of_birth(minimum_age=18, maximum_age=90)
    consent_changed = datetime(2017, 1, 1) + timedelta(days=fake.random_int(0, 364), seconds=fake.random_int(0, 86_399))
    return {
        "household_id": household_id,
        "first_name": first,
        "last_name": last,
        "email": f"{first}.{last}{fake.random_int(1, 99)}@{domain}".lower().replace(" ", "").replace("'", ""),
        "phone": fake.phone_number(),
        "street_address": fake.street_address().replace("\n", ", "),
        "city": fake.city(),
        "postcode": fake.postcode(),
        "country": country,
        "date_of_birth": birth,
        "loyalty_card_number": loyalty_card_number(household_id, seed),
        "marketing_consent": fake.random.random() < CONSENT_RATE,
        "consent_updated_at": consent_changed,
    }


def customer_profiles(households: dict[int, str], seed: int) -> pa.Table:
    """Profiles for ``{household_id: country}``, ordered by household."""
    rows = [customer_profile(household, households[household], seed) for household in sorted(households)]
    schema = pa.schema(
        [
            ("household_id", pa.int64()),
            ("first_name", pa.string()),
            ("last_name", pa.string()),
            ("email", pa.string()),
            ("phone", pa.string()),
            ("street_address", pa.string()),
            ("city", pa.string()),
            ("postcode", pa.string()),
            ("country", pa.string()),
            ("date_of_birth", pa.date32()),
            ("loyalty_card_number", pa.string()),
            ("marketing_consent", pa.bool_()),
            ("consent_updated_at", pa.timestamp("s")),
        ]
    )
    return pa.Table.from_pylist(rows, schema=schema)
