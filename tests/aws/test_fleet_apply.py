"""Applying a fleet on the sandbox (issue 20 item 2): bounded concurrency, a failed pair does not stop the
others, a re-run converges every pair, undo per pair and of the whole migration."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from s3xrep_tui.aws import fleet_apply
from s3xrep_tui.aws.apply import Backoff
from s3xrep_tui.aws.fleet_apply import apply_fleet, undo_fleet
from s3xrep_tui.aws.fleet_inspect import FleetClients, plan_fleet
from s3xrep_tui.aws.fleet_store import load
from s3xrep_tui.core.fleet import shared_role_names
from s3xrep_tui.core.fleet_pairs import PairsFile, PairSpec
from s3xrep_tui.core.models import MigrationOptions
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT as B
from s3xrep_tui.sandbox.emulator import PROFILES, Sandbox
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A

SRC, DST = PROFILES["source"], PROFILES["destination"]
OPTIONS = MigrationOptions(replicate_existing=False)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    config = tmp_path_factory.mktemp("fleet-apply") / "aws-config"
    with Sandbox(seed="empty", replication_delay=0.05, batch_task_rate=5000.0, config_path=config) as running:
        yield running


@pytest.fixture
def env(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(sandbox.config_path))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    for var in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    return sandbox


def _world(sandbox: Sandbox, tag: str, n: int) -> PairsFile:
    src, dst = sandbox.clients(A)("s3"), sandbox.clients(B)("s3")
    specs = []
    for i in range(n):
        s, d = f"fa-{tag}-src-{i}", f"fa-{tag}-dst-{i}"
        src.create_bucket(Bucket=s)
        src.put_object(Bucket=s, Key="k.txt", Body=b"x")
        dst.create_bucket(Bucket=d)
        specs.append(PairSpec(SRC, s, DST, d))
    return PairsFile(tuple(specs))


def _apply(fleet: Any, **kw: Any) -> Any:
    return apply_fleet(fleet, FleetClients(), backoff=lambda: Backoff(total=2, first=0.005), **kw)


def test_a_failed_pair_does_not_stop_the_others_and_a_rerun_converges(env: Sandbox) -> None:
    pairs = _world(env, "fail", 4)
    fleet = plan_fleet(pairs, OPTIONS)
    assert not fleet.blocked
    dst = env.clients(B)("s3")
    dst.delete_bucket(Bucket="fa-fail-dst-2")  # gone between plan and apply: that pair fails
    result = _apply(fleet)
    assert not result.ok
    assert [o.pair.index for o in result.failed] == [3]
    assert "1 failed" in result.summary()
    src = env.clients(A)("s3")
    for i in (0, 1, 3):
        assert src.get_bucket_replication(Bucket=f"fa-fail-src-{i}")["ReplicationConfiguration"]["Rules"]
    dst.create_bucket(Bucket="fa-fail-dst-2")
    again = _apply(plan_fleet(pairs, OPTIONS))
    assert again.ok, again.summary()
    assert src.get_bucket_replication(Bucket="fa-fail-src-2")["ReplicationConfiguration"]["Rules"]
    third = _apply(plan_fleet(pairs, OPTIONS))  # converged: every step already holds
    assert third.ok and all(s.status == "no-op" for o in third.outcomes for s in o.result.steps)


def test_concurrency_is_bounded_by_workers(env: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    pairs = _world(env, "pool", 6)
    fleet = plan_fleet(pairs, OPTIONS)
    running, peak, lock = [0], [0], threading.Lock()
    real = fleet_apply.apply_plan

    def counted(*args: Any, **kwargs: Any) -> Any:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        try:
            return real(*args, **kwargs)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(fleet_apply, "apply_plan", counted)
    result = _apply(fleet, workers=2)
    assert result.ok, result.summary()
    assert peak[0] == 2


def test_undo_one_pair_then_the_whole_migration(env: Sandbox) -> None:
    pairs = _world(env, "undo", 3)
    fleet = plan_fleet(pairs, OPTIONS)
    assert _apply(fleet).ok
    record = load(fleet.id)
    iam, src = env.clients(A)("iam"), env.clients(A)("s3")
    repl, _ = shared_role_names(fleet.id)
    [third] = undo_fleet(record, FleetClients(), only=[record.pair("3")])
    assert third.ok, third.result.summary() if third.result else third.error
    with pytest.raises(ClientError):
        src.get_bucket_replication(Bucket="fa-undo-src-2")
    assert src.get_bucket_replication(Bucket="fa-undo-src-0")["ReplicationConfiguration"]["Role"].endswith(repl)
    assert len(iam.list_role_policies(RoleName=repl)["PolicyNames"]) == 2  # the other pairs' policies stay
    rest = undo_fleet(record, FleetClients())
    assert all(o.ok for o in rest), [o.error or o.result.summary() for o in rest]
    with pytest.raises(ClientError):
        iam.get_role(RoleName=repl)
