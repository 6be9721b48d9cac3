"""The plan as Terraform (HCL, AWS provider 5.x, Terraform 1.5 or newer).

One ``aws`` provider alias per account (``aws.source``, ``aws.destination``),
the resources the provider has for these documents, explicit ``depends_on`` in
apply's order, and the documents verbatim (JSON heredocs). Literal ARNs, as
the plan has them, rather than references: what Terraform sends is exactly
what ``s3xrep apply`` would.

- ``aws_s3_bucket_policy`` and ``aws_s3_bucket_replication_configuration``
  each manage the *whole* thing: they hold the merged documents (every
  existing statement and rule plus ours), and nothing else may manage them
  afterwards, or the two will revert each other.
- ``prevent_destroy`` on the bucket-level resources: destroying them would
  suspend versioning, delete the whole bucket policy (others' statements
  included) or the whole replication configuration (others' rules included).
- A role that exists already is adopted with an ``import`` block.
- No Terraform resource exists for S3 Batch Operations jobs: the Batch
  Replication job is an AWS CLI command in a comment, its input in
  ``batch_job.json``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from .aws_cli import standalone_command, step_document

FILE = "main.tf"
JOB_FILE = "batch_job.json"

_ROLE_LABEL = {
    "replication_role_trust_policy": "replication",
    "replication_role_policy": "replication",
    "batch_role_trust_policy": "batch",
    "batch_role_policy": "batch",
}
# Replication configuration members whose snake_case is not the mechanical one.
_SNAKE = {"ID": "id", "ReplicaKmsKeyID": "replica_kms_key_id"}


def snake(name: str) -> str:
    if name in _SNAKE:
        return _SNAKE[name]
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _label(text: str) -> str:
    label = re.sub(r"[^A-Za-z0-9_]", "_", text).strip("_").lower() or "x"
    return label if not label[0].isdigit() else f"r_{label}"


def _escape_template(text: str) -> str:
    """Terraform interpolates ``${`` and ``%{`` in strings and heredocs: escape them."""
    return text.replace("${", "$${").replace("%{", "%%{")


def hcl_string(value: Any) -> str:
    return _escape_template(json.dumps(str(value)))


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{hcl_string(k)} = {_value(v)}" for k, v in value.items()) + " }"
    return hcl_string(value)


def _heredoc(document: Any, indent: str) -> list[str]:
    # <<JSON keeps the text as is (no indentation stripping): the document verbatim
    return ["<<JSON", *_escape_template(json.dumps(document, indent=2)).splitlines(), "JSON"]


def _attribute(name: str, value: Any, indent: str) -> list[str]:
    return [f"{indent}{name} = {_value(value)}"]


def _document_attribute(name: str, document: Any, indent: str) -> list[str]:
    heredoc = _heredoc(document, indent)
    return [f"{indent}{name} = {heredoc[0]}", *heredoc[1:]]


def _blocks(data: dict[str, Any], indent: str) -> list[str]:
    """An API structure (CamelCase) as HCL attributes and nested blocks (snake_case)."""
    lines: list[str] = []
    for key, value in data.items():
        name = snake(key)
        if key == "Tags" and isinstance(value, list):  # Filter.And.Tags: a map in the provider
            lines += _attribute("tags", {t["Key"]: t["Value"] for t in value}, indent)
        elif isinstance(value, dict):
            inner = _blocks(value, indent + "  ")
            lines += [f"{indent}{name} {{", *inner, f"{indent}}}"] if inner else [f"{indent}{name} {{}}"]
        else:
            lines += _attribute(name, value, indent)
    return lines


def replication_rules(configuration: dict[str, Any], indent: str = "  ") -> list[str]:
    lines: list[str] = []
    for rule in configuration.get("Rules", []):
        lines += [f"{indent}rule {{", *_blocks(rule, indent + "  "), f"{indent}}}"]
    return lines


def _comment(text: str, indent: str = "") -> list[str]:
    return [f"{indent}# {line}".rstrip() for line in text.splitlines()]


def _depends(refs: list[str], indent: str = "  ") -> list[str]:
    refs = list(dict.fromkeys(refs))
    return [f"{indent}depends_on = [{', '.join(refs)}]"] if refs else []


def _prevent_destroy(why: str) -> list[str]:
    return ["", *_comment(why, "  "), "  lifecycle {", "    prevent_destroy = true", "  }"]


def render(plan: Any, *, source_profile: str | None = None, destination_profile: str | None = None) -> dict[str, str]:
    """``{file name: text}``: ``main.tf`` (and ``batch_job.json`` when the plan has a job)."""
    state = _Render(
        accounts={"source": plan.source_account.id, "destination": plan.destination_account.id},
        regions={"source": plan.source.region, "destination": plan.destination.region},
        profiles={"source": source_profile, "destination": destination_profile},
    )
    out = _preamble(plan, state)
    for step in plan.steps:
        head = _comment(f"{step.id} ({step.account} account, {step.action}): {step.summary}")
        if step.action == "no-op":
            head.append("# (already holds: Terraform will find nothing to change)")
        address, lines = _resource(step, state)
        out += [*_adoption(step), "", *head, *lines]
        if address:
            state.refs[step.id] = address
    return {FILE: "\n".join(out) + "\n", **state.job_files}


@dataclass
class _Render:
    """What rendering the steps in order needs and remembers."""

    accounts: dict[str, str]
    regions: dict[str, str | None]
    profiles: dict[str, str | None]
    refs: dict[str, str] = field(default_factory=dict)  # step id -> resource address
    role_refs: dict[str, str] = field(default_factory=dict)  # role name -> aws_iam_role address (roles managed here)
    job_files: dict[str, str] = field(default_factory=dict)


def _preamble(plan: Any, state: _Render) -> list[str]:
    """The header comment, the terraform block, one profile variable and one provider per account."""
    src, dst = plan.source, plan.destination
    accounts, regions, profiles = state.accounts, state.regions, state.profiles
    out: list[str] = [
        f"# s3xrep plan {plan.id}",
        f"#   source       s3://{src.name}  account {accounts['source']}  region {src.region or '?'}",
        f"#   destination  s3://{dst.name}  account {accounts['destination']}  region {dst.region or '?'}",
        "#",
        "# The steps `s3xrep apply` runs, as Terraform resources, with the same documents.",
        "# The bucket policy and the replication configuration are the merged ones (what",
        "# the buckets had when the plan was made, plus ours): re-plan if either changed.",
        "# Terraform then owns them whole: let nothing else manage them, or they fight.",
        "",
        "terraform {",
        '  required_version = ">= 1.5"  # import blocks',
        "  required_providers {",
        '    aws = { source = "hashicorp/aws", version = ">= 5.0" }',
        "  }",
        "}",
    ]
    for side in ("source", "destination"):
        out += [
            "",
            f'variable "{side}_profile" {{',
            f'  description = "AWS profile for the {side} account {accounts[side]} (null: the ambient credentials)"',
            "  type        = string",
            f"  default     = {hcl_string(profiles[side]) if profiles[side] else 'null'}",
            "}",
        ]
    for side in ("source", "destination"):
        out += ["", 'provider "aws" {', f'  alias               = "{side}"', f"  profile             = var.{side}_profile"]
        if regions[side]:
            out.append(f"  region              = {hcl_string(regions[side])}")
        out += [f"  allowed_account_ids = [{hcl_string(accounts[side])}]", "}"]
    return out


def _resource(step: Any, state: _Render) -> tuple[str, list[str]]:
    """(the resource's address, or "" for none; its lines after the step's comment)."""
    r = step.request
    side = step.account
    provider = f"  provider = aws.{side}"
    if step.call == "s3.put_bucket_versioning":
        return f"aws_s3_bucket_versioning.{side}", [
            f'resource "aws_s3_bucket_versioning" "{side}" {{', provider,
            f"  bucket                = {hcl_string(r['Bucket'])}",
            f"  expected_bucket_owner = {hcl_string(r['ExpectedBucketOwner'])}",
            "  versioning_configuration {",
            f"    status = {hcl_string(r['VersioningConfiguration']['Status'])}",
            "  }",
            *_prevent_destroy("Destroying this resource would suspend versioning, which stops replication."),
            "}"]
    if step.call in ("iam.create_role", "iam.update_assume_role_policy"):
        return _role(step, state, provider)
    if step.call == "iam.put_role_policy":
        label = _label(f"{_ROLE_LABEL.get(step.document or '', r['RoleName'])}_{r['PolicyName']}")
        depends = [state.role_refs[r["RoleName"]]] if r["RoleName"] in state.role_refs else []
        return f"aws_iam_role_policy.{label}", [
            f'resource "aws_iam_role_policy" "{label}" {{', provider,
            f"  name   = {hcl_string(r['PolicyName'])}",
            f"  role   = {hcl_string(r['RoleName'])}",
            *_document_attribute("policy", json.loads(r["PolicyDocument"]), "  "),
            *_depends(depends), "}"]
    if step.call == "kms.put_key_policy":
        return "aws_kms_key_policy.replica_key", [
            'resource "aws_kms_key_policy" "replica_key" {', provider,
            f"  key_id = {hcl_string(r['KeyId'])}",
            *_document_attribute("policy", json.loads(r["Policy"]), "  "),
            *_comment("The replication role must exist first (it is a principal here).", "  "),
            *_depends(list(state.role_refs.values())), "}"]
    if step.call == "s3.put_bucket_policy" and step.document != "destination_bucket_policy":
        return _reports_policy(step, provider)
    if step.call == "s3.put_bucket_inventory_configuration":
        return _inventory(step, provider)
    if step.call == "s3.put_bucket_policy":
        return "aws_s3_bucket_policy.destination", [
            "# The WHOLE bucket policy: the statements the bucket had when the plan was made, plus ours.",
            'resource "aws_s3_bucket_policy" "destination" {', provider,
            f"  bucket = {hcl_string(r['Bucket'])}",
            *_document_attribute("policy", json.loads(r["Policy"]), "  "),
            *_comment("The replication role must exist first (it is a principal here).", "  "),
            *_depends(list(state.role_refs.values())),
            *_prevent_destroy("Destroying this resource would delete the whole bucket policy, others' statements included."),
            "}"]
    if step.call == "s3.put_bucket_replication":
        return _replication(step, state, provider)
    if step.call == "s3control.create_job":
        state.job_files[JOB_FILE] = json.dumps(step_document(step), indent=2) + "\n"
        command = standalone_command(step, profile=state.profiles[side], region=state.regions[side],
                                     document_file=JOB_FILE)
        return "", [
            "# No Terraform resource exists for S3 Batch Operations jobs. After `terraform apply`,",
            f"# start it with the AWS CLI ({JOB_FILE} is beside this file; the client request",
            "# token makes S3 refuse a duplicate job):",
            f"#   {command}"]
    return "", ["# (no Terraform resource for this call)"]  # pragma: no cover - build_plan makes no other calls


def _reports_policy(step: Any, provider: str) -> tuple[str, list[str]]:
    """An S3 Inventory reports bucket's whole policy (its statements when the plan was made, plus ours)."""
    r, label = step.request, _label(f"{step.account}_inventory_reports")
    return f"aws_s3_bucket_policy.{label}", [
        f'resource "aws_s3_bucket_policy" "{label}" {{', provider, f"  bucket = {hcl_string(r['Bucket'])}",
        *_document_attribute("policy", json.loads(r["Policy"]), "  "),
        *_prevent_destroy("Destroying this resource would delete the whole bucket policy, others' statements included."),
        "}"]


def _inventory(step: Any, provider: str) -> tuple[str, list[str]]:
    """Our S3 Inventory configuration (aws_s3_bucket_inventory)."""
    r, label = step.request, _label(f"{step.account}_inventory")
    config = r["InventoryConfiguration"]
    destination = config["Destination"]["S3BucketDestination"]
    inner = [f"      bucket_arn = {hcl_string(destination['Bucket'])}", f"      format     = {hcl_string(destination['Format'])}",
             f"      account_id = {hcl_string(destination['AccountId'])}"]
    if destination.get("Prefix"):
        inner.append(f"      prefix     = {hcl_string(destination['Prefix'])}")
    inner += ["      encryption {", "        sse_s3 {}", "      }"]
    return f"aws_s3_bucket_inventory.{label}", [
        f'resource "aws_s3_bucket_inventory" "{label}" {{', provider,
        f"  bucket                   = {hcl_string(r['Bucket'])}",
        f"  name                     = {hcl_string(config['Id'])}",
        f"  enabled                  = {'true' if config['IsEnabled'] else 'false'}",
        f"  included_object_versions = {hcl_string(config['IncludedObjectVersions'])}",
        "  optional_fields          = [" + ", ".join(hcl_string(f) for f in config["OptionalFields"]) + "]",
        "  schedule {", f"    frequency = {hcl_string(config['Schedule']['Frequency'])}", "  }",
        "  destination {", "    bucket {", *inner, "    }", "  }", "}"]


def _role_label(step: Any) -> str:
    return _ROLE_LABEL.get(step.document or "", _label(step.request["RoleName"]))


def _adoption(step: Any) -> list[str]:
    """The import block that adopts a role that exists already (before the step's comment), else nothing."""
    if step.call != "iam.update_assume_role_policy":
        return []
    return ["", "# The role exists already: Terraform adopts it.", "import {",
            f"  provider = aws.{step.account}", f"  to       = aws_iam_role.{_role_label(step)}",
            f"  id       = {hcl_string(step.request['RoleName'])}", "}"]


def _role(step: Any, state: _Render, provider: str) -> tuple[str, list[str]]:
    """A role this configuration creates or adopts (:func:`_adoption` writes the import block)."""
    r = step.request
    label = _role_label(step)
    address = f"aws_iam_role.{label}"
    trust = r["AssumeRolePolicyDocument" if step.call == "iam.create_role" else "PolicyDocument"]
    out = [f'resource "aws_iam_role" "{label}" {{', provider, f"  name        = {hcl_string(r['RoleName'])}"]
    if r.get("Description"):
        out.append(f"  description = {hcl_string(r['Description'])}")
    if r.get("Tags"):  # what apply tags a role it creates with: ours, provably, later
        out += _attribute("tags", {t["Key"]: t["Value"] for t in r["Tags"]}, "  ")
    out += _document_attribute("assume_role_policy", json.loads(trust), "  ")
    if step.call != "iam.create_role":  # adopted: its own tags and description are not ours to drop
        out += ["  lifecycle {", "    ignore_changes = [tags, description]", "  }"]
    out.append("}")
    state.role_refs[r["RoleName"]] = address
    return address, out


def _replication(step: Any, state: _Render, provider: str) -> tuple[str, list[str]]:
    """The whole replication configuration, after every resource before it."""
    r = step.request
    address = "aws_s3_bucket_replication_configuration.source"
    config = r["ReplicationConfiguration"]
    before = [a for a in state.refs.values() if a != address]
    return address, [
        "# The WHOLE replication configuration: every rule the bucket had when the plan was",
        "# made, plus ours (this resource replaces the configuration, like the API call).",
        'resource "aws_s3_bucket_replication_configuration" "source" {', provider,
        f"  bucket = {hcl_string(r['Bucket'])}",
        f"  role   = {hcl_string(config['Role'])}",
        *replication_rules(config),
        "",
        *_comment("Versioning on both buckets, the role's permissions and the destination's grants first.", "  "),
        *_depends(before),
        *_prevent_destroy("Destroying this resource would delete the whole replication configuration, others' rules included."),
        "}"]
