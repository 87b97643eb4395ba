"""Scoring detection: overlap of the right type finds a span; anything else is a false positive."""

from __future__ import annotations

from collections import Counter

import pytest
from presidio_analyzer import RecognizerResult

from governance.evaluation import LabelledSpan, LabelledText, hand_written_texts, marked_text, score_detection

pytestmark = pytest.mark.unit

TEXT = "Call Ann Lee on 0113 496 0000 or ann@example.com"
SAMPLE = LabelledText(
    TEXT,
    (
        LabelledSpan("PERSON", 5, 12),
        LabelledSpan("PHONE_NUMBER", 16, 29),
        LabelledSpan("EMAIL_ADDRESS", 33, 48),
    ),
)


def test_overlapping_detections_of_the_right_type_count_and_others_do_not() -> None:
    detections = [
        RecognizerResult("PERSON", 5, 8, 0.85),  # part of the name still finds it
        RecognizerResult("PERSON", 16, 29, 0.85),  # right place, wrong type
        RecognizerResult("EMAIL_ADDRESS", 33, 48, 1.0),
    ]
    report = score_detection([SAMPLE], lambda _: detections)
    assert (report.per_entity["PERSON"].true_positives, report.per_entity["PERSON"].false_positives) == (1, 1)
    assert report.per_entity["PHONE_NUMBER"].false_negatives == 1
    assert report.per_entity["EMAIL_ADDRESS"].recall == 1.0
    assert report.overall.precision == pytest.approx(2 / 3)
    assert report.failures() == ["PHONE_NUMBER recall 0.000 < 0.95", "overall precision 0.667 < 0.8"]


def test_a_marked_text_gives_the_text_and_the_span_of_each_value() -> None:
    sample = marked_text("iban {{IBAN_CODE|GB82 WEST 1234}} for {{PERSON|zoë ñúñez}}.")

    assert sample.text == "iban GB82 WEST 1234 for zoë ñúñez."
    assert [sample.text[span.start : span.end] for span in sample.spans] == ["GB82 WEST 1234", "zoë ñúñez"]
    assert [span.entity_type for span in sample.spans] == ["IBAN_CODE", "PERSON"]


def test_a_mark_with_an_entity_the_scorer_does_not_know_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown entity 'PASSPORT'"):
        marked_text("my passport {{PASSPORT|123456789}}")


def test_every_hand_written_text_parses_and_each_new_identifier_has_at_least_five() -> None:
    counts = Counter(span.entity_type for sample in hand_written_texts() for span in sample.spans)

    assert all(counts[entity] >= 5 for entity in ("IBAN_CODE", "UK_NINO", "US_SSN", "IP_ADDRESS", "PERSON"))
