"""core.diff: unified diffs of pretty-printed JSON, and what each plan document replaces."""

from __future__ import annotations

import json

from s3xrep_tui.core.diff import align, deployed_document, document_diff, json_diff, pretty
from s3xrep_tui.core.models import KmsKeyFacts, MigrationOptions, RoleFacts
from s3xrep_tui.core.plan import build_plan, inline_policy_name

from .conftest import DESTINATION_BUCKET, make_facts, make_inputs

AUDIT = {
    "Sid": "PlatformReadOnlyAudit",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::222222222222:role/platform-audit"},
    "Action": "s3:GetObject",
    "Resource": f"arn:aws:s3:::{DESTINATION_BUCKET}/*",
}


def test_key_order_and_formatting_do_not_show_as_changes() -> None:
    current = '{"b": 1,   "a": [1, 2]}'
    proposed = {"a": [1, 2], "b": 1}
    diff = json_diff(current, proposed)
    assert diff.status == "unchanged" and diff.lines == () and (diff.added, diff.removed) == (0, 0)
    assert diff.summary() == "unchanged: matches what is deployed"


def test_the_deployed_side_takes_the_plans_key_order_and_pairs_statements_by_sid() -> None:
    current = {"Statement": [{"Effect": "Allow", "Sid": "B", "Extra": 1}, {"Sid": "A", "Effect": "Deny"}], "Version": "v"}
    template = {"Version": "v", "Statement": [{"Sid": "A", "Effect": "Deny"}, {"Sid": "B", "Effect": "Allow"}]}
    aligned = align(current, template)
    assert aligned == current  # content untouched
    assert list(aligned) == ["Version", "Statement"]
    assert [list(s) for s in aligned["Statement"]] == [["Sid", "Effect", "Extra"], ["Sid", "Effect"]]
    diff = json_diff(current, template)
    assert '-      "Extra": 1' in [line.text for line in diff.lines if line.kind == "remove"]
    assert json_diff(current, align(current, template)).status == "unchanged"
    # the plan's side is printed exactly as the document is shown (json.dumps, indent 2)
    plan_side = [line.text[1:] for line in json_diff(None, template).lines if line.kind == "add"]
    assert plan_side == json.dumps(template, indent=2).splitlines()


def test_a_changed_document_gives_plus_and_minus_lines_with_headers_and_hunks() -> None:
    diff = json_diff({"Status": "Disabled", "Role": "r"}, {"Status": "Enabled", "Role": "r"})
    kinds = [line.kind for line in diff.lines]
    assert kinds[:3] == ["header", "header", "hunk"]
    assert [line.text for line in diff.lines if line.kind == "remove"] == ['-  "Status": "Disabled",']
    assert [line.text for line in diff.lines if line.kind == "add"] == ['+  "Status": "Enabled",']
    assert diff.status == "changed" and (diff.added, diff.removed) == (1, 1)
    assert diff.lines[0].text == "--- deployed" and diff.lines[1].text == "+++ plan"
    assert "+1 -1" in diff.summary()


def test_nothing_deployed_is_all_additions() -> None:
    diff = json_diff(None, {"Version": "2012-10-17"})
    assert diff.status == "new"
    assert diff.lines[0].text == "--- /dev/null"
    assert [line.text for line in diff.lines if line.kind == "add"] == ["+{", '+  "Version": "2012-10-17"', "+}"]
    assert diff.summary() == "new: nothing deployed yet (+3 lines)"


def test_full_context_keeps_every_line_and_an_unchanged_document_is_all_context() -> None:
    big = {f"k{i:02d}": i for i in range(20)}
    changed = dict(big, k10=-1)
    assert len([line for line in json_diff(big, changed).lines if line.kind == "context"]) == 6
    full = json_diff(big, changed, context=None)
    assert len([line for line in full.lines if line.kind == "context"]) == 21  # 22 lines, one changed
    same = json_diff(big, dict(big), context=None)
    assert same.status == "unchanged" and all(line.kind == "context" for line in same.lines) and len(same.lines) == 22


def test_text_that_is_not_json_is_diffed_as_text() -> None:
    diff = json_diff("not { json", {"a": 1})
    assert [line.text for line in diff.lines if line.kind == "remove"] == ["-not { json"]
    assert pretty('{"z":1,"a":2}') == '{\n  "z": 1,\n  "a": 2\n}'
    assert json_diff(None, None).status == "absent" and json_diff({"a": 1}, None).status == "removed"


