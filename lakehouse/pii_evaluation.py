"""The labelled evaluation set for PII detection: texts whose personal values, and where they are, are known.

Three sources, so the score does not rest on the templates the pipeline lands:
seeded synthetic feedback, varied texts that carry the identifiers the
feedback templates never plant (IBAN, NI number, SSN, IP address, names in
lower case, emails written out), and the hand-written texts in
``governance/evaluation_texts.txt``.
"""

from __future__ import annotations

import numpy as np
from faker import Faker

from governance.evaluation import LabelledSpan, LabelledText, hand_written_texts, marked_text
from lakehouse.landing.complete_journey import DATA_START
from lakehouse.landing.feedback import feedback_for_household
from lakehouse.landing.profiles import customer_profile

EVALUATION_SEED = 20_251_125
"""Apart from the landing seed, so the evaluation texts are not the ones the pipeline lands."""

IDENTIFIER_TEMPLATES = (
    "please pay the refund into {IBAN_CODE}, thanks",
    "Bank account for the goodwill payment: {IBAN_CODE}.",
    "your form wanted my national insurance number, it is {UK_NINO}",
    "NI {UK_NINO} was on the payslip you emailed to the wrong person",
    "the pharmacy asked for my social security number {US_SSN} which is crazy",
    "SSN: {US_SSN} - please delete it from my rewards account",
    "the website blocked me, it said my ip {IP_ADDRESS} was banned",
    "Logged in from {IP_ADDRESS} and the basket was empty again.",
    "i was served by {PERSON} and she was brilliant with my mum",
    "tell {PERSON} the flowers were lovely, we will be back",
    "you can write to me at {EMAIL_ADDRESS} if the recall affects my batch",
    "for the catering order contact {EMAIL_ADDRESS} after 5pm",
)
IBAN_LOCALES = ("en_GB", "en_IE", "de_DE", "fr_FR", "nl_NL", "es_ES")
NINO_FIRST, NINO_SECOND = "ABCEGHJKLMNOPRSTWXYZ", "ABCEGHJKLMNPRSTWXYZ"
NINO_UNALLOCATED = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


def _iban(banks: Faker, rng: np.random.Generator) -> str:
    iban = banks[str(rng.choice(IBAN_LOCALES))].iban()
    return " ".join(iban[start : start + 4] for start in range(0, len(iban), 4)) if rng.random() < 0.4 else iban


def _nino(rng: np.random.Generator) -> str:
    while (prefix := str(rng.choice(list(NINO_FIRST))) + str(rng.choice(list(NINO_SECOND)))) in NINO_UNALLOCATED:
        continue
    digits = [f"{int(rng.integers(0, 100)):02d}" for _ in range(3)]
    nino = f"{prefix}{''.join(digits)}{rng.choice(list('ABCD'))}"
    if rng.random() < 0.5:
        nino = f"{prefix} {' '.join(digits)} {nino[-1]}"
    return nino.lower() if rng.random() < 0.2 else nino


def _ssn(fake: Faker, rng: np.random.Generator) -> str:
    return fake.ssn().replace("-", " ") if rng.random() < 0.3 else fake.ssn()


def _ip(fake: Faker, rng: np.random.Generator) -> str:
    return str(rng.choice([fake.ipv4_public(), fake.ipv4_private(), fake.ipv6()]))


def _name(fake: Faker, rng: np.random.Generator) -> str:
    name = f"{fake.first_name()} {fake.last_name()}"
    return str(rng.choice([name.lower(), name.upper(), name]))


def _spelled_email(fake: Faker, rng: np.random.Generator) -> str:
    local, domain = fake.user_name(), fake.free_email_domain()
    dot = str(rng.choice([" dot ", " [dot] ", " (dot) "]))
    at = str(rng.choice([" at ", " [at] ", " (at) "]))
    return local.replace(".", dot) + at + domain.replace(".", dot)


def identifier_texts(count: int, seed: int = EVALUATION_SEED) -> list[LabelledText]:
    """``count`` texts, each planting one identifier the landing templates do not, in a varied form."""
    rng = np.random.default_rng(seed)
    fake = Faker(["en_GB", "en_US"])
    fake.seed_instance(seed)
    banks = Faker(list(IBAN_LOCALES))
    banks.seed_instance(seed)
    values = {
        "IBAN_CODE": lambda: _iban(banks, rng),
        "UK_NINO": lambda: _nino(rng),
        "US_SSN": lambda: _ssn(fake["en_US"], rng),
        "IP_ADDRESS": lambda: _ip(fake, rng),
        "PERSON": lambda: _name(fake, rng),
        "EMAIL_ADDRESS": lambda: _spelled_email(fake, rng),
    }
    texts = []
    for number in range(count):
        template = IDENTIFIER_TEMPLATES[number % len(IDENTIFIER_TEMPLATES)]
        entity = template[template.index("{") + 1 : template.index("}")]
        texts.append(marked_text(template.replace(f"{{{entity}}}", f"{{{{{entity}|{values[entity]()}}}}}")))
    return texts


def evaluation_set(size: int = 400, seed: int = EVALUATION_SEED) -> list[LabelledText]:
    """``size`` synthetic feedback texts, as many texts of the other identifiers, and the hand-written ones."""
    samples: list[LabelledText] = []
    household = 0
    while len(samples) < size:
        household += 1
        profile = customer_profile(household, "GB" if household % 2 else "US", seed)
        for text in feedback_for_household(profile, list(range(1, 54)), seed, DATA_START):
            spans = tuple(LabelledSpan(span.entity_type, span.start, span.end) for span in text.spans)
            samples.append(LabelledText(text.text, spans))
    return samples[:size] + identifier_texts(size, seed) + hand_written_texts()
