"""A demo sandbox with one migration applied by profile (as the app and ``s3xrep apply`` record it).

Shared by the home, undo and stakeholder screen tests. The plan is applied
through the AWS layer with clients of the sandbox's two demo profiles, so the
journal names those profiles, as an apply from the app does; then the Batch
job runs to the end. ``launcher`` hands an app the SAME running sandbox each
launch: the state a relaunch finds (a quit app does not stop it here).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from textual.geometry import Region
from textual.widget import Widget

from s3xrep_tui.aws.apply import Backoff, apply_plan
from s3xrep_tui.aws.clients import clients_for
from s3xrep_tui.aws.inspect import gather_inputs
from s3xrep_tui.core.models import MigrationOptions
from s3xrep_tui.core.plan import build_plan
from s3xrep_tui.sandbox.emulator import PROFILES, SIMULATOR_NOTE, SOURCE_ACCOUNT, Sandbox
from s3xrep_tui.tui.demo import DemoEnvironment
from tests.sandbox.helpers import wait_for

from .conftest import AMBIENT_VARIABLES

SOURCE, DESTINATION = "acme-legacy-media", "acme-platform-media"
OPTIONS = MigrationOptions(report_bucket="acme-legacy-batch-reports")
SIZES = [(80, 24), (160, 48)]


@contextmanager
def isolated_sandbox(tmp_path_factory: pytest.TempPathFactory, name: str, seed: str = "demo") -> Iterator[Any]:
    """A sandbox with fast timings, the environment of an app that knows only its profiles (no ambient
    credentials, its own HOME and data directory): yields ``(sandbox, root)``."""
    root = tmp_path_factory.mktemp(name)
    with pytest.MonkeyPatch.context() as patch:
        for variable in AMBIENT_VARIABLES:
            patch.delenv(variable, raising=False)
        patch.setenv("HOME", str(root / "home"))
        patch.setenv("S3XREP_DATA_DIR", str(root / "data"))
        patch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        patch.delenv("TMUX", raising=False)
        config = root / "sandbox" / "aws-config"
        with Sandbox(seed=seed, replication_delay=0.05, batch_task_rate=5000.0, config_path=config) as sandbox:
            patch.setenv("AWS_CONFIG_FILE", str(sandbox.config_path))
            patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(root / "no-credentials"))
            yield sandbox, root


def world_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Module-scoped: env isolated, sandbox started, plan applied, its job complete."""
    with isolated_sandbox(tmp_path_factory, "migration-world") as (sandbox, root):
        clients = {side: clients_for(name) for side, name in PROFILES.items()}
        original = clients["destination"]("s3").get_bucket_policy(Bucket=DESTINATION)["Policy"]
        plan = build_plan(gather_inputs(clients["source"], clients["destination"], SOURCE, DESTINATION, OPTIONS))
        result = apply_plan(plan, clients, backoff=Backoff(total=0.1, first=0.005), options=OPTIONS)
        assert result.ok and result.job_id, result.summary()
        s3control = clients["source"]("s3control")

        def finished() -> dict | None:
            job = s3control.describe_job(AccountId=SOURCE_ACCOUNT, JobId=result.job_id)["Job"]
            return job if job["Status"] in ("Complete", "Failed", "Cancelled") else None

        job = wait_for(finished, timeout=90, what="the Batch Replication job to finish")
        yield {"sandbox": sandbox, "clients": clients, "plan": plan, "job": job, "root": root,
               "original_policy": original}


def launcher(world: dict[str, Any]) -> Callable[[], DemoEnvironment]:
    """What ``s3xrep --demo`` hands the app, but the same sandbox every launch (its state kept)."""
    sandbox = world["sandbox"]

    def start() -> DemoEnvironment:
        return DemoEnvironment(str(sandbox.config_path), dict(PROFILES), lambda: None, SIMULATOR_NOTE)

    return start


def visible(widget: Widget) -> str:
    """What the widget's region shows, one string, whitespace squeezed."""
    lines = widget.render_lines(Region(0, 0, widget.outer_size.width, widget.outer_size.height))
    return " ".join(" ".join(line.text for line in lines).split())


def screen_text(app: Any) -> str:
    """The text of every shown leaf widget of the current screen (what the user can read)."""
    shown = [w for w in app.screen.query("Static, DataTable, Digits, Label")
             if w.display and w.region.area > 0 and w.visible]
    return " | ".join(visible(w) for w in shown)


async def until(pilot: Any, condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)
