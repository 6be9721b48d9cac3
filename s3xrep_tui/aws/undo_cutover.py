"""Undo and the cut-over's write freeze.

* :func:`undo_freeze`: called by :class:`.undo._Undoer` for journal writes with
  ``call="s3.put_bucket_policy.freeze"`` (the undoer is passed in; this module does not import
  :mod:`.undo`). Exactly our statement out of the source policy, the rest kept: unlike a
  whole-document restore, other changes made to the policy since the freeze survive; a statement
  with our Sid that differs from the one the journal recorded is not ours any more (skipped).
* :func:`freeze_lifted_since`: a bucket policy write made while the freeze was on (the way back's
  grant on the source) journals the freeze in its ``before`` and ``after``. Once the freeze is
  lifted the policy no longer equals that ``after``, and undo would skip it as changed by someone
  else, then keep the way back's role (still named by it). The freeze's going is ours (a journal
  of ours recorded writing exactly that statement on that bucket), so undo compares and restores
  with the freeze taken out of both: the write's own statements go, the freeze stays lifted.
"""

from __future__ import annotations

from typing import Any

from ..core.freeze import FREEZE_CALL, FREEZE_SUFFIX, frozen_statement, lift_freeze
from ..core.merge import MergeError
from ..core.policy_json import dump_policy
from .journal import journal_dir, read_journal


def undo_freeze(undoer: Any, entry: dict[str, Any]) -> tuple[str, str, str]:
    """(status, message, fix) for one freeze write."""
    bucket = str(entry.get("target") or "").split(" ", 1)[-1]
    statement = entry.get("statement") or {}
    owner = entry.get("account_id")
    owner_kw = {"ExpectedBucketOwner": owner} if owner else {}
    s3 = undoer.client(entry, "s3")
    answer = undoer.call(entry, f"s3.get_bucket_policy on bucket {bucket!r}",
                         lambda: s3.get_bucket_policy(Bucket=bucket, **owner_kw), absent=("NoSuchBucketPolicy",))
    current = answer.get("Policy") if answer else None
    try:
        lifted = lift_freeze(current, statement, bucket=bucket)
    except MergeError as exc:
        return "skipped", exc.message, exc.fix
    if not lifted.changed:
        return "unchanged", f"the write freeze is already gone from {bucket}", ""
    if undoer.dry_run:  # what is left, for the role guard (a role the freeze spares goes once it is lifted)
        undoer.predict(entry, "policy", lifted.policy)
    if lifted.policy is None:
        if undoer.dry_run:
            return "would-delete", f"would delete the bucket policy of {bucket} (only the freeze is in it)", ""
        undoer.call(entry, f"s3.delete_bucket_policy on bucket {bucket!r}",
                    lambda: s3.delete_bucket_policy(Bucket=bucket, **owner_kw))
        return "deleted", f"the write freeze lifted from {bucket} (its policy held nothing else)", ""
    if undoer.dry_run:
        return "would-restore", f"would lift the write freeze from {bucket} ({lifted.foreign} statement(s) kept)", ""
    undoer.call(entry, f"s3.put_bucket_policy on bucket {bucket!r}",
                lambda: s3.put_bucket_policy(Bucket=bucket, Policy=dump_policy(lifted.policy), **owner_kw))
    return "restored", f"the write freeze lifted from {bucket} ({lifted.foreign} other statement(s) kept)", ""


def _freezes_written(bucket: str, account_id: str | None) -> list[dict[str, Any]]:
    """The freeze statements our journals recorded writing on ``bucket`` of ``account_id`` (the proof they are ours)."""
    found: list[dict[str, Any]] = []
    for path in sorted(journal_dir().glob("*.jsonl")):
        try:
            writes = read_journal(path).writes()
        except (OSError, ValueError):
            continue
        for entry in writes:
            statement = entry.get("statement")
            if (entry.get("call") == FREEZE_CALL and entry.get("target") == f"bucket {bucket}"
                    and entry.get("account_id") == account_id and isinstance(statement, dict)
                    and statement not in found):
                found.append(statement)
    return found


def _without(policy: Any, sid: str) -> Any:
    """``policy`` without the statement ``sid`` (None when nothing is left: S3 keeps no empty policy)."""
    if not isinstance(policy, dict):
        return policy
    kept = [s for s in policy.get("Statement") or [] if not (isinstance(s, dict) and s.get("Sid") == sid)]
    return {**policy, "Statement": kept} if kept else None


def freeze_lifted_since(entry: dict[str, Any], current: Any) -> tuple[dict[str, Any], str] | None:
    """For a bucket policy write whose document changed since only by our freeze leaving it: the write
    with that freeze taken out of its ``before`` and ``after``, and what to tell the user; else None."""
    before, after = entry.get("before"), entry.get("after")
    if current in (before, after) or not isinstance(after, dict):
        return None
    bucket = str(entry.get("target") or "").split(" ", 1)[-1]
    sids = [s.get("Sid") for s in after.get("Statement") or [] if isinstance(s, dict)]
    if not any(isinstance(sid, str) and sid.endswith(FREEZE_SUFFIX) for sid in sids):
        return None  # no freeze in what the write left: nothing of the cut-over to account for
    for statement in _freezes_written(bucket, entry.get("account_id")):
        sid = statement.get("Sid")
        if not isinstance(sid, str) or frozen_statement(after, sid) != statement:
            continue
        lifted_after = _without(after, sid)
        lifted_before = _without(before, sid) if frozen_statement(before, sid) == statement else before
        if current not in (lifted_after, lifted_before):
            continue
        note = f"(the write freeze {sid} was lifted since: it stays lifted)"
        return {**entry, "before": lifted_before, "after": lifted_after}, note
    return None
