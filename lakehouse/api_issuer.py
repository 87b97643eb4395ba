"""The API's embedded token issuer and the configuration the API is started with.

Locally the platform is its own identity provider: an RSA key pair kept like
the tokenisation key (git-ignored under the data folder, mode 0600) signs
tokens that ``lakehouse api token`` mints, and the API trusts its public half.
With ``api_jwks_url`` set, the API trusts that provider instead and nothing is
minted here.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Iterable
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from governance.keys import read_or_generate_secret
from lakehouse.landing.retailers import RETAILERS
from lakehouse.settings import Settings
from serving.auth import SCOPES
from serving.config import ServingConfig

LOCAL_ISSUER = "lakehouse-local"
KEY_BITS = 2048


class SigningKeyError(ValueError):
    """The local issuer's key file holds something other than an RSA private key."""


class TokenRequestError(ValueError):
    """A token that may not be minted: an unknown retailer or scope, or a real identity provider configured."""


def _new_private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return pem.decode("ascii")


def _private_key(settings: Settings) -> rsa.RSAPrivateKey:
    assert settings.api_signing_key_file is not None
    pem = read_or_generate_secret(settings.api_signing_key_file, _new_private_key_pem)
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SigningKeyError(f"{settings.api_signing_key_file} must hold an RSA private key (PEM); it holds another")
    return key


def _key_id(key: rsa.RSAPrivateKey) -> str:
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()[:16]


def local_jwks(settings: Settings) -> dict[str, Any]:
    """The local issuer's public key as a JWKS."""
    key = _private_key(settings)
    public = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return {"keys": [{**public, "kid": _key_id(key), "use": "sig", "alg": "RS256"}]}


def mint_token(settings: Settings, retailer: str, scopes: Iterable[str], subject: str = "") -> str:
    """A token for ``retailer`` with ``scopes``, signed by the local issuer, valid for ``api_token_ttl_s``."""
    if settings.api_jwks_url:
        raise TokenRequestError(
            f"the API trusts the identity provider at {settings.api_jwks_url}: ask it for a token; "
            "the local issuer mints none"
        )
    known = [code for code, _, _ in RETAILERS]
    if retailer not in known:
        raise TokenRequestError(f"retailer {retailer!r} is not one of the platform's: {', '.join(known)}")
    asked = list(dict.fromkeys(scopes))
    unknown = [scope for scope in asked if scope not in SCOPES]
    if unknown or not asked:
        raise TokenRequestError(f"scope {', '.join(unknown) or '(none)'} is not one of: {', '.join(SCOPES)}")
    key = _private_key(settings)
    now = int(time.time())
    claims = {
        "iss": LOCAL_ISSUER,
        "aud": settings.api_audience,
        "sub": subject or f"{retailer.lower()}-app",
        "retailer": retailer,
        "scope": " ".join(asked),
        "iat": now,
        "exp": now + settings.api_token_ttl_s,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": _key_id(key)})


def serving_config(settings: Settings) -> ServingConfig:
    """The API's configuration: the warehouse as the read-only analyst, and the local issuer or the real one."""
    real_provider = bool(settings.api_jwks_url)
    return ServingConfig(
        warehouse_url=settings.clickhouse_url,
        user=settings.analyst_user,
        password=settings.analyst_password.get_secret_value(),
        issuer=settings.api_issuer if real_provider else LOCAL_ISSUER,
        audience=settings.api_audience,
        jwks=None if real_provider else local_jwks(settings),
        jwks_url=settings.api_jwks_url,
        reload_interval_s=settings.api_reload_interval_s,
        warehouse_concurrency=settings.analyst_max_concurrent_queries,
        rate_per_s=settings.api_rate_per_s,
        rate_burst=settings.api_rate_burst,
        cors_origins=tuple(settings.api_cors_origins),
        otlp_endpoint=settings.api_otlp_endpoint,
    )
