"""The cut-over itself: the write freeze, the final drain, the final verify, and the journal's record.

* :func:`freeze` merges the freeze statement (:mod:`..core.freeze`) into the source bucket
  policy with apply's executor: journaled first (``call="s3.put_bucket_policy.freeze"``,
  ``before`` / ``after`` the whole policy, ``statement`` ours), refused in read-only mode,
  retried on throttling. ``s3xrep undo`` takes exactly that statement out again
  (:mod:`.undo_cutover`); :func:`lift_freeze_now` does the same now (``kind="freeze-lifted"``).
* :func:`drain` waits, bounded, until the rule's backlog is zero: the newest
  ``OperationsPendingReplication`` / ``BytesPendingReplication`` datapoints and a
  ``ReplicationStatus`` sample with nothing PENDING, reporting each poll.
* :func:`record_cutover` writes ``kind="cutover"`` into the plan's journal: when, which
  checklist items were green, whether the source was frozen, the drain and the final verify.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..core.cutover import Checklist
from ..core.freeze import FREEZE_CALL, freeze_sid, freeze_statement, lift_freeze, merge_freeze
from ..core.models import MigrationOptions, Plan, Step
from ..core.names import sid_family
from ..core.policy_json import dump_policy, load_policy
from .apply_executor import ExecutorBase
from .apply_result import ApplyCancelled
from .backoff import ABSENT, Backoff
from .clients import Clients
from .cutover import pending_now
from .errors import AwsError
from .journal import Journal
from .replication_status import sample_status

CUTOVER_KIND = "cutover"
LIFTED_KIND = "freeze-lifted"  # cutover --lift-freeze took the freeze write's statement off


def freeze_exempt(plan: Plan, allow: tuple[str, ...] = ()) -> list[str]:
    """The principals the freeze spares: the plan's replication role, its Batch role, and ``allow``."""
    roles = [str((plan.documents.get("replication_configuration") or {}).get("Role") or "")]
    job = plan.documents.get("batch_job") or {}
    roles.append(str(job.get("RoleArn") or ""))
    return sorted({r for r in roles + list(allow) if r})


def planned_freeze(plan: Plan, allow: tuple[str, ...] = ()) -> dict[str, Any]:
    family = sid_family(plan.source_account.id, plan.source.name, plan.destination.name)
    partition = plan.source_account.partition
    return freeze_statement(plan.source.name, family=family, exempt=freeze_exempt(plan, allow), partition=partition)


def last_freeze(journal: Journal) -> dict[str, Any] | None:
    """The newest freeze write of the journal that no undo settled (its ``statement`` is the proof)."""
    read = journal.read()
    undone = read.undone()
    lifted = {e.get("ref") for e in read.entries if e.get("kind") == LIFTED_KIND}
    found = None
    for entry in read.writes():
        if entry.get("call") == FREEZE_CALL:
            settled = (undone.get(entry["id"]) or {}).get("status") in ("restored", "deleted", "unchanged")
            found = None if settled or entry["id"] in lifted else entry
    return found


class _Freezer(ExecutorBase):
    def policy_now(self) -> Any:
        side = self.side("source")
        s3 = side.clients("s3", self.region_of("source"))
        bucket = self.plan.source.name
        answer = self.call(side, f"s3.get_bucket_policy on bucket {bucket!r}",
                           lambda: s3.get_bucket_policy(Bucket=bucket, ExpectedBucketOwner=side.account_id),
                           absent=("NoSuchBucketPolicy",))
        return None if answer is ABSENT else answer.get("Policy")

    def put(self, step: Step, before: Any, after: dict[str, Any] | None, statement: dict[str, Any], *,
            journaled: bool = True) -> None:
        side = self.side("source")
        s3 = side.clients("s3", self.region_of("source"))
        bucket = self.plan.source.name
        if after is None:
            send: Callable[[], Any] = lambda: s3.delete_bucket_policy(Bucket=bucket, ExpectedBucketOwner=side.account_id)
        else:
            send = lambda: s3.put_bucket_policy(Bucket=bucket, Policy=dump_policy(after),
                                                ExpectedBucketOwner=side.account_id)
        if journaled:
            self.write(side, step, call=FREEZE_CALL, target=f"bucket {bucket}", region=self.region_of("source"),
                       before=before, after=after, send=send, extra={"statement": statement})
        else:
            self.check_read_only(side, bucket)
            self.call(side, f"s3.put_bucket_policy on bucket {bucket!r}", send)

    def check_read_only(self, side: Any, bucket: str) -> None:
        if self.read_only:
            raise AwsError(f"read-only mode: refusing to change the bucket policy of {bucket}",
                           "leave read-only mode to lift the freeze", "ReadOnly")


