"""The journaled apply and undo on the sandbox (real boto3 over HTTP), one fresh world per test.

Each test creates its own buckets (unique names) in one module-wide sandbox
with the empty seed: a source with a few objects, a destination with a foreign
bucket-policy statement, a report bucket. The plan then has all sixteen steps (nine, and seven for the alarms).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from s3xrep_tui.aws.apply import ApplyEvent, Backoff, apply_plan
from s3xrep_tui.aws.inspect import gather_inputs
from s3xrep_tui.aws.journal import Journal
from s3xrep_tui.aws.undo import undo
from s3xrep_tui.core.models import MigrationOptions
from s3xrep_tui.core.plan import build_plan
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT as B
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A
from s3xrep_tui.sandbox.emulator import Sandbox
from s3xrep_tui.sandbox.server import Call, Forward, s3_error
from tests.apply_world import FAST, World, foreign_policy, make_world

CALLS = [
    "s3.put_bucket_versioning", "s3.put_bucket_versioning", "iam.create_role", "iam.put_role_policy",
    "iam.create_role", "iam.put_role_policy", "s3.put_bucket_policy", "s3.put_bucket_replication",
    # the alarms (on by default, issue 18): topic, its policy, the source's events, two alarms
    "sns.create_topic", "sns.set_topic_attributes", "s3.put_bucket_notification_configuration",
    "cloudwatch.put_metric_alarm", "cloudwatch.put_metric_alarm", "sqs.create_queue", "sns.subscribe",
    "s3control.create_job",
]
ALARM_STEPS = 7


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    config = tmp_path_factory.mktemp("apply") / "aws-config"
    with Sandbox(seed="empty", replication_delay=0.05, batch_task_rate=5000.0, config_path=config) as running:
        yield running


@pytest.fixture(scope="module")
def accounts(sandbox: Sandbox) -> dict[str, Any]:
    """One Clients per account for the module (creating boto3 clients is the slow part)."""
    return {A: sandbox.clients(A), B: sandbox.clients(B)}


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("S3XREP_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture
def world(sandbox: Sandbox, accounts: dict[str, Any]) -> Callable[[str], World]:
    return lambda name: make_world(sandbox, accounts, name)


class Interrupted(Exception):
    pass


# -- idempotency and interruption --------------------------------------------------------------


@pytest.mark.parametrize("stop_after", range(1, len(CALLS) + 1))
def test_interrupted_after_any_step_a_rerun_converges_and_undo_restores(world: Callable[[str], World], stop_after: int) -> None:
    w = world(f"cut{stop_after}")
    plan = w.plan()
    assert [s.call for s in plan.steps] == CALLS and not plan.blocked

    def interrupt(event: ApplyEvent) -> None:
        if event.status in ("done", "no-op") and event.index == stop_after:
            raise Interrupted()

    with pytest.raises(Interrupted):
        w.apply(plan, progress=interrupt)

    again = w.apply(plan)  # the same plan: each step finds its work done and moves on
    assert again.ok, again.summary()
    assert [r.status for r in again.steps] == ["no-op"] * stop_after + ["done"] * (len(CALLS) - stop_after)
    w.assert_applied()

    journal = Journal(plan.id).read()
    assert journal.problems == []
    assert [e["call"] for e in journal.writes()] == CALLS  # each write journaled once, in order
    assert len(journal.done()) == len(CALLS)

    result = undo(plan.id, w.clients)
    assert result.ok, [i for i in result.items if i.status in ("skipped", "failed")]
    w.assert_undone()


def test_a_second_apply_with_a_new_plan_is_all_no_ops(world: Callable[[str], World]) -> None:
    w = world("twice")
    first = w.apply()
    assert first.ok and first.job_id
    again = w.apply()  # planned again from the new state
    assert [r.status for r in again.steps] == ["no-op"] * len(again.steps)
    assert again.job_id == first.job_id
    w.assert_applied()


# -- IAM eventual consistency ------------------------------------------------------------------


class RejectPrincipalsAfterCreateRole:
    """Answers put_bucket_policy with MalformedPolicy 'Invalid principal' K times after each CreateRole."""

    def __init__(self, times: int) -> None:
        self.times = times
        self.left = 0
        self.rejected = 0

    def __call__(self, call: Call, forward: Forward) -> Any:
        if call.service == "iam" and b"Action=CreateRole" in call.body:
            response = forward()
            if response.status_code == 200:
                self.left = self.times
            return response
        if (call.service == "s3" and not call.is_s3control and call.method == "PUT" and call.bucket
                and call.key is None and "policy" in call.args and self.left > 0):
            self.left -= 1
            self.rejected += 1
            return s3_error("MalformedPolicy", "Invalid principal in policy", 400)
        return forward()


@pytest.fixture
def reject_principals(sandbox: Sandbox) -> Iterator[Callable[[int], RejectPrincipalsAfterCreateRole]]:
    middlewares = sandbox._server.app.middlewares  # type: ignore[union-attr]
    added: list[RejectPrincipalsAfterCreateRole] = []

    def install(times: int) -> RejectPrincipalsAfterCreateRole:
        middleware = RejectPrincipalsAfterCreateRole(times)
        middlewares.insert(0, middleware)
        added.append(middleware)
        return middleware

    yield install
    for middleware in added:
        middlewares.remove(middleware)


def test_an_invalid_principal_right_after_create_role_is_retried_and_each_wait_reported(
    world: Callable[[str], World], reject_principals: Callable[[int], RejectPrincipalsAfterCreateRole]
) -> None:
    w = world("iamwait")
    rejecting = reject_principals(3)
    events: list[ApplyEvent] = []
    result = w.apply(progress=events.append)
    assert result.ok, result.summary()
    assert rejecting.rejected == 3
    step = next(r for r in result.steps if r.step.call == "s3.put_bucket_policy")
    assert step.status == "done" and step.waits == 3
    waits = [e for e in events if e.status == "waiting"]
    role = f"s3xrep-repl-{w.src}"
    assert [e.message for e in waits] == [
        f"waiting for IAM to propagate role {role} (attempt {n}/{FAST.attempts})" for n in (2, 3, 4)
    ]
    assert all(e.step.call == "s3.put_bucket_policy" and e.delay and e.delay > 0 for e in waits)
    # the retried write was journaled once
    assert [e["call"] for e in Journal(result.plan_id).read().writes()].count("s3.put_bucket_policy") == 1
    w.assert_applied()


def test_when_iam_never_settles_the_step_fails_with_a_fix_and_a_rerun_continues(
    world: Callable[[str], World], reject_principals: Callable[[int], RejectPrincipalsAfterCreateRole]
) -> None:
    w = world("iamslow")
    rejecting = reject_principals(100)
    result = w.apply()
    assert not result.ok
    assert result.failed is not None and result.failed.step.call == "s3.put_bucket_policy"
    assert rejecting.rejected == FAST.attempts
    assert result.error is not None and "Invalid principal" in result.error.message
    assert "IAM" in result.error.fix and "run apply again" in result.error.fix
    assert [r.status for r in result.steps[-2:]] == ["not-run", "not-run"]
    assert "continues from that step" in result.summary()

    rejecting.left = 0  # IAM caught up
    again = w.apply()
    assert again.ok
    assert [r.status for r in again.steps][6:] == ["done"] * (3 + ALARM_STEPS)
    w.assert_applied()


def test_cancel_during_a_wait_stops_the_run(
    world: Callable[[str], World], reject_principals: Callable[[int], RejectPrincipalsAfterCreateRole]
) -> None:
    w = world("cancel")
    reject_principals(100)
    cancel = threading.Event()

    def on_wait(event: ApplyEvent) -> None:
        if event.status == "waiting":
            cancel.set()

    result = w.apply(progress=on_wait, cancel=cancel, backoff=Backoff(total=30, first=10))
    assert result.cancelled and not result.ok
    assert [r.status for r in result.steps][6:] == ["cancelled", "not-run", "not-run"] + ["not-run"] * ALARM_STEPS


# -- concurrent changes -------------------------------------------------------------------------


def test_a_statement_added_between_plan_and_apply_survives_the_merge(world: Callable[[str], World]) -> None:
    w = world("concurrent")
    plan = w.plan()
    w.s3b().put_bucket_policy(Bucket=w.dst, Policy=json.dumps(foreign_policy(w.dst, "Other", "AddedMeanwhile")))
    events: list[ApplyEvent] = []
    result = w.apply(plan, progress=events.append)
    assert result.ok
    step = next(r for r in result.steps if r.step.call == "s3.put_bucket_policy")
    assert step.remerged and "re-merged" in step.message
    assert any(e.status == "info" and "changed since the plan" in e.message for e in events)
    sids = [s["Sid"] for s in w.dst_policy()["Statement"]]  # type: ignore[index]
    assert sids[:2] == ["Other", "AddedMeanwhile"] and len(sids) > 2
    ours = [s for s in plan.documents["destination_bucket_policy"]["Statement"] if s["Sid"].startswith("S3xrep")]
    assert w.dst_policy()["Statement"][2:] == ours  # type: ignore[index]


def test_a_rule_added_between_plan_and_apply_survives_the_merge(world: Callable[[str], World]) -> None:
    w = world("concrule")
    w.apply()  # roles, versioning and our rule in place
    plan = w.plan()
    # our rule is taken out by hand; someone adds a rule of their own (an edit of ours would no longer be
    # ours: tests/reliability/test_rule_edited_before_apply.py)
    config = w.replication()
    assert config is not None
    other = {**config["Rules"][0], "ID": "theirs", "Priority": 7, "Status": "Enabled",
             "Filter": {"Prefix": "theirs/"}}
    config["Rules"] = [other]
    w.s3a().put_bucket_replication(Bucket=w.src, ReplicationConfiguration=config)
    result = w.apply(plan)
    assert result.ok
    step = next(r for r in result.steps if r.step.call == "s3.put_bucket_replication")
    assert step.status == "done" and step.remerged
    rules = {r["ID"]: r for r in w.replication()["Rules"]}  # type: ignore[index]
    assert rules["theirs"] == other
    assert rules[f"s3xrep-to-{w.dst}"]["Status"] == "Enabled"


# -- dry run, read-only, wrong account ---------------------------------------------------------


def test_dry_run_sends_nothing(world: Callable[[str], World], data_dir: Path) -> None:
    w = world("dry")
    plan = w.plan()
    before = w.snapshot()
    events: list[ApplyEvent] = []
    result = apply_plan(plan, w.clients, dry_run=True, progress=events.append)
    assert result.ok and result.dry_run and result.journal_path is None
    assert [e.status for e in events] == ["dry-run"] * len(plan.steps)
    assert [e.payload for e in events] == [s.request for s in plan.steps]
    assert w.snapshot() == before
    assert not (data_dir / "journal").exists()


def test_read_only_refuses_every_write(world: Callable[[str], World]) -> None:
    w = world("readonly")
    before = w.snapshot()
    result = w.apply(read_only=True)
    assert not result.ok
    assert result.error is not None and result.error.code == "ReadOnly"
    assert "read-only" in result.error.message and result.failed.step.call == "s3.put_bucket_versioning"  # type: ignore[union-attr]
    assert w.snapshot() == before
    assert result.journal_path is not None and not result.journal_path.exists()

    w.apply()
    checked = w.apply(read_only=True)  # read-only over an applied world: every step holds
    assert checked.ok and {r.status for r in checked.steps} == {"no-op"}


def test_credentials_of_the_wrong_account_are_refused_before_any_write(world: Callable[[str], World]) -> None:
    w = world("swapped")
    swapped = {"source": w.accounts[B], "destination": w.accounts[A]}
    before = w.snapshot()
    result = apply_plan(w.plan(), swapped, backoff=FAST)
    assert result.error is not None and result.error.code == "WrongAccount"
    assert w.snapshot() == before


# -- undo ---------------------------------------------------------------------------------------


def test_undo_skips_a_document_changed_since_apply_and_restores_the_rest(world: Callable[[str], World]) -> None:
    w = world("clobber")
    result = w.apply()
    assert result.ok
    edited = w.dst_policy()
    assert edited is not None
    edited["Statement"].append(foreign_policy(w.dst, "EditedAfterApply")["Statement"][0])
    w.s3b().put_bucket_policy(Bucket=w.dst, Policy=json.dumps(edited))

    outcome = undo(result.plan_id, w.clients)
    assert not outcome.ok
    by_call = {i.call: i for i in outcome.items}
    assert by_call["s3.put_bucket_policy"].status == "skipped"
    assert "changed since apply" in by_call["s3.put_bucket_policy"].message
    assert w.dst_policy() == edited  # not clobbered
    # the rest restored, but not the replication role: the policy left in place still grants it
    assert w.replication() is None and w.roles() == {f"s3xrep-repl-{w.src}"}
    kept = next(i for i in outcome.items if i.call == "iam.create_role" and i.target == f"role s3xrep-repl-{w.src}")
    assert kept.status == "skipped" and f"still named by the bucket policy of {w.dst}" in kept.message
    notes = [i for i in outcome.items if i.call == "s3.put_bucket_versioning"]
    assert len(notes) == 2 and all(i.status == "note" and "cannot turn versioning off" in i.message for i in notes)

    # a second undo only looks at what is still pending: the skipped policy, and the role it names
    second = undo(result.plan_id, w.clients)
    assert [i.call for i in second.items] == ["s3.put_bucket_policy", "iam.create_role"]


def applied_with_a_parked_job(w: World) -> tuple[Any, Any]:
    """Apply with the job parked in Suspended (confirmation required), so it is still running at undo time."""
    plan = w.plan()
    steps = tuple(
        s.model_copy(update={"request": {**s.request, "ConfirmationRequired": True}}) if s.call == "s3control.create_job" else s
        for s in plan.steps
    )
    result = w.apply(plan.model_copy(update={"steps": steps}))
    assert result.ok and result.job_id
    return plan, result


def test_undo_dry_run_changes_nothing_and_a_running_job_is_cancelled(world: Callable[[str], World]) -> None:
    w = world("undojob")
    plan, result = applied_with_a_parked_job(w)

    preview = undo(plan.id, w.clients, dry_run=True)
    assert {i.status for i in preview.items} >= {"would-cancel", "would-delete", "would-restore"}
    w.assert_applied()
    assert len(Journal(plan.id).read().undone()) == 0

    outcome = undo(plan.id, w.clients)
    assert outcome.ok
    job = next(i for i in outcome.items if i.call == "s3control.create_job")
    assert job.status == "cancelled" and result.job_id in job.message
    status = w.accounts[A]("s3control").describe_job(AccountId=A, JobId=result.job_id)["Job"]["Status"]
    assert status in ("Cancelling", "Cancelled")
    w.assert_undone()


def test_undo_works_from_a_journal_with_a_truncated_last_line(world: Callable[[str], World]) -> None:
    w = world("trunc")
    result = w.apply()
    assert result.ok and result.journal_path is not None
    with open(result.journal_path, "ab") as handle:
        handle.write(b'{"ts":"2026-11-24T00:00:00","kind":"write","call":"s3.put_bu')
    outcome = undo(result.plan_id, w.clients)
    assert outcome.ok
    assert len(outcome.problems) == 1 and "incomplete" in outcome.problems[0]
    w.assert_undone()
    # the undo entries were appended on a line of their own
    read = Journal(result.plan_id).read()
    assert len(read.undone()) == len(CALLS) and len(read.problems) == 1


# -- read back, KMS ---------------------------------------------------------------------------


class HideReplicationAfterPut:
    """GetBucketReplication is eventually consistent: answer 'not found' N times after each put."""

    def __init__(self, times: int) -> None:
        self.times = times
        self.left = 0

    def __call__(self, call: Call, forward: Forward) -> Any:
        if call.service == "s3" and not call.is_s3control and call.key is None and "replication" in call.args:
            if call.method == "PUT":
                response = forward()
                self.left = self.times
                return response
            if call.method == "GET" and self.left > 0:
                self.left -= 1
                return s3_error("ReplicationConfigurationNotFoundError", "The replication configuration was not found", 404)
        return forward()


def test_the_replication_configuration_is_read_back_until_it_shows(world: Callable[[str], World], sandbox: Sandbox) -> None:
    w = world("readback")
    hiding = HideReplicationAfterPut(2)
    sandbox._server.app.middlewares.insert(0, hiding)  # type: ignore[union-attr]
    try:
        events: list[ApplyEvent] = []
        result = w.apply(progress=events.append)
        polls = [e.message for e in events if e.status == "waiting" and e.step.call == "s3.put_bucket_replication"]
        assert result.ok
        assert polls == ["waiting for get_bucket_replication to show our rule (poll 1)",
                         "waiting for get_bucket_replication to show our rule (poll 2)"]
        assert any(e.status == "info" and "is in effect" in e.message for e in events)

        hiding.times = 1000  # never shows: a bounded wait, then a failure that says to re-run
        w2 = world("readback2")
        failed = apply_plan(w2.plan(), w2.clients, options=w2.options, backoff=FAST, readback_timeout=0.2)
        assert failed.failed is not None and failed.failed.step.call == "s3.put_bucket_replication"
        assert failed.error is not None and failed.error.code == "ReplicationNotVisible"
        assert "run apply again" in failed.error.fix
    finally:
        sandbox._server.app.middlewares.remove(hiding)  # type: ignore[union-attr]


def test_the_replica_key_policy_is_merged_journaled_and_restored(world: Callable[[str], World]) -> None:
    w = world("kms")
    kms = w.accounts[B]("kms")
    key = kms.create_key(Description="replicas")["KeyMetadata"]["Arn"]
    original = json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
    options = MigrationOptions(report_bucket=w.report, replica_kms_key=key)
    plan = build_plan(gather_inputs(w.clients["source"], w.clients["destination"], w.src, w.dst, options))
    assert "kms.put_key_policy" in [s.call for s in plan.steps] and not plan.blocked
    result = apply_plan(plan, w.clients, options=options, backoff=FAST)
    assert result.ok, result.summary()
    assert next(r for r in result.steps if r.step.call == "kms.put_key_policy").status == "done"
    merged = json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
    assert merged["Statement"][: len(original["Statement"])] == original["Statement"]
    assert len(merged["Statement"]) > len(original["Statement"])

    again = apply_plan(plan, w.clients, options=options, backoff=FAST)
    assert next(r for r in again.steps if r.step.call == "kms.put_key_policy").status == "no-op"

    outcome = undo(plan.id, w.clients)
    assert outcome.ok
    assert json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]) == original


def test_undo_leaves_a_job_that_is_completing_to_finish_and_says_so(world: Callable[[str], World]) -> None:
    """S3 refuses to cancel a job in Completing (JobStatusException): undo notes it instead of failing."""
    w = world("undoending")
    plan, result = applied_with_a_parked_job(w)
    batch = w.sandbox.batch
    assert batch is not None
    batch.stop()  # hold the job where the test puts it
    try:
        batch._job(A, "us-east-1", result.job_id).status = "Completing"
        outcome = undo(plan.id, w.clients)
    finally:
        batch.start()
    job = next(i for i in outcome.items if i.call == "s3control.create_job")
    assert job.status == "note" and "Completing" in job.message
    assert outcome.ok
