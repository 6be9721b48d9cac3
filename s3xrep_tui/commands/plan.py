"""``s3xrep plan``: inspect both buckets, print findings, documents and steps.

``--format aws-cli|cloudformation|terraform`` exports the plan for other tools
(``core.exports``) instead. Writes nothing to AWS. Exit 0 when nothing blocks, 3 when a finding blocks,
2 on bad arguments, 1 when AWS could not be read; always one line, no traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from ..core.text import safe
from ..locations import check_target, private_dir, write_private

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_BLOCKED = 0, 1, 2, 3

EXPORT_FORMATS = ("aws-cli", "cloudformation", "terraform")  # = core.exports.FORMATS (not imported: startup speed)
FORMATS = ("text", "json", *EXPORT_FORMATS)


def endpoint_spec(text: str) -> tuple[str | None, str]:
    """``PROFILE:BUCKET`` (or ``:BUCKET`` for the ambient credentials) -> (profile, bucket)."""
    profile, sep, bucket = text.rpartition(":")
    if not sep or not bucket:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not PROFILE:BUCKET (use :BUCKET for the ambient credentials)"
        )
    return (profile or None), bucket


def tag_spec(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"tag {text!r} is not KEY=VALUE")
    return key, value


def add_migration_arguments(parser: argparse.ArgumentParser, *, fleet: bool = False) -> None:
    """The arguments every command that builds a plan shares (plan, apply); ``fleet``: also --pairs/--map."""
    parser.add_argument("--source", required=not fleet, type=endpoint_spec, metavar="PROFILE:BUCKET")
    parser.add_argument("--dest", required=not fleet, type=endpoint_spec, metavar="PROFILE:BUCKET")
    if fleet:
        from .fleet import add_fleet_arguments

        add_fleet_arguments(parser)
    scope = parser.add_argument_group("scope")
    scope.add_argument("--prefix", default="", help="replicate only keys under this prefix")
    scope.add_argument("--tag", action="append", default=[], type=tag_spec, metavar="KEY=VALUE",
                       help="replicate only objects with this tag (repeatable)")
    what = parser.add_argument_group("replication")
    what.add_argument("--delete-markers", action="store_true", help="replicate delete markers")
    what.add_argument("--storage-class", help="storage class of the replicas (default: the source's)")
    what.add_argument("--rtc", action="store_true", help="Replication Time Control (15-minute SLA; implies --metrics)")
    what.add_argument("--metrics", action="store_true", help="replication metrics in CloudWatch")
    what.add_argument("--replica-kms-key", metavar="KEY_ARN", help="destination KMS key for SSE-KMS objects")
    what.add_argument("--replica-modifications", action=argparse.BooleanOptionalAction, default=None,
                      help="sync metadata changes made to replicas back (two-way replication, for a rollback window); "
                      "neither flag: as our deployed rule has it")
    what.add_argument("--rule-id", help="ID of our replication rule (default: s3xrep-to-DEST)")
    what.add_argument("--priority", type=int, help="rule priority (default: the lowest unused)")
    roles = parser.add_argument_group("roles")
    roles.add_argument("--single-role", action="store_true", help="one role for replication and Batch Replication")
    roles.add_argument("--role-name", help="name of the replication role")
    roles.add_argument("--batch-role-name", help="name of the Batch Replication role")
    roles.add_argument("--replace-role", action="store_true",
                       help="replace a different role the source already replicates with (default: reuse it)")
    roles.add_argument("--adopt", action="store_true",
                       help="take over a rule or role with our name that this tool did not write "
                       "(its old content is journaled first; undo restores it)")
    existing = parser.add_argument_group("existing objects (Batch Replication)")
    existing.add_argument("--no-existing", action="store_true", help="do not replicate objects that already exist")
    existing.add_argument("--existing-statuses", default="NONE,FAILED", metavar="NONE,FAILED,...",
                          help="which replication statuses the backfill picks (NONE, FAILED, COMPLETED, REPLICA)")
    existing.add_argument("--report-bucket", help="bucket (source account and region) for the job's completion report")
    existing.add_argument("--report-prefix", default="s3xrep/batch-reports")
    existing.add_argument("--report-failed-only", action="store_true", help="report failed tasks only")
    existing.add_argument("--manifest-bucket", help="keep the generated manifest in this bucket")
    existing.add_argument("--manifest-prefix", default="s3xrep/batch-manifests")
    existing.add_argument("--job-priority", type=int, default=10)
    inventory = parser.add_argument_group("S3 Inventory (verify --inventory; issue 19)")
    inventory.add_argument("--inventory", choices=("auto", "on", "off"), default="auto",
                           help="a daily all-versions Parquet inventory of both buckets (auto: on from 1,000,000 objects)")
    inventory.add_argument("--inventory-source-bucket", metavar="BUCKET",
                           help="reports bucket of the source account, in the source's Region")
    inventory.add_argument("--inventory-destination-bucket", metavar="BUCKET",
                           help="reports bucket of the destination account, in the destination's Region")
    inventory.add_argument("--inventory-prefix", default="s3xrep/inventory")
    inventory.add_argument("--backfill-from-inventory", action="store_true",
                           help="the Batch Replication job reads the source's newest inventory report "
                                "instead of generating a manifest (when a report exists)")
    alarms = parser.add_argument_group("alarms while it runs (on by default)")
    alarms.add_argument("--no-alarms", action="store_true",
                        help="no SNS topic, replication events or CloudWatch alarms")
    alarms.add_argument("--alarm-failed-threshold", type=int, default=0, metavar="N",
                        help="alarm when more than N operations fail to replicate in a minute (default 0)")
    alarms.add_argument("--alarm-latency-seconds", type=int, default=900, metavar="S",
                        help="alarm when replication is more than S seconds behind (default 900)")
    alarms.add_argument("--alarm-email", metavar="ADDRESS", help="subscribe this e-mail address to the alarm topic")
    alarms.add_argument("--alarm-topic-arn", metavar="ARN", help="use this existing SNS topic (none is created)")
    alarms.add_argument("--alarm-eventbridge", action="store_true",
                        help="send S3's replication events to EventBridge instead of an SNS topic")


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("plan", help="inspect both buckets and print every document and step (writes nothing)")
    add_migration_arguments(parser, fleet=True)
    parser.add_argument("--json", action="store_true", help="print one JSON object (same as --format json)")
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="text (default), json, or an export for another tool: aws-cli (a bash script), "
        "cloudformation (a template per account), terraform (HCL); cloudformation and terraform need --out",
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="text/json: also write each document as DIR/<name>.json; exports: write the export's files into DIR",
    )
    parser.add_argument("--no-estimate", action="store_true",
                        help="skip the cost and time estimate (it reads CloudWatch's storage metrics and the "
                        "AWS Price List API)")
    parser.set_defaults(handler=run)


def options_from_args(args: argparse.Namespace) -> Any:
    """MigrationOptions from parsed arguments; ValueError with one readable line when invalid."""
    from pydantic import ValidationError

    from ..core.models import MigrationOptions

    try:
        return MigrationOptions(
            prefix=args.prefix,
            tags=tuple(args.tag),
            delete_markers=args.delete_markers,
            storage_class=args.storage_class,
            rtc=args.rtc,
            metrics=args.metrics,
            replica_kms_key=args.replica_kms_key,
            rule_id=args.rule_id,
            priority=args.priority,
            single_role=args.single_role,
            replication_role_name=args.role_name,
            batch_role_name=args.batch_role_name,
            replace_existing_role=args.replace_role,
            adopt=args.adopt,
            replicate_existing=not args.no_existing,
            existing_statuses=tuple(s.strip().upper() for s in args.existing_statuses.split(",") if s.strip()),
            report_bucket=args.report_bucket,
            report_prefix=args.report_prefix,
            report_failed_only=args.report_failed_only,
            manifest_bucket=args.manifest_bucket,
            manifest_prefix=args.manifest_prefix,
            job_priority=args.job_priority,
            inventory=args.inventory,
            inventory_source_bucket=args.inventory_source_bucket,
            inventory_destination_bucket=args.inventory_destination_bucket,
            inventory_prefix=args.inventory_prefix,
            backfill_from_inventory=args.backfill_from_inventory,
            alarms=not getattr(args, "no_alarms", False),
            alarm_failed_threshold=getattr(args, "alarm_failed_threshold", 0),
            alarm_latency_seconds=getattr(args, "alarm_latency_seconds", 900),
            alarm_email=getattr(args, "alarm_email", None),
            alarm_topic_arn=getattr(args, "alarm_topic_arn", None),
            alarm_eventbridge=getattr(args, "alarm_eventbridge", False),
            replica_modifications=getattr(args, "replica_modifications", None),
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "options"
        raise ValueError(f"{where}: {first['msg'].removeprefix('Value error, ')}") from None


def output_format(args: argparse.Namespace) -> str:
    """The chosen format; ValueError when --json and --format disagree or an export lacks --out."""
    fmt = getattr(args, "format", None)
    if args.json and fmt not in (None, "json"):
        raise ValueError(f"--json and --format {fmt} disagree: give one")
    fmt = "json" if args.json else (fmt or "text")
    if fmt in ("cloudformation", "terraform") and not args.out:
        raise ValueError(f"--format {fmt} writes several files: give --out DIR")
    return fmt


def run(args: argparse.Namespace) -> int:
    from ..core.names import check_bucket_name
    from .fleet import check_single, is_fleet, run_plan

    try:
        check_single(args, "s3xrep plan")
        fmt = output_format(args)
        options = options_from_args(args)
        if is_fleet(args):
            return run_plan(args, options, fmt, plan_json)
        check_bucket_name(args.source[1])
        check_bucket_name(args.dest[1])
    except ValueError as exc:
        print(f"s3xrep plan: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        plan, inputs, source_clients = plan_with_inputs(args.source, args.dest, options)
    except Exception as exc:  # AwsError and anything boto3 raises: one line, no traceback
        from ..aws.errors import AwsError, explain

        error = exc if isinstance(exc, AwsError) else explain(exc)
        print(f"s3xrep plan: {error.message}" + (f" (fix: {error.fix})" if error.fix else ""), file=sys.stderr)
        return EXIT_USAGE if error.bad_argument else EXIT_FAILURE
    try:
        if fmt in EXPORT_FORMATS:
            return _export(plan, fmt, args)
        if args.out:
            write_documents(plan.documents, Path(args.out))
    except OSError as exc:  # a link planted in --out, a full disk: what and where, in one line
        print(f"s3xrep plan: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    estimate = None if getattr(args, "no_estimate", False) else estimate_plan(plan, inputs, source_clients)
    print(json.dumps(plan_json(plan, estimate), indent=2) if fmt == "json" else render_text(plan, estimate))
    return EXIT_BLOCKED if plan.blocked else EXIT_OK


def estimate_plan(plan: Any, inputs: Any, source_clients: Any) -> Any:
    """The plan's cost and time estimate (reads only; what cannot be read is a note of it), recorded for the report."""
    from ..aws import results
    from ..aws.estimate import estimate_inputs

    estimate = estimate_inputs(source_clients, inputs, plan=plan)
    try:
        results.record_estimate(plan.id, estimate.as_dict())
    except (OSError, ValueError) as exc:  # the report goes without it; the plan does not fail
        logging.getLogger(__name__).warning("estimate of %s not recorded: %s", plan.id, exc)
    return estimate


