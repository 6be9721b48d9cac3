"""The exports carry the plan's steps and documents faithfully, in each tool's own terms.

Variants cover every call build_plan makes: fresh buckets, roles that exist
(trust to fix), a role the source already replicates with (reused), one role
with a replica KMS key and delete markers, tag and prefix filters with RTC, the
same account (no bucket policy) and no Batch job. Each export must be valid for
its tool: ``bash -n`` for the script, ``cfn-lint`` (no errors) for the
templates, python-hcl2 for the Terraform, and carry the documents verbatim.
(The script is also run with the AWS CLI against the sandbox, in
tests/commands/test_plan_formats_sandbox.py.)
"""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import hcl2
import pytest
from cfnlint.api import ManualArgs, lint
from hcl2.utils import SerializationOptions

from s3xrep_tui.core.exports import FORMATS, ExportError, export_files
from s3xrep_tui.core.exports.awscli_s3control import strip_account_prefix
from s3xrep_tui.core.exports.cloudformation import DESTINATION_FILE, SOURCE_FILE
from s3xrep_tui.core.models import KmsKeyFacts, RoleFacts
from s3xrep_tui.core.ownership import MANAGED_TAG, MANAGED_VALUE, role_tags
from s3xrep_tui.core.plan import build_plan
from tests.core.conftest import DESTINATION_ACCOUNT, SOURCE_ACCOUNT, make_facts, make_inputs

REPLICA_KEY = f"arn:aws:kms:us-east-1:{DESTINATION_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
FOREIGN = {
    "Sid": "PlatformReadOnlyAudit",
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{DESTINATION_ACCOUNT}:role/audit"},
    "Action": "s3:GetObject",
    "Resource": "arn:aws:s3:::acme-platform-media/*",
}
OTHER_RULE = {
    "ID": "to-dr",
    "Priority": 1,
    "Status": "Enabled",
    "Filter": {"Prefix": "dr/"},
    "DeleteMarkerReplication": {"Status": "Disabled"},
    "Destination": {"Bucket": "arn:aws:s3:::acme-dr", "StorageClass": "STANDARD_IA"},
}
PROFILES = {"source_profile": "legacy-admin", "destination_profile": "platform-admin"}


def _fresh():
    return make_inputs(
        source=make_facts(versioning="Unversioned"),
        destination=make_facts(
            "acme-platform-media",
            DESTINATION_ACCOUNT,
            versioning="Suspended",
            policy=json.dumps({"Version": "2012-10-17", "Statement": [FOREIGN]}),
        ),
        report_bucket="acme-legacy-batch-reports",
    )


def _roles_exist():
    """Both roles exist (ours: tagged by an earlier apply) with another trust policy and no inline policy of ours."""
    inputs = make_inputs(report_bucket="acme-legacy-batch-reports")
    o = inputs.options
    stale = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    roles = {}
    for kind, name in (("replication", o.replication_role_for("acme-legacy-media")), ("batch", o.batch_role_for("acme-legacy-media"))):
        roles[kind] = RoleFacts(name=name, exists=True, arn=f"arn:aws:iam::{SOURCE_ACCOUNT}:role/{name}", trust_policy=stale,
                                  tags={MANAGED_TAG: MANAGED_VALUE})
    return inputs.model_copy(update={"replication_role": roles["replication"], "batch_role": roles["batch"]})


def _reused_role():
    existing = {"Role": f"arn:aws:iam::{SOURCE_ACCOUNT}:role/service-role/s3crr_role_for_acme", "Rules": [OTHER_RULE]}
    return make_inputs(source=make_facts(replication=existing))


def _kms_single_role():
    return make_inputs(
        replica_kms_key=REPLICA_KEY,
        single_role=True,
        delete_markers=True,
        prefix="photos/",
        replica_key=KmsKeyFacts(arn=REPLICA_KEY, manager="CUSTOMER", region="us-east-1", state="Enabled"),
    )


