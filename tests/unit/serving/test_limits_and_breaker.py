"""The per-retailer rate limit and the insight routes' circuit breaker."""

from __future__ import annotations

import asyncio

import pytest

from serving.breaker import CircuitBreaker, CircuitOpenError
from serving.limits import RateLimiter, retry_after
from serving.warehouse import WarehouseError


def test_a_retailer_past_its_burst_waits_while_another_does_not() -> None:
    limiter = RateLimiter(rate_per_s=1.0, burst=3)

    waits = [limiter.wait_s("R01") for _ in range(4)]

    assert waits[:3] == [0.0, 0.0, 0.0] and 0 < waits[3] <= 1.0
    assert limiter.wait_s("R02") == 0.0
    assert retry_after(waits[3]) == "1"


async def _fails() -> int:
    raise WarehouseError("warehouse http://127.0.0.1:1 did not answer")


async def _answers() -> int:
    return 7


def test_the_circuit_opens_after_failures_in_a_row_and_a_trial_closes_it() -> None:
    breaker = CircuitBreaker(failures=2, reset_s=0.2)

    async def scenario() -> None:
        for _ in range(2):
            with pytest.raises(WarehouseError):
                await breaker.call(_fails)
        assert breaker.is_open
        with pytest.raises(CircuitOpenError) as refused:
            await breaker.call(_answers)
        assert refused.value.retry_after_s >= 1.0
        await asyncio.sleep(0.25)
        assert await breaker.call(_answers) == 7
        assert not breaker.is_open

    asyncio.run(scenario())


def test_a_failed_trial_opens_the_circuit_again() -> None:
    breaker = CircuitBreaker(failures=1, reset_s=0.1)

    async def scenario() -> None:
        with pytest.raises(WarehouseError):
            await breaker.call(_fails)
        await asyncio.sleep(0.15)
        with pytest.raises(WarehouseError):
            await breaker.call(_fails)
        with pytest.raises(CircuitOpenError):
            await breaker.call(_answers)

    asyncio.run(scenario())
