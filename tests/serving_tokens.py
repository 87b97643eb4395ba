"""Signing keys and tokens for the API's tests: an issuer of the tests' own, and tokens with one thing wrong."""

from __future__ import annotations

import time
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

ISSUER = "test-issuer"
AUDIENCE = "retail-insights-api"
KID = "test-key"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwks_of(key: rsa.RSAPrivateKey, kid: str = KID) -> dict[str, Any]:
    public = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return {"keys": [{**public, "kid": kid, "use": "sig", "alg": "RS256"}]}


def claims(retailer: str = "R01", scope: str = "recommendations:read offers:read insights:read") -> dict[str, Any]:
    now = int(time.time())
    return {"iss": ISSUER, "aud": AUDIENCE, "sub": "test-app", "retailer": retailer, "scope": scope,
            "iat": now, "exp": now + 600}  # fmt: skip


def signed(key: rsa.RSAPrivateKey, body: dict[str, Any], kid: str = KID) -> str:
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": kid})


def bad_tokens(key: rsa.RSAPrivateKey, issuer: str = ISSUER, kid: str = KID) -> dict[str, str]:
    """One token per way a token can be wrong, each otherwise valid for retailer R01 with every scope."""
    good = {**claims(), "iss": issuer}
    without_retailer = {name: value for name, value in good.items() if name != "retailer"}
    unsigned = jwt.encode(good, key="", algorithm="none", headers={"kid": kid})
    return {
        "expired": signed(key, {**good, "iat": good["iat"] - 7200, "exp": good["iat"] - 3600}, kid),
        "wrong audience": signed(key, {**good, "aud": "another-api"}, kid),
        "wrong issuer": signed(key, {**good, "iss": "someone-else"}, kid),
        "another key": signed(new_key(), good, kid),
        "unsigned (alg none)": unsigned,
        "no retailer claim": signed(key, without_retailer, kid),
        "not a JWT": "not.a.jwt",
    }