VARIANTS = {
    "fresh": _fresh,
    "roles-exist": _roles_exist,
    "reused-role": _reused_role,
    "kms-single-role": _kms_single_role,
    "tags-rtc": lambda: make_inputs(tags=(("team", "media"), ("tier", "gold")), prefix="raw/", rtc=True, storage_class="STANDARD_IA"),
    "same-account": lambda: make_inputs(same_account=True),
    "no-existing": lambda: make_inputs(replicate_existing=False),
}


@pytest.fixture(params=sorted(VARIANTS), scope="module")
def plan(request: pytest.FixtureRequest) -> Any:
    built = build_plan(VARIANTS[request.param]())
    assert not built.blocked, [f.message for f in built.findings if f.severity == "blocking"]
    return built


def _document_of(step: Any) -> Any:
    member = {
        "iam.create_role": "AssumeRolePolicyDocument",
        "iam.update_assume_role_policy": "PolicyDocument",
        "iam.put_role_policy": "PolicyDocument",
        "kms.put_key_policy": "Policy",
        "s3.put_bucket_policy": "Policy",
        "s3.put_bucket_replication": "ReplicationConfiguration",
    }.get(step.call)
    if member is None:
        return None
    value = step.request[member]
    return json.loads(value) if isinstance(value, str) else value


def test_the_variants_cover_every_call_and_action() -> None:
    seen = set()
    for make in VARIANTS.values():
        seen |= {(s.call, s.action) for s in build_plan(make()).steps}
    calls = {call for call, _ in seen}
    assert calls == {
        "s3.put_bucket_versioning", "iam.create_role", "iam.update_assume_role_policy", "iam.put_role_policy",
        "kms.put_key_policy", "s3.put_bucket_policy", "s3.put_bucket_replication", "s3control.create_job",
        # the alarms (issue 18)
        "sns.create_topic", "sns.set_topic_attributes", "s3.put_bucket_notification_configuration",
        "cloudwatch.put_metric_alarm", "sqs.create_queue", "sns.subscribe",
    }
    assert {"create", "update", "no-op"} <= {action for _, action in seen}


# -- aws-cli -----------------------------------------------------------------------------------

_HEREDOC = re.compile(r"cat > \"\$DOCS/(\w+)\.json\" <<'S3XREP_JSON'\n(.*?)\nS3XREP_JSON\n", re.S)


def _script(plan: Any) -> str:
    (text,) = export_files(plan, "aws-cli", **PROFILES).values()
    return text


def test_the_script_is_valid_bash_with_strict_mode_and_profile_variables(plan: Any, tmp_path) -> None:
    script = _script(plan)
    path = tmp_path / "s.sh"
    path.write_text(script)
    checked = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert script.startswith("#!/usr/bin/env bash\n")
    assert "\nset -euo pipefail\n" in script
    assert 'SOURCE_PROFILE="${SOURCE_PROFILE-legacy-admin}"' in script
    assert 'DEST_PROFILE="${DEST_PROFILE-platform-admin}"' in script


def test_every_document_is_written_verbatim_and_every_step_sends_its_own(plan: Any) -> None:
    script = _script(plan)
    files = {name: json.loads(body) for name, body in _HEREDOC.findall(script)}
    for name, document in plan.documents.items():
        if document is None:
            continue
        if name == "batch_job":  # account id and token are given as options
            trimmed = {k: v for k, v in document.items() if k not in ("AccountId", "ClientRequestToken")}
            assert files["batch_job"] == trimmed
        else:
            assert files[name] == document, name
    for step in plan.steps:
        if step.action != "no-op" and _document_of(step) is not None:
            assert f'"file://$DOCS/{step.document}.json"' in script.split(f"# {step.id} ", 1)[1].split("\n# 0", 1)[0]
            assert files[step.document] == _document_of(step)


def test_each_step_is_a_commented_command_and_no_ops_are_comments(plan: Any) -> None:
    script = _script(plan)
    for step in plan.steps:
        section = script.split(f"\n# {step.id} ({step.account} account, {step.action}): ", 1)[1]
        section = section.split("\n# 0", 1)[0]
        verb = {
            "s3.put_bucket_versioning": "aws s3api put-bucket-versioning",
            "iam.create_role": "aws iam create-role",
            "iam.update_assume_role_policy": "aws iam update-assume-role-policy",
            "iam.put_role_policy": "aws iam put-role-policy",
            "kms.put_key_policy": "aws kms put-key-policy",
            "s3.put_bucket_policy": "aws s3api put-bucket-policy",
            "s3.put_bucket_replication": "aws s3api put-bucket-replication",
            "s3control.create_job": "aws s3control create-job",
            "sns.create_topic": "aws sns create-topic",
            "sns.set_topic_attributes": "aws sns set-topic-attributes",
            "s3.put_bucket_notification_configuration": "aws s3api put-bucket-notification-configuration",
            "cloudwatch.put_metric_alarm": "aws cloudwatch put-metric-alarm",
            "sqs.create_queue": "aws sqs create-queue",
            "sns.subscribe": "aws sns subscribe",
        }[step.call]
        if step.action == "no-op":
            assert "# Already holds: nothing to run." in section and verb not in section
            continue
        assert verb in section, step.id
        side = "AS_SOURCE" if step.account == "source" else "AS_DEST"
        assert f'"${{{side}[@]}}"' in section
        if step.call.startswith("s3.") and step.call != "s3control.create_job":
            assert f"--expected-bucket-owner {step.request['ExpectedBucketOwner']}" in section
        if step.call == "iam.create_role":  # guarded: an existing role is kept
            assert section.index("aws iam get-role") < section.index("aws iam create-role")
        if step.call == "s3control.create_job":
            assert f"--account-id {step.request['AccountId']}" in section
            assert f"--client-request-token {step.request['ClientRequestToken']}" in section
            assert '--cli-input-json "file://$DOCS/batch_job.json"' in section
            assert "--no-confirmation-required" in section


def test_the_script_checks_both_accounts_before_changing_anything(plan: Any) -> None:
    script = "\n".join(line for line in _script(plan).splitlines() if not line.lstrip().startswith("#"))
    first_change = min(script.find(v) for v in ("aws s3api put", "aws iam create-role", "aws iam put", "aws iam update", "aws kms", "aws s3control") if v in script)
    assert script.index('check_account "$SOURCE_ACCOUNT" source') < first_change
    assert f"SOURCE_ACCOUNT={plan.source_account.id}" in script and f"DEST_ACCOUNT={plan.destination_account.id}" in script


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://111111111111.127.0.0.1:4566/v20180820/jobs", "http://127.0.0.1:4566/v20180820/jobs"),
        ("http://111111111111.localhost:4566/v20180820/jobs", "http://localhost:4566/v20180820/jobs"),
        ("http://111111111111.[::1]:4566/v20180820/jobs", "http://[::1]:4566/v20180820/jobs"),
        # AWS's hosts and names with wildcard DNS keep the prefix
        ("https://111111111111.s3-control.us-east-1.amazonaws.com/v20180820/jobs",
         "https://111111111111.s3-control.us-east-1.amazonaws.com/v20180820/jobs"),
        ("https://111111111111.control.vpce-0a1b.s3.us-east-1.vpce.amazonaws.com/v20180820/jobs",
         "https://111111111111.control.vpce-0a1b.s3.us-east-1.vpce.amazonaws.com/v20180820/jobs"),
        ("http://111111111111.localhost.localstack.cloud:4566/v20180820/jobs",
         "http://111111111111.localhost.localstack.cloud:4566/v20180820/jobs"),
    ],
)
def test_the_cli_plugin_drops_the_account_prefix_only_where_it_cannot_resolve(url: str, expected: str) -> None:
    assert strip_account_prefix(url) == expected


