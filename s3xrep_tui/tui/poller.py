"""A reusable poll loop for thread workers.

:class:`Poller` calls ``fetch()`` again and again *in the worker's thread*:

* the next poll is scheduled only after the previous one returned (never two at once);
* ``interval`` seconds between polls, ``None`` switches automatic polling off
  (only :meth:`Poller.poll_now` polls); :meth:`Poller.set_interval` changes it live;
* when a poll returns the same value as the previous one (``==``, or ``key(value)``
  when a ``key`` is given; the AWS layer's frozen dataclasses compare by value), the delay grows by ``backoff`` up to
  ``max_backoff`` times the interval; a change (or :meth:`poll_now`) resets it;
* a transient failure (throttling, the endpoint not answering: :func:`is_transient`)
  is reported as ``"retrying"`` and retried after 1x, 2x, 4x... the interval (at most
  ``retry_max`` seconds); any other failure as ``"error"``, retried at the slowest
  pace; the first success after either goes back to ``"waiting"`` on its own;
* when ``is_terminal(value)`` holds, the loop reports ``"done"`` and returns: nothing
  is polled any more (start a new run to poll again);
* :meth:`stop` or the worker's cancellation end the loop within ``tick`` seconds.

Callbacks run in the worker's thread: they should only post messages. ``run``
checks ``cancelled()`` before every callback, so a cancelled worker posts nothing.
No Textual and no botocore here: a worker drives it, a test can drive it directly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from textual.message import Message

from ..aws.errors import AwsError

__all__ = ["TRANSIENT_CODES", "PollState", "PollStatus", "PollStateChanged", "Poller", "is_transient"]

T = TypeVar("T")

PollStatus = Literal["polling", "waiting", "off", "retrying", "error", "done", "stopped"]

#: AwsError codes (and botocore error codes) that mean "try again later", not "you are wrong".
TRANSIENT_CODES = frozenset({
    "EndpointUnreachable", "Throttling", "ThrottlingException", "ThrottledException", "TooManyRequestsException",
    "TooManyRequests", "SlowDown", "RequestLimitExceeded", "RequestThrottled", "RequestThrottledException",
    "ProvisionedThroughputExceededException", "ServiceUnavailable", "ServiceUnavailableException", "InternalError",
    "InternalFailure", "RequestTimeout", "RequestTimeoutException", "500", "502", "503", "504",
    "ReadTimeoutError", "ConnectTimeoutError", "ConnectionClosedError", "EndpointConnectionError",
})


def is_transient(error: BaseException) -> bool:
    """Throttling, a server-side hiccup or the network: worth retrying without bothering anyone."""
    if isinstance(error, AwsError):
        return error.code in TRANSIENT_CODES
    if isinstance(error, (ConnectionError, TimeoutError, OSError)):
        return True
    return type(error).__name__ in TRANSIENT_CODES


@dataclass(frozen=True)
class PollState:
    """Where a poll loop is. ``delay``: seconds until the next poll (None: none scheduled)."""

    status: PollStatus
    delay: float | None = None
    polls: int = 0  # fetches that returned a value
    unchanged: int = 0  # consecutive polls that returned the same value
    failures: int = 0  # consecutive failed fetches
    error: BaseException | None = None
    interval: float | None = None  # the user's interval (None: off)

    @property
    def retrying(self) -> bool:
        return self.status == "retrying"


class Poller(Generic[T]):
    """Poll ``fetch`` in the calling thread (see the module docstring); thread-safe controls."""

    def __init__(
        self,
        fetch: Callable[[], T],
        *,
        interval: float | None = 5.0,
        backoff: float = 1.5,
        max_backoff: float = 4.0,
        retry_max: float = 60.0,
        is_terminal: Callable[[T], bool] | None = None,
        is_retryable: Callable[[BaseException], bool] = is_transient,
        key: Callable[[T], object] | None = None,
        clock: Callable[[], float] = time.monotonic,
        tick: float = 0.25,
    ) -> None:
        if interval is not None and interval <= 0:
            raise ValueError("interval must be positive (None switches polling off)")
        self.fetch = fetch
        self._interval = interval
        self.backoff = max(1.0, backoff)
        self.max_backoff = max(1.0, max_backoff)
        self.retry_max = retry_max
        self.is_terminal = is_terminal
        self.is_retryable = is_retryable
        self.key = key
        self.clock = clock
        self.tick = tick
        self._cond = threading.Condition()
        self._poke = False
        self._stopped = False
        self._rescheduled = False
        self.polls = 0
        self.unchanged = 0
        self.failures = 0
        self.last: T | None = None
        self._last_key: object = None
        self._has_last = False

    # --- controls (any thread) -------------------------------------------------------

    @property
    def interval(self) -> float | None:
        return self._interval

    def set_interval(self, seconds: float | None) -> None:
        """A new interval (None: off); the pending wait is re-armed with it from the last poll's end."""
        if seconds is not None and seconds <= 0:
            raise ValueError("interval must be positive (None switches polling off)")
        with self._cond:
            self._interval = seconds
            self._rescheduled = True
            self._cond.notify_all()

    def poll_now(self) -> None:
        """Poll as soon as the current poll (if any) returns; resets the backoff."""
        with self._cond:
            self._poke = True
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    @property
    def stopped(self) -> bool:
        return self._stopped

    # --- the loop (the worker's thread) --------------------------------------------------

    def _delay(self) -> float | None:
        interval = self._interval
        if self.failures:
            base = interval if interval is not None else 1.0
            return min(base * (2 ** (self.failures - 1)), max(self.retry_max, base))
        if interval is None:
            return None
        return interval * min(self.backoff ** self.unchanged, self.max_backoff)

    def _state(self, status: PollStatus, error: BaseException | None = None, delay: float | None = None) -> PollState:
        return PollState(status, delay, self.polls, self.unchanged, self.failures, error, self._interval)

    def run(
        self,
        on_value: Callable[[T, bool], None],
        on_state: Callable[[PollState], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> PollState:
        """Poll until terminal, stopped or cancelled; returns the last state.

        ``on_value(value, changed)`` after every successful fetch (``changed``: it differs
        from the previous value, always True the first time); ``on_state(state)`` whenever
        the loop's state changes (polling, waiting, retrying...).
        """
        is_cancelled = cancelled or (lambda: False)

        def state(new: PollState) -> PollState:
            if on_state is not None and not is_cancelled():
                on_state(new)
            return new

        current = self._state("polling")
        while True:
            if self._stopped or is_cancelled():
                return state(self._state("stopped"))
            with self._cond:
                self._poke = False
            state(self._state("polling"))
            try:
                value = self.fetch()
            except Exception as exc:  # noqa: BLE001  (every failure becomes a state, never a crash)
                self.failures += 1
                if self.is_retryable(exc):
                    status: PollStatus = "retrying"
                else:
                    status = "error"
                    self.unchanged = 0
                delay = self._delay()
                if status == "error":  # not transient: keep trying, slowly, so a fix is noticed
                    base = self._interval if self._interval is not None else None
                    delay = None if base is None else min(base * self.max_backoff, max(self.retry_max, base))
                current = state(self._state(status, exc, delay))
            else:
                signature = value if self.key is None else self.key(value)
                changed = not self._has_last or signature != self._last_key
                self._last_key = signature
                self.failures = 0
                self.polls += 1
                self.unchanged = 0 if changed else self.unchanged + 1
                self.last, self._has_last = value, True
                if not is_cancelled():
                    on_value(value, changed)
                if self.is_terminal is not None and self.is_terminal(value):
                    return state(self._state("done"))
                delay = self._delay()
                current = state(self._state("waiting" if delay is not None else "off", delay=delay))
            if not self._wait(delay, current, state, is_cancelled):
                return state(self._state("stopped"))

    def _wait(self, delay: float | None, current: PollState, state: Callable[[PollState], PollState],
              is_cancelled: Callable[[], bool]) -> bool:
        """Sleep until the next poll is due (or poll_now); False when stopped or cancelled meanwhile."""
        finished = self.clock()
        deadline = None if delay is None else finished + delay
        while True:
            announce: PollState | None = None
            with self._cond:
                if self._stopped:
                    return False
                if self._poke:
                    self.unchanged = 0
                    return True
                if self._rescheduled:  # the interval changed: re-arm from the end of the last poll
                    self._rescheduled = False
                    delay = self._delay()
                    deadline = None if delay is None else finished + delay
                    status: PollStatus = current.status if current.status in ("retrying", "error") else (
                        "waiting" if delay is not None else "off")
                    announce = current = self._state(status, current.error, delay)
                else:
                    now = self.clock()
                    if deadline is not None and now >= deadline:
                        return True
                    self._cond.wait(self.tick if deadline is None else min(self.tick, deadline - now))
            if announce is not None:
                state(announce)
            if is_cancelled():
                return False


class PollStateChanged(Message):
    """A poll loop (``loop``: "jobs", "replication", "detail") is polling, waiting, retrying, done...

    ``generation`` is the worker's: a handler drops a message from a loop that has
    since been replaced, so a late answer never paints over a newer one.
    """

    def __init__(self, loop: str, generation: int, state: PollState) -> None:
        super().__init__()
        self.loop = loop
        self.generation = generation
        self.state = state
