"""S3 Batch Operations (S3ReplicateObject) emulation for the sandbox.

Stub: forwards every request; the implementation follows.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from s3xrep_tui.sandbox.server import Call, Forward


class BatchOperations:
    """Middleware answering s3control job routes; forwards everything else."""

    def __init__(self, engine: Any, task_rate: float = 50.0, *, failure_threshold_min_tasks: int = 1000) -> None:
        self.engine = engine
        self.task_rate = task_rate
        self.failure_threshold_min_tasks = failure_threshold_min_tasks

    def __call__(self, call: Call, forward: Forward) -> Response:
        return forward()

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass
