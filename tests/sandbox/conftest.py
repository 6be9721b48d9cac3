"""Fixtures for the sandbox tests (the Batch Operations and metrics tests use them too).

``sandbox``: a started Sandbox with fast rates and seed="empty" (one per test:
starting one resets moto's process-global state). ``source_clients`` /
``destination_clients``: ``Clients`` for each account pointed at it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT, SOURCE_ACCOUNT, Sandbox

FAST_DELAY = 0.05
FAST_BATCH_RATE = 5000.0


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    with Sandbox(seed="empty", replication_delay=FAST_DELAY, batch_task_rate=FAST_BATCH_RATE,
                 config_path=tmp_path / "aws-config") as running:
        yield running


@pytest.fixture
def source_clients(sandbox: Sandbox) -> Any:
    return sandbox.clients(SOURCE_ACCOUNT)


@pytest.fixture
def destination_clients(sandbox: Sandbox) -> Any:
    return sandbox.clients(DESTINATION_ACCOUNT)


def clients_for(sandbox: Sandbox, account_id: str) -> Any:
    """``Clients`` of ``account_id`` for the sandbox endpoint (same as ``sandbox.clients``)."""
    return sandbox.clients(account_id)
