"""Fleet migrations on the command line (issue 20): ``plan``/``apply`` with ``--pairs FILE`` or ``--map``,
``undo --migration ID``, ``jobs --migration ID``, ``verify --migration ID``, ``report --migration ID``.

A fleet is N pairs, each planned and applied as today's single pair is (its own plan id and journal),
tied together by a migration id. Exit codes as for one pair: 0 ok, 1 a pair failed (the others went
on; run the same command again to continue), 2 bad arguments, 3 blocked by preflight.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..core.text import safe

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_BLOCKED = 0, 1, 2, 3


def add_fleet_arguments(parser: argparse.ArgumentParser) -> None:
    fleet = parser.add_argument_group("a fleet of pairs (instead of --source/--dest)")
    fleet.add_argument("--pairs", metavar="FILE", help="a TOML or CSV file of pairs (source, destination, options)")
    fleet.add_argument("--map", metavar="'P:SRC-*=P:DST-*'",
                       help="pair every listed source bucket matching the pattern with the destination it maps to")
    fleet.add_argument("--role-per-pair", action="store_true",
                       help="one role per source bucket instead of one per source account")
    fleet.add_argument("--migration-name", metavar="NAME", help="a name for the migration id (default: fleet)")
    fleet.add_argument("--workers", type=int, default=3, metavar="N",
                       help="pairs applied at once (default 3; IAM and Batch Operations limit each account)")


def is_fleet(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "pairs", None) or getattr(args, "map", None))


def check_single(args: argparse.Namespace, prog: str) -> None:
    """ValueError when neither a pair nor a fleet was given, or both."""
    if is_fleet(args):
        if args.source or args.dest:
            raise ValueError("give --source/--dest for one pair, or --pairs/--map for a fleet, not both")
        if args.pairs and args.map:
            raise ValueError("give --pairs FILE or --map, not both")
        return
    missing = [name for name, value in (("--source", args.source), ("--dest", args.dest)) if not value]
    if missing:
        raise ValueError(f"the following arguments are required: {', '.join(missing)} "
                         "(or --pairs FILE / --map for a fleet)")


def _fail(prog: str, message: str, code: int) -> int:
    print(f"{prog}: {safe(message)}", file=sys.stderr)
    return code


def _aws_failure(prog: str, exc: Exception) -> int:
    from ..aws.errors import AwsError, explain

    error = exc if isinstance(exc, AwsError) else explain(exc)
    return _fail(prog, error.message + (f" (fix: {error.fix})" if error.fix else ""),
                 EXIT_USAGE if error.bad_argument else EXIT_FAILURE)


def read_pairs(args: argparse.Namespace, clients: Any) -> Any:
    """The PairsFile from ``--pairs`` or ``--map`` (the map's pairs printed first); PairsError/OSError."""
    from ..core.fleet_pairs import PairsFile, expand_map, parse_map, parse_pairs

    if args.pairs:
        path = Path(args.pairs)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ValueError(f"--pairs {args.pairs}: no such file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"--pairs {args.pairs}: cannot be read ({exc})") from None
        parsed = parse_pairs(text, path.name)
    else:
        from ..aws.fleet_inspect import list_bucket_names

        mapping = parse_map(args.map)
        found = expand_map(mapping, list_bucket_names(clients(mapping.source_profile)),
                           list_bucket_names(clients(mapping.destination_profile)))
        print(safe(f"Map {args.map} over the listed buckets:"))
        for pair in found.pairs:
            print(safe(f"  {pair.source_bucket:<32} -> {pair.destination_bucket}"))
        for source, target in found.missing:
            print(safe(f"  {source:<32} -> {target}  (skipped: no such bucket in the destination account)"))
        if not found.pairs:
            raise ValueError(f"--map {args.map} matches no listed source bucket with a listed destination")
        parsed = PairsFile(found.pairs)
    if args.role_per_pair or args.migration_name:
        parsed = PairsFile(parsed.pairs, parsed.defaults, args.migration_name or parsed.migration,
                           parsed.role_per_pair or args.role_per_pair)
    return parsed


def make_fleet(args: argparse.Namespace, options: Any, *, estimate: bool = False) -> tuple[Any, Any]:
    from ..aws.fleet_inspect import FleetClients, plan_fleet

    clients = FleetClients()
    pairs = read_pairs(args, clients)
    return plan_fleet(pairs, options, clients, estimate=estimate), clients


def _estimate_json(fleet: Any) -> dict[str, Any] | None:
    hook = fleet.estimate_hook
    if not hook:
        return None
    return {"total": hook["total"].as_dict(), "pairs": [e.as_dict() for e in hook["pairs"]]}


def fleet_json(fleet: Any, plan_json: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    """``plan --json`` of a fleet; ``plan_json``: plan's own rendering of one pair's plan."""
    return {
        "migration": fleet.id,
        "blocked": fleet.blocked,
        "findings": [f.model_dump() for f in fleet.findings],
        "roles": [{"name": r.name, "account": r.account, "kind": r.kind, "pairs": list(r.pairs),
                   "characters": r.characters, "limit": 10_240, "created_by_pair": r.creator} for r in fleet.roles],
        "estimate": _estimate_json(fleet),  # per pair and the fleet's total (None: --no-estimate)
        "pairs": [{"index": p.index, "lane": p.lane, "source_profile": p.spec.source_profile,
                   "destination_profile": p.spec.destination_profile, **plan_json(p.plan)} for p in fleet.pairs],
    }


_SEVERITY = {"blocking": "BLOCKING", "warning": "warning ", "info": "info    "}


def estimate_lines(fleet: Any) -> list[str]:
    """The fleet's cost and time: the total's line items, then one summary line per pair."""
    from ..core.estimate_text import estimate_lines as lines_of
    from ..core.estimate_text import summary_line

    hook = fleet.estimate_hook
    if not hook:
        return []
    lines = ["", "Cost and time of the whole fleet", *lines_of(hook["total"])]
    lines += ["", "Per pair"]
    for pair, estimate in zip(fleet.pairs, hook["pairs"], strict=True):
        lines.append(f"  {pair.index:>3}  {pair.label}: {summary_line(estimate)}")
    return lines


def render_fleet(fleet: Any) -> str:
    lines = [f"Migration {fleet.id}: {len(fleet.pairs)} pair(s)"]
    lines += ["", "Findings across pairs" if fleet.findings else "Findings across pairs: none"]
    for finding in fleet.findings:
        lines += [f"  {_SEVERITY[finding.severity]}  {finding.message}", f"            fix: {finding.fix}"]
    lines += ["", "Roles (one per source account; each pair adds its own inline policy)"]
    for role in fleet.roles:
        made = f"created by pair {role.creator}" if role.creator else "exists"
        lines.append(f"  {role.name:<40} {role.kind:<11} {len(role.pairs):>3} pair(s)  "
                     f"{role.characters:>6}/10240 characters  {made}")
    lines += ["", f"  {'#':>3} {'lane':>4}  {'source':<30} {'destination':<30} changes  findings"]
    for pair in fleet.pairs:
        changes = sum(1 for s in pair.plan.steps if s.action != "no-op")
        blocking = [f for f in pair.plan.findings if f.severity == "blocking"]
        note = f"{len(blocking)} BLOCKING" if blocking else f"{len(pair.plan.findings)}"
        lines.append(f"  {pair.index:>3} {pair.lane:>4}  {pair.spec.source_bucket:<30} "
                     f"{pair.spec.destination_bucket:<30} {changes:>7}  {note}")
        for finding in blocking:
            lines += [f"        BLOCKING  {finding.message}", f"                  fix: {finding.fix}"]
    lines += estimate_lines(fleet)
    if fleet.blocked:
        lines += ["", "Blocked: fix the BLOCKING findings above, then plan again."]
    else:
        lines += ["", "Each pair's documents: s3xrep plan --pairs FILE --json (pair plan ids above apply's "
                      "journals); apply: s3xrep apply --pairs FILE"]
    return safe("\n".join(lines), newlines=True)


def run_plan(args: argparse.Namespace, options: Any, fmt: str, plan_json: Callable[[Any], dict[str, Any]]) -> int:
    prog = "s3xrep plan"
    from ..core.fleet_pairs import PairsError

    if fmt not in ("text", "json"):
        return _fail(prog, f"--format {fmt} exports one pair; a fleet prints text or --json", EXIT_USAGE)
    try:
        fleet, _ = make_fleet(args, options, estimate=not getattr(args, "no_estimate", False))
    except (PairsError, ValueError) as exc:
        return _fail(prog, str(exc), EXIT_USAGE)
    except Exception as exc:  # AwsError and anything boto3 raises: one line, no traceback
        return _aws_failure(prog, exc)
    print(json.dumps(fleet_json(fleet, plan_json), indent=2) if fmt == "json" else render_fleet(fleet))
    return EXIT_BLOCKED if fleet.blocked else EXIT_OK


def _confirm(fleet: Any) -> bool:
    changes = sum(1 for p in fleet.pairs for s in p.plan.steps if s.action != "no-op")
    print(f"\nThis applies {changes} change(s) for {len(fleet.pairs)} pair(s) in one go.")
    print(f"Type the migration id ({fleet.id}) to apply, anything else to cancel: ", end="", flush=True)
    try:
        answer = sys.stdin.readline()
    except (OSError, ValueError):
        return False
    return answer.strip() == fleet.id


def run_apply(args: argparse.Namespace, options: Any, *, terminal: bool,
              progress_line: Callable[[Any], str | None]) -> int:
    """``progress_line``: apply's own line for one step's event."""
    prog = "s3xrep apply"
    from ..aws.apply import Backoff
    from ..aws.fleet_apply import apply_fleet
    from ..core.fleet_pairs import PairsError

    if args.workers < 1:
        return _fail(prog, "--workers must be 1 or more", EXIT_USAGE)
    try:
        fleet, clients = make_fleet(args, options)
    except (PairsError, ValueError) as exc:
        return _fail(prog, str(exc), EXIT_USAGE)
    except Exception as exc:
        return _aws_failure(prog, exc)
    if fleet.blocked:
        print(render_fleet(fleet))
        return _fail(prog, f"migration {fleet.id} is blocked by preflight: fix the BLOCKING findings, then run "
                     "apply again", EXIT_BLOCKED)
    if not (args.yes or args.dry_run or args.read_only):
        if not terminal:
            return _fail(prog, "stdin is not a terminal, so the typed confirmation cannot be asked: pass --yes",
                         EXIT_USAGE)
        print(render_fleet(fleet))
        if not _confirm(fleet):
            return _fail(prog, "not confirmed: nothing was changed", EXIT_USAGE)
    print(f"Migration {fleet.id}: {len(fleet.pairs)} pair(s), {args.workers} at a time"
          + (" (dry run: nothing is sent)" if args.dry_run else "")
          + (" (read-only: no writes)" if args.read_only else ""))
    lock = threading.Lock()

    def show(pair: Any, event: Any) -> None:
        line = progress_line(event)
        if line:
            with lock:
                print(f"[{pair.index:>3}] {line}", flush=True)

    wait = args.iam_wait
    result = apply_fleet(fleet, clients, workers=args.workers, progress=show, dry_run=args.dry_run,
                         read_only=args.read_only, backfill_again=args.backfill_again,
                         backoff=lambda: Backoff(total=wait, first=min(1.0, wait) if wait else 0.0))
    for outcome in result.outcomes:
        job = outcome.result.job_id if outcome.result is not None else None
        state = "ok    " if outcome.ok else "FAILED"
        print(safe(f"  {outcome.pair.index:>3} {state} {outcome.pair.label}: {outcome.message}"
                   + (f" (job {job})" if job else ""), newlines=True))
    print(safe(result.summary()))
    print(f"Migration id: {fleet.id}")
    if not args.dry_run:
        print(f"Follow it with: s3xrep jobs --migration {fleet.id}; undo with: s3xrep undo --migration {fleet.id}")
    return EXIT_OK if result.ok else EXIT_FAILURE
