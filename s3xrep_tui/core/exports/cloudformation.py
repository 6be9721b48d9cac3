"""The plan as CloudFormation: one template per account.

What CloudFormation can and cannot do here, and what the templates do:

- Source account: the replication role and the Batch Replication role
  (``AWS::IAM::Role`` with their trust and inline policies; an inline policy on
  a role that already exists is an ``AWS::IAM::RolePolicy``).
- The replication configuration is a property of ``AWS::S3::Bucket``:
  CloudFormation sets it only on a bucket the stack owns. The source bucket
  exists, so the only way would be a resource import (``DeletionPolicy:
  Retain``), after which the stack owns *every* setting of that bucket and an
  update can remove those the template leaves out (lifecycle, encryption,
  notifications, CORS...). For a migration of someone's live bucket that is the
  wrong trade, so the templates do not import it: the replication
  configuration (the merged one: every existing rule plus ours), versioning and
  the Batch job (no CloudFormation resource exists for S3 Batch Operations
  jobs) are AWS CLI commands in the template's ``Metadata`` and comments,
  written with their documents beside the templates, run after the stacks.
- Destination account: ``AWS::S3::BucketPolicy``, which replaces the bucket's
  whole policy, so it holds the merged policy (the existing statements plus
  ours), with ``DeletionPolicy: Retain`` so deleting the stack does not delete
  the bucket's policy, others' statements included. A destination KMS key
  policy is a property of ``AWS::KMS::Key`` (same ownership problem): a CLI
  command too.

The files are YAML: comments, then the template as JSON (JSON is YAML), so
no YAML library is needed and ``cfn-lint`` reads them as they are.
"""

from __future__ import annotations

import json
from typing import Any

from .aws_cli import standalone_command, step_document

SOURCE_FILE = "source-account.cfn.yaml"
DESTINATION_FILE = "destination-account.cfn.yaml"

_LOGICAL = {"replication_role_trust_policy": "ReplicationRole", "batch_role_trust_policy": "BatchRole"}


def _logical_id(text: str) -> str:
    return "".join(part.capitalize() for part in "".join(c if c.isalnum() else " " for c in text).split())[:255]


def _document_file(step: Any) -> str:
    return f"{step.document or step.id}.json"


class _Template:
    def __init__(self, description: str) -> None:
        self.description = description
        self.resources: dict[str, Any] = {}
        self.outputs: dict[str, Any] = {}
        self.cli_steps: list[dict[str, str]] = []  # what the stack cannot do, as commands
        self.holds: list[str] = []  # no-op steps
        self.documents: dict[str, Any] = {}  # files written beside the template

    def by_cli(self, step: Any, profile: str | None, region: str | None, why: str) -> None:
        document = step_document(step)
        file = None
        if document is not None:
            file = _document_file(step)
            self.documents[file] = document
        self.cli_steps.append(
            {
                "Step": step.id,
                "Summary": step.summary,
                "Why": why,
                "Command": standalone_command(step, profile=profile, region=region, document_file=file),
            }
        )

    def text(self, heading: list[str], plan: Any) -> str:
        body: dict[str, Any] = {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Description": self.description[:1024],
            "Metadata": {
                "S3xrep": {
                    "PlanId": plan.id,
                    "AfterThisStack": self.cli_steps,
                    "AlreadyHolds": self.holds,
                }
            },
            "Resources": self.resources,
        }
        if self.outputs:
            body["Outputs"] = self.outputs
        lines = [f"# {line}".rstrip() for line in heading]
        if self.cli_steps:
            lines += ["#", "# After this stack, run (documents are the .json files beside this template):"]
            for item in self.cli_steps:
                lines += [f"#   {item['Step']}: {item['Summary']}", f"#     {item['Command']}"]
        if self.holds:
            lines += ["#", "# Already holding (nothing to do):"] + [f"#   {h}" for h in self.holds]
        return "\n".join(lines) + "\n" + json.dumps(body, indent=2) + "\n"


def _heading(plan: Any, side: str) -> list[str]:
    src, dst = plan.source, plan.destination
    return [
        f"s3xrep plan {plan.id}: CloudFormation template for the {side} account",
        f"  source       s3://{src.name}  account {plan.source_account.id}  region {src.region or '?'}",
        f"  destination  s3://{dst.name}  account {plan.destination_account.id}  region {dst.region or '?'}",
        "Order: deploy the source stack, then the destination stack (its policy names the",
        "replication role, which must exist), then the commands listed below and in the",
        "source template, in step order.",
    ]


_BY_CLI = {  # why each of these steps is an AWS CLI command, not a resource
    "iam.update_assume_role_policy":
        "the role exists outside this stack: CloudFormation cannot change its trust policy",
    "s3.put_bucket_versioning": "versioning is a property of AWS::S3::Bucket: only for a bucket the stack owns",
    "s3.put_bucket_inventory_configuration":
        "an inventory configuration is a property of AWS::S3::Bucket: only for a bucket the stack owns",
    "s3.put_bucket_replication":
        "the replication configuration is a property of AWS::S3::Bucket: only for a bucket "
        "the stack owns. This is the whole (merged) configuration: every existing rule plus ours",
    "kms.put_key_policy": "a key policy is a property of AWS::KMS::Key: only for a key the stack owns",
    "s3control.create_job": "CloudFormation has no resource for S3 Batch Operations jobs",
    "s3.put_bucket_notification_configuration":
        "the notification configuration is a property of AWS::S3::Bucket: only for a bucket the stack owns. "
        "This is the whole (merged) configuration: every existing entry plus ours",
    **dict.fromkeys(("sns.create_topic", "sns.set_topic_attributes", "sns.subscribe", "sqs.create_queue",
                     "cloudwatch.put_metric_alarm"),
                    "an alarm step: not a resource of this template yet (AWS::SNS::Topic, AWS::CloudWatch::Alarm "
                    "exist), so a command, in step order"),
}


