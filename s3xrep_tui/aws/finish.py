"""Finish a completed migration: the replication plumbing comes down, the data and everything foreign stay.

It is not undo. Undo puts back the documents apply replaced, which also takes
the destination's grants away from a migration still in progress; finish ends
one that is cut over: it takes our statements, rules, roles (and whatever else
the journal says we created: topics, alarms, notification entries, inventory,
Athena/Glue) away through undo's per-call handlers (:mod:`.finish_reversal`),
leaves every object, every foreign rule and statement, versioning, the
destination's encryption and ownership settings as they are, and records the
migration as finished in the journal (``kind="finish"``).

Before it changes anything: the journal must be readable (as undo), the
migration cut over (the cut-over record; ``not_cut_over`` goes on without one,
with a warning), and no version of the source sampled still ``PENDING``
(``allow_pending`` goes on anyway). Blocked, it raises :class:`FinishBlocked`
unless it is a dry run, which reports the blockers with the table.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import S3xrepError
from ..core.finish import FinishRow, action_of, cut_over, element_of, finished
from .backoff import Backoff
from .clients import Clients
from .errors import AwsError
from .finish_reversal import Finisher
from .journal import Journal, JournalRead
from .migrations import migration
from .replication_status import sample_status
from .undo_records import (
    UndoCallback,
    UndoItem,
    UndoResult,
    WaitCallback,
    check_skips,
    pending_writes,
    record_skipped,
    reverse_pending,
)

PENDING_SAMPLE = 500  # versions of the source whose ReplicationStatus is read before finish goes on


class FinishBlocked(S3xrepError):
    """Finish does not start: ``blockers`` say why and how to go on (nothing was changed)."""

    def __init__(self, blockers: list[tuple[str, str]]) -> None:
        self.blockers = blockers
        super().__init__("; ".join(f"{message} (fix: {fix})" for message, fix in blockers))


@dataclass
class FinishResult:
    plan_id: str
    journal_path: Path
    dry_run: bool = False
    items: list[UndoItem] = field(default_factory=list)
    rows: list[FinishRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    blockers: list[tuple[str, str]] = field(default_factory=list)  # (message, fix); a dry run reports them
    finished_at: str | None = None  # this run's record, or the earlier finish's
    already_finished: bool = False
    undone: bool = False  # undo took everything down already

    @property
    def ok(self) -> bool:
        return not self.blockers and not any(i.status in ("skipped", "failed") for i in self.items)

    @property
    def nothing_to_do(self) -> bool:
        return not any(row.action in ("remove", "removed", "not removed", "failed") for row in self.rows)

    def summary(self) -> str:
        if self.already_finished:
            return f"nothing to do: the migration was finished at {self.finished_at}"
        if self.undone:
            return "nothing to do: undo already took this migration's plumbing down"
        counts: dict[str, int] = {}
        for row in self.rows:
            counts[row.action] = counts.get(row.action, 0) + 1
        return ", ".join(f"{n} {a}" for a, n in counts.items()) or "nothing to do"


def _blockers(read: JournalRead, plan_id: str, clients: Mapping[str, Clients], *, not_cut_over: bool,
              allow_pending: bool, warnings: list[str]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if cut_over(read.entries) is None:
        if not_cut_over:
            warnings.append(f"plan {plan_id} has no cut-over record: finishing anyway (--not-cut-over); "
                            "applications still using the source bucket keep working, but nothing replicates "
                            "to the destination any more")
        else:
            found.append((f"plan {plan_id} has not been cut over (the journal has no cut-over record): finish ends "
                          "replication, so applications must already use the destination",
                          f"run s3xrep cutover {plan_id} first, or pass --not-cut-over to finish anyway"))
    if allow_pending:
        return found
    known = migration(plan_id, read.path)
    if known.source_bucket and "source" in clients:
        try:
            sample = sample_status(clients["source"], known.source_bucket, region=known.region,
                                   limit=PENDING_SAMPLE, expected_owner=known.source_account)
        except AwsError as exc:
            found.append((f"cannot read the replication status of {known.source_bucket}: {exc.message}",
                          "fix that access, or pass --allow-pending to finish without checking"))
            return found
        if sample.pending:
            found.append((f"{sample.pending} of {sample.sampled} version(s) sampled in {known.source_bucket} are "
                          "still PENDING replication: finishing now would leave them behind",
                          "wait until the backlog drains (s3xrep verify), or pass --allow-pending"))
    return found


def why(item: UndoItem) -> str:
    """An item's message, with its fix when it was not removed."""
    fixed = item.fix and item.status in ("skipped", "failed")
    return item.message + (f" (fix: {item.fix})" if fixed else "")


def _stays(read: JournalRead, plan_id: str) -> list[FinishRow]:
    known = migration(plan_id, read.path)
    rows = []
    for side, bucket in (("source", known.source_bucket), ("destination", known.destination_bucket)):
        if bucket:
            rows.append(FinishRow(f"every object and version in {bucket}", side, "stays", "the migration's data"))
    if known.destination_bucket:
        rows.append(FinishRow(f"versioning, encryption, object ownership of {known.destination_bucket}",
                              "destination", "stays", "the destination's data policy"))
    return rows


def finish(
    plan_id: str,
    clients_by_side: Mapping[str, Clients],
    *,
    dry_run: bool = False,
    not_cut_over: bool = False,
    allow_pending: bool = False,
    progress: UndoCallback | None = None,
    journal: Journal | None = None,
    backoff: Backoff | None = None,
    on_wait: WaitCallback | None = None,
    skip_records: Collection[int] = (),
    sleep: Callable[[float], None] = time.sleep,
) -> FinishResult:
    """Take the plumbing of ``plan_id`` down (or, ``dry_run``, say what would go and what stays).

    Raises FileNotFoundError without a journal, JournalDamaged / ValueError as
    undo does, FinishBlocked when blocked (not in a dry run). ``progress`` is
    told each write's outcome as it is settled.
    """
    journal = journal or Journal(plan_id)
    if not journal.exists():
        raise FileNotFoundError(f"no journal for plan {plan_id} at {journal.path}")
    read = journal.read()
    skipped = check_skips(read, skip_records)
    result = FinishResult(plan_id, journal.path, dry_run=dry_run, problems=list(read.problems))
    earlier = finished(read.entries)
    if earlier is not None and not pending_writes(read):
        result.already_finished, result.finished_at = True, earlier.get("ts")
        return result
    if not pending_writes(read):
        result.undone = True
        return result
    result.blockers = _blockers(read, plan_id, clients_by_side, not_cut_over=not_cut_over,
                                allow_pending=allow_pending, warnings=result.warnings)
    if result.blockers and not dry_run:
        raise FinishBlocked(result.blockers)
    done = UndoResult(plan_id, journal.path, dry_run=dry_run)
    record_skipped(skipped, journal, done, dry_run=dry_run, progress=progress)
    finisher = Finisher(clients_by_side, journal, dry_run, backoff or Backoff(), on_wait, sleep=sleep, read=read)
    reverse_pending(finisher, read, journal, done, dry_run=dry_run, progress=progress, by="finish")
    result.items = done.items
    result.rows = [FinishRow(element_of(i.call, i.target), i.account, action_of(i.status), why(i))
                   for i in done.items] + finisher.stays + _stays(read, plan_id)
    if not dry_run:
        record = journal.record("finish", complete=result.ok, not_cut_over=cut_over(read.entries) is None,
                                rows=[[r.element, r.account, r.action, r.why] for r in result.rows])
        result.finished_at = record["ts"] if result.ok else None
    return result
