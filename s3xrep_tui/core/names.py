"""Names and ARNs: S3 bucket naming rules, partitions, and the ARNs we build.

S3 ARNs carry no account or region, so every resource ARN here is exact:
``arn:aws:s3:::bucket`` for bucket actions and ``arn:aws:s3:::bucket/prefix*``
for object actions. Never ``bucket*`` (that matches every bucket sharing the
prefix, in any account).
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from typing import Literal

Partition = Literal["aws", "aws-cn", "aws-us-gov"]

ACCOUNT_ID_RE = re.compile(r"^\d{12}$")
_BUCKET_CHARS_RE = re.compile(r"^[a-z0-9.-]+$")
_ROLE_NAME_RE = re.compile(r"^[\w+=,.@-]{1,64}$")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")

MAX_PREFIX_LENGTH = 1024
MAX_RULE_ID_LENGTH = 255  # S3: a replication rule ID is up to 255 characters


def partition_for_region(region: str | None) -> Partition:
    """The ARN partition a region belongs to (``None`` is us-east-1)."""
    if region and region.startswith("cn-"):
        return "aws-cn"
    if region and region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def bucket_name_problems(name: str) -> list[str]:
    """Every S3 general-purpose bucket naming rule ``name`` breaks (empty when valid)."""
    problems: list[str] = []
    if not 3 <= len(name) <= 63:
        problems.append(f"is {len(name)} characters long; bucket names have 3 to 63")
    if not _BUCKET_CHARS_RE.match(name or "-"):
        problems.append("may only contain lowercase letters, digits, dots and hyphens")
    if name and not (name[0].isalnum() and name[-1].isalnum()):
        problems.append("must begin and end with a lowercase letter or a digit")
    if ".." in name:
        problems.append("must not contain two adjacent dots")
    if ".-" in name or "-." in name:
        problems.append("must not have a dot next to a hyphen")
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        pass
    else:
        problems.append("must not be formatted as an IP address")
    for prefix in _RESERVED_PREFIXES:
        if name.startswith(prefix):
            problems.append(f"must not start with the reserved prefix {prefix!r}")
    for suffix in _RESERVED_SUFFIXES:
        if name.endswith(suffix):
            problems.append(f"must not end with the reserved suffix {suffix!r}")
    return problems


def check_bucket_name(name: str) -> str:
    """Return ``name`` if it is a valid bucket name, else raise ``ValueError`` naming the rule."""
    problems = bucket_name_problems(name)
    if problems:
        raise ValueError(f"bucket name {name!r} " + "; ".join(problems))
    return name


def check_account_id(account_id: str) -> str:
    if not ACCOUNT_ID_RE.match(account_id or ""):
        raise ValueError(f"account id {account_id!r} must be exactly 12 digits")
    return account_id


def bucket_arn(bucket: str, partition: Partition = "aws") -> str:
    return f"arn:{partition}:s3:::{bucket}"


def objects_arn(bucket: str, partition: Partition = "aws", prefix: str = "") -> str:
    """The ARN of the objects under ``prefix`` (the whole bucket when empty)."""
    return f"arn:{partition}:s3:::{bucket}/{prefix}*"


def role_arn(account_id: str, name: str, partition: Partition = "aws", path: str = "/") -> str:
    return f"arn:{partition}:iam::{account_id}:role{path}{name}"


def account_root_arn(account_id: str, partition: Partition = "aws") -> str:
    return f"arn:{partition}:iam::{account_id}:root"


def bucket_from_arn(arn: str | None) -> str:
    """``arn:aws:s3:::name`` -> ``name`` (a bare name is returned unchanged, None as "")."""
    if not arn:
        return ""
    return arn.split(":::", 1)[1] if ":::" in arn else arn


def role_name_problems(name: str) -> list[str]:
    if not _ROLE_NAME_RE.match(name):
        return ["IAM role names have 1 to 64 characters from letters, digits and +=,.@_-"]
    return []


def fit_role_name(prefix: str, bucket: str) -> str:
    """``prefix + bucket`` cut to IAM's 64-character limit, keeping it unique with a hash."""
    name = f"{prefix}{bucket}"
    if len(name) <= 64:
        return name
    digest = hashlib.sha256(bucket.encode()).hexdigest()[:8]
    return f"{name[: 64 - 9]}-{digest}"


def sid_family(source_account: str, source_bucket: str, destination_bucket: str) -> str:
    """The Sid prefix of every statement we write for one source -> destination pair.

    Alphanumeric only (IAM's rule for Sids). A statement whose Sid starts with
    this family and whose principal is our role is ours to replace or remove
    only when proven (``core.statement_proof``); anything else is foreign and
    kept untouched.
    """
    digest = hashlib.sha256(f"{source_account}:{source_bucket}:{destination_bucket}".encode()).hexdigest()[:8]
    return f"S3xrep{digest}"
