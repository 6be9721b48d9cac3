"""aws.results: verify and canary outcomes per plan, and the plan id derived from the buckets."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from s3xrep_tui.aws import results
from s3xrep_tui.aws.journal import Journal
from s3xrep_tui.core.plan import plan_id
from tests.core.conftest import make_inputs
from tests.core.test_report import DESTINATION, SOURCE, A, B, canary, verify


@pytest.fixture(autouse=True)
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("S3XREP_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def applied(plan: str, *, destination_write: bool = True) -> str:
    """A journal for ``plan`` as apply leaves it (a source write, maybe a destination one)."""
    journal = Journal(plan)
    journal.record("write", call="s3.put_bucket_replication", account="source", account_id=A, target=f"bucket {SOURCE}",
                   before=None, after={})
    if destination_write:
        journal.record("write", call="s3.put_bucket_policy", account="destination", account_id=B,
                       target=f"bucket {DESTINATION}", before=None, after={})
    return plan


def test_record_and_latest_keep_the_newest_of_each_kind_in_a_private_file(data: Path) -> None:
    plan = "p-1"
    assert results.latest(plan) == {"verify": None, "canary": None, "estimate": None}
    results.record_verify(plan, verify(missing=1)["result"], ts="2026-01-01T00:00:00+00:00")
    results.record_canary(plan, canary()["result"], ts="2026-01-01T00:01:00+00:00")
    results.record_verify(plan, verify()["result"], ts="2026-01-01T00:02:00+00:00")
    newest = results.latest(plan)
    assert newest["verify"]["ts"] == "2026-01-01T00:02:00+00:00" and newest["verify"]["result"]["ok"] is True
    assert newest["canary"]["result"]["seconds_to_replicate"] == 2.4 and newest["canary"]["plan_id"] == plan
    path = data / "results" / "p-1.jsonl"
    assert results.results_path(plan) == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert len(path.read_text().splitlines()) == 3


def test_a_recorded_verify_keeps_the_first_differences_and_counts_the_rest() -> None:
    entry = results.record_verify("p-2", verify(missing=50)["result"], keep=20)
    assert len(entry["result"]["differences"]) == 20 and entry["result"]["differences_not_kept"] == 30
    assert results.latest("p-2")["verify"]["result"]["differences_that_matter"] == 50


def test_unreadable_lines_are_skipped(data: Path) -> None:
    results.record_canary("p-3", canary()["result"])
    with open(results.results_path("p-3"), "a") as handle:
        handle.write('{"kind": "verify", "result": "not a dict"}\n[1]\n{"ts": "trunc')
    assert results.latest("p-3")["verify"] is None and results.latest("p-3")["canary"] is not None


def test_a_plan_id_that_is_no_file_name_is_refused() -> None:
    with pytest.raises(ValueError):
        results.record_canary("../escape", {})


@pytest.mark.parametrize("rule_id", [None, "custom-rule"])
def test_plan_id_for_is_core_plan_id(rule_id: str | None) -> None:
    inputs = make_inputs(rule_id=rule_id)
    expected = plan_id(inputs)
    assert results.plan_id_for(inputs.source_account.id, inputs.source.bucket.name, inputs.destination_account.id,
                               inputs.destination.bucket.name, rule_id) == expected


def test_find_plan_id_needs_a_journal() -> None:
    assert results.find_plan_id(SOURCE, DESTINATION, source_account=A, destination_account=B) is None
    default = applied(results.plan_id_for(A, SOURCE, B, DESTINATION))
    assert results.find_plan_id(SOURCE, DESTINATION, source_account=A, destination_account=B) == default
    # without the accounts: the journal says them
    assert results.find_plan_id(SOURCE, DESTINATION) == default


def test_find_plan_id_with_a_custom_rule_id_and_other_accounts() -> None:
    custom = applied(results.plan_id_for(A, SOURCE, B, DESTINATION, "custom-rule"))
    assert results.find_plan_id(SOURCE, DESTINATION, rule_id="custom-rule") == custom
    # verify knows the accounts but not the rule: the only journal for the pair that fits
    assert results.find_plan_id(SOURCE, DESTINATION, source_account=A, destination_account=B) == custom
    # another destination account: that journal is not this pair's
    assert results.find_plan_id(SOURCE, DESTINATION, source_account=A, destination_account="333333333333") is None


def test_find_plan_id_is_none_when_two_journals_could_be_meant() -> None:
    applied(results.plan_id_for(A, SOURCE, B, DESTINATION, "rule-one"), destination_write=False)
    applied(results.plan_id_for(A, SOURCE, "333333333333", DESTINATION, "rule-two"), destination_write=False)
    assert results.find_plan_id(SOURCE, DESTINATION) is None
    assert results.find_plan_id(SOURCE, DESTINATION, rule_id="rule-two", destination_account="333333333333") == \
        results.plan_id_for(A, SOURCE, "333333333333", DESTINATION, "rule-two")


def test_record_for_derives_the_plan_or_records_nothing(data: Path) -> None:
    report = verify()["result"]
    assert results.record_verify_for(report) is None
    assert not (data / "results").exists()
    plan = applied(results.plan_id_for(A, SOURCE, B, DESTINATION))
    assert results.record_verify_for(report) == plan
    assert results.record_canary_for(canary()["result"]) == plan
    assert results.record_canary_for(canary()["result"], "explicit-plan") == "explicit-plan"
    assert [e["kind"] for e in results.read_results(plan)] == ["verify", "canary"]
    assert json.loads(results.results_path("explicit-plan").read_text())["kind"] == "canary"


def test_record_for_never_raises(data: Path) -> None:
    data.mkdir(parents=True)
    (data / "results").write_text("a file where the folder should be")
    assert results.record_canary_for(canary()["result"], "p-9") is None
