"""Finish's reverser: undo's per-call handlers, with finish's policy on what goes and what stays.

:class:`Finisher` is undo's :class:`.undo._Undoer`, so every journaled call undo
knows (roles, inline policies, tags, trust, Batch jobs, and what other parts of
the tool register there: topics, alarms, notification entries, inventory,
Athena/Glue) is taken down the same way. What differs:

* documents are not put back as they were before apply (a migration that ran
  for weeks has seen foreign changes since): our statements and rules, proven by
  the journal (:mod:`..core.finish`), are taken out of the document as it is
  now, and everything else in it stays;
* versioning stays Enabled and the objects we uploaded (repair's manifests)
  stay as the record of what was done.
"""

from __future__ import annotations

from typing import Any

from ..core.finish import FinishRow, Stripped, strip_policy, strip_replication
from ..core.policy_json import dump_policy, load_policy
from .undo import _Undoer
from .undo_records import Skip, UndoStatus, name_of

Outcome = tuple[UndoStatus, str, str]


class Finisher(_Undoer):
    """Takes our parts out of what the journal names; collects the foreign parts that stay in ``stays``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stays: list[FinishRow] = []
        self._prediction: tuple[tuple[str, str, str], Any] | None = None

    def undo(self, entry: dict[str, Any], job_ids: dict[str, str]) -> Outcome:
        status, message, fix = super().undo(entry, job_ids)
        if self._prediction is not None:  # what a dry run leaves is the stripped document, not apply's "before"
            key, document = self._prediction
            self._predicted[key] = document
            self._prediction = None
        return status, message, fix.replace("run undo again", "run s3xrep finish again")

    def _written(self, entry: dict[str, Any]) -> list[tuple[Any, Any]]:
        same = [e for e in self.read.writes()
                if (e.get("call"), e.get("account"), e.get("target")) ==
                (entry.get("call"), entry.get("account"), entry.get("target"))]
        return [(e.get("before"), e.get("after")) for e in same]

    def _note_stays(self, stripped: Stripped, side: str, where: str) -> None:
        for label in stripped.kept:
            self.stays.append(FinishRow(f"{label} in {where}", side, "stays", "not ours (foreign): untouched"))
        for label in stripped.changed:
            self.stays.append(FinishRow(f"{label} in {where}", side, "stays",
                                        "ours by name but changed since s3xrep wrote it: left for you to check"))

    def _take_out(self, entry: dict[str, Any], stripped: Stripped, where: str, kind: str | None,
                  put: Any, delete: Any) -> Outcome:
        side = entry["account"]
        self._note_stays(stripped, side, where)
        if not stripped.removed:
            return "unchanged", f"nothing of ours is left in {where}", ""
        parts = ", ".join(stripped.removed)
        foreign = len(stripped.kept) + len(stripped.changed)
        rest = f" ({foreign} other part(s) stay)" if foreign else ""
        if stripped.document is None and delete is None:
            raise Skip("skipped", f"{where} would be empty without {parts}: not changed",
                       f"remove {parts} from {where} by hand")
        if self.dry_run:
            if kind:
                self._prediction = ((side, name_of(entry["target"]), kind), stripped.document)
            if stripped.document is None:
                return "would-delete", f"would delete {where} (only {parts} of ours was in it)", ""
            return "would-restore", f"would take {parts} out of {where}{rest}", ""
        if stripped.document is None:
            delete()
            return "deleted", f"{where} deleted (only {parts} of ours was in it)", ""
        put(stripped.document)
        return "restored", f"{parts} taken out of {where}{rest}", ""

    # -- the handlers that differ from undo's ------------------------------------------------------

    def versioning(self, entry: dict[str, Any]) -> Outcome:
        bucket = name_of(entry["target"])
        return ("note", f"versioning stays Enabled on {bucket}: finish never suspends it (the versions are the "
                "migration's data)", "")

    def uploaded_object(self, entry: dict[str, Any]) -> Outcome:
        after = entry.get("after") or {}
        return ("note", f"object s3://{after.get('Bucket')}/{after.get('Key')} stays (the record of what repair "
                "replicated)", "")

    def bucket_policy(self, entry: dict[str, Any]) -> Outcome:
        bucket, side = name_of(entry["target"]), entry["account"]
        owner = entry.get("account_id")
        owner_kw = {"ExpectedBucketOwner": owner} if owner else {}
        s3 = self.client(entry, "s3")
        current = self._current(side, bucket, entry.get("region"), "policy")
        return self._take_out(
            entry, strip_policy(current, self._written(entry)), f"the bucket policy of {bucket}", "policy",
            put=lambda doc: self.call(entry, f"s3.put_bucket_policy on bucket {bucket!r}",
                                      lambda: s3.put_bucket_policy(Bucket=bucket, Policy=dump_policy(doc), **owner_kw)),
            delete=lambda: self.call(entry, f"s3.delete_bucket_policy on bucket {bucket!r}",
                                     lambda: s3.delete_bucket_policy(Bucket=bucket, **owner_kw)),
        )

    def replication(self, entry: dict[str, Any]) -> Outcome:
        bucket, side = name_of(entry["target"]), entry["account"]
        owner = entry.get("account_id")
        owner_kw = {"ExpectedBucketOwner": owner} if owner else {}
        s3 = self.client(entry, "s3")
        current = self._current(side, bucket, entry.get("region"), "replication")
        return self._take_out(
            entry, strip_replication(current, self._written(entry)), f"the replication configuration of {bucket}",
            "replication",
            put=lambda doc: self.call(entry, f"s3.put_bucket_replication on bucket {bucket!r}",
                                      lambda: s3.put_bucket_replication(Bucket=bucket, ReplicationConfiguration=doc,
                                                                        **owner_kw)),
            delete=lambda: self.call(entry, f"s3.delete_bucket_replication on bucket {bucket!r}",
                                     lambda: s3.delete_bucket_replication(Bucket=bucket, **owner_kw)),
        )

    def key_policy(self, entry: dict[str, Any]) -> Outcome:
        key = name_of(entry["target"])
        kms = self.client(entry, "kms")
        answer = self.call(entry, f"kms.get_key_policy {key!r}",
                           lambda: kms.get_key_policy(KeyId=key, PolicyName="default"))
        current = load_policy(answer.get("Policy"))
        return self._take_out(
            entry, strip_policy(current, self._written(entry)), f"the key policy of {key}", None,
            put=lambda doc: self.call(entry, f"kms.put_key_policy {key!r}", lambda: kms.put_key_policy(
                KeyId=key, PolicyName="default", Policy=dump_policy(doc))),
            delete=None,  # a key always has a policy
        )
