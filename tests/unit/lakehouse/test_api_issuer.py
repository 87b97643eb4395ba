"""The local token issuer: a key pair kept like the tokenisation key, tokens only for known retailers and scopes."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from lakehouse.api_issuer import LOCAL_ISSUER, SigningKeyError, TokenRequestError, mint_token, serving_config
from lakehouse.settings import Settings
from serving.auth import Principal, TokenVerifier


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, api_token_ttl_s=120)


def test_a_minted_token_is_trusted_by_the_api_it_configures(settings: Settings) -> None:
    token = mint_token(settings, "R02", ["offers:read", "insights:read"])

    config = serving_config(settings)
    principal = asyncio.run(TokenVerifier(config.issuer, config.audience, config.jwks).verify(token))

    assert principal == Principal("r02-app", "R02", frozenset({"offers:read", "insights:read"}))
    assert config.issuer == LOCAL_ISSUER and config.user == settings.analyst_user
    assert settings.api_signing_key_file is not None
    assert stat.S_IMODE(settings.api_signing_key_file.stat().st_mode) == 0o600


def test_the_key_pair_is_made_once_and_kept(settings: Settings) -> None:
    first = serving_config(settings).jwks
    second = serving_config(settings).jwks

    assert first == second and first is not None and len(first["keys"]) == 1


@pytest.mark.parametrize(
    ("retailer", "scopes", "message"),
    [
        ("R99", ["offers:read"], r"retailer 'R99' is not one of the platform's: R01, R02, R03, R04, R05"),
        ("R01", ["admin"], r"scope admin is not one of: recommendations:read, offers:read, insights:read"),
        ("R01", [], r"scope \(none\) is not one of"),
    ],
)
def test_unknown_retailers_and_scopes_get_no_token(
    settings: Settings, retailer: str, scopes: list[str], message: str
) -> None:
    with pytest.raises(TokenRequestError, match=message):
        mint_token(settings, retailer, scopes)


def test_with_a_real_identity_provider_nothing_is_minted_locally(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, api_jwks_url="https://idp.example/jwks", api_issuer="https://idp.example")

    with pytest.raises(TokenRequestError, match="ask it for a token"):
        mint_token(settings, "R01", ["offers:read"])
    config = serving_config(settings)
    assert (config.jwks, config.jwks_url, config.issuer) == (None, "https://idp.example/jwks", "https://idp.example")


def test_a_jwks_url_without_its_issuer_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="LAKEHOUSE_API_JWKS_URL needs LAKEHOUSE_API_ISSUER"):
        Settings(data_dir=tmp_path, api_jwks_url="https://idp.example/jwks")


def test_a_key_file_holding_another_kind_of_key_is_refused_naming_it(settings: Settings) -> None:
    assert settings.api_signing_key_file is not None
    settings.api_signing_key_file.parent.mkdir(parents=True, exist_ok=True)
    other = ec.generate_private_key(ec.SECP256R1())
    pem = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    settings.api_signing_key_file.write_bytes(pem)

    with pytest.raises(SigningKeyError, match=f"{settings.api_signing_key_file} must hold an RSA private key"):
        mint_token(settings, "R01", ["offers:read"])


def test_outside_the_local_profile_the_identity_providers_keys_must_come_over_https(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="must be https outside the local profile"):
        Settings(
            data_dir=tmp_path, profile="production", api_jwks_url="http://idp.example/jwks",
            api_issuer="https://idp.example",
        )  # fmt: skip
