"""Undo an apply from its journal: the previous documents restored in reverse order.

For each write the journal recorded (newest first, skipping those already
undone): bucket policy and replication configuration put back (or deleted when
there was none), role inline policies put back (or deleted), role trust put
back, roles we created deleted once our inline policies are gone, key policy
put back, a Batch job we created cancelled if it is still running. Versioning
cannot be turned off on AWS (only suspended, which would break replication):
that is reported, not failed.

Never clobbers: when the document now differs from what we wrote (journal
``after``), that document is skipped with the reason and the others are still
restored. Never deletes a role that a bucket policy or replication configuration
of a bucket the journal names still names (:mod:`.undo_guard`). Refuses a journal
with damaged lines (:class:`JournalDamaged`) unless each is named in
``skip_records``; each skipped line is an item "skipped" (what it recorded is not
restored). Every undo action is itself journaled (``kind="undo"``) so a second
undo does not repeat the first.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..core.policy_json import dump_policy, load_policy
from . import undo_alarms, undo_athena, undo_inventory
from .backoff import ABSENT, Backoff, GaveUp, send_with_backoff, throttled
from .clients import Clients
from .errors import AwsError, explain
from .identity import caller_identity, profile_of
from .journal import Damage, Journal, JournalDamaged, JournalRead, journal_path
from .undo_cutover import freeze_lifted_since, undo_freeze
from .undo_guard import journal_buckets, names_role, originals
from .undo_jobs import ENDING_JOB_STATUSES, RUNNING_JOB_STATUSES, JobUndo
from .undo_records import (
    SETTLED,
    UndoCallback,
    UndoItem,
    UndoResult,
    UndoStatus,
    WaitCallback,
    check_skips,
    pending_writes,
    record_skipped,
    reverse_pending,
)
from .undo_records import Skip as _Skip
from .undo_records import name_of as _name

__all__ = [
    "Damage", "ENDING_JOB_STATUSES", "JournalDamaged", "RUNNING_JOB_STATUSES", "SETTLED", "UndoCallback", "UndoItem",
    "UndoResult", "UndoStatus",
    "WaitCallback", "check_skips", "pending_writes", "profiles_in_journal", "undo",
]

class _Undoer(JobUndo):
    def __init__(self, clients: Mapping[str, Clients], journal: Journal, dry_run: bool, backoff: Backoff,
                 on_wait: WaitCallback | None = None, sleep: Callable[[float], None] = time.sleep,
                 read: JournalRead | None = None) -> None:
        self.read = read or journal.read()
        self._predicted: dict[tuple[str, str, str], Any] = {}  # (side, bucket, kind) -> what a dry run leaves
        self.clients = clients
        self.journal = journal
        self.dry_run = dry_run
        self.backoff = backoff
        self.on_wait = on_wait
        self.sleep = sleep
        self._checked: dict[str, AwsError | None] = {}
        self._dry_deleted: set[tuple[str, str]] = set()  # (role, inline policy) a dry run would have deleted

    def check_account(self, side: str, account_id: str | None) -> None:
        if side not in self._checked:
            error: AwsError | None = None
            clients = self.clients.get(side)
            if clients is None:
                error = AwsError(f"no {side} credentials given", f"pass the {side} profile", "NoCredentials")
            else:
                try:
                    actual = caller_identity(clients).id
                except AwsError as exc:
                    error = exc
                else:
                    if account_id and actual != account_id:
                        error = AwsError(
                            f"the {side} credentials belong to account {actual}, but the journal's {side} writes "
                            f"were made in account {account_id}",
                            f"use a profile of account {account_id} for the {side}",
                            "WrongAccount",
                        )
            self._checked[side] = error
        if self._checked[side] is not None:
            raise self._checked[side]  # type: ignore[misc]

    def call(self, entry: dict[str, Any], what: str, send: Callable[[], Any], absent: tuple[str, ...] = ()) -> Any:
        """Send one call; ``absent`` error codes give None; throttling is retried as apply retries it."""
        profile = profile_of(self.clients[entry["account"]])

        def waiting(why: str, delay: float, attempt: int, attempts: int) -> None:
            if self.on_wait is not None:
                self.on_wait(f"{what}: {why} (attempt {attempt}/{attempts})", delay)

        try:
            answer = send_with_backoff(send, self.backoff, reason=throttled, on_wait=waiting, sleep=self.sleep,
                                       absent=absent)
        except GaveUp as gave_up:
            error = explain(gave_up.error, profile=profile, what=what)
            raise AwsError(
                gave_up.told(error.message),
                "AWS kept throttling these requests: wait a few minutes and run undo again; "
                "what it already restored is not touched again",
                error.code,
            ) from gave_up.error
        except (ClientError, BotoCoreError) as exc:
            raise explain(exc, profile=profile, what=what) from exc
        return None if answer is ABSENT else answer

    def client(self, entry: dict[str, Any], service: str) -> Any:
        return self.clients[entry["account"]](service, entry.get("region"))

    # -- one write ---------------------------------------------------------------------------

    def undo(self, entry: dict[str, Any], job_ids: dict[str, str]) -> tuple[UndoStatus, str, str]:
        call = entry.get("call")
        handler = {
            "s3.put_bucket_versioning": self.versioning,
            "iam.create_role": self.role,
            "iam.update_assume_role_policy": self.trust,
            "iam.tag_role": self.tags,
            "iam.put_role_policy": self.role_policy,
            "kms.put_key_policy": self.key_policy,
            "s3.put_bucket_policy": self.bucket_policy,
            "s3.put_bucket_replication": self.replication,
            "s3control.create_job": lambda e: self.job(e, job_ids.get(e["id"])),
            "s3.put_object": self.uploaded_object,
            "s3.put_bucket_inventory_configuration": lambda e: undo_inventory.inventory_configuration(self, e),
            "sns.create_topic": lambda e: undo_alarms.topic(self, e),
            "sns.set_topic_attributes": lambda e: undo_alarms.topic_policy(self, e),
            "sns.subscribe": lambda e: undo_alarms.subscription(self, e),
            "sqs.create_queue": lambda e: undo_alarms.queue(self, e),
            "s3.put_bucket_notification_configuration": lambda e: undo_alarms.notifications(self, e),
            "cloudwatch.put_metric_alarm": lambda e: undo_alarms.alarm(self, e),
            "glue.create_database": lambda e: undo_athena.database(self, e),
            "glue.create_table": lambda e: undo_athena.table(self, e),
            "glue.create_partition": lambda e: undo_athena.partition(self, e),
            "athena.create_work_group": lambda e: undo_athena.workgroup(self, e),
            "s3.put_bucket_policy.freeze": lambda e: undo_freeze(self, e),  # the cut-over's write freeze
        }.get(call or "")
        if handler is None:
            return "failed", f"undo does not know the call {call}", "undo it by hand"
        if call != "s3.put_bucket_versioning":
            self.check_account(entry["account"], entry.get("account_id"))
        try:
            outcome = handler(entry)
        except _Skip as skip:
            return skip.status, skip.message, skip.fix
        kind = {"s3.put_bucket_policy": "policy", "s3.put_bucket_replication": "replication"}.get(call or "")
        if kind and outcome[0] in ("would-restore", "would-delete"):
            self.predict(entry, kind, entry.get("before"))
        return outcome

    def predict(self, entry: dict[str, Any], kind: str, document: Any) -> None:
        """What a dry run would leave of a bucket's policy or replication configuration (read instead of AWS)."""
        self._predicted[(entry["account"], _name(entry["target"]), kind)] = document

    def _account_of(self, side: str) -> str | None:
        return next((e.get("account_id") for e in self.read.entries
                     if e.get("account") == side and e.get("account_id")), None)

    def _current(self, side: str, bucket: str, region: str | None, kind: str) -> Any:
        if (side, bucket, kind) in self._predicted:
            return self._predicted[(side, bucket, kind)]
        account = self._account_of(side)
        owner_kw = {"ExpectedBucketOwner": account} if account else {}
        s3 = self.clients[side]("s3", region)
        entry = {"account": side}
        if kind == "policy":
            answer = self.call(entry, f"s3.get_bucket_policy on bucket {bucket!r}",
                               lambda: s3.get_bucket_policy(Bucket=bucket, **owner_kw),
                               absent=("NoSuchBucketPolicy", "NoSuchBucket"))
            return load_policy(answer.get("Policy")) if answer else None
        answer = self.call(entry, f"s3.get_bucket_replication on bucket {bucket!r}",
                           lambda: s3.get_bucket_replication(Bucket=bucket, **owner_kw),
                           absent=("ReplicationConfigurationNotFoundError", "NoSuchBucket"))
        return answer.get("ReplicationConfiguration") if answer else None

    def still_named(self, role: str, account_id: str | None) -> list[str]:
        """The documents of the journal's buckets that still name ``role`` (unreadable ones count),
        except those back as they were before apply (they named it then too)."""
        found: list[str] = []
        before = originals(self.read)
        for side, bucket, region in journal_buckets(self.read):
            for kind, label in (("policy", "the bucket policy"), ("replication", "the replication configuration")):
                try:
                    self.check_account(side, self._account_of(side))
                    document = self._current(side, bucket, region, kind)
                except AwsError as exc:
                    found.append(f"{label} of {bucket} ({side}; could not be read: {exc.message})")
                    continue
                if (side, bucket, kind) in before and document == before[(side, bucket, kind)]:
                    continue
                if names_role(document, role, account_id):
                    found.append(f"{label} of {bucket} ({side})")
        return found

    def _changed(self, what: str) -> _Skip:
        return _Skip(
            "skipped",
            f"{what} changed since apply wrote it: not restored (it would clobber that change)",
            f"compare it with the 'before' in the journal {self.journal.path} and restore by hand if you want",
        )

    def _restore(
        self,
        entry: dict[str, Any],
        what: str,
        current: Any,
        put: Callable[[Any], Any],
        delete: Callable[[], Any] | None,
    ) -> tuple[UndoStatus, str, str]:
        before, after = entry.get("before"), entry.get("after")
        if current == before:
            return "unchanged", f"{what} is already as it was before apply", ""
        if current != after:
            raise self._changed(what)
        if before is None:
            if delete is None:
                raise _Skip("skipped", f"{what} had no previous version to restore", "restore it by hand")
            if self.dry_run:
                return "would-delete", f"would delete {what} (there was none before apply)", ""
            delete()
            return "deleted", f"{what} deleted (there was none before apply)", ""
        if self.dry_run:
            return "would-restore", f"would restore the previous {what}", ""
        put(before)
        return "restored", f"previous {what} restored", ""

    def versioning(self, entry: dict[str, Any]) -> tuple[UndoStatus, str, str]:
        bucket = _name(entry["target"])
        before = (entry.get("before") or {}).get("Status") or "never enabled"
        return (
            "note",
            f"versioning stays Enabled on {bucket} (it was {before}): S3 cannot turn versioning off, only suspend it, "
            "and suspending it breaks replication",
            f"if you must, suspend it yourself: aws s3api put-bucket-versioning --bucket {bucket} "
            "--versioning-configuration Status=Suspended",
        )

    def bucket_policy(self, entry: dict[str, Any]) -> tuple[UndoStatus, str, str]:
        bucket = _name(entry["target"])
        owner = entry.get("account_id")
        s3 = self.client(entry, "s3")
        owner_kw = {"ExpectedBucketOwner": owner} if owner else {}
        answer = self.call(entry, f"s3.get_bucket_policy on bucket {bucket!r}",
                           lambda: s3.get_bucket_policy(Bucket=bucket, **owner_kw), absent=("NoSuchBucketPolicy",))
        current = load_policy(answer.get("Policy")) if answer else None
        lifted = freeze_lifted_since(entry, current)  # the cut-over's freeze, lifted since: ours, not a change
        status, message, fix = self._restore(
            entry if lifted is None else lifted[0], f"bucket policy of {bucket}", current,
            put=lambda doc: self.call(entry, f"s3.put_bucket_policy on bucket {bucket!r}",
                                      lambda: s3.put_bucket_policy(Bucket=bucket, Policy=dump_policy(doc), **owner_kw)),
            delete=lambda: self.call(entry, f"s3.delete_bucket_policy on bucket {bucket!r}",
                                     lambda: s3.delete_bucket_policy(Bucket=bucket, **owner_kw)),
        )
        return status, message if lifted is None else f"{message} {lifted[1]}", fix

    def replication(self, entry: dict[str, Any]) -> tuple[UndoStatus, str, str]:
        bucket = _name(entry["target"])
        owner = entry.get("account_id")
        s3 = self.client(entry, "s3")
        owner_kw = {"ExpectedBucketOwner": owner} if owner else {}
        answer = self.call(entry, f"s3.get_bucket_replication on bucket {bucket!r}",
                           lambda: s3.get_bucket_replication(Bucket=bucket, **owner_kw),
                           absent=("ReplicationConfigurationNotFoundError",))
        current = answer.get("ReplicationConfiguration") if answer else None
        return self._restore(
            entry, f"replication configuration of {bucket}", current,
            put=lambda doc: self.call(entry, f"s3.put_bucket_replication on bucket {bucket!r}",
                                      lambda: s3.put_bucket_replication(Bucket=bucket, ReplicationConfiguration=doc,
                                                                        **owner_kw)),
            delete=lambda: self.call(entry, f"s3.delete_bucket_replication on bucket {bucket!r}",
                                     lambda: s3.delete_bucket_replication(Bucket=bucket, **owner_kw)),
        )

    def key_policy(self, entry: dict[str, Any]) -> tuple[UndoStatus, str, str]:
        key = _name(entry["target"])
        kms = self.client(entry, "kms")
        answer = self.call(entry, f"kms.get_key_policy {key!r}", lambda: kms.get_key_policy(KeyId=key, PolicyName="default"))
        return self._restore(
            entry, f"key policy of {key}", load_policy(answer.get("Policy")),
            put=lambda doc: self.call(entry, f"kms.put_key_policy {key!r}",
                                      lambda: kms.put_key_policy(KeyId=key, PolicyName="default", Policy=dump_policy(doc))),
            delete=None,
        )

    def role_policy(self, entry: dict[str, Any]) -> tuple[UndoStatus, str, str]:
        parts = entry["target"].split(" ")  # "role NAME policy POLICY"
        role, policy = parts[1], parts[3]
        iam = self.client(entry, "iam")
        answer = self.call(entry, f"iam.get_role_policy {policy!r} of role {role!r}",
                           lambda: iam.get_role_policy(RoleName=role, PolicyName=policy), absent=("NoSuchEntity",))
        current = load_policy(answer.get("PolicyDocument")) if answer else None
        if self.dry_run and current == entry.get("after") and entry.get("before") is None:
            self._dry_deleted.add((role, policy))
        return self._restore(
            entry, f"inline policy {policy} of role {role}", current,
            put=lambda doc: self.call(entry, f"iam.put_role_policy {policy!r} on role {role!r}",
                                      lambda: iam.put_role_policy(RoleName=role, PolicyName=policy, PolicyDocument=dump_policy(doc))),
            delete=lambda: self.call(entry, f"iam.delete_role_policy {policy!r} of role {role!r}",
                                     lambda: iam.delete_role_policy(RoleName=role, PolicyName=policy)),
        )

    def _current_trust(self, entry: dict[str, Any], iam: Any, role: str) -> Any:
        answer = self.call(entry, f"iam.get_role {role!r}", lambda: iam.get_role(RoleName=role), absent=("NoSuchEntity",))
        return load_policy(answer["Role"].get("AssumeRolePolicyDocument")) if answer else None

    def trust(self, entry: dict[str, Any]) -> tuple[UndoStatus, str, str]:
        role = _name(entry["target"])
        iam = self.client(entry, "iam")
        current = self._current_trust(entry, iam, role)
        if current is None:
            return "unchanged", f"role {role} no longer exists: nothing to restore", ""
        return self._restore(
            entry, f"trust policy of role {role}", current,
            put=lambda doc: self.call(entry, f"iam.update_assume_role_policy {role!r}",
                                      lambda: iam.update_assume_role_policy(RoleName=role, PolicyDocument=dump_policy(doc))),
            delete=None,
        )

    def tags(self, entry: dict[str, Any]) -> tuple[UndoStatus, str, str]:
        """An adopted role: our tags off again, the values they replaced back (other tags untouched)."""
        role = _name(entry["target"])
        iam = self.client(entry, "iam")
        answer = self.call(entry, f"iam.list_role_tags {role!r}", lambda: iam.list_role_tags(RoleName=role),
                           absent=("NoSuchEntity",))
        if answer is None:
            return "unchanged", f"role {role} no longer exists: nothing to restore", ""
        current = {t["Key"]: t.get("Value", "") for t in answer.get("Tags") or []}
        before, after = (entry.get("before") or {}).get("Tags") or {}, (entry.get("after") or {}).get("Tags") or {}
        now = {k: current[k] for k in after if k in current}
        was = {k: before[k] for k in after if k in before}
        if now == was:
            return "unchanged", f"tags of role {role} are already as they were before apply", ""
        if now != after:
            raise self._changed(f"tags of role {role}")
        if self.dry_run:
            return "would-restore", f"would restore the previous tags of role {role}", ""
        gone = [k for k in after if k not in before]
        if gone:
            self.call(entry, f"iam.untag_role {role!r}", lambda: iam.untag_role(RoleName=role, TagKeys=gone))
        if was:
            self.call(entry, f"iam.tag_role {role!r}", lambda: iam.tag_role(
                RoleName=role, Tags=[{"Key": k, "Value": v} for k, v in was.items()]))
        return "restored", f"previous tags of role {role} restored (it is no longer marked ours)", ""

    def role(self, entry: dict[str, Any]) -> tuple[UndoStatus, str, str]:
        role = _name(entry["target"])
        iam = self.client(entry, "iam")
        current = self._current_trust(entry, iam, role)
        if current is None:
            return "unchanged", f"role {role} no longer exists", ""
        if current != entry.get("after"):
            raise self._changed(f"trust policy of role {role}")
        inline = self.call(entry, f"iam.list_role_policies {role!r}",
                           lambda: iam.list_role_policies(RoleName=role)).get("PolicyNames") or []
        attached = self.call(entry, f"iam.list_attached_role_policies {role!r}",
                             lambda: iam.list_attached_role_policies(RoleName=role)).get("AttachedPolicies") or []
        others = [p for p in inline if (role, p) not in self._dry_deleted] + [
            p.get("PolicyName", "?") for p in attached
        ]
        if others:
            raise _Skip(
                "skipped",
                f"role {role} was created by apply but now has other policies ({', '.join(others)}): not deleted",
                f"remove them first if the role should go (aws iam delete-role --role-name {role})",
            )
        named = self.still_named(role, entry.get("account_id"))
        if named:
            raise _Skip(
                "skipped",
                f"role {role} is still named by {'; '.join(named)}: not deleted (that document would name a role "
                "that is gone)",
                "restore or remove that grant first (the journal's 'before' shows what was there), then run undo again",
            )
        if self.dry_run:
            return "would-delete", f"would delete role {role} (apply created it)", ""
        self.call(entry, f"iam.delete_role {role!r}", lambda: iam.delete_role(RoleName=role))
        return "deleted", f"role {role} deleted (apply created it)", ""


def undo(
    plan_id: str,
    clients_by_side: Mapping[str, Clients],
    *,
    progress: UndoCallback | None = None,
    dry_run: bool = False,
    journal: Journal | None = None,
    backoff: Backoff | None = None,
    on_wait: WaitCallback | None = None,
    skip_records: Collection[int] = (),
) -> UndoResult:
    """Restore what the journal of ``plan_id`` recorded, newest write first.

    ``clients_by_side`` maps "source"/"destination" to Clients of the accounts
    the journal names (checked through STS before anything is changed there).
    ``dry_run`` reads the current state and reports what would be done; it
    changes nothing and journals nothing. Throttled calls are retried with
    ``backoff`` (apply's default), ``on_wait`` told before each wait. Raises
    FileNotFoundError when the plan has no journal, JournalDamaged when it has
    damaged lines not all in ``skip_records`` (nothing is changed), ValueError
    when ``skip_records`` names a line that is not damaged. Read-only mode is the
    clients' business (:mod:`.read_only`): each write is refused where it is sent.
    """
    journal = journal or Journal(plan_id)
    if not journal.exists():
        raise FileNotFoundError(f"no journal for plan {plan_id} at {journal.path}")
    read = journal.read()
    skipped = check_skips(read, skip_records)
    result = UndoResult(plan_id, journal.path, problems=list(read.problems), dry_run=dry_run)
    record_skipped(skipped, journal, result, dry_run=dry_run, progress=progress)
    undoer = _Undoer(clients_by_side, journal, dry_run, backoff or Backoff(), on_wait, read=read)
    reverse_pending(undoer, read, journal, result, dry_run=dry_run, progress=progress)
    return result



def profiles_in_journal(plan_id: str, skip_records: Collection[int] = ()) -> tuple[Path, dict[str, str | None], list[str]]:
    """(journal path, profile name per side, problems) — for the ``undo`` command; raises as :func:`check_skips`."""
    path = journal_path(plan_id)
    if not path.exists():
        raise FileNotFoundError(f"no journal for plan {plan_id} at {path}")
    read = Journal(plan_id, path).read()
    check_skips(read, skip_records)
    return path, read.profiles(), read.problems
