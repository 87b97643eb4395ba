"""The policy applied through Spark to the full synthetic profiles and feedback leaves no planted PII."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.dataset as ds
import pytest
from pyspark.sql import DataFrame, SparkSession

from governance.policy import Normalisation, PolicyViolationError, default_policy
from governance.tokenise import Tokeniser
from lakehouse.landing import complete_journey
from lakehouse.landing.feedback import FeedbackText, synthetic_feedback
from lakehouse.landing.land import LandingManifest
from lakehouse.landing.profiles import customer_profiles
from lakehouse.settings import Settings
from spark_jobs.pii import apply_policy

pytestmark = pytest.mark.integration

KEY = b"integration-test-key-0123456789abcdef"
OTHER_KEY = b"another-integration-key-0123456789ab"


@pytest.fixture(scope="module")
def full_synthetic(local_settings: Settings) -> tuple[pa.Table, list[FeedbackText]]:
    """Profiles for all 2,469 households and their feedback, exactly as the full landing writes them."""
    transactions = complete_journey.read_table("transactions").select(["household_id", "week"])
    ids = complete_journey.distinct_values(transactions["household_id"]).to_pylist()
    households = {household: ("GB" if household % 3 else "US") for household in ids}
    profiles = customer_profiles(households, local_settings.synthetic_seed)
    return profiles, synthetic_feedback(transactions, profiles, local_settings.synthetic_seed)


def _feedback_frame(spark: SparkSession, texts: list[FeedbackText]) -> DataFrame:
    rows = [(t.feedback_id, t.household_id, t.submitted_at, t.channel, t.rating, t.text) for t in texts]
    return spark.createDataFrame(rows, "feedback_id string, household_id long, submitted_at timestamp, "
                                       "channel string, rating int, text string")  # fmt: skip


def _appears_as_a_whole(value: str, text: str) -> bool:
    """``value`` in ``text`` with no letter or digit glued to either side (a ZIP code inside a hex token is not it)."""
    start = text.find(value)
    while start >= 0:
        before = text[start - 1] if start else " "
        after = text[start + len(value)] if start + len(value) < len(text) else " "
        if not before.isalnum() and not after.isalnum():
            return True
        start = text.find(value, start + 1)
    return False


def _all_strings(frame: DataFrame) -> str:
    return "\n".join("\t".join(str(value) for value in row) for row in frame.collect())


def test_no_planted_value_survives_the_policy(
    spark: SparkSession, full_synthetic: tuple[pa.Table, list[FeedbackText]], local_settings: Settings
) -> None:
    profiles, texts = full_synthetic
    policy = default_policy()
    customers = apply_policy(
        spark.createDataFrame(profiles.to_pandas()), "customers", policy, KEY, local_settings.presidio_model
    )
    feedback = apply_policy(
        _feedback_frame(spark, texts), "customer_feedback", policy, KEY, local_settings.presidio_model
    )
    # feedback_id ("FB-01826-0") spells out the household id, which can equal a planted ZIP code.
    output = _all_strings(customers) + "\n" + _all_strings(feedback.drop("feedback_id"))

    planted = {span.value for text in texts for span in text.spans}
    for profile in profiles.to_pylist():
        planted |= {
            f"{profile['first_name']} {profile['last_name']}",
            profile["email"],
            profile["phone"],
            profile["street_address"],
            profile["loyalty_card_number"],
            str(profile["date_of_birth"]),
        }
        if profile["country"] == "GB":
            planted.add(profile["postcode"])
    leaked = sorted(value for value in planted if _appears_as_a_whole(value, output))

    assert len(planted) > 10_000
    assert leaked == []
    assert customers.count() == profiles.num_rows
    assert feedback.count() == len(texts)


def test_a_loyalty_card_or_email_has_one_token_across_tables_and_runs(
    spark: SparkSession, full_synthetic: tuple[pa.Table, list[FeedbackText]], local_settings: Settings
) -> None:
    profiles, texts = full_synthetic
    mentioning = next(text for text in texts if any(span.entity_type == "LOYALTY_CARD" for span in text.spans))
    profile = profiles.filter(pa.compute.equal(profiles["household_id"], mentioning.household_id))
    policy, model = default_policy(), local_settings.presidio_model

    def tokens(key: bytes) -> tuple[str, str, str]:
        customer = apply_policy(spark.createDataFrame(profile.to_pandas()), "customers", policy, key, model).first()
        masked = apply_policy(_feedback_frame(spark, [mentioning]), "customer_feedback", policy, key, model).first()
        assert customer is not None and masked is not None
        return customer["loyalty_card_token"], customer["email_token"], masked["text_masked"]

    card_token, email_token, masked_text = tokens(KEY)
    assert card_token in masked_text
    assert tokens(KEY) == (card_token, email_token, masked_text)
    assert card_token == Tokeniser(KEY).tokenise(profile["loyalty_card_number"][0].as_py(), Normalisation.UPPER)
    other_card, other_email, _ = tokens(OTHER_KEY)
    assert (other_card, other_email) != (card_token, email_token)
    assert other_card != card_token and other_email != email_token


def test_a_landing_column_missing_from_the_policy_stops_with_its_name(
    spark: SparkSession, local_settings: Settings
) -> None:
    frame = spark.createDataFrame([(1, "AB12 3CD", "yes")], "household_id long, postcode string, loyalty_tier string")
    with pytest.raises(
        PolicyViolationError, match=r"table 'customers': column\(s\) 'loyalty_tier' not in the PII policy"
    ):
        apply_policy(frame, "customers", default_policy(), KEY, local_settings.presidio_model)


def test_every_landed_column_is_covered_by_the_policy(
    sample_landing: LandingManifest, local_settings: Settings
) -> None:
    policy = default_policy()
    formats = {"customers": "csv", "stores": "csv", "customer_feedback": "json"}
    for feed in {path.split("/")[0] for path in sample_landing.files}:
        schema = ds.dataset(f"{local_settings.landing_uri}/{feed}", format=formats.get(feed, "parquet")).schema
        rules = policy.rules_for(feed, schema.names)
        assert set(rules) == set(schema.names), feed
