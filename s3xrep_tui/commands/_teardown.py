"""What ``s3xrep undo`` and ``s3xrep finish`` share: the journal opened, its profiles, one line a failure.

Both work from the record of what apply did: they check ``--skip-record``,
open the plan's journal (:func:`s3xrep_tui.aws.undo.profiles_in_journal`),
warn of what it could not read, reopen the profiles it names (the
``--source-profile``/``--dest-profile`` flags override them), ask on a terminal
only, and say any failure as one line with its fix and an exit code. The AWS
side is imported when a command runs, so ``s3xrep --version`` stays light.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from ..core.text import safe
from .plan import EXIT_BLOCKED, EXIT_FAILURE, EXIT_USAGE


def add_journal_options(parser: argparse.ArgumentParser, skip_help: str) -> None:
    """The options both end with: the profiles to use instead of the journal's, the damaged lines to go without."""
    parser.add_argument("--source-profile", help="profile for the source account (default: the one apply used)")
    parser.add_argument("--dest-profile", help="profile for the destination account (default: the one apply used)")
    parser.add_argument("--skip-record", type=int, action="append", default=[], metavar="LINE", help=skip_help)


def fail(prog: str, message: str, code: int) -> int:
    """``message`` on stderr after the command's name, escaped; returns ``code``."""
    print(f"{prog}: {safe(message)}", file=sys.stderr)
    return code


def stdin_is_terminal() -> bool:
    try:
        return bool(sys.stdin) and sys.stdin.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def bad_skip_record(lines: list[int]) -> str | None:
    """Why a ``--skip-record`` is wrong (a journal line number is 1 or more), or None."""
    bad = next((n for n in lines if n < 1), None)
    return f"--skip-record {bad}: a journal line number is 1 or more" if bad is not None else None


class Opened(NamedTuple):
    path: Path  # the plan's journal
    clients: dict[str, Any]  # "source" and "destination", from the journal's profiles or the flags'
    skips: list[int]  # the damaged lines to go without, sorted


def open_journal(prog: str, args: argparse.Namespace, refusal: Callable[[Any], str], *, verb: str,
                 asks: bool) -> Opened | int:
    """The journal and the two accounts' clients, or the exit code of a refusal already said.

    ``asks``: the command will ask for ``verb`` to be typed, which needs a
    terminal. A journal that is not there, or a plan id that names none, is a
    usage error; a damaged one is refused (``refusal`` says why, exit 3); the
    lines it could not use are warnings.
    """
    if asks and not stdin_is_terminal():
        return fail(prog, f"stdin is not a terminal, so the confirmation cannot be asked: pass --yes to {verb}",
                    EXIT_USAGE)
    from ..aws.journal import JournalDamaged
    from ..aws.undo import profiles_in_journal

    skips = sorted(set(args.skip_record))
    try:
        path, profiles, problems = profiles_in_journal(args.plan_id, skips)
    except FileNotFoundError as exc:
        return fail(prog, f"{exc} (apply prints the plan id and the journal path)", EXIT_USAGE)
    except JournalDamaged as exc:
        return fail(prog, refusal(exc), EXIT_BLOCKED)
    except ValueError as exc:
        return fail(prog, str(exc), EXIT_USAGE)
    for problem in problems:
        print(f"{prog}: warning: {safe(problem)}", file=sys.stderr)
    source = args.source_profile if args.source_profile is not None else profiles.get("source")
    dest = args.dest_profile if args.dest_profile is not None else profiles.get("destination")
    try:
        return Opened(path, _clients(source, dest), skips)
    except Exception as exc:  # noqa: BLE001  a profile that does not open: one line, no traceback
        return failed(prog, exc)


def _clients(source: str | None, dest: str | None) -> dict[str, Any]:
    from ..aws.clients import clients_for

    return {"source": clients_for(source), "destination": clients_for(dest)}


def failed(prog: str, exc: Exception) -> int:
    """An AWS error (or anything boto3 raised) as one line with its fix: exit 2 for a bad argument, else 1."""
    from ..aws.errors import AwsError, explain

    error = exc if isinstance(exc, AwsError) else explain(exc)
    return fail(prog, error.message + (f" (fix: {error.fix})" if error.fix else ""),
                EXIT_USAGE if error.bad_argument else EXIT_FAILURE)


def waiting(message: str, delay: float) -> None:
    """A retry's line while a call waits (a role not yet usable, a throttled call)."""
    print(f"  waiting ({safe(message)}, next try in {delay:.1f}s)", flush=True)


__all__ = ["Opened", "add_journal_options", "bad_skip_record", "fail", "failed", "open_journal", "stdin_is_terminal", "waiting"]
