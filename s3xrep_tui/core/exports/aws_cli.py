"""The plan as a commented bash script of ``aws`` commands (AWS CLI v1 or v2).

For people who must review or run the migration themselves: the same steps as
``s3xrep apply``, in the same order, with the same documents (written to files
by heredocs, so the script is self-contained). Steps the plan judged ``no-op``
appear as comments. Safe to run again: role creation is guarded, the other
calls are idempotent puts, and the Batch job carries the plan's client request
token (S3 refuses a duplicate job).
"""

from __future__ import annotations

import json
import shlex
import textwrap
from typing import Any

from ... import __version__

HEREDOC = "S3XREP_JSON"
DOCS = "$DOCS"

# Calls that name a role: IAM is eventually consistent, so a role created a
# moment ago may not be usable yet (MalformedPolicy "Invalid principal",
# "role cannot be assumed"); the script retries them for a while.
_RETRIED = {"s3.put_bucket_policy", "kms.put_key_policy", "s3.put_bucket_replication", "s3control.create_job"}

# The request member holding each call's document, and how the CLI takes it.
_DOCUMENT_MEMBER = {
    "iam.create_role": ("AssumeRolePolicyDocument", "--assume-role-policy-document"),
    "iam.update_assume_role_policy": ("PolicyDocument", "--policy-document"),
    "iam.put_role_policy": ("PolicyDocument", "--policy-document"),
    "kms.put_key_policy": ("Policy", "--policy"),
    "s3.put_bucket_policy": ("Policy", "--policy"),
    "s3.put_bucket_replication": ("ReplicationConfiguration", "--replication-configuration"),
    "s3.put_bucket_inventory_configuration": ("InventoryConfiguration", "--inventory-configuration"),
    "s3.put_bucket_notification_configuration": ("NotificationConfiguration", "--notification-configuration"),
}

# The alarm steps (core.alarms): the request as --cli-input-json. The topic policy is the plan's statements
# only: on a topic that has other statements, merge them in by hand (s3xrep apply merges by Sid).
_CLI_INPUT = {
    "sns.create_topic": "aws sns create-topic",
    "sns.set_topic_attributes": "aws sns set-topic-attributes",
    "cloudwatch.put_metric_alarm": "aws cloudwatch put-metric-alarm",
    "sns.subscribe": "aws sns subscribe",
    "sqs.create_queue": "aws sqs create-queue",
}

# What the Batch job's JSON input leaves to explicit options.
_JOB_OPTIONS = ("AccountId", "ClientRequestToken")

S3CONTROL_NOTE = """\
# The CLI sends s3control calls to ACCOUNT.s3-control.REGION.amazonaws.com:
# the account id is a host prefix. With a custom endpoint (S3CONTROL_ENDPOINT_URL,
# or endpoint_url in the profile) it calls ACCOUNT.<endpoint host>, which must
# resolve: it does for VPC interface endpoints (wildcard private DNS) and for
# emulators on a name with wildcard DNS; it cannot for an IP address such as
# http://127.0.0.1:4566. For such an endpoint load the CLI plugin that drops the
# prefix when the rest of the host is an IP address or localhost, by adding to
# the AWS config file (s3xrep installed in the CLI's Python, or on PYTHONPATH):
#   [plugins]
#   s3xrep_s3control = s3xrep_tui.core.exports.awscli_s3control"""


def _q(value: Any) -> str:
    return shlex.quote(str(value))


