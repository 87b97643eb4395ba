"""Keyed tokens: deterministic per key, joinable across spellings of one value, different under another key."""

from __future__ import annotations

import pytest

from governance.policy import Normalisation
from governance.tokenise import Tokeniser

pytestmark = pytest.mark.unit

KEY = b"k" * 32


def test_the_same_value_gives_the_same_token() -> None:
    assert Tokeniser(KEY).tokenise("LC-1234-5678-90") == Tokeniser(KEY).tokenise("LC-1234-5678-90")


def test_another_key_gives_another_token() -> None:
    assert Tokeniser(KEY).tokenise("ann@example.com") != Tokeniser(b"q" * 32).tokenise("ann@example.com")


def test_a_token_does_not_contain_the_value() -> None:
    token = Tokeniser(KEY).tokenise("ann@example.com")
    assert token is not None
    assert token.startswith("tok_")
    assert len(token) == 36
    assert "ann" not in token


@pytest.mark.parametrize(
    ("first", "second", "normalisation"),
    [
        ("Ann.Lee@Example.com ", "ann.lee@example.com", Normalisation.EMAIL),
        ("(212)555-0142", "212.555.0142", Normalisation.PHONE),
        ("lc-1234-5678-90", "LC-1234-5678-90", Normalisation.UPPER),
    ],
)
def test_normalised_spellings_of_one_value_share_a_token(first: str, second: str, normalisation: Normalisation) -> None:
    tokeniser = Tokeniser(KEY)
    assert tokeniser.tokenise(first, normalisation) == tokeniser.tokenise(second, normalisation)


@pytest.mark.parametrize("missing", [None, "", "   "])
def test_missing_values_stay_missing(missing: str | None) -> None:
    assert Tokeniser(KEY).tokenise(missing) is None


@pytest.mark.parametrize(
    "spelled",
    ["zq dot canary at example dot org", "zq (dot) canary [at] example [dot] org", "ZQ.Canary At Example Dot Org"],
)
def test_an_email_written_out_tokenises_as_the_address_it_spells(spelled: str) -> None:
    tokeniser = Tokeniser(b"k" * 32)

    assert tokeniser.tokenise(spelled, Normalisation.EMAIL) == tokeniser.tokenise(
        "zq.canary@example.org", Normalisation.EMAIL
    )
