"""S3 Replication metrics published into moto's CloudWatch backend.

Stub: the implementation follows.
"""

from __future__ import annotations

from typing import Any


class ReplicationMetrics:
    """Listens to ReplicationEngine events and publishes AWS/S3 replication metrics."""

    def __init__(self, engine: Any, *, period: float = 1.0) -> None:
        self.engine = engine
        self.period = period

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass
