"""Presidio configured for offline use: finds personal data in free text and masks it.

The analyzer runs the spaCy pipeline named in settings, the name gazetteer
(``governance.names``), Presidio's payment card and phone recognisers (UK and
US formats), the identifiers of ``governance.identifiers`` (emails, IBAN, NI
number, SSN, IP address), and our own patterns for UK postcodes and the
loyalty card number. Each entity type has one
operator: a ``<ENTITY>`` tag, or a keyed token where joins need the value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer, RecognizerRegistry, RecognizerResult
from presidio_analyzer.nlp_engine import NlpEngineProvider, SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    PhoneRecognizer,
    SpacyRecognizer,
)
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig
from presidio_anonymizer.entities import RecognizerResult as AnonymizerResult

from governance.identifiers import identifier_recognizers
from governance.names import person_name_recognizers
from governance.policy import Normalisation
from governance.tokenise import Tokeniser

ENTITIES = (
    "PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "LOYALTY_CARD", "UK_POSTCODE", "US_ZIP_CODE",
    "IBAN_CODE", "UK_NINO", "US_SSN", "IP_ADDRESS",
)  # fmt: skip
TOKENISED_ENTITIES = {"EMAIL_ADDRESS": Normalisation.EMAIL, "LOYALTY_CARD": Normalisation.UPPER}
"""Entities masked with a keyed token instead of a tag, normalised as the policy normalises their columns."""
CHUNK_CHARS = 50_000
"""Texts longer than this are analysed in pieces cut at whitespace, so a 1 MB text stays within spaCy's limits."""
SCORE_THRESHOLD = 0.4


def loyalty_card_recognizer() -> PatternRecognizer:
    return PatternRecognizer(
        supported_entity="LOYALTY_CARD",
        patterns=[Pattern("loyalty card", r"\bLC-?\d{4}-?\d{4}-?\d{2}\b", 0.9)],
        context=["loyalty", "card", "points"],
    )


def uk_postcode_recognizer() -> PatternRecognizer:
    pattern = r"\b(?:[A-Z]{1,2}\d[A-Z\d]?|GIR) ?\d[ABD-HJLNP-UW-Z]{2}\b"
    return PatternRecognizer(
        supported_entity="UK_POSTCODE",
        patterns=[Pattern("uk postcode", pattern, 0.6)],
        context=["postcode", "delivery", "address", "to"],
    )


class PaymentCardRecognizer(CreditCardRecognizer):
    """Presidio's card recogniser (Luhn-checked) plus Mastercard's 2221-2720 range, which its pattern omits."""

    def __init__(self) -> None:
        mastercard_2_series = Pattern(
            "Mastercard 2-series (weak)", r"\b2[2-7]\d{2}[- ]?\d{4}[- ]?\d{4}[- ]?\d{4}\b", 0.3
        )
        super().__init__(patterns=[*CreditCardRecognizer.PATTERNS, mastercard_2_series])


class PhoneFormatRecognizer(PatternRecognizer):
    """UK and US phone layouts as people write them, extensions included, checked as possible numbers.

    Presidio's own phone recogniser accepts only numbers valid in the national
    plan, which misses many real-looking ones; its lenient mode matches every
    digit group and crawls on text full of numbers. Layout patterns plus a
    possibility check sit between the two.
    """

    PATTERNS = (
        Pattern(
            "us", r"(?<![\w+])(?:\+?1[-.\s]?|001-)?(?:\(\d{3}\)\s?|\d{3}[-.])\d{3}[-.]\d{4}(?:\s?x\d{1,5})?\b", 0.6
        ),
        Pattern("uk", r"(?<![\w+])(?:\+44\s?(?:\(0\)\s?)?\d{2,4}|\(?0\d{2,4}\)?)\s?\d{3,4}\s?\d{3,4}(?!\d)", 0.6),
        Pattern("digits", r"(?<![\w+])\+?\d{10,12}\b", 0.3),
    )

    def __init__(self) -> None:
        super().__init__(
            supported_entity="PHONE_NUMBER",
            patterns=list(self.PATTERNS),
            context=["phone", "call", "text", "number", "mobile", "tel", "ring"],
            name="PhoneFormatRecognizer",
        )

    def validate_result(self, pattern_text: str) -> bool:
        number = pattern_text.split("x")[0]
        for region in ("GB", "US"):
            try:
                if phonenumbers.is_possible_number(phonenumbers.parse(number, region)):
                    return True
            except phonenumbers.NumberParseException:
                continue
        return False


def us_zip_code_recognizer() -> PatternRecognizer:
    """Five digits are only a ZIP code in context ("deliver to 40784"): a low base score that context lifts."""
    return PatternRecognizer(
        supported_entity="US_ZIP_CODE",
        patterns=[Pattern("us zip", r"\b\d{5}(?:-\d{4})?\b", 0.05)],
        context=["zip", "postcode", "delivery", "deliver", "address", "mailer"],
    )


SPACY_LABELS_NOT_READ = [
    "CARDINAL", "ORDINAL", "MONEY", "QUANTITY", "PERCENT", "FAC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE",
]  # fmt: skip
"""spaCy's entity labels no recogniser here reads; unignored, Presidio warns once per entity found in every text."""


