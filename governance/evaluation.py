"""Score PII detection against texts whose planted spans are known: precision and recall per entity type."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from presidio_analyzer import RecognizerResult

DETECTED_AS: dict[str, frozenset[str]] = {
    "PERSON": frozenset({"PERSON"}),
    "EMAIL_ADDRESS": frozenset({"EMAIL_ADDRESS"}),
    "PHONE_NUMBER": frozenset({"PHONE_NUMBER"}),
    "CREDIT_CARD": frozenset({"CREDIT_CARD"}),
    "LOYALTY_CARD": frozenset({"LOYALTY_CARD"}),
    "POSTCODE": frozenset({"UK_POSTCODE", "US_ZIP_CODE"}),
    "IBAN_CODE": frozenset({"IBAN_CODE"}),
    "UK_NINO": frozenset({"UK_NINO"}),
    "US_SSN": frozenset({"US_SSN"}),
    "IP_ADDRESS": frozenset({"IP_ADDRESS"}),
}
"""Which analyzer entity types count as finding each labelled type."""

STRUCTURED_IDENTIFIERS = (
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "IBAN_CODE",
    "UK_NINO",
    "US_SSN",
    "IP_ADDRESS",
)
RECALL_TARGETS = {**dict.fromkeys(STRUCTURED_IDENTIFIERS, 0.95), "PERSON": 0.85}
PRECISION_TARGET = 0.8
HAND_WRITTEN_TEXTS = Path(__file__).with_name("evaluation_texts.txt")
_MARK = re.compile(r"\{\{([A-Z_]+)\|(.+?)\}\}")


@dataclass(frozen=True)
class LabelledSpan:
    entity_type: str
    start: int
    end: int


@dataclass(frozen=True)
class LabelledText:
    text: str
    spans: tuple[LabelledSpan, ...]


def marked_text(line: str) -> LabelledText:
    """A text written with its personal values marked ``{{ENTITY|value}}``, as the text and its labelled spans."""
    text, spans, position = [], [], 0
    for mark in _MARK.finditer(line):
        text.append(line[position : mark.start()])
        start = sum(map(len, text))
        entity, value = mark.groups()
        if entity not in DETECTED_AS:
            raise ValueError(f"unknown entity {entity!r} in labelled text: {line!r}")
        text.append(value)
        spans.append(LabelledSpan(entity, start, start + len(value)))
        position = mark.end()
    text.append(line[position:])
    return LabelledText("".join(text), tuple(spans))


def hand_written_texts(path: Path = HAND_WRITTEN_TEXTS) -> list[LabelledText]:
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [marked_text(line) for line in lines if line and not line.startswith("#")]


@dataclass
class EntityScore:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        labelled = self.true_positives + self.false_negatives
        return self.true_positives / labelled if labelled else 1.0


@dataclass
class DetectionReport:
    per_entity: dict[str, EntityScore]
    overall: EntityScore

    def failures(self) -> list[str]:
        """Each missed target as a sentence; empty when every target is met."""
        missed = [
            f"{entity} recall {self.per_entity[entity].recall:.3f} < {target}"
            for entity, target in RECALL_TARGETS.items()
            if self.per_entity[entity].recall < target
        ]
        if self.overall.precision < PRECISION_TARGET:
            missed.append(f"overall precision {self.overall.precision:.3f} < {PRECISION_TARGET}")
        return missed


def _overlaps(span: LabelledSpan, result: RecognizerResult) -> bool:
    return span.start < result.end and result.start < span.end


def _labelled_type(result: RecognizerResult) -> str | None:
    return next((label for label, detected in DETECTED_AS.items() if result.entity_type in detected), None)


def score_detection(
    samples: Iterable[LabelledText], analyse: Callable[[str], list[RecognizerResult]]
) -> DetectionReport:
    """A labelled span is found when a detection of its type overlaps it; a detection is right when it overlaps one."""
    per_entity = {entity: EntityScore() for entity in DETECTED_AS}
    overall = EntityScore()
    for sample in samples:
        detections = analyse(sample.text)
        for span in sample.spans:
            found = any(
                _overlaps(span, result) and result.entity_type in DETECTED_AS[span.entity_type] for result in detections
            )
            score = per_entity[span.entity_type]
            score.true_positives += found
            score.false_negatives += not found
        for result in detections:
            label = _labelled_type(result)
            right = any(_overlaps(span, result) and span.entity_type == label for span in sample.spans)
            overall.true_positives += right
            overall.false_positives += not right
            if label is not None and not right:
                per_entity[label].false_positives += 1
    overall.false_negatives = sum(score.false_negatives for score in per_entity.values())
    return DetectionReport(per_entity, overall)
