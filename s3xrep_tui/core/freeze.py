"""The cut-over's write freeze: one Deny statement in the source bucket policy, merged by Sid.

The statement denies object writes (put, delete, tags, ACLs, retention, legal hold) on
``arn:aws:s3:::SOURCE/*`` to every principal whose ``aws:PrincipalArn`` is not the
replication role, the Batch role or one the user names (AWS: IAM User Guide, "AWS global
condition context keys", aws:PrincipalArn; "Policy evaluation logic": an explicit Deny in a
resource policy wins over any Allow). Bucket-level actions are left alone, so the bucket
owner can always lift the freeze (S3 also lets the owner account's root user put and delete
the bucket policy whatever it says).

``PutBucketPolicy`` replaces the whole document, so the freeze is merged: every other
statement is kept exactly, in order. A statement with the freeze's Sid is ours only when
it equals what our journal recorded writing (or what we are about to write): anything else
there is refused, never overwritten, and never removed.

Pure: no boto3, no I/O.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .merge import BUCKET_POLICY_LIMIT, MergeError, parse_policy, policy_size
from .names import Partition, objects_arn

FREEZE_SUFFIX = "WriteFreeze"
FREEZE_CALL = "s3.put_bucket_policy.freeze"  # the journal's call name of a freeze write (undo has its own handler)
FROZEN_ACTIONS = (
    "s3:PutObject",
    "s3:PutObjectAcl",
    "s3:PutObjectVersionAcl",
    "s3:PutObjectTagging",
    "s3:PutObjectVersionTagging",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:DeleteObjectTagging",
    "s3:DeleteObjectVersionTagging",
    "s3:PutObjectRetention",
    "s3:PutObjectLegalHold",
)
# an IAM principal aws:PrincipalArn can carry: an account root, a user or a role (sessions report their role)
_PRINCIPAL_ARN = re.compile(r"^arn:aws(-cn|-us-gov)?:iam::\d{12}:(root|user/[\w+=,.@/-]+|role/[\w+=,.@/-]+)$")


def freeze_sid(family: str) -> str:
    """The Sid of the freeze statement of one migration (its Sid family + ``WriteFreeze``)."""
    return f"{family}{FREEZE_SUFFIX}"


def check_exempt(principals: Iterable[str]) -> tuple[str, ...]:
    """The principal ARNs the user named, checked; ValueError naming the first that is not one."""
    checked: list[str] = []
    for principal in principals:
        value = principal.strip()
        if not _PRINCIPAL_ARN.match(value):
            raise ValueError(
                f"--allow-writer {value!r} is not an IAM principal ARN: give arn:aws:iam::ACCOUNT:role/NAME, "
                ":user/NAME or :root (aws:PrincipalArn of a role session is the role's ARN)"
            )
        if value not in checked:
            checked.append(value)
    return tuple(checked)


def freeze_statement(bucket: str, *, family: str, exempt: Iterable[str], partition: Partition = "aws") -> dict[str, Any]:
    """The Deny of object writes on ``bucket`` to everyone but ``exempt`` (ARNs, at least one)."""
    allowed = sorted(set(exempt))
    if not allowed:
        raise ValueError("a write freeze needs at least one exempt principal (the replication role)")
    return {
        "Sid": freeze_sid(family),
        "Effect": "Deny",
        "Principal": "*",
        "Action": list(FROZEN_ACTIONS),
        "Resource": objects_arn(bucket, partition),
        "Condition": {"ArnNotLike": {"aws:PrincipalArn": allowed}},
    }


@dataclass(frozen=True)
class FreezeMerge:
    """The source policy with the freeze merged in (or taken out)."""

    policy: dict[str, Any] | None  # None: no statement left, delete the policy (S3 refuses an empty one)
    changed: bool
    foreign: int  # statements kept as they were

    @property
    def size(self) -> int:
        return policy_size(self.policy) if self.policy else 0


def _collision(bucket: str, sid: str) -> MergeError:
    return MergeError(
        f"the bucket policy of {bucket} already has a statement with Sid {sid!r} that this tool's journal did "
        "not write: refusing to overwrite or remove a statement we did not write",
        fix=f"rename or remove that statement in the bucket policy of {bucket}, then run the cut-over again",
        finding_id="freeze-sid-collision",
    )


def merge_freeze(existing: str | None, statement: dict[str, Any], *, bucket: str,
                 written: dict[str, Any] | None = None) -> FreezeMerge:
    """Put ``statement`` into the ``existing`` policy text: replaces our earlier one in place, else appended.

    ``written``: the freeze statement our journal last recorded for this bucket (the proof that
    a statement with our Sid is ours). Raises MergeError on a foreign statement with our Sid or
    when the result passes S3's 20 KB bucket policy limit.
    """
    sid = statement["Sid"]
    original = parse_policy(existing, what=f"the bucket policy of {bucket}")
    statements: list[dict[str, Any]] = []
    placed = False
    foreign = 0
    for current in original["Statement"]:
        if current.get("Sid") != sid:
            statements.append(current)
            foreign += 1
            continue
        if current != statement and (written is None or current != written):
            raise _collision(bucket, sid)
        if not placed:
            statements.append(copy.deepcopy(statement))
            placed = True
    if not placed:
        statements.append(copy.deepcopy(statement))
    merged = {**original, "Statement": statements}
    size = policy_size(merged)
    if size > BUCKET_POLICY_LIMIT:
        raise MergeError(
            f"the bucket policy of {bucket} would be {size:,} bytes with the freeze; S3's limit is "
            f"{BUCKET_POLICY_LIMIT:,} bytes (measured without whitespace)",
            fix=f"shorten or consolidate other statements of the bucket policy of {bucket}, or cut over without "
            "--freeze",
            finding_id="policy-too-large",
        )
    return FreezeMerge(merged, merged != original, foreign)


def lift_freeze(existing: str | None, written: dict[str, Any], *, bucket: str) -> FreezeMerge:
    """Take our freeze (exactly ``written``) out of the ``existing`` policy; everything else stays.

    A statement with our Sid that differs from ``written`` is not ours any more: MergeError.
    """
    sid = written["Sid"]
    original = parse_policy(existing, what=f"the bucket policy of {bucket}")
    kept: list[dict[str, Any]] = []
    removed = False
    for current in original["Statement"]:
        if current.get("Sid") == sid:
            if current != written:
                raise _collision(bucket, sid)
            removed = True
            continue
        kept.append(current)
    if not removed:
        return FreezeMerge(original if existing is not None else None, False, len(kept))
    return FreezeMerge({**original, "Statement": kept} if kept else None, True, len(kept))


def frozen_statement(policy: Any, sid: str) -> dict[str, Any] | None:
    """The statement with the freeze's Sid in a policy (dict), or None."""
    if not isinstance(policy, dict):
        return None
    statements = policy.get("Statement") or ()
    for statement in [statements] if isinstance(statements, dict) else statements:
        if isinstance(statement, dict) and statement.get("Sid") == sid:
            return statement
    return None