# -- CloudFormation -------------------------------------------------------------------------------


def _cfn(plan: Any) -> dict[str, str]:
    return export_files(plan, "cloudformation", **PROFILES)


def _template(text: str) -> dict:
    return json.loads("\n".join(line for line in text.splitlines() if not line.startswith("#")))


def test_the_templates_pass_cfn_lint_without_errors(plan: Any) -> None:
    files = _cfn(plan)
    assert SOURCE_FILE in files or DESTINATION_FILE in files
    for name in (SOURCE_FILE, DESTINATION_FILE):
        if name not in files:
            continue
        matches = lint(files[name], config=ManualArgs(regions=["us-east-1"]))
        errors = [f"{m.rule.id} {m.message} (line {m.linenumber})" for m in matches if m.rule.id.startswith("E")]
        assert not errors, f"{name}:\n" + "\n".join(errors)


def test_the_source_template_holds_the_roles_with_the_plan_documents(plan: Any) -> None:
    files = _cfn(plan)
    resources = _template(files[SOURCE_FILE])["Resources"] if SOURCE_FILE in files else {}
    roles = {r["Properties"]["RoleName"]: r for r in resources.values() if r["Type"] == "AWS::IAM::Role"}
    role_policies = {
        (r["Properties"]["RoleName"], r["Properties"]["PolicyName"]): r["Properties"]["PolicyDocument"]
        for r in resources.values()
        if r["Type"] == "AWS::IAM::RolePolicy"
    }
    for step in plan.steps:
        r = step.request
        if step.call == "iam.create_role":
            assert roles[r["RoleName"]]["Properties"]["AssumeRolePolicyDocument"] == _document_of(step)
            assert roles[r["RoleName"]]["Properties"]["Tags"] == role_tags(plan.id)  # ours later, by its tag
        elif step.call == "iam.put_role_policy" and step.action != "no-op":
            if r["RoleName"] in roles:
                inline = roles[r["RoleName"]]["Properties"]["Policies"]
                assert {"PolicyName": r["PolicyName"], "PolicyDocument": _document_of(step)} in inline
            else:
                assert role_policies[(r["RoleName"], r["PolicyName"])] == _document_of(step)


def test_the_destination_template_is_the_whole_merged_policy_and_is_retained(plan: Any) -> None:
    files = _cfn(plan)
    step = next((s for s in plan.steps if s.call == "s3.put_bucket_policy"), None)
    if step is None:
        assert DESTINATION_FILE not in files
        return
    template = _template(files[DESTINATION_FILE])
    (policy,) = (r for r in template["Resources"].values() if r["Type"] == "AWS::S3::BucketPolicy")
    assert policy["Properties"] == {"Bucket": plan.destination.name, "PolicyDocument": plan.documents["destination_bucket_policy"]}
    assert policy["DeletionPolicy"] == "Retain"
    assert "replaces the whole policy" in template["Description"]


def test_what_cloudformation_cannot_do_is_a_cli_step_with_its_document_beside(plan: Any) -> None:
    files = _cfn(plan)
    written = _template(files.get(SOURCE_FILE) or files[DESTINATION_FILE])
    after = {item["Step"]: item for item in written["Metadata"]["S3xrep"]["AfterThisStack"]}
    for step in plan.steps:
        if step.action == "no-op" or step.call not in ("s3.put_bucket_replication", "s3control.create_job", "kms.put_key_policy", "s3.put_bucket_versioning"):
            continue
        assert step.id in after
        if step.call == "s3.put_bucket_replication":
            assert "file://replication_configuration.json" in after[step.id]["Command"]
            assert json.loads(files["replication_configuration.json"]) == plan.documents["replication_configuration"]
        if step.call == "s3control.create_job":
            assert step.request["ClientRequestToken"] in after[step.id]["Command"]
    if SOURCE_FILE in files:
        description = written["Description"]
        assert "only on a bucket the stack owns" in description and len(description) <= 1024