def _as_resource(template: _Template, step: Any, created: dict[str, Any]) -> bool:
    """A role (with the inline policies of roles it creates), a role policy or the bucket policy; else False."""
    r = step.request
    if step.call == "iam.create_role":
        logical = _LOGICAL.get(step.document or "", _logical_id(r["RoleName"]))
        template.resources[logical] = {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "RoleName": r["RoleName"],
                "Description": r.get("Description", ""),
                "AssumeRolePolicyDocument": json.loads(r["AssumeRolePolicyDocument"]),
                "Policies": [],
                "Tags": list(r.get("Tags") or []),  # apply's tags: the role is provably ours later
            },
        }
        template.outputs[f"{logical}Arn"] = {
            "Description": f"ARN of {r['RoleName']}",
            "Value": {"Fn::GetAtt": [logical, "Arn"]},
        }
        return True
    if step.call == "iam.put_role_policy":
        inline = {"PolicyName": r["PolicyName"], "PolicyDocument": json.loads(r["PolicyDocument"])}
        creator = created.get(r["RoleName"])
        role = _LOGICAL.get(creator.document or "", _logical_id(r["RoleName"])) if creator else None
        if role and role in template.resources:
            template.resources[role]["Properties"]["Policies"].append(inline)
        else:  # the role exists already: our inline policy on it
            template.resources[_logical_id(f"{r['RoleName']} {r['PolicyName']}")] = {
                "Type": "AWS::IAM::RolePolicy",
                "Properties": {"RoleName": r["RoleName"], **inline},
            }
        return True
    if step.call == "s3.put_bucket_policy":
        logical = "DestinationBucketPolicy" if step.document == "destination_bucket_policy" else \
            _logical_id(f"{r['Bucket']} policy")  # an inventory reports bucket's (issue 19)
        template.resources[logical] = {
            "Type": "AWS::S3::BucketPolicy",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {"Bucket": r["Bucket"], "PolicyDocument": json.loads(r["Policy"])},
        }
        return True
    return False


def render_templates(
    plan: Any, *, source_profile: str | None = None, destination_profile: str | None = None
) -> dict[str, str]:
    """``{file name: text}``: the two templates and the documents their CLI steps read."""
    src_region, dst_region = plan.source.region, plan.destination.region
    source = _Template(
        f"s3xrep plan {plan.id}, source account {plan.source_account.id}: the replication and Batch "
        "Replication IAM roles with their inline policies (deploy with CAPABILITY_NAMED_IAM). "
        "CloudFormation can set a replication configuration only on a bucket the stack owns "
        f"(AWS::S3::Bucket); importing the existing bucket {plan.source.name} would make the stack own "
        "all its other settings too, so the merged replication configuration, versioning and the Batch "
        "Replication job (no CloudFormation resource exists for it) are AWS CLI commands in "
        "Metadata.S3xrep.AfterThisStack, run after both stacks."
    )
    destination = _Template(
        f"s3xrep plan {plan.id}, destination account {plan.destination_account.id}: the bucket policy of "
        f"{plan.destination.name}. AWS::S3::BucketPolicy replaces the whole policy, so this is the merged "
        "policy: the statements the bucket had when the plan was made plus ours (re-plan if it changed). "
        "DeletionPolicy Retain keeps the policy when the stack is deleted. Deploy after the source stack."
    )
    profiles = {"source": source_profile, "destination": destination_profile}
    regions = {"source": src_region, "destination": dst_region}
    templates = {"source": source, "destination": destination}

    # Inline policies of roles this plan creates go into the role resource itself.
    created = {s.request["RoleName"]: s for s in plan.steps if s.call == "iam.create_role"}
    for step in plan.steps:
        side = step.account
        template = templates[side]
        if step.action == "no-op" and step.call != "s3.put_bucket_policy":
            # (the bucket policy stays a resource even when it holds: the stack declares it, and
            # creating it puts the same document; an inline policy that exists would clash)
            template.holds.append(f"{step.id}: {step.summary}")
            continue
        if not _as_resource(template, step, created):
            template.by_cli(step, profiles[side], regions[side],
                            _BY_CLI.get(step.call, "no CloudFormation resource"))

    # Run order: the destination's CLI steps come before the source's replication
    # configuration in the plan; keep the plan's order in one list on the source.
    merged = sorted(source.cli_steps + destination.cli_steps, key=lambda item: item["Step"])
    source.cli_steps = merged
    destination.cli_steps = [item for item in merged if item in destination.cli_steps]

    if not source.resources:
        destination.cli_steps = merged  # the whole run order stays in the template that is written
    files: dict[str, str] = {}
    for side, name in (("source", SOURCE_FILE), ("destination", DESTINATION_FILE)):
        other = templates["destination" if side == "source" else "source"]
        if not templates[side].resources:
            # a template needs a resource: say in the other one why this one is absent
            other.holds.append(f"No {side} template: nothing in the {side} account is a CloudFormation resource here.")
    for side, name in (("source", SOURCE_FILE), ("destination", DESTINATION_FILE)):
        if templates[side].resources:
            files[name] = templates[side].text(_heading(plan, side), plan)
    for template in templates.values():
        for file, document in template.documents.items():
            files[file] = json.dumps(document, indent=2) + "\n"
    return files
