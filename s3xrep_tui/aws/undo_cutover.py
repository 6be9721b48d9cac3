"""Undo of the cut-over's write freeze: exactly our statement out of the source policy, the rest kept.

Called by :class:`.undo._Undoer` for journal writes with ``call="s3.put_bucket_policy.freeze"``
(the undoer is passed in; this module does not import :mod:`.undo`). Unlike a whole-document
restore, other changes made to the policy since the freeze survive; a statement with our Sid that
differs from the one the journal recorded is not ours any more and is left alone (skipped).
"""

from __future__ import annotations

from typing import Any

from ..core.freeze import lift_freeze
from ..core.merge import MergeError
from ..core.policy_json import dump_policy


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
