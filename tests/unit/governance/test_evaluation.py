"""Scoring detection: overlap of the right type finds a span; anything else is a false positive."""

from __future__ import annotations

import pytest
from presidio_analyzer import RecognizerResult

from governance.evaluation import LabelledSpan, LabelledText, score_detection

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