def _export(plan: Any, fmt: str, args: argparse.Namespace) -> int:
    """Write (or, for aws-cli without --out, print) the export; a blocked plan exports nothing."""
    if plan.blocked:
        print(render_text(plan))
        print(f"s3xrep plan: nothing exported as {fmt}: the plan is blocked", file=sys.stderr)
        return EXIT_BLOCKED
    profiles = {"source_profile": args.source[0], "destination_profile": args.dest[0]}
    if not args.out:  # aws-cli only (output_format checked): the script on stdout
        from ..core.exports import export_files

        (text,) = export_files(plan, fmt, **profiles).values()
        sys.stdout.write(text)
        return EXIT_OK
    for path in write_export(plan, fmt, Path(args.out), **profiles):
        print(f"wrote {path}")
    return EXIT_OK


def write_export(
    plan: Any, fmt: str, out: Path, *, source_profile: str | None = None, destination_profile: str | None = None
) -> list[Path]:
    """Write the plan's export in ``fmt`` into ``out``; the paths written (scripts executable).

    Raises ``core.exports.ExportError`` for a blocked plan or an unknown format.
    """
    from ..core.exports import export_files

    files = export_files(plan, fmt, source_profile=source_profile, destination_profile=destination_profile)
    _output_dir(out)
    for name in files:  # a link planted at any name: refuse before writing one file
        check_target(out / name)
    written = []
    for name, text in files.items():
        path = out / name
        _write_private(path, text, 0o700 if name.endswith(".sh") else 0o600)
        written.append(path)
    return written


