"""Our rule edited by someone between plan and apply is no longer ours: apply refuses to overwrite the edit.

The plan proves a rule with our ID is ours by its fingerprint (core.ownership); apply must judge the
rule it reads just before writing the same way, not by its ID alone. On the sandbox, over HTTP.
"""

from __future__ import annotations

from typing import Any

from s3xrep_tui.aws.apply import apply_plan
from s3xrep_tui.aws.inspect import gather_inputs
from s3xrep_tui.core.models import MigrationOptions
from s3xrep_tui.core.plan import build_plan
from tests.apply_world import FAST


def test_an_edit_of_our_rule_between_plan_and_apply_is_not_overwritten(world: Any) -> None:
    w = world("rule-edit")
    w.apply()
    options = MigrationOptions(report_bucket=w.report, delete_markers=True)  # a change of ours to make
    c = w.clients
    plan = build_plan(gather_inputs(c["source"], c["destination"], w.src, w.dst, options))
    assert not plan.blocked, [f.id for f in plan.findings if f.severity == "blocking"]

    config = w.replication()
    assert config is not None
    ours = next(r for r in config["Rules"] if r["ID"] == f"s3xrep-to-{w.dst}")
    ours["Destination"]["StorageClass"] = "GLACIER"  # someone's edit, after the plan was made
    w.s3a().put_bucket_replication(Bucket=w.src, ReplicationConfiguration=config)

    result = apply_plan(plan, c, options=options, backoff=FAST)
    assert not result.ok
    failed = next(s for s in result.steps if s.status == "failed")
    assert failed.step.call == "s3.put_bucket_replication" and failed.error is not None
    assert failed.error.code == "RuleNotOurs"
    assert w.replication() == config  # the edit stands
