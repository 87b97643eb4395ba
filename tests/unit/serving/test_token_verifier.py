"""Tokens the API trusts: RS256 from the issuer's keys, with its issuer, audience, lifetime and claims."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import jwt
import pytest

from serving.auth import LEEWAY_S, Principal, TokenVerifier, UntrustedTokenError
from tests.serving_tokens import AUDIENCE, ISSUER, bad_tokens, claims, jwks_of, new_key, signed

KEY = new_key()
VERIFIER = TokenVerifier(ISSUER, AUDIENCE, jwks_of(KEY))


def test_a_valid_token_names_its_subject_retailer_and_scopes() -> None:
    principal = asyncio.run(VERIFIER.verify(signed(KEY, claims("R03", "offers:read insights:read"))))

    assert principal == Principal("test-app", "R03", frozenset({"offers:read", "insights:read"}))


@pytest.mark.parametrize("defect", list(bad_tokens(KEY)))
def test_a_token_with_one_defect_is_refused_saying_why(defect: str) -> None:
    token = bad_tokens(KEY)[defect]

    with pytest.raises(UntrustedTokenError) as refused:
        asyncio.run(VERIFIER.verify(token))

    assert str(refused.value) and token not in str(refused.value)


def test_a_token_naming_a_key_the_issuer_does_not_publish_is_refused() -> None:
    with pytest.raises(UntrustedTokenError, match="a key the issuer does not publish"):
        asyncio.run(VERIFIER.verify(signed(KEY, claims(), kid="retired-key")))


def test_a_verifier_needs_the_issuers_keys_or_their_url() -> None:
    with pytest.raises(ValueError, match="needs the issuer's keys or the URL of its JWKS"):
        TokenVerifier(ISSUER, AUDIENCE, None, "")


def test_a_token_verified_once_is_trusted_from_memory_and_not_decoded_again(monkeypatch: pytest.MonkeyPatch) -> None:
    decoded: list[str] = []
    decode = jwt.decode

    def counted(token: str, **options: Any) -> dict[str, Any]:
        decoded.append(token)
        return decode(token, **options)

    monkeypatch.setattr(jwt, "decode", counted)
    verifier = TokenVerifier(ISSUER, AUDIENCE, jwks_of(KEY))
    token = signed(KEY, claims("R02", "insights:read"))

    first, again = (asyncio.run(verifier.verify(token)) for _ in range(2))

    assert first == again == Principal("test-app", "R02", frozenset({"insights:read"}))
    assert decoded == [token]


def test_a_remembered_token_is_refused_once_it_expires() -> None:
    verifier = TokenVerifier(ISSUER, AUDIENCE, jwks_of(KEY))
    expires = int(time.time()) - LEEWAY_S + 2
    token = signed(KEY, {**claims(), "exp": expires})
    assert asyncio.run(verifier.verify(token)).retailer == "R01"

    time.sleep(max(0.0, expires + LEEWAY_S - time.time()) + 0.05)

    with pytest.raises(UntrustedTokenError, match="Signature has expired"):
        asyncio.run(verifier.verify(token))
