"""Bounded exponential backoff, shared by apply and undo for throttling and IAM propagation."""

from __future__ import annotations

from dataclasses import dataclass


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