def _freezer(plan: Plan, clients: Mapping[str, Clients], journal: Journal, read_only: bool,
             cancel: threading.Event | None, backoff: Backoff | None) -> _Freezer:
    return _Freezer(plan, clients, progress=None, read_only=read_only, cancel=cancel, journal=journal,
                    backoff=backoff or Backoff(), readback_timeout=30.0, options=MigrationOptions())


def _step(plan: Plan, summary: str) -> Step:
    return Step(id="cutover-freeze", account="source", call="s3.put_bucket_policy", action="update",
                summary=summary, request={"Bucket": plan.source.name})


def freeze(plan: Plan, clients: Mapping[str, Clients], *, allow: tuple[str, ...] = (), journal: Journal | None = None,
           read_only: bool = False, cancel: threading.Event | None = None, backoff: Backoff | None = None) -> str:
    """Deny object writes on the source to all but the replication roles and ``allow``; returns what it did.

    Raises AwsError (read-only, AWS refused) or MergeError (a foreign statement with our Sid).
    """
    journal = journal or Journal(plan.id)
    statement = planned_freeze(plan, allow)
    executor = _freezer(plan, clients, journal, read_only, cancel, backoff)
    current = executor.policy_now()
    earlier = last_freeze(journal)
    merged = merge_freeze(current, statement, bucket=plan.source.name,
                          written=(earlier or {}).get("statement"))
    if not merged.changed:
        return f"the source {plan.source.name} is already frozen (statement {statement['Sid']})"
    before = load_policy(current) if current is not None else None
    executor.put(_step(plan, f"freeze object writes on {plan.source.name}"), before, merged.policy, statement)
    return (f"object writes on {plan.source.name} denied to all but {', '.join(statement['Condition']['ArnNotLike']['aws:PrincipalArn'])} "
            f"(statement {statement['Sid']}, {merged.foreign} other statement(s) kept)")


def lift_freeze_now(plan: Plan, clients: Mapping[str, Clients], *, journal: Journal | None = None,
                    read_only: bool = False) -> str:
    """Take our freeze statement out of the source policy (everything else stays); journaled as its undo."""
    journal = journal or Journal(plan.id)
    entry = last_freeze(journal)
    if entry is None:
        return "no freeze of this plan to lift"
    executor = _freezer(plan, clients, journal, read_only, None, None)
    current = executor.policy_now()
    lifted = lift_freeze(current, entry["statement"], bucket=plan.source.name)
    if lifted.changed:
        executor.put(_step(plan, "lift the freeze"), None, lifted.policy, entry["statement"], journaled=False)
        message = f"freeze lifted from {plan.source.name} ({lifted.foreign} other statement(s) kept)"
        status = "deleted" if lifted.policy is None else "restored"
    else:
        message, status = f"the freeze was already gone from {plan.source.name}", "unchanged"
    # not an "undo" record: the migration goes on (the home screen would call it undone); undo later finds
    # the statement gone and says so
    journal.record(LIFTED_KIND, ref=entry["id"], call=FREEZE_CALL, account="source", target=entry.get("target"),
                   status=status, message=message)
    return message


@dataclass(frozen=True)
class DrainProgress:
    elapsed: float
    operations: float | None
    bytes: float | None
    pending_sampled: int
    drained: bool


