"""Bucket policy Deny statements on object writes, enforced as S3 enforces them.

moto stores bucket policies and checks none of them. This middleware asks the bucket
policy (through :func:`iam_eval.resource_policy_decision`, the evaluator the preflight uses)
about every object write a caller sends: an explicit Deny answers ``403 AccessDenied`` and
moto never sees the request (AWS: IAM User Guide, "Policy evaluation logic": an explicit deny
in any policy overrides any allow). That is what makes the cut-over's write freeze real on
the sandbox.

What the request context carries: ``aws:PrincipalArn`` (the caller's user or role ARN, as
moto maps its access key; a role session reports its role) and ``aws:PrincipalAccount``.
The sandbox speaks plain HTTP on loopback standing in for TLS, so ``aws:SecureTransport`` is
left out (a Deny on insecure transport does not block the sandbox's own requests).

moto checks a bucket policy's Deny on PutObject and DeleteObject too, but blind to conditions
(a Deny that spares the replication role by ``aws:PrincipalArn`` would deny it as well): for the
writes this middleware has judged, moto's check is told to stay neutral (:func:`_judged`).

Simplifications: only Deny is enforced (an Allow is not required, as no identity policies of
callers are evaluated either); ``DeleteObjects`` is refused whole when any of its keys is
denied (S3 answers per key).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from xml.sax.saxutils import unescape

from werkzeug.wrappers import Response

from . import iam_eval
from .moto_access import find_bucket
from .server import Call, Forward, s3_error

_VERSIONED = {"tagging": ("s3:PutObjectTagging", "s3:PutObjectVersionTagging"),
              "acl": ("s3:PutObjectAcl", "s3:PutObjectVersionAcl")}
_KEY_RE = re.compile(r"<Object>\s*<Key>(.*?)</Key>(?:\s*<VersionId>(.*?)</VersionId>)?", re.S)


_local = threading.local()
_installed = False


def _install() -> None:
    """Make moto's own bucket policy check neutral while a judged request runs (same thread)."""
    global _installed
    if _installed:
        return
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket

    original = FakeBucket.get_permission

    def get_permission(self: Any, action: str, resource: str) -> Any:
        if getattr(_local, "judged", False):
            return PermissionResult.NEUTRAL
        return original(self, action, resource)

    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]
    _installed = True


@contextmanager
def _judged() -> Iterator[None]:
    _local.judged = True
    try:
        yield
    finally:
        _local.judged = False


def caller_arn(account_id: str, access_key: str | None) -> str:
    """The IAM principal behind an access key: a role (session keys) or a user; the account root otherwise."""
    from moto.iam.models import iam_backends

    key = iam_backends[account_id]["global"].access_keys.get(access_key or "") if access_key else None
    if key is not None and getattr(key, "role_arn", None):
        return str(key.role_arn)
    if key is not None and getattr(key, "user_name", None):
        return f"arn:aws:iam::{account_id}:user/{key.user_name}"
    return f"arn:aws:iam::{account_id}:root"


def object_write_action(call: Call) -> str | None:
    """The IAM action of an object-level write request, or None for reads and everything else."""
    args, method = call.args, call.method
    versioned = "versionId" in args
    if method == "PUT":
        for name, (plain, by_version) in _VERSIONED.items():
            if name in args:
                return by_version if versioned else plain
        if "retention" in args:
            return "s3:PutObjectRetention"
        if "legal-hold" in args:
            return "s3:PutObjectLegalHold"
        return "s3:PutObject"  # PutObject, CopyObject, UploadPart(Copy)
    if method == "POST" and ("uploads" in args or "uploadId" in args):
        return "s3:PutObject"  # CreateMultipartUpload, CompleteMultipartUpload
    if method == "DELETE":
        if "tagging" in args:
            return "s3:DeleteObjectVersionTagging" if versioned else "s3:DeleteObjectTagging"
        if "uploadId" in args:
            return None  # AbortMultipartUpload: not a write of data
        return "s3:DeleteObjectVersion" if versioned else "s3:DeleteObject"
    return None


class PolicyGateMiddleware:
    """Refuses object writes an explicit Deny of the bucket policy covers."""

    def __init__(self) -> None:
        _install()

    def __call__(self, call: Call, forward: Forward) -> Response:
        if call.service != "s3" or call.is_s3control or not call.bucket:
            return forward()
        bucket = find_bucket(call.bucket)
        policy = getattr(bucket, "policy", None) if bucket is not None else None
        if not policy:
            return forward()
        writes = self._writes(call)
        if not writes:
            return forward()
        principal = caller_arn(call.account_id, call.access_key)
        context = {"aws:PrincipalArn": principal, "aws:PrincipalAccount": call.account_id}
        for action, key in writes:
            resource = f"arn:aws:s3:::{call.bucket}/{key}"
            if iam_eval.resource_policy_decision(_text(policy), principal, action, resource, context) == "deny":
                return s3_error("AccessDenied", f"User: {principal} is not authorized to perform: {action} on "
                                f"resource: \"{resource}\" with an explicit deny in a resource-based policy", 403)
        with _judged():
            return forward()

    @staticmethod
    def _writes(call: Call) -> list[tuple[str, str]]:
        if call.key is not None:
            action = object_write_action(call)
            return [(action, call.key)] if action else []
        if call.method == "POST" and "delete" in call.args:  # DeleteObjects
            found = []
            for key, version in _KEY_RE.findall(call.body.decode("utf-8", "replace")):
                name = unescape(key, {"&quot;": '"', "&apos;": "'"})
                found.append(("s3:DeleteObjectVersion" if version else "s3:DeleteObject", name))
            return found
        return []


def _text(policy: Any) -> Any:
    return policy.decode("utf-8", "replace") if isinstance(policy, bytes) else policy
