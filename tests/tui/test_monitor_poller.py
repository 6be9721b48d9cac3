"""tui.poller: re-armed after each poll, backoff when unchanged, retrying on transient errors, done on terminal.

Driven directly in a thread with a fake clock-free fetch (small intervals); no Textual involved.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from s3xrep_tui.aws.errors import AwsError
from s3xrep_tui.tui.poller import Poller, PollState, is_transient


def run_in_thread(poller: Poller[Any], values: list[Any], states: list[PollState],
                  cancelled: Callable[[], bool] | None = None) -> threading.Thread:
    thread = threading.Thread(
        target=poller.run, args=(lambda v, changed: values.append((v, changed)), states.append, cancelled), daemon=True)
    thread.start()
    return thread


def wait(predicate: Callable[[], Any], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_stops_when_the_value_is_terminal_and_never_overlaps() -> None:
    active, overlaps, calls = [0], [0], [0]

    def fetch() -> int:
        active[0] += 1
        overlaps[0] = max(overlaps[0], active[0])
        time.sleep(0.01)
        calls[0] += 1
        active[0] -= 1
        return calls[0]

    values: list[Any] = []
    states: list[PollState] = []
    poller = Poller(fetch, interval=0.001, is_terminal=lambda v: v >= 5)
    final = poller.run(lambda v, c: values.append(v), states.append)
    assert final.status == "done"
    assert values == [1, 2, 3, 4, 5] and calls[0] == 5
    assert overlaps[0] == 1  # the next poll is armed only after the previous one returned


def test_backoff_when_unchanged_and_reset_on_change() -> None:
    answers = iter([1, 1, 1, 1, 2, 2])
    poller = Poller(lambda: next(answers), interval=1.0, backoff=2.0, max_backoff=4.0,
                    is_terminal=lambda _: False)
    delays: list[float | None] = []
    changes: list[bool] = []

    def on_state(state: PollState) -> None:
        if state.status == "waiting":
            delays.append(state.delay)
            poller.poll_now() if len(delays) < 6 else poller.stop()

    poller.run(lambda v, changed: changes.append(changed), on_state)
    assert changes == [True, False, False, False, True, False]
    # poll_now resets the count, so only the unchanged streak before each wait counts
    assert delays[0] == 1.0 and delays[1] == 2.0 and delays[4] == 1.0


def test_backoff_grows_to_its_cap() -> None:
    poller: Poller[int] = Poller(lambda: 7, interval=1.0, backoff=2.0, max_backoff=4.0)
    poller.unchanged = 0
    assert poller._delay() == 1.0
    poller.unchanged = 1
    assert poller._delay() == 2.0
    poller.unchanged = 10
    assert poller._delay() == 4.0


def test_transient_errors_show_retrying_and_recover_by_themselves() -> None:
    script: list[Any] = [1, AwsError("the endpoint x does not answer", "check", "EndpointUnreachable"),
                         AwsError("throttled", "wait", "TooManyRequestsException"), 2]

    def fetch() -> int:
        item = script.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    values: list[Any] = []
    states: list[PollState] = []
    poller = Poller(fetch, interval=0.01, is_terminal=lambda v: v == 2)
    final = poller.run(lambda v, c: values.append(v), states.append)
    assert final.status == "done" and values == [1, 2]
    retrying = [s for s in states if s.status == "retrying"]
    assert [s.failures for s in retrying] == [1, 2]
    assert retrying[1].delay == pytest.approx(0.02)  # 1x, 2x the interval
    assert isinstance(retrying[0].error, AwsError)


def test_other_errors_are_errors_but_polling_goes_on() -> None:
    script: list[Any] = [AwsError("access denied", "grant it", "AccessDenied"), 3]

    def fetch() -> int:
        item = script.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    states: list[PollState] = []
    poller = Poller(fetch, interval=0.001, is_terminal=lambda v: v == 3)
    assert poller.run(lambda v, c: None, states.append).status == "done"
    assert [s.status for s in states if s.status in ("error", "retrying")] == ["error"]


def test_interval_off_waits_for_poll_now_and_set_interval_rearms() -> None:
    calls = [0]

    def fetch() -> int:
        calls[0] += 1
        return calls[0]

    values: list[Any] = []
    states: list[PollState] = []
    poller = Poller(fetch, interval=None, tick=0.01)
    thread = run_in_thread(poller, values, states)
    wait(lambda: any(s.status == "off" for s in states))
    time.sleep(0.1)
    assert calls[0] == 1  # off: nothing more on its own
    poller.poll_now()
    wait(lambda: calls[0] == 2)
    poller.set_interval(0.01)
    wait(lambda: calls[0] >= 5)
    poller.stop()
    thread.join(2)
    assert not thread.is_alive()
    assert states[-1].status == "stopped"


def test_a_cancelled_worker_posts_nothing_more() -> None:
    cancelled = threading.Event()
    values: list[Any] = []
    states: list[PollState] = []
    poller = Poller(lambda: 1, interval=0.01, tick=0.01)
    thread = run_in_thread(poller, values, states, cancelled.is_set)
    wait(lambda: values)
    cancelled.set()
    thread.join(2)
    count = len(values), len(states)
    time.sleep(0.05)
    assert not thread.is_alive() and (len(values), len(states)) == count


def test_what_counts_as_transient() -> None:
    assert is_transient(AwsError("x", "y", "SlowDown"))
    assert is_transient(ConnectionResetError())
    assert not is_transient(AwsError("x", "y", "AccessDenied"))
    assert not is_transient(ValueError("bug"))


def test_interval_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Poller(lambda: 1, interval=0)
    with pytest.raises(ValueError):
        Poller(lambda: 1).set_interval(-1)