def _output_dir(out: Path) -> None:
    """``out`` created 0700 when it does not exist yet (an existing folder keeps its mode: it is the user's)."""
    if not out.is_dir():
        private_dir(out)


def _write_private(path: Path, text: str, mode: int = 0o600) -> None:
    """The documents describe the user's accounts: owner-only from the first byte (0600, scripts 0700),
    never through a link planted at the name (``locations.write_private`` refuses it)."""
    write_private(path, text, mode, own_dir=False)


def make_plan(source: tuple[str | None, str], dest: tuple[str | None, str], options: Any) -> Any:
    """Inspect both sides with their profiles and build the plan (reads only)."""
    return plan_with_inputs(source, dest, options)[0]


def plan_with_inputs(source: tuple[str | None, str], dest: tuple[str | None, str], options: Any) -> tuple[Any, Any, Any]:
    """(plan, the inputs it was built from, the source's clients): the estimate needs all three."""
    from ..aws.clients import clients_for
    from ..aws.inspect import gather_inputs
    from ..core.plan import build_plan

    (source_profile, source_bucket), (dest_profile, dest_bucket) = source, dest
    source_clients = clients_for(source_profile)
    inputs = gather_inputs(
        source_clients,
        clients_for(dest_profile),
        source_bucket,
        dest_bucket,
        options,
    )
    return build_plan(inputs), inputs, source_clients


