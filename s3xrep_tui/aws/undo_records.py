"""What undo (and finish) did about each journaled write, and the loop that reverses the pending ones.

Shared by :mod:`.undo` and :mod:`.finish`: the outcome types, which outcomes
settle a write (a later run does not look at it again), the damaged-line check,
and :func:`reverse_pending`, which walks the writes newest first through a
reverser's per-call handlers and journals each outcome (``kind="undo"``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from .errors import AwsError
from .journal import Damage, Journal, JournalDamaged, JournalRead

UndoStatus = Literal[
    "restored", "deleted", "cancelled", "unchanged", "note", "skipped", "failed",
    "would-restore", "would-delete", "would-cancel",
]
# Outcomes after which the write is settled: a later undo does not look at it again.
SETTLED = frozenset({"restored", "deleted", "cancelled", "unchanged", "note"})


@dataclass(frozen=True)
class UndoItem:
    """What undo did (or would do, in a dry run) about one journaled write."""

    ref: str  # the write's journal id
    call: str  # the call that was undone
    account: str  # "source" | "destination"
    target: str
    status: UndoStatus
    message: str
    fix: str = ""


UndoCallback = Callable[[UndoItem], None]
#: ``on_wait(message, seconds)`` before each backoff sleep (AWS throttling the undo's calls).
WaitCallback = Callable[[str, float], None]


@dataclass
class UndoResult:
    plan_id: str
    journal_path: Path
    items: list[UndoItem] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # journal lines that could not be read
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not any(i.status in ("skipped", "failed") for i in self.items)

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for item in self.items:
            counts[item.status] = counts.get(item.status, 0) + 1
        if not self.items:
            return "nothing to undo"
        return ", ".join(f"{n} {s}" for s, n in counts.items())


class Skip(Exception):
    def __init__(self, status: UndoStatus, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.fix = fix


def name_of(target: str) -> str:
    """"bucket x" / "role x" / "key x" / "role x policy p" -> x."""
    return target.split(" ", 2)[1] if " " in target else target


def pending_writes(read: JournalRead) -> list[dict[str, Any]]:
    """The journal's writes not settled by an earlier undo, newest first."""
    undone = read.undone()
    return [e for e in reversed(read.writes()) if undone.get(e["id"], {}).get("status") not in SETTLED]


def record_skipped(skipped: list[Damage], journal: Journal, result: UndoResult, *, dry_run: bool,
                   progress: UndoCallback | None = None) -> None:
    """An item "skipped" for each damaged line the user named (journaled as ``skip-record`` unless a dry run)."""
    for damage in skipped:
        item = UndoItem(f"line {damage.line}", "?", "?", f"journal line {damage.line}", "skipped",
                        f"journal line {damage.line} is damaged ({damage.reason}): whatever it recorded was not "
                        "restored", f"compare that line of {journal.path} with the current state and fix by hand")
        if not dry_run:
            journal.record("skip-record", line=damage.line, reason=damage.reason)
        result.items.append(item)
        if progress is not None:
            progress(item)


class Reverser(Protocol):
    def undo(self, entry: dict[str, Any], job_ids: dict[str, Any]) -> tuple[UndoStatus, str, str]: ...


def reverse_pending(reverser: Reverser, read: JournalRead, journal: Journal, result: UndoResult, *,
                    dry_run: bool, progress: UndoCallback | None = None, **recorded: Any) -> None:
    """Each pending write through ``reverser`` (newest first), its outcome journaled (with ``recorded``) and told."""
    done = read.done()
    job_ids = {ref: (d.get("result") or {}).get("JobId") for ref, d in done.items() if (d.get("result") or {}).get("JobId")}
    for entry in pending_writes(read):
        try:
            status, message, fix = reverser.undo(entry, job_ids)
        except AwsError as exc:
            status, message, fix = "failed", exc.message, exc.fix
        item = UndoItem(entry["id"], entry.get("call", "?"), entry.get("account", "?"), entry.get("target", "?"),
                        status, message, fix)
        if not dry_run:
            journal.record("undo", ref=entry["id"], step=entry.get("step"), call=entry.get("call"),
                           account=entry.get("account"), target=entry.get("target"), status=status, message=message,
                           **recorded)
        result.items.append(item)
        if progress is not None:
            progress(item)


def check_skips(read: JournalRead, skip_records: Collection[int]) -> list[Damage]:
    """The damaged lines named in ``skip_records``; JournalDamaged if others are damaged, ValueError on a wrong name."""
    damaged = {d.line: d for d in read.damaged}
    wrong = sorted(set(skip_records) - set(damaged))
    if wrong:
        listed = ", ".join(str(n) for n in sorted(damaged)) or "none"
        raise ValueError(f"--skip-record {wrong[0]}: line {wrong[0]} of {read.path} is not a damaged record "
                         f"(damaged lines: {listed})")
    refused = [d for n, d in sorted(damaged.items()) if n not in set(skip_records)]
    if refused:
        raise JournalDamaged(read.path, refused)
    return [damaged[n] for n in sorted(set(skip_records))]

