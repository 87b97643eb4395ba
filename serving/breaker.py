"""A circuit breaker for the insight routes: after a run of warehouse failures, answer 503 at once for a while.

Closed, every call goes to the warehouse. After ``failures`` in a row it opens
and refuses calls for ``reset_s``; then one call is let through (half open):
if it succeeds the circuit closes, otherwise it opens again. Only the
warehouse being unavailable counts; a query it refuses is that query's error.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from serving.warehouse import WarehouseUnavailableError

T = TypeVar("T")


class CircuitOpenError(Exception):
    """The warehouse failed recently; the call was refused without trying it."""

    def __init__(self, retry_after_s: float) -> None:
        super().__init__(f"the warehouse is unavailable; try again in {retry_after_s:.0f} s")
        self.retry_after_s = retry_after_s


class CircuitBreaker:
    def __init__(self, failures: int, reset_s: float) -> None:
        self._threshold = failures
        self._reset_s = reset_s
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False

    @property
    def is_open(self) -> bool:
        return self._opened_at is not None

    async def call(self, work: Callable[[], Awaitable[T]]) -> T:
        is_trial = False
        if self._opened_at is not None:
            waited = time.monotonic() - self._opened_at
            if waited < self._reset_s or self._trial_running:
                raise CircuitOpenError(max(self._reset_s - waited, 1.0))
            is_trial = self._trial_running = True
        try:
            answer = await work()
        except WarehouseUnavailableError:
            self._failed()
            raise
        finally:
            if is_trial:
                self._trial_running = False
        self._failures = 0
        self._opened_at = None
        return answer

    def _failed(self) -> None:
        self._failures += 1
        if self._opened_at is not None or self._failures >= self._threshold:
            self._opened_at = time.monotonic()
