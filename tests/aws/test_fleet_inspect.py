"""Planning a fleet on the sandbox (issue 20): who each account is and each shared role are read once for
the whole fleet, each pair's own buckets once per pair, and the plan is the one per-pair reads give."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from s3xrep_tui.aws import fleet_inspect
from s3xrep_tui.aws.clients import clients_for
from s3xrep_tui.aws.fleet_inspect import FleetClients, _Once, plan_fleet
from s3xrep_tui.aws.identity import caller_identity
from s3xrep_tui.aws.inspect import inspect_role
from s3xrep_tui.core.fleet_pairs import PairsFile, PairSpec
from s3xrep_tui.core.models import MigrationOptions
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT as B
from s3xrep_tui.sandbox.emulator import PROFILES, Sandbox
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A

SRC, DST = PROFILES["source"], PROFILES["destination"]
PAIRS = 6


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sandbox, PairsFile]]:
    config = tmp_path_factory.mktemp("fleet-inspect") / "aws-config"
    with Sandbox(seed="empty", config_path=config) as running:
        src, dst = running.clients(A)("s3"), running.clients(B)("s3")
        specs = []
        for i in range(PAIRS):
            s, d = f"fi-src-{i}", f"fi-dst-{i}"
            src.create_bucket(Bucket=s)
            dst.create_bucket(Bucket=d)
            specs.append(PairSpec(SRC, s, DST, d))
        yield running, PairsFile(tuple(specs))


@pytest.fixture
def pairs(world: tuple[Sandbox, PairsFile], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PairsFile:
    sandbox, pairs = world
    monkeypatch.setenv("AWS_CONFIG_FILE", str(sandbox.config_path))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    for var in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    return pairs


def counting(calls: Counter[str]) -> FleetClients:
    lock = threading.Lock()

    def hook(model: Any = None, **_: Any) -> None:
        with lock:
            calls[f"{model.service_model.service_name}.{model.name}"] += 1

    def make(profile: str | None) -> Any:
        clients = clients_for(profile)
        clients.session.events.register("before-call", hook)
        return clients

    return FleetClients(make)


def test_accounts_and_shared_roles_are_read_once_and_buckets_once_per_pair(pairs: PairsFile) -> None:
    calls: Counter[str] = Counter()
    fleet = plan_fleet(pairs, MigrationOptions(), counting(calls))
    assert not fleet.blocked
    assert calls["sts.GetCallerIdentity"] == 2  # one per profile, not two per pair
    assert calls["iam.GetRole"] == len({r.name for r in fleet.roles}) == 2  # the replication and Batch roles
    assert calls["s3.HeadBucket"] == calls["s3.GetBucketVersioning"] == 2 * PAIRS


class _EveryTime:
    """The reads as before the fleet shared them: every pair asks AWS itself."""

    def identity(self, clients: Any) -> Any:
        return caller_identity(clients)

    def role(self, clients: Any, name: str) -> Any:
        return inspect_role(clients, name)


def test_the_plan_is_the_one_per_pair_reads_give(pairs: PairsFile, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = plan_fleet(pairs, MigrationOptions(), FleetClients())
    monkeypatch.setattr(fleet_inspect, "FleetReads", _EveryTime)
    calls: Counter[str] = Counter()
    alone = plan_fleet(pairs, MigrationOptions(), counting(calls))
    assert calls["sts.GetCallerIdentity"] == 2 * PAIRS  # the patch took: every pair read both accounts
    assert [p.plan for p in shared.pairs] == [p.plan for p in alone.pairs]
    assert shared.roles == alone.roles and shared.findings == alone.findings


def test_once_reads_a_key_once_for_every_thread_that_asks_and_shares_its_error() -> None:
    once, started, go = _Once(), threading.Event(), threading.Event()
    reads: Counter[str] = Counter()

    def slow(key: str) -> str:
        reads[key] += 1
        started.set()
        go.wait(10)
        if key == "bad":
            raise RuntimeError("denied")
        return key.upper()

    with ThreadPoolExecutor(8) as pool:
        good = [pool.submit(once, "good", lambda: slow("good")) for _ in range(4)]
        bad = [pool.submit(once, "bad", lambda: slow("bad")) for _ in range(4)]
        assert started.wait(10)
        go.set()
        assert [f.result(10) for f in good] == ["GOOD"] * 4
        for future in bad:
            with pytest.raises(RuntimeError, match="denied"):
                future.result(10)
    assert reads == {"good": 1, "bad": 1}