def test_the_destination_policy_diff_keeps_the_foreign_statement_and_adds_ours() -> None:
    inputs = make_inputs(
        destination=make_facts(
            DESTINATION_BUCKET, "222222222222", policy=json.dumps({"Version": "2012-10-17", "Statement": [AUDIT]})
        )
    )
    plan = build_plan(inputs)
    assert deployed_document("destination_bucket_policy", plan, inputs) == inputs.destination.policy
    diff = document_diff("destination_bucket_policy", plan, inputs)
    assert diff.status == "changed" and diff.removed == 0 and diff.added > 5
    context = "\n".join(line.text for line in diff.lines if line.kind == "context")
    added = "\n".join(line.text for line in diff.lines if line.kind == "add")
    assert '"Sid": "PlatformReadOnlyAudit"' in context
    assert "s3xrep" in added and "PlatformReadOnlyAudit" not in added


def test_roles_compare_with_their_current_trust_and_our_inline_policy() -> None:
    bare = make_inputs()
    plan = build_plan(bare)
    role_name = plan.steps[[s.call for s in plan.steps].index("iam.create_role")].request["RoleName"]
    trust = plan.documents["replication_role_trust_policy"]
    policy_name = inline_policy_name(bare, "replication")
    inputs = make_inputs(
        replication_role=RoleFacts(
            name=role_name,
            exists=True,
            arn=f"arn:aws:iam::111111111111:role/{role_name}",
            trust_policy=trust,
            inline_policies={policy_name: {"Version": "2012-10-17", "Statement": []}, "other": {"x": 1}},
        )
    )
    plan = build_plan(inputs)
    assert deployed_document("replication_role_trust_policy", plan, inputs) == trust
    assert document_diff("replication_role_trust_policy", plan, inputs).status == "unchanged"
    assert deployed_document("replication_role_policy", plan, inputs) == {"Version": "2012-10-17", "Statement": []}
    assert document_diff("replication_role_policy", plan, inputs).status == "changed"
    # the batch role does not exist yet: its documents are new
    assert deployed_document("batch_role_policy", plan, inputs) is None
    assert document_diff("batch_role_policy", plan, inputs).status == "new"
    assert document_diff("batch_job", plan, inputs).status == "new"


def test_single_role_batch_documents_compare_with_the_replication_roles() -> None:
    inputs = make_inputs(options=MigrationOptions(single_role=True))
    plan = build_plan(inputs)
    assert plan.documents["batch_role_policy"] == plan.documents["replication_role_policy"]
    assert deployed_document("batch_role_policy", plan, inputs) is None


def test_replication_configuration_and_key_policy_compare_with_the_current_ones() -> None:
    current = {
        "Role": "arn:aws:iam::111111111111:role/s3xrep-repl-acme-legacy-media",
        "Rules": [{"ID": "keep-me", "Priority": 5, "Status": "Enabled", "Filter": {"Prefix": "x/"},
                   "DeleteMarkerReplication": {"Status": "Disabled"},
                   "Destination": {"Bucket": "arn:aws:s3:::elsewhere"}}],
    }
    key_arn = "arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    key_policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Sid": "Root", "Effect": "Allow",
                             "Principal": {"AWS": "arn:aws:iam::222222222222:root"}, "Action": "kms:*",
                             "Resource": "*"}]})
    inputs = make_inputs(
        source=make_facts(replication=current),
        options=MigrationOptions(replica_kms_key=key_arn),
        replica_key=KmsKeyFacts(arn=key_arn, manager="CUSTOMER", region="us-east-1", state="Enabled", policy=key_policy),
    )
    plan = build_plan(inputs)
    assert deployed_document("replication_configuration", plan, inputs) == current
    diff = document_diff("replication_configuration", plan, inputs)
    assert diff.status == "changed" and '"ID": "keep-me"' in diff.text
    assert deployed_document("destination_kms_key_policy", plan, inputs) == key_policy
    key_diff = document_diff("destination_kms_key_policy", plan, inputs)
    assert key_diff.status == "changed" and key_diff.removed == 0