def drain(plan: Plan, clients: Mapping[str, Clients], *, options: MigrationOptions, timeout: float = 900.0,
          period: int = 60, interval: float = 5.0, sample: int = 1000,
          on_progress: Callable[[DrainProgress], None] | None = None,
          cancel: threading.Event | None = None) -> DrainProgress:
    """Poll until nothing is pending (metrics and a status sample) or ``timeout`` seconds pass.

    Returns the last poll (``drained`` says which). Raises AwsError when AWS cannot be read,
    ApplyCancelled when ``cancel`` is set.
    """
    source = clients["source"]
    started = time.monotonic()
    delay = min(0.2, interval)
    while True:
        if cancel is not None and cancel.is_set():
            raise ApplyCancelled()
        bytes_pending, operations = pending_now(source, plan, period=period, window=max(300, period * 5))
        found = sample_status(source, plan.source.name, region=plan.source.region, prefix=options.prefix,
                              limit=sample, expected_owner=plan.source_account.id)
        drained = not operations and not bytes_pending and not found.pending
        progress = DrainProgress(time.monotonic() - started, operations, bytes_pending, found.pending, drained)
        if on_progress is not None:
            on_progress(progress)
        if drained or progress.elapsed + delay > timeout:
            return progress
        if cancel is not None:
            if cancel.wait(delay):
                raise ApplyCancelled()
        else:
            time.sleep(delay)
        delay = min(delay * 2, interval)


def record_cutover(journal: Journal, checklist: Checklist, *, frozen: bool, drained: DrainProgress | None,
                   verify_ok: bool | None, reverse_of: str | None = None) -> dict[str, Any]:
    """The journal's record of the cut-over: when, what was green, the freeze, drain and final verify."""
    return journal.record(
        CUTOVER_KIND,
        at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        go=checklist.go,
        green=checklist.green_ids(),
        checklist=checklist.as_dict(),
        frozen=frozen,
        drained=None if drained is None else {"drained": drained.drained, "seconds": round(drained.elapsed, 1),
                                              "operations": drained.operations, "bytes": drained.bytes},
        verify_ok=verify_ok,
        reverse_of=reverse_of,
    )


@dataclass(frozen=True)
class CutoverOutcome:
    entry: dict[str, Any]  # the journal's cutover record
    froze: str | None  # what the freeze did (None: no freeze asked)
    drained: DrainProgress
    verify: Any  # the final VerifyReport, None when the backlog did not drain

    @property
    def ok(self) -> bool:
        return self.drained.drained and self.verify is not None and self.verify.ok


def run_cutover(plan: Plan, clients: Mapping[str, Clients], checklist: Checklist, *, options: MigrationOptions,
                freeze_writes: bool, allow: tuple[str, ...] = (), drain_timeout: float = 900.0, period: int = 60,
                sample: int = 1000, on_progress: Callable[[DrainProgress], None] | None = None,
                cancel: threading.Event | None = None, read_only: bool = False,
                journal: Journal | None = None) -> CutoverOutcome:
    """Freeze (if asked), drain, verify once more (saved for the report), and record it in the journal.

    Raises AwsError / MergeError when the freeze cannot be written or AWS cannot be read.
    """
    from .results import record_verify
    from .verify import verify_replication

    journal = journal or Journal(plan.id)
    froze = freeze(plan, clients, allow=allow, journal=journal, read_only=read_only, cancel=cancel) \
        if freeze_writes else None
    drained = drain(plan, clients, options=options, timeout=drain_timeout, period=period, sample=sample,
                    on_progress=on_progress, cancel=cancel)
    report = None
    if drained.drained:
        report = verify_replication(clients["source"], clients["destination"], plan.source.name,
                                    plan.destination.name, prefix=options.prefix, limit=20, cancel=cancel)
        record_verify(plan.id, report.as_dict())
    entry = record_cutover(journal, checklist, frozen=freeze_writes, drained=drained,
                           verify_ok=None if report is None else report.ok)
    return CutoverOutcome(entry, froze, drained, report)


def cutover_records(journal: Journal) -> list[dict[str, Any]]:
    return [e for e in journal.read().entries if e.get("kind") == CUTOVER_KIND]


__all__ = ["CUTOVER_KIND", "CutoverOutcome", "DrainProgress", "FREEZE_CALL", "cutover_records", "drain", "freeze", "freeze_exempt",
           "freeze_sid", "last_freeze", "lift_freeze_now", "planned_freeze", "record_cutover", "run_cutover"]
