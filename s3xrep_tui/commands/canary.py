"""``s3xrep canary``: put one object under the rule, watch it replicate, check the replica, clean up.

Exit 0 when the canary replicated and the replica checks out (read with the
destination's credentials), 1 when it failed, timed out or could not run,
2 on bad arguments. One line on errors, no traceback; progress goes to stderr
only when stderr is a terminal.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..core.text import safe
from ._status_line import StatusLine
from .plan import endpoint_spec
from .report import plan_id_arg

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
DEFAULT_TIMEOUT = 900.0


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--timeout {text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("--timeout must be more than 0 seconds")
    return value


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "canary",
        help="prove live replication: put a canary object, wait for it to replicate, read it back, clean up",
    )
    parser.add_argument("--source", required=True, type=endpoint_spec, metavar="PROFILE:BUCKET")
    parser.add_argument("--dest", required=True, type=endpoint_spec, metavar="PROFILE:BUCKET")
    parser.add_argument("--prefix", default=None,
                        help="put the canary under this prefix (default: the rule's prefix); the rule must cover it")
    parser.add_argument("--timeout", type=_seconds, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=f"how long to wait for replication (default {DEFAULT_TIMEOUT:.0f}, AWS's usual 15 minutes)")
    parser.add_argument("--keep", action="store_true", help="leave the canary and its replica in place")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--plan", type=plan_id_arg, metavar="PLAN_ID",
                        help="record the result for this plan's report (default: the applied plan of these buckets)")
    parser.set_defaults(handler=run)


class _Progress(StatusLine):
    def __call__(self, progress: Any) -> None:
        if progress.phase == "done":
            return
        status = f" {progress.replication_status}" if progress.replication_status else ""
        self.show(f"canary: {progress.phase}{status} {progress.elapsed:,.0f}s")


def run(args: argparse.Namespace) -> int:
    from ..core.names import check_bucket_name

    try:
        check_bucket_name(args.source[1])
        check_bucket_name(args.dest[1])
    except ValueError as exc:
        print(f"s3xrep canary: {exc}", file=sys.stderr)
        return EXIT_USAGE
    progress = _Progress()
    try:
        result = _run(args, progress)
    except Exception as exc:  # noqa: BLE001  AwsError and anything boto3 raises: one line
        from ..aws.errors import AwsError, explain

        progress.clear()
        error = exc if isinstance(exc, AwsError) else explain(exc)
        print(f"s3xrep canary: {error.message}" + (f" (fix: {error.fix})" if error.fix else ""), file=sys.stderr)
        return EXIT_USAGE if error.bad_argument else EXIT_FAILURE
    progress.clear()
    print(json.dumps(result.as_dict(), indent=2) if args.json else render_text(result))
    from ..aws.results import record_canary_for

    record_canary_for(result.as_dict(), getattr(args, "plan", None))  # for 's3xrep report' (never fails the canary)
    return EXIT_OK if result.ok else EXIT_FAILURE


def _run(args: argparse.Namespace, progress: Any) -> Any:
    from ..aws.canary import run_canary
    from ..aws.clients import clients_for

    (source_profile, source_bucket), (dest_profile, dest_bucket) = args.source, args.dest
    return run_canary(clients_for(source_profile), clients_for(dest_profile), source_bucket, dest_bucket,
                      prefix=args.prefix, timeout=args.timeout, keep=args.keep, progress=progress,
                      read_only=bool(getattr(args, "read_only", False)))


def render_text(result: Any) -> str:
    head = {
        "replicated": "replicated" if result.ok else "replicated, but the replica does not check out",
        "failed": "replication FAILED",
        "timeout": "timed out",
        "not-replicating": "not replicating",
        "not-configured": "not configured",
        "cancelled": "cancelled",
    }[result.status]
    lines = [f"Canary {result.source_bucket} -> {result.destination_bucket}: {head}"]
    if result.key:
        lines.append(f"  key      {result.key}")
    if result.version_id:
        lines.append(f"  version  {result.version_id}")
    if result.rule_id:
        lines.append(f"  rule     {result.rule_id}")
    if result.replication_status:
        lines.append(f"  status   {result.replication_status}")
    if result.seconds_to_replicate is not None:
        lines.append(f"  put -> {result.replication_status}: {result.seconds_to_replicate:.2f}s")
    for check in result.checks:
        lines.append(f"  {'ok  ' if check.ok else 'FAIL'}  {check.name:<15} {check.detail}")
    if result.message:
        lines.append(f"  {result.message}")
    if result.failure_code:
        lines.append(f"  failure code: {result.failure_code}")
    if result.fix:
        lines.append(f"  fix: {result.fix}")
    for note in result.cleanup:
        lines.append(f"  cleanup: {note}")
    lines.append("OK: live replication works end to end." if result.ok else "FAILED: see above.")
    return safe("\n".join(lines), newlines=True)  # keys, rule IDs and AWS's messages are foreign