# -- Terraform ------------------------------------------------------------------------------------

_OPTIONS = SerializationOptions(strip_string_quotes=True, preserve_heredocs=False, explicit_blocks=False, with_comments=False)


def _tf(plan: Any) -> tuple[dict, dict[str, str]]:
    files = export_files(plan, "terraform", **PROFILES)
    return hcl2.loads(files["main.tf"], serialization_options=_OPTIONS), files


def _resources(parsed: dict) -> dict[tuple[str, str], dict]:
    out = {}
    for entry in parsed.get("resource", []):
        for kind, named in entry.items():
            for name, body in named.items():
                out[(kind, name)] = body
    return out


def _json(value: str) -> Any:
    return json.loads(value.replace("$${", "${").replace("%%{", "%{"))


_CAMEL = {"id": "ID", "replica_kms_key_id": "ReplicaKmsKeyID"}


def _api(block: Any, key: str = "") -> Any:
    """HCL blocks (lists of one dict, snake_case) back to the API's shape."""
    if key == "tags":
        return [{"Key": k, "Value": v} for k, v in block.items()]
    if isinstance(block, list) and len(block) == 1 and isinstance(block[0], dict):
        block = block[0]
    if isinstance(block, dict):
        return {_CAMEL.get(k, "".join(p.capitalize() for p in k.split("_"))): _api(v, k) for k, v in block.items()}
    return block


def test_terraform_parses_with_a_provider_alias_per_account(plan: Any) -> None:
    parsed, _ = _tf(plan)
    providers = [body for entry in parsed["provider"] for name, body in entry.items() if name == "aws"]
    by_alias = {p["alias"]: p for p in providers}
    assert set(by_alias) == {"source", "destination"}
    assert by_alias["source"]["allowed_account_ids"] == [plan.source_account.id]
    assert by_alias["destination"]["allowed_account_ids"] == [plan.destination_account.id]
    assert by_alias["source"]["profile"] == "${var.source_profile}"
    defaults = {name: body["default"] for entry in parsed["variable"] for name, body in entry.items()}
    assert defaults == {"source_profile": "legacy-admin", "destination_profile": "platform-admin"}


def test_terraform_resources_carry_the_plan_documents(plan: Any) -> None:
    parsed, files = _tf(plan)
    resources = _resources(parsed)
    kinds = {kind for kind, _ in resources}
    for step in plan.steps:
        r = step.request
        if step.call == "s3.put_bucket_versioning":
            body = resources[("aws_s3_bucket_versioning", step.account)]
            assert body["bucket"] == r["Bucket"] and body["versioning_configuration"][0]["status"] == "Enabled"
            assert body["provider"] == f"${{aws.{step.account}}}"
        elif step.call in ("iam.create_role", "iam.update_assume_role_policy"):
            (body,) = [b for (k, _), b in resources.items() if k == "aws_iam_role" and b["name"] == r["RoleName"]]
            assert _json(body["assume_role_policy"]) == _document_of(step)
            if step.call == "iam.create_role":  # ours later, by its tag, as apply makes it
                assert body["tags"] == {t["Key"]: t["Value"] for t in role_tags(plan.id)}
            else:  # adopted: its own tags and description stay as they are
                assert body["lifecycle"] == [{"ignore_changes": ["tags", "description"]}]
        elif step.call == "iam.put_role_policy":
            (body,) = [b for (k, _), b in resources.items() if k == "aws_iam_role_policy" and b["name"] == r["PolicyName"]]
            assert body["role"] == r["RoleName"] and _json(body["policy"]) == _document_of(step)
        elif step.call == "kms.put_key_policy":
            body = resources[("aws_kms_key_policy", "replica_key")]
            assert body["key_id"] == r["KeyId"] and _json(body["policy"]) == _document_of(step)
        elif step.call == "s3.put_bucket_policy":
            body = resources[("aws_s3_bucket_policy", "destination")]
            assert _json(body["policy"]) == plan.documents["destination_bucket_policy"]
            assert body["provider"] == "${aws.destination}"
        elif step.call == "s3.put_bucket_replication":
            body = resources[("aws_s3_bucket_replication_configuration", "source")]
            config = {"Role": body["role"], "Rules": [_api(rule) for rule in body["rule"]]}
            assert config == plan.documents["replication_configuration"]
            assert body["lifecycle"][0]["prevent_destroy"] is True
        elif step.call == "s3control.create_job":
            assert "aws s3control create-job" in files["main.tf"]
            job = {k: v for k, v in plan.documents["batch_job"].items() if k not in ("AccountId", "ClientRequestToken")}
            assert json.loads(files["batch_job.json"]) == job
    assert not any("batch" in kind or "s3control" in kind for kind in kinds)  # no resource exists for the job


