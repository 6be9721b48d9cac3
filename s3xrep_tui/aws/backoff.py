"""Bounded exponential backoff, shared by apply and undo for throttling and IAM propagation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from .errors import THROTTLING_CODES, error_code


@dataclass(frozen=True)
class Backoff:
    """Bounded exponential backoff: waits of ``first``, ``first*factor``, ... (each at most
    ``max_delay``) until they add up to ``total`` seconds."""

    total: float = 60.0
    first: float = 1.0
    factor: float = 2.0
    max_delay: float = 15.0

    def delays(self) -> tuple[float, ...]:
        waits: list[float] = []
        spent, delay = 0.0, self.first
        while delay > 0 and spent < self.total - 1e-9:
            wait = min(delay, self.max_delay, self.total - spent)
            waits.append(wait)
            spent += wait
            delay *= self.factor
        return tuple(waits)

    @property
    def attempts(self) -> int:
        return len(self.delays()) + 1


class GaveUp(Exception):
    """A retried call still failed when the backoff's waits ran out."""

    def __init__(self, error: ClientError, reason: str, attempts: int, waited: float) -> None:
        super().__init__(reason)
        self.error, self.reason, self.attempts, self.waited = error, reason, attempts, waited

    def told(self, message: str) -> str:
        """``message`` (the last error, explained) with how long it was retried."""
        return f"{message} (still failing after {self.attempts} attempts over {self.waited:.0f}s)"


#: ``send_with_backoff``'s answer when the call failed with one of the ``absent`` codes.
ABSENT = object()


def send_with_backoff(
    send: Callable[[], Any],
    backoff: Backoff,
    *,
    reason: Callable[[ClientError], str | None],
    on_wait: Callable[[str, float, int, int], None],
    sleep: Callable[[float], None],
    absent: tuple[str, ...] = (),
    before_each: Callable[[], None] | None = None,
) -> Any:
    """``send()``, retried while ``reason(error)`` names why a wait may help.

    ``on_wait(reason, delay, next_attempt, attempts)`` is told before each wait;
    an error with an ``absent`` code gives :data:`ABSENT`; any other error is
    raised as it is; :class:`GaveUp` when the waits have run out.
    """
    delays = backoff.delays()
    attempt = 1
    while True:
        if before_each is not None:
            before_each()
        try:
            return send()
        except ClientError as exc:
            if error_code(exc) in absent:
                return ABSENT
            why = reason(exc)
            if not why:
                raise
            if attempt > len(delays):
                raise GaveUp(exc, why, attempt, sum(delays)) from exc
            delay = delays[attempt - 1]
            attempt += 1
            on_wait(why, delay, attempt, len(delays) + 1)
            sleep(delay)


def throttled(exc: ClientError) -> str | None:
    """Why to wait when AWS throttles a call (None: it did not)."""
    code = error_code(exc)
    return f"AWS is throttling these requests ({code}): slowing down" if code in THROTTLING_CODES else None
