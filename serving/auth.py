"""Bearer tokens: JWTs signed RS256 by the configured issuer, checked against its JWKS with PyJWT.

A token verified once is trusted again from memory until it expires, for at
most ``VERIFIED_TRUST_S``: an app sends the same token with every request, and
decoding and verifying it each time was a third of a request's time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import jwt
from cachetools import TLRUCache
from starlette.concurrency import run_in_threadpool

SCOPES = ("recommendations:read", "offers:read", "insights:read")
"""What a token may grant: each route needs one."""
REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub", "retailer")
JWKS_CACHE_S = 300
"""The identity provider's keys are fetched again after this long, so a revoked key stops verifying."""
JWKS_TIMEOUT_S = 2
LEEWAY_S = 30
"""Clock skew tolerated between the issuer and this host."""
VERIFIED_TRUST_S = 60
"""How long a verified token is trusted without verifying it again (never past its expiry), so a key the
issuer withdraws stops working within ``JWKS_CACHE_S`` plus this."""
VERIFIED_ENTRIES = 10_000


class UntrustedTokenError(Exception):
    """The token cannot be trusted; the message says why without echoing the token."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's subject, the one retailer it acts for, and what it may read."""

    subject: str
    retailer: str
    scopes: frozenset[str]


class TokenVerifier:
    """Verifies a token's signature against the issuer's keys, then its issuer, audience, lifetime and claims."""

    def __init__(self, issuer: str, audience: str, jwks: dict[str, Any] | None, jwks_url: str = "") -> None:
        if jwks is None and not jwks_url:
            raise ValueError("a token verifier needs the issuer's keys or the URL of its JWKS")
        self._issuer = issuer
        self._audience = audience
        self._keys = jwt.PyJWKSet.from_dict(jwks) if jwks is not None else None
        self._client = (
            jwt.PyJWKClient(jwks_url, lifespan=JWKS_CACHE_S, timeout=JWKS_TIMEOUT_S) if jwks is None else None
        )
        self._verified: TLRUCache[str, tuple[Principal, int]] = TLRUCache(
            maxsize=VERIFIED_ENTRIES, ttu=_trusted_until, timer=time.time
        )

    async def verify(self, token: str) -> Principal:
        verified = self._verified.get(token)
        if verified is not None:
            return verified[0]
        principal, expires_at = await self._verify_afresh(token)
        self._verified[token] = (principal, expires_at)
        return principal

    async def _verify_afresh(self, token: str) -> tuple[Principal, int]:
        try:
            key = await self._signing_key(token)
            claims = jwt.decode(
                token,
                key=key,
                algorithms=["RS256"],
                audience=self._audience,
                issuer=self._issuer,
                leeway=LEEWAY_S,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.PyJWTError as error:
            raise UntrustedTokenError(str(error) or type(error).__name__) from error
        retailer, subject, scope = claims["retailer"], claims["sub"], claims.get("scope", "")
        if not isinstance(retailer, str) or not retailer or not isinstance(scope, str):
            raise UntrustedTokenError("the token's retailer and scope claims must be strings")
        return Principal(str(subject), retailer, frozenset(scope.split())), int(claims["exp"])

    async def _signing_key(self, token: str) -> Any:
        if self._client is not None:
            signing = await run_in_threadpool(self._client.get_signing_key_from_jwt, token)
            return signing.key
        assert self._keys is not None
        kid = jwt.get_unverified_header(token).get("kid")
        if not isinstance(kid, str):
            raise UntrustedTokenError("the token names no signing key (kid)")
        try:
            return self._keys[kid].key
        except KeyError:
            raise UntrustedTokenError("the token is signed by a key the issuer does not publish") from None


def _trusted_until(_token: str, verified: tuple[Principal, int], now: float) -> float:
    """A verified token's entry lasts ``VERIFIED_TRUST_S`` or until the token expires (with the leeway), if sooner."""
    return min(now + VERIFIED_TRUST_S, verified[1] + LEEWAY_S)
