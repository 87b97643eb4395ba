"""The labelled evaluation set for PII detection: seeded feedback texts whose planted spans are known."""

from __future__ import annotations

from governance.evaluation import LabelledSpan, LabelledText
from lakehouse.landing.complete_journey import DATA_START
from lakehouse.landing.feedback import feedback_for_household
from lakehouse.landing.profiles import customer_profile

EVALUATION_SEED = 20_251_125
"""Apart from the landing seed, so the evaluation texts are not the ones the pipeline lands."""


def evaluation_set(size: int = 400, seed: int = EVALUATION_SEED) -> list[LabelledText]:
    """``size`` texts from synthetic UK and US households, with every planted span labelled."""
    samples: list[LabelledText] = []
    household = 0
    while len(samples) < size:
        household += 1
        profile = customer_profile(household, "GB" if household % 2 else "US", seed)
        for text in feedback_for_household(profile, list(range(1, 54)), seed, DATA_START):
            spans = tuple(LabelledSpan(span.entity_type, span.start, span.end) for span in text.spans)
            samples.append(LabelledText(text.text, spans))
    return samples[:size]