def test_terraform_depends_on_follows_apply_order(plan: Any) -> None:
    parsed, _ = _tf(plan)
    resources = _resources(parsed)
    replication = resources.get(("aws_s3_bucket_replication_configuration", "source"))
    if replication is None:
        return
    depends = replication["depends_on"]
    for key in resources:
        if key != ("aws_s3_bucket_replication_configuration", "source"):
            assert f"${{{key[0]}.{key[1]}}}" in depends
    if ("aws_s3_bucket_policy", "destination") in resources:
        policy_depends = resources[("aws_s3_bucket_policy", "destination")].get("depends_on", [])
        roles = [f"${{aws_iam_role.{name}}}" for kind, name in resources if kind == "aws_iam_role"]
        assert set(roles) <= set(policy_depends)


def test_an_existing_role_is_imported() -> None:
    plan = build_plan(_roles_exist())
    parsed, _ = _tf(plan)
    targets = {entry["to"] for entry in parsed["import"]}
    assert targets == {"${aws_iam_role.replication}", "${aws_iam_role.batch}"}


def test_terraform_escapes_template_sequences_in_documents() -> None:
    plan = build_plan(make_inputs(prefix="logs/${x}%{y}/"))
    parsed, files = _tf(plan)
    assert "$${x}" in files["main.tf"]
    body = _resources(parsed)[("aws_s3_bucket_replication_configuration", "source")]
    rule = [r for r in body["rule"]][-1]
    assert rule["filter"][0]["prefix"].replace("$${", "${").replace("%%{", "%{") == "logs/${x}%{y}/"


# -- the registry ---------------------------------------------------------------------------------


def test_a_blocked_plan_or_an_unknown_format_exports_nothing() -> None:
    v1 = {"Role": f"arn:aws:iam::{SOURCE_ACCOUNT}:role/old", "Rules": [{"ID": "v1", "Prefix": "", "Status": "Enabled", "Destination": {"Bucket": "arn:aws:s3:::x"}}]}
    blocked = build_plan(make_inputs(source=make_facts(replication=v1)))
    assert blocked.blocked
    for fmt in FORMATS:
        with pytest.raises(ExportError, match="blocked"):
            export_files(blocked, fmt)
    with pytest.raises(ExportError, match="unknown"):
        export_files(build_plan(make_inputs()), "pulumi")


def test_ambient_credentials_leave_the_profiles_empty() -> None:
    plan = build_plan(make_inputs())
    (script,) = export_files(plan, "aws-cli").values()
    assert 'SOURCE_PROFILE="${SOURCE_PROFILE-}"' in script
    assert '[[ -z "$SOURCE_PROFILE" ]] || AS_SOURCE+=(--profile "$SOURCE_PROFILE")' in script
    parsed = hcl2.loads(export_files(plan, "terraform")["main.tf"], serialization_options=_OPTIONS)
    defaults = {name: body["default"] for entry in parsed["variable"] for name, body in entry.items()}
    assert defaults == {"source_profile": None, "destination_profile": None}