def _loads(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _pretty(document: Any) -> str:
    return json.dumps(document, indent=2)


def _comment(text: str, indent: str = "") -> list[str]:
    return [f"{indent}# {line}".rstrip() for line in text.splitlines()]


def step_document(step: Any) -> Any:
    """The document a step sends, as a JSON value (None when it sends none)."""
    if step.call == "s3control.create_job":
        return {k: v for k, v in step.request.items() if k not in _JOB_OPTIONS}
    if step.call in _CLI_INPUT:
        return dict(step.request)
    member = _DOCUMENT_MEMBER.get(step.call)
    return _loads(step.request[member[0]]) if member else None


def _files(plan: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """Every document to write ({file stem: document}) and each step's file stem."""
    files: dict[str, Any] = {name: doc for name, doc in plan.documents.items() if doc is not None and name != "batch_job"}
    by_step: dict[str, str] = {}
    for step in plan.steps:
        document = step_document(step)
        if document is None:
            continue
        stem = step.document or step.id
        if step.call == "s3control.create_job":
            stem = "batch_job"  # the request without AccountId and ClientRequestToken (given as options)
        if stem in files and files[stem] != document:
            stem = step.id  # never happens for a plan from build_plan; keep what the step sends
        files[stem] = document
        by_step[step.id] = stem
    return files, by_step


def _key_region(key_arn: str) -> str | None:
    parts = key_arn.split(":")
    return parts[3] if len(parts) > 5 and parts[3] else None


# Bucket configurations put from a document file: the s3api subcommand and its document option. Each is
# the WHOLE configuration (a policy, the rules, the notifications): theirs merged with ours by the plan.
_S3_DOCUMENTS = {
    "s3.put_bucket_policy": ("put-bucket-policy", "--policy"),
    "s3.put_bucket_replication": ("put-bucket-replication", "--replication-configuration"),
    "s3.put_bucket_notification_configuration": ("put-bucket-notification-configuration",
                                                 "--notification-configuration"),
}


def command(step: Any, file_ref: str, *, as_side: str) -> list[str]:
    """The ``aws`` command lines of one step (continuation lines joined with a backslash)."""
    r = step.request
    who = f'"${{{as_side}[@]}}"'
    doc = f'"file://{file_ref}"'
    if step.call == "s3.put_bucket_versioning":
        status = r["VersioningConfiguration"]["Status"]
        return [
            f"aws s3api put-bucket-versioning --bucket {_q(r['Bucket'])} \\",
            f"    --versioning-configuration Status={_q(status)} \\",
            f"    --expected-bucket-owner {_q(r['ExpectedBucketOwner'])} {who}",
        ]
    if step.call == "iam.create_role":
        name = _q(r["RoleName"])
        return [
            f"if aws iam get-role --role-name {name} {who} >/dev/null 2>&1; then",
            f"  echo \"Role {r['RoleName']} already exists: not creating it (its trust policy is left as it is)\"",
            "else",
            f"  aws iam create-role --role-name {name} \\",
            f"      --assume-role-policy-document {doc} \\",
            f"      --description {_q(r.get('Description', ''))} \\",
            *([f"      --tags {_q(json.dumps(r['Tags'], separators=(',', ':')))} \\"] if r.get("Tags") else []),
            f"      --query Role.Arn --output text {who}",
            "fi",
        ]
    if step.call == "iam.update_assume_role_policy":
        return [
            f"aws iam update-assume-role-policy --role-name {_q(r['RoleName'])} \\",
            f"    --policy-document {doc} {who}",
        ]
    if step.call == "iam.put_role_policy":
        return [
            f"aws iam put-role-policy --role-name {_q(r['RoleName'])} \\",
            f"    --policy-name {_q(r['PolicyName'])} \\",
            f"    --policy-document {doc} {who}",
        ]
    if step.call == "kms.put_key_policy":
        region = _key_region(r["KeyId"])
        return [
            f"retry aws kms put-key-policy --key-id {_q(r['KeyId'])} \\",
            f"    --policy-name {_q(r.get('PolicyName', 'default'))} \\",
            f"    --policy {doc} {who}" + (f" --region {_q(region)}" if region else ""),
        ]
    if step.call in _S3_DOCUMENTS:
        subcommand, option = _S3_DOCUMENTS[step.call]
        return [
            f"retry aws s3api {subcommand} --bucket {_q(r['Bucket'])} \\",
            f"    {option} {doc} \\",
            f"    --expected-bucket-owner {_q(r['ExpectedBucketOwner'])} {who}",
        ]
    if step.call == "s3.put_bucket_inventory_configuration":
        return [
            f"aws s3api put-bucket-inventory-configuration --bucket {_q(r['Bucket'])} --id {_q(r['Id'])} \\",
            f"    --inventory-configuration {doc} \\",
            f"    --expected-bucket-owner {_q(r['ExpectedBucketOwner'])} {who}",
        ]
    if step.call == "s3control.create_job":
        flag = "--no-confirmation-required" if not r.get("ConfirmationRequired", True) else "--confirmation-required"
        return [
            f"JOB_ID=$(retry aws s3control create-job --account-id {_q(r['AccountId'])} \\",
            f"    --cli-input-json {doc} \\",
            f"    --client-request-token {_q(r['ClientRequestToken'])} \\",
            f"    {flag} \\",
            f'    --query JobId --output text "${{S3CONTROL_ENDPOINT[@]}}" {who})',
            'echo "Batch Replication job $JOB_ID created; watch it with:"',
            f'echo "  aws s3control describe-job --account-id {r["AccountId"]} --job-id $JOB_ID"',
        ]
    if step.call == "sqs.create_queue":  # AWS CLI v1 sends SQS to queue.amazonaws.com unless --endpoint-url
        return [
            f'SQS_ENDPOINT=(); _url="$(aws configure get endpoint_url {who} 2>/dev/null || true)"',
            'if [ -n "$_url" ]; then SQS_ENDPOINT=(--endpoint-url "$_url"); fi',
            f'{_CLI_INPUT[step.call]} --cli-input-json {doc} "${{SQS_ENDPOINT[@]}}" {who}',
        ]
    if step.call in _CLI_INPUT:
        return [f"{_CLI_INPUT[step.call]} --cli-input-json {doc} {who}"]
    raise ValueError(f"no AWS CLI command for {step.call}")


def _header(plan: Any, source_profile: str | None, destination_profile: str | None) -> list[str]:
    src, dst = plan.source, plan.destination
    lines = [
        "#!/usr/bin/env bash",
        f"# s3xrep migration {plan.id}",
        f"#   source       s3://{src.name}  account {plan.source_account.id}  region {src.region or '?'}",
        f"#   destination  s3://{dst.name}  account {plan.destination_account.id}  region {dst.region or '?'}",
        "#",
        f"# Generated by s3xrep {__version__} from the plan: the steps `s3xrep apply` runs,",
        "# in its order, with the same documents. Review it, then run it with bash.",
        "# Safe to run again: existing roles are kept, the other calls put the same",
        "# documents, and the Batch job's client request token makes S3 refuse a duplicate.",
        "# Documents that replace a whole thing (the destination bucket policy, the",
        "# replication configuration) are the merged ones: what the bucket had when the",
        "# plan was made, plus ours. Re-plan if either changed since.",
    ]
    if plan.findings:
        lines += ["#", "# Findings when the plan was made:"]
        for finding in plan.findings:
            lines += [f"#   {line}" for line in textwrap.wrap(f"[{finding.severity}] {finding.message}", 88)]
            lines += [f"#       {line}" for line in textwrap.wrap(f"fix: {finding.fix}", 84)]
    lines += [
        "",
        "set -euo pipefail",
        "",
        "# Who runs each side: AWS CLI profiles (set to empty for the ambient credentials,",
        "# e.g. CloudShell's). Override from the environment: SOURCE_PROFILE=... bash thisscript",
        f"SOURCE_PROFILE=\"${{SOURCE_PROFILE-{source_profile or ''}}}\"",
        f"DEST_PROFILE=\"${{DEST_PROFILE-{destination_profile or ''}}}\"",
        "# A custom S3 Control endpoint for the Batch job (empty: the profile's own; see step notes).",
        'S3CONTROL_ENDPOINT_URL="${S3CONTROL_ENDPOINT_URL-}"',
        "# How long to retry calls that need a just-created IAM role to be visible.",
        'IAM_WAIT_SECONDS="${IAM_WAIT_SECONDS-90}"',
        "",
        f"SOURCE_ACCOUNT={_q(plan.source_account.id)}",
        f"DEST_ACCOUNT={_q(plan.destination_account.id)}",
        "",
        "AS_SOURCE=()",
        '[[ -z "$SOURCE_PROFILE" ]] || AS_SOURCE+=(--profile "$SOURCE_PROFILE")',
    ]
    if src.region:
        lines.append(f"AS_SOURCE+=(--region {_q(src.region)})")
    lines += ["AS_DEST=()", '[[ -z "$DEST_PROFILE" ]] || AS_DEST+=(--profile "$DEST_PROFILE")']
    if dst.region:
        lines.append(f"AS_DEST+=(--region {_q(dst.region)})")
    lines += [
        "S3CONTROL_ENDPOINT=()",
        '[[ -z "$S3CONTROL_ENDPOINT_URL" ]] || S3CONTROL_ENDPOINT=(--endpoint-url "$S3CONTROL_ENDPOINT_URL")',
        "",
        "# retry CMD...: run CMD; while it fails, wait and run it again for up to",
        "# IAM_WAIT_SECONDS (a role created a moment ago takes a while to be usable).",
        "retry() {",
        "  local deadline=$((SECONDS + IAM_WAIT_SECONDS)) delay=2",
        '  until "$@"; do',
        "    if (( SECONDS + delay > deadline )); then return 1; fi",
        '    echo "  (failed; retrying in ${delay}s: a new IAM role may not be visible yet)" >&2',
        '    sleep "$delay"',
        "    delay=$(( delay * 2 > 16 ? 16 : delay * 2 ))",
        "  done",
        "}",
        "",
        "# Refuse to run with credentials of the wrong accounts.",
        "check_account() {",
        "  local want=$1 side=$2 got",
        "  shift 2",
        '  got=$(aws sts get-caller-identity --query Account --output text "$@")',
        '  if [[ "$got" != "$want" ]]; then',
        '    echo "The $side credentials are for account $got, not $want: set the profile and run again." >&2',
        "    exit 1",
        "  fi",
        "}",
        'check_account "$SOURCE_ACCOUNT" source "${AS_SOURCE[@]}"',
        'check_account "$DEST_ACCOUNT" destination "${AS_DEST[@]}"',
    ]
    return lines


def render(plan: Any, *, source_profile: str | None = None, destination_profile: str | None = None) -> str:
    """The whole script."""
    files, by_step = _files(plan)
    lines = _header(plan, source_profile, destination_profile)
    lines += [
        "",
        "# ---- The documents ------------------------------------------------------------",
        'DOCS="$(mktemp -d)"',
        "trap 'rm -rf \"$DOCS\"' EXIT",
    ]
    for stem, document in files.items():
        note = {
            "batch_job": "the Batch Replication job (create-job input; the account id and the"
            " client request token are given as options)",
            "destination_bucket_policy": "the WHOLE destination bucket policy: its existing statements plus ours",
            "replication_configuration": "the WHOLE replication configuration: existing rules plus ours",
        }.get(stem, stem.replace("_", " "))
        lines += ["", f"# {note}", f"cat > \"{DOCS}/{stem}.json\" <<'{HEREDOC}'", _pretty(document), HEREDOC]
    lines += ["", "# ---- The steps, in apply's order ----------------------------------------------"]
    for step in plan.steps:
        side = "AS_SOURCE" if step.account == "source" else "AS_DEST"
        lines.append("")
        lines += _comment(f"{step.id} ({step.account} account, {step.action}): {step.summary}")
        if step.action == "no-op":
            lines.append("# Already holds: nothing to run.")
            continue
        if step.call == "s3control.create_job":
            lines += S3CONTROL_NOTE.splitlines()
        lines.append(f"echo {_q(f'{step.id}: {step.summary}')}")
        step_stem = by_step.get(step.id)
        lines += command(step, f"{DOCS}/{step_stem}.json" if step_stem else "", as_side=side)
    lines += ["", f"echo {_q(f'Done: every step of plan {plan.id} ran.')}", ""]
    return "\n".join(lines)


def standalone_command(step: Any, *, profile: str | None, region: str | None, document_file: str | None) -> str:
    """One step as a single ``aws`` command line with its document in ``file://document_file``.

    For the notes of the CloudFormation and Terraform exports (steps those tools
    cannot manage); no retries, no guard: a command to read and paste.
    """
    who = []
    if profile:
        who.append(f"--profile {_q(profile)}")
    if region and step.call != "kms.put_key_policy":
        who.append(f"--region {_q(region)}")
    text = "\n".join(command(step, document_file or "", as_side="WHO"))
    text = text.replace(f'"file://{document_file}"', f"file://{_q(document_file)}" if document_file else "")
    text = text.replace('"${WHO[@]}"', " ".join(who)).replace(' "${S3CONTROL_ENDPOINT[@]}"', "")
    if step.call == "iam.create_role":  # the guarded form is a script; the note wants the call
        r = step.request
        text = (
            f"aws iam create-role --role-name {_q(r['RoleName'])} --assume-role-policy-document "
            f"file://{_q(document_file)} --description {_q(r.get('Description', ''))}"
            + (f" --tags {_q(json.dumps(r['Tags'], separators=(',', ':')))}" if r.get("Tags") else "")
            + f" {' '.join(who)}"
        )
    if step.call == "s3control.create_job":
        r = step.request
        flag = "--no-confirmation-required" if not r.get("ConfirmationRequired", True) else "--confirmation-required"
        text = (
            f"aws s3control create-job --account-id {_q(r['AccountId'])} --cli-input-json file://{_q(document_file)} "
            f"--client-request-token {_q(r['ClientRequestToken'])} {flag} {' '.join(who)}"
        )
    text = text.removeprefix("retry ")
    return " ".join(part.strip() for part in text.replace("\\\n", " ").split()).strip()