def build_analyzer(model: str) -> AnalyzerEngine:
    """An analyzer with only the recognisers the policy needs, on the named spaCy pipeline."""
    nlp_engine = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": model}],
            "ner_model_configuration": {"labels_to_ignore": SPACY_LABELS_NOT_READ},
        }
    ).create_engine()
    pipelines = nlp_engine.nlp if isinstance(nlp_engine, SpacyNlpEngine) else None
    if pipelines is not None and "parser" in pipelines["en"].pipe_names:
        pipelines["en"].disable_pipe("parser")  # Presidio never reads the parse; this saves a third of the time
    registry = RecognizerRegistry(supported_languages=["en"])
    for recognizer in (
        SpacyRecognizer(supported_entities=["PERSON"]),
        *person_name_recognizers(),
        *identifier_recognizers(),
        PaymentCardRecognizer(),
        PhoneRecognizer(supported_regions=("GB", "US")),
        PhoneFormatRecognizer(),
        loyalty_card_recognizer(),
        uk_postcode_recognizer(),
        us_zip_code_recognizer(),
    ):
        registry.add_recognizer(recognizer)
    return AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["en"])


def _chunks(text: str) -> list[tuple[int, str]]:
    """``(offset, piece)`` pairs covering ``text``, cut at whitespace near every CHUNK_CHARS."""
    pieces, start = [], 0
    while start < len(text):
        end = min(start + CHUNK_CHARS, len(text))
        if end < len(text):
            cut = text.rfind(" ", start + CHUNK_CHARS // 2, end)
            end = cut + 1 if cut > start else end
        pieces.append((start, text[start:end]))
        start = end
    return pieces


def _merge_same_type(results: list[RecognizerResult]) -> list[RecognizerResult]:
    """Overlapping detections of one entity type become their union, so no fragment of the value is left."""
    merged: list[RecognizerResult] = []
    for result in sorted(results, key=lambda result: (result.entity_type, result.start)):
        last = merged[-1] if merged else None
        if last is not None and last.entity_type == result.entity_type and result.start < last.end:
            last.end = max(last.end, result.end)
            last.score = max(last.score, result.score)
        else:
            merged.append(RecognizerResult(result.entity_type, result.start, result.end, result.score))
    return merged


def _resolve_overlaps(results: list[RecognizerResult]) -> list[RecognizerResult]:
    """Where detections of different types overlap keep a pattern's over a name, then the more certain, the longer.

    spaCy often swallows an email or an NI number's letters into a PERSON
    ("NI YA 04 02 96 D"), and the phone matcher finds numbers inside loyalty
    card numbers; the specific pattern wins each time, so no part of the
    identifier is left unmasked beside a name tag.
    """
    ranked = sorted(
        _merge_same_type(results),
        key=lambda result: (result.entity_type == "PERSON", -result.score, result.start - result.end, result.start),
    )
    kept: list[RecognizerResult] = []
    for result in ranked:
        if not any(result.start < other.end and other.start < result.end for other in kept):
            kept.append(result)
    return sorted(kept, key=lambda result: result.start)


@dataclass
class TextMasker:
    """Finds and masks personal data in text; one per process (see :func:`text_masker`)."""

    analyzer: AnalyzerEngine
    anonymizer: AnonymizerEngine
    tokeniser: Tokeniser | None = None

    def analyse(self, text: str) -> list[RecognizerResult]:
        if not text or not text.strip():
            return []
        found: list[RecognizerResult] = []
        for offset, piece in _chunks(text):
            for result in self.analyzer.analyze(
                piece, language="en", entities=list(ENTITIES), score_threshold=SCORE_THRESHOLD
            ):
                result.start += offset
                result.end += offset
                found.append(result)
        return _resolve_overlaps(found)

    def operators(self) -> dict[str, OperatorConfig]:
        """A tag per entity type; emails and loyalty cards become the same token the structured columns get."""
        operators = {entity: OperatorConfig("replace", {"new_value": f"<{entity}>"}) for entity in ENTITIES}
        if self.tokeniser is not None:
            for entity, normalisation in TOKENISED_ENTITIES.items():
                operators[entity] = OperatorConfig("custom", {"lambda": self._token_operator(normalisation)})
        return operators

    def _token_operator(self, normalisation: Normalisation) -> Callable[[str], str]:
        tokeniser = self.tokeniser
        assert tokeniser is not None

        def token(value: str) -> str:
            return tokeniser.tokenise(value, normalisation) or ""

        return token

    def mask(self, text: str | None) -> str | None:
        if text is None:
            return None
        results = self.analyse(text)
        if not results:
            return text
        found = [AnonymizerResult(result.entity_type, result.start, result.end, result.score) for result in results]
        return self.anonymizer.anonymize(text=text, analyzer_results=found, operators=self.operators()).text


@lru_cache(maxsize=2)
def _analyzer(model: str) -> AnalyzerEngine:
    return build_analyzer(model)


def text_masker(model: str, tokeniser: Tokeniser | None = None) -> TextMasker:
    """A masker on the process's one analyzer for ``model``: loading spaCy is slow, so executors reuse it."""
    return TextMasker(_analyzer(model), AnonymizerEngine(), tokeniser)  # type: ignore[no-untyped-call]
