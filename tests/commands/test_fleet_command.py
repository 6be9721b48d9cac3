"""A fleet migration through the CLI on the fleet demo (issue 20): plan, apply with one confirmation,
backfill, verify, report and undo five pairs, each pair a single plan with its own journal."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from s3xrep_tui.cli import main
from s3xrep_tui.core.fleet import shared_role_names
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT as B
from s3xrep_tui.sandbox.emulator import PROFILES, Sandbox
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A
from s3xrep_tui.sandbox.seed_fleet import FLEET

SRC, DST = PROFILES["source"], PROFILES["destination"]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    config = tmp_path_factory.mktemp("fleet") / "aws-config"
    with Sandbox(seed="fleet", replication_delay=0.05, batch_task_rate=5000.0, config_path=config) as running:
        yield running


def _pairs_file(tmp_path: Path, names: tuple[str, ...] = FLEET) -> Path:
    text = "[defaults]\ndelete_markers = true\n\n" + "".join(
        f'[[pair]]\nsource = "{SRC}:acme-legacy-{n}"\ndestination = "{DST}:acme-platform-{n}"\n\n' for n in names)
    path = tmp_path / "pairs.toml"
    path.write_text(text)
    return path


def _run(capsys: Any, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _jobs_ended(capsys: Any, mid: str, deadline: float = 60.0) -> dict[str, Any]:
    """Poll ``jobs --migration --json`` until every pair's job ended (a condition, bounded)."""
    end = time.monotonic() + deadline
    while True:
        _, out, _ = _run(capsys, "jobs", "--migration", mid, "--json")
        data = json.loads(out)
        jobs = [p["job"] for p in data["pairs"]]
        if all(j and j["status"] in ("Complete", "Failed", "Cancelled") for j in jobs):
            return data
        assert time.monotonic() < end, f"jobs did not end: {jobs}"
        time.sleep(0.2)


def test_plan_with_map_shows_the_pairs_it_found_before_planning(env: Path, capsys: Any) -> None:
    code, out, err = _run(capsys, "plan", "--map", f"{SRC}:acme-legacy-*={DST}:acme-platform-*")
    assert code == 0, err
    assert "Map " in out and "acme-legacy-orders               -> acme-platform-orders" in out
    assert "acme-legacy-archive" in out and "skipped: no such bucket" in out
    assert "6 pair(s)" in out  # media (the demo's pair) and the five of the fleet
    assert out.index("Map ") < out.index("Migration ")


def test_plan_estimates_every_pair_and_the_fleet_in_total(env: Path, capsys: Any, tmp_path: Path) -> None:
    """Issue 20 item 4: per pair and in total, before anything is written (CloudWatch's storage metrics, prices)."""
    code, out, _ = _run(capsys, "plan", "--pairs", str(_pairs_file(tmp_path)), "--json")
    assert code == 0
    estimate = json.loads(out)["estimate"]
    assert len(estimate["pairs"]) == 5 and len(estimate["total"]["pairs"]) == 5
    one_time = sum(p["one_time_usd"] for p in estimate["pairs"])
    assert estimate["total"]["one_time_usd"] == pytest.approx(one_time, abs=0.01) and one_time > 0
    assert max(p["backfill_seconds"] or 0 for p in estimate["pairs"]) == estimate["total"]["backfill_seconds"]
    code, out, _ = _run(capsys, "plan", "--pairs", str(_pairs_file(tmp_path)))
    assert code == 0 and "Cost and time of the whole fleet" in out and "ESTIMATE, not a quote" in out
    assert sum("acme-legacy-" in line and "One-time" in line for line in out.splitlines()) == 5, out
    code, out, _ = _run(capsys, "plan", "--pairs", str(_pairs_file(tmp_path)), "--json", "--no-estimate")
    assert code == 0 and json.loads(out)["estimate"] is None


def test_plan_json_holds_every_pair_and_the_shared_roles(env: Path, capsys: Any, tmp_path: Path) -> None:
    code, out, _ = _run(capsys, "plan", "--pairs", str(_pairs_file(tmp_path)), "--json")
    assert code == 0
    data = json.loads(out)
    assert len(data["pairs"]) == 5 and "estimate" in data
    repl, batch = shared_role_names(data["migration"])
    assert {r["name"] for r in data["roles"]} == {repl, batch}
    assert all(r["characters"] <= r["limit"] for r in data["roles"])


