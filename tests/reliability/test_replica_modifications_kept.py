"""ReplicaModifications on our rule stays as deployed unless the user explicitly asks to change it.

The way back (``cutover --reverse --replica-modifications``) or the user turns replica modification
sync on for our forward rule; a later plan whose options say nothing about it must not silently turn
it off. On the sandbox, over HTTP: a re-plan without the option keeps it (no change to write, a
finding says why), an explicit ``replica_modifications=False`` turns it off and the preview's diff
of the replication configuration shows the line going.
"""

from __future__ import annotations

from typing import Any

from s3xrep_tui.aws.apply import apply_plan
from s3xrep_tui.aws.inspect import gather_inputs
from s3xrep_tui.core.diff import document_diff
from s3xrep_tui.core.models import MigrationOptions, Plan, PlanInputs
from s3xrep_tui.core.plan import build_plan
from tests.apply_world import FAST, World


def _inputs(w: World, **options: Any) -> PlanInputs:
    c = w.clients
    return gather_inputs(c["source"], c["destination"], w.src, w.dst, MigrationOptions(report_bucket=w.report, **options))


def _apply(w: World, plan: Plan, **options: Any) -> None:
    result = apply_plan(plan, w.clients, options=MigrationOptions(report_bucket=w.report, **options), backoff=FAST)
    assert result.ok, result.summary()


def _synced(w: World) -> bool:
    rule = next(r for r in (w.replication() or {})["Rules"] if r["ID"] == f"s3xrep-to-{w.dst}")
    return (rule.get("SourceSelectionCriteria") or {}).get("ReplicaModifications", {}).get("Status") == "Enabled"


def test_a_reapply_without_the_option_keeps_replica_modifications(world: Any) -> None:
    w = world("rm-keep")
    _apply(w, build_plan(_inputs(w, replica_modifications=True)), replica_modifications=True)
    assert _synced(w)

    inputs = _inputs(w)  # the options say nothing about replica modification sync
    plan = build_plan(inputs)
    step = next(s for s in plan.steps if s.call == "s3.put_bucket_replication")
    assert step.action == "no-op", step.summary
    assert document_diff("replication_configuration", plan, inputs).status == "unchanged"
    assert "replica-modifications-kept" in {f.id for f in plan.findings}
    _apply(w, plan)
    assert _synced(w)

    inputs = _inputs(w, replica_modifications=False)  # asked, explicitly: off
    plan = build_plan(inputs)
    diff = document_diff("replication_configuration", plan, inputs)
    assert any(line.text.startswith("-") and "ReplicaModifications" in line.text for line in diff.lines), diff.text
    _apply(w, plan, replica_modifications=False)
    assert not _synced(w)