def plan_json(plan: Any, estimate: Any = None) -> dict[str, Any]:
    """The plan as JSON; ``estimate`` (a ``core.estimate_model.Estimate``) adds an ``estimate`` key."""

    def side(account: Any, bucket: Any) -> dict[str, Any]:
        return {"account": account.id, "bucket": bucket.name, "region": bucket.region}

    return {
        "id": plan.id,
        "source": side(plan.source_account, plan.source),
        "destination": side(plan.destination_account, plan.destination),
        "findings": [f.model_dump() for f in plan.findings],
        "documents": {name: doc for name, doc in plan.documents.items() if doc is not None},
        "steps": [s.model_dump() for s in plan.steps],
        **({"estimate": estimate.as_dict()} if estimate is not None else {}),
    }


_SEVERITY = {"blocking": "BLOCKING", "warning": "warning ", "info": "info    "}


def render_text(plan: Any, estimate: Any = None) -> str:
    """The plan for a terminal: findings first, the estimate (when given), each document explained, the steps."""
    from ..core.documents import explain_rule, explain_statement
    from ..core.estimate_text import estimate_lines

    lines = [f"Plan {plan.id}"]
    for label, account, bucket in (
        ("source     ", plan.source_account, plan.source),
        ("destination", plan.destination_account, plan.destination),
    ):
        lines.append(f"  {label}  {bucket.name}  account {account.id}  region {bucket.region or '?'}")
    lines += ["", "Findings" if plan.findings else "Findings: none"]
    for finding in plan.findings:
        lines.append(f"  {_SEVERITY[finding.severity]}  {finding.message}")
        lines.append(f"            fix: {finding.fix}")
    if estimate is not None:
        lines += ["", "Cost and time", *estimate_lines(estimate)]
    lines += ["", "Documents"]
    for name, document in plan.documents.items():
        if document is None:
            continue
        lines.append(f"  -- {name}")
        for statement in document.get("Statement", []) if isinstance(document, dict) else []:
            lines.append(f"     # {explain_statement(statement)}")
        for rule in document.get("Rules", []) if isinstance(document, dict) else []:
            lines.append(f"     # {explain_rule(rule)}")
        lines += ["     " + line for line in json.dumps(document, indent=2, default=str).splitlines()]
    lines += ["", "Steps"]
    for step in plan.steps:
        lines.append(f"  {step.id:<28} {step.account:<11} {step.action:<6}  {step.summary}")
    if plan.blocked:
        lines += ["", "Blocked: fix the BLOCKING findings above, then plan again."]
    return safe("\n".join(lines), newlines=True)  # findings and explanations quote foreign policies and rules


def write_documents(documents: dict[str, Any], out: Path) -> None:
    """Each document as ``out/<name>.json``, 0600 (``out`` made 0700 when it is new)."""
    _output_dir(out)
    for name in documents:
        check_target(out / f"{name}.json")
    for name, document in documents.items():
        _write_private(out / f"{name}.json", json.dumps(document, indent=2) + "\n")