def test_bad_pairs_file_is_one_line_naming_the_line(env: Path, capsys: Any, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("source,destination,rtc\na:acme-a,b:acme-b,perhaps\n")
    code, out, err = _run(capsys, "plan", "--pairs", str(path))
    assert code == 2 and out == ""
    assert "bad.csv line 2" in err and "field rtc" in err and len(err.strip().splitlines()) == 1


def test_a_pair_given_twice_is_blocked_across_pairs(env: Path, capsys: Any, tmp_path: Path) -> None:
    code, out, _ = _run(capsys, "plan", "--pairs", str(_pairs_file(tmp_path, ("orders", "orders"))))
    assert code == 3 and "are the same pair" in out


def test_fleet_end_to_end_apply_backfill_verify_report_undo(
    env: Path, sandbox: Sandbox, capsys: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    pairs = _pairs_file(tmp_path)
    code, out, _ = _run(capsys, "plan", "--pairs", str(pairs), "--json")
    mid = json.loads(out)["migration"]
    # one confirmation for the whole fleet: the migration id typed once
    monkeypatch.setattr("sys.stdin", _Terminal(mid + "\n"))
    code, out, err = _run(capsys, "apply", "--pairs", str(pairs), "--iam-wait", "5")
    assert code == 0, out + err
    assert out.count("Type the migration id") == 1
    assert f"migration {mid}: 5 of 5 pair(s) applied" in out

    src, dst = sandbox.clients(A), sandbox.clients(B)
    repl, batch = shared_role_names(mid)
    policies = src("iam").list_role_policies(RoleName=repl)["PolicyNames"]
    assert len(policies) == 5  # one role for the source account, one inline policy per pair
    for name in FLEET:
        config = src("s3").get_bucket_replication(Bucket=f"acme-legacy-{name}")["ReplicationConfiguration"]
        assert config["Role"].endswith(f"/{repl}")

    data = _jobs_ended(capsys, mid)
    assert all(p["job"]["status"] == "Complete" and p["job"]["failed"] == 0 for p in data["pairs"])

    code, out, err = _run(capsys, "verify", "--migration", mid)
    assert code == 0, out + err
    assert f"migration {mid}: 5 of 5 pair(s) verified" in out

    code, out, err = _run(capsys, "report", "--migration", mid)
    assert code == 0, err
    assert f"# Migration {mid}" in out and all(f"acme-legacy-{n}" in out for n in FLEET)
    assert "5 of 5 verified" in out

    # a re-run converges: nothing left to change
    code, out, _ = _run(capsys, "apply", "--pairs", str(pairs), "--yes", "--iam-wait", "5")
    assert code == 0 and "5 of 5 pair(s) applied" in out

    code, out, err = _run(capsys, "undo", "--migration", mid, "--yes")
    assert code == 0, out + err
    assert f"migration {mid}: 5 of 5 pair(s) undone" in out
    for role in (repl, batch):
        with pytest.raises(ClientError):
            src("iam").get_role(RoleName=role)
    for name in FLEET:
        with pytest.raises(ClientError):
            src("s3").get_bucket_replication(Bucket=f"acme-legacy-{name}")
        with pytest.raises(ClientError):
            dst("s3").get_bucket_policy(Bucket=f"acme-platform-{name}")


@pytest.mark.parametrize(("argv", "words"), [
    (["undo", "--migration", "fleet-00000000", "--yes"], "no fleet migration fleet-00000000"),
    (["undo"], "required: PLAN_ID (or --migration ID)"),
    (["jobs", "--migration", "fleet-00000000"], "no fleet migration"),
    (["verify", "--migration", "fleet-00000000"], "no fleet migration"),
    (["report", "--migration", "fleet-00000000"], "no fleet migration"),
    (["plan", "--pairs", "nowhere.toml"], "--pairs nowhere.toml: no such file"),
    (["plan", "--map", "acme-*"], "is not SOURCE=DESTINATION"),
    (["apply", "--pairs", "x.toml", "--source", "a:b"], "not both"),
    (["plan"], "required: --source, --dest (or --pairs FILE / --map for a fleet)"),
])
def test_fleet_bad_arguments_exit_2_in_one_line(env: Path, capsys: Any, argv: list[str], words: str) -> None:
    code, _, err = _run(capsys, *argv)
    assert code == 2 and words in err and len(err.strip().splitlines()) == 1, err
