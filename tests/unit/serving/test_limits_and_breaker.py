"""The per-retailer rate limit and the insight routes' circuit breaker."""

from __future__ import annotations

import asyncio

import pytest

from serving.breaker import CircuitBreaker, CircuitOpenError
from serving.limits import RateLimiter, retry_after
from serving.warehouse import WarehouseError, WarehouseUnavailableError, escaped


def test_parameter_values_keep_their_backslashes_tabs_and_newlines() -> None:
    assert escaped("abc\\") == "abc\\\\"
    assert escaped("a\tb\nc") == "a\\tb\\nc"
    assert escaped(42) == "42"


def test_a_retailer_past_its_burst_waits_while_another_does_not() -> None:
    limiter = RateLimiter(rate_per_s=1.0, burst=3)

    waits = [limiter.wait_s("R01") for _ in range(4)]

    assert waits[:3] == [0.0, 0.0, 0.0] and 0 < waits[3] <= 1.0
    assert limiter.wait_s("R02") == 0.0
    assert retry_after(waits[3]) == "1"


async def _fails() -> int:
    raise WarehouseUnavailableError("warehouse http://127.0.0.1:1 did not answer")


async def _refused() -> int:
    raise WarehouseError("warehouse http://127.0.0.1:1 answered 400: Code: 62. Syntax error")


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


def test_a_query_the_warehouse_refuses_does_not_open_the_circuit() -> None:
    breaker = CircuitBreaker(failures=1, reset_s=30)

    async def scenario() -> None:
        for _ in range(3):
            with pytest.raises(WarehouseError):
                await breaker.call(_refused)
        assert not breaker.is_open
        assert await breaker.call(_answers) == 7

    asyncio.run(scenario())


def test_a_call_started_before_the_circuit_opened_does_not_end_the_trial_running_after() -> None:
    breaker = CircuitBreaker(failures=1, reset_s=0.05)
    release_old, trial_started, release_trial = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def old_call() -> int:
        await release_old.wait()
        raise WarehouseUnavailableError("warehouse http://127.0.0.1:1 did not answer")

    async def trial() -> int:
        trial_started.set()
        await release_trial.wait()
        return 2

    async def scenario() -> None:
        old = asyncio.create_task(breaker.call(old_call))
        await asyncio.sleep(0)
        with pytest.raises(WarehouseError):
            await breaker.call(_fails)
        await asyncio.sleep(0.06)
        running = asyncio.create_task(breaker.call(trial))
        await trial_started.wait()
        release_old.set()
        with pytest.raises(WarehouseUnavailableError):
            await old
        await asyncio.sleep(0.06)
        with pytest.raises(CircuitOpenError):
            await breaker.call(_answers)
        release_trial.set()
        assert await running == 2

    asyncio.run(scenario())
