"""The demo world, written straight into moto's backends (HTTP would take tens of seconds).

Account 111111111111 (source, "Acme legacy"):
  acme-legacy-media          unversioned, a few thousand current objects under photos/, videos/,
                             docs/, logs/ (some tagged, some STANDARD_IA, a few GLACIER)
  acme-legacy-archive        versioned, with older versions and delete markers (the history story)
  acme-legacy-secure         default encryption SSE-KMS with a customer-managed key; objects use it, but for one
                             under alias/acme-legacy-restricted (the finance team's key, which a replication role
                             is not granted): it fails to replicate, so alarms and failure events show something
  acme-legacy-records        Object Lock (versioned, default GOVERNANCE retention)
  acme-legacy-batch-reports  where Batch Replication reports go (same account and region as the source)
  KMS key alias/acme-legacy-secure
Account 222222222222 (destination, "Acme platform"):
  acme-platform-media        versioned, BucketOwnerEnforced, a bucket policy with its own statement
                             (Sid PlatformReadOnlyAudit) that any merge must keep
  acme-platform-reports      reports bucket
  KMS key alias/acme-platform-replicas for SSE-KMS replicas; IAM role platform-audit
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from typing import Any

SOURCE = "111111111111"
DESTINATION = "222222222222"

MEDIA = "acme-legacy-media"
ARCHIVE = "acme-legacy-archive"
SECURE = "acme-legacy-secure"
RECORDS = "acme-legacy-records"
SOURCE_REPORTS = "acme-legacy-batch-reports"
DEST_MEDIA = "acme-platform-media"
DEST_REPORTS = "acme-platform-reports"
SOURCE_KEY_ALIAS = "alias/acme-legacy-secure"
REPLICA_KEY_ALIAS = "alias/acme-platform-replicas"
AUDIT_ROLE = "platform-audit"
AUDIT_SID = "PlatformReadOnlyAudit"

_EPOCH = dt.datetime(2019, 3, 1, 9, 0, 0)


class _Clock:
    """Strictly increasing last-modified times: moto orders versions by them."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def tick(self, rng: random.Random, max_minutes: int = 600) -> dt.datetime:
        self.now += dt.timedelta(minutes=rng.randint(1, max_minutes), milliseconds=rng.randint(1, 999))
        return self.now


def _s3(account: str) -> Any:
    from moto.s3.models import s3_backends

    return s3_backends[account]["aws"]


def _put(backend: Any, bucket: str, key: str, body: bytes, when: dt.datetime, *, content_type: str,
         storage: str | None = None, tags: dict[str, str] | None = None, **kwargs: Any) -> Any:
    obj = backend.put_object(bucket, key, body, storage=storage, disable_notification=True, **kwargs)
    obj.last_modified = when
    obj.set_metadata({"Content-Type": content_type})
    if tags:
        backend.tagger.tag_resource(obj.arn, [{"Key": k, "Value": v} for k, v in tags.items()])
    return obj


def _body(rng: random.Random, label: str, low: int, high: int) -> bytes:
    size = rng.randint(low, high)
    chunk = (label + "\n").encode()
    return (chunk * (size // len(chunk) + 1))[:size]


def _make_bucket(account: str, name: str, region: str, *, versioned: bool = False) -> Any:
    bucket = _s3(account).create_bucket(name, region)
    if versioned:
        bucket.versioning_status = "Enabled"
    return bucket


def _kms_key(account: str, region: str, alias: str, description: str) -> Any:
    """A key whose id is the same on every start (moto draws a random one): the demo's screens and
    pictures show its ARN, and two runs of the screenshots must draw the same bytes."""
    from moto.kms import models

    backend = models.kms_backends[account][region]
    fixed = str(uuid.uuid5(uuid.NAMESPACE_URL, f"s3xrep-sandbox:kms:{account}:{region}:{alias}"))
    drawn, models.generate_key_id = models.generate_key_id, lambda multi_region=False: fixed
    try:
        key = backend.create_key(None, "ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT", description, None)
    finally:
        models.generate_key_id = drawn
    backend.create_alias(key.id, alias)
    return key


def _seed_media(region: str, rng: random.Random) -> int:
    backend = _s3(SOURCE)
    _make_bucket(SOURCE, MEDIA, region)
    clock = _Clock(_EPOCH)
    count = 0
    plan = [
        ("photos", 1400, ("jpg", "image/jpeg"), 2_000, 9_000),
        ("videos", 250, ("mp4", "video/mp4"), 8_000, 20_000),
        ("docs", 700, ("pdf", "application/pdf"), 500, 6_000),
        ("logs", 900, ("log", "text/plain"), 200, 3_000),
    ]
    for prefix, n, (ext, content_type), low, high in plan:
        for i in range(n):
            year = 2019 + i * 5 // n
            if prefix == "photos":
                key = f"photos/{year}/{rng.choice(['events', 'products', 'team'])}/IMG_{i:05d}.{ext}"
            elif prefix == "videos":
                key = f"videos/{year}/clip-{i:04d}.{ext}"
            elif prefix == "docs":
                key = f"docs/{rng.choice(['contracts', 'manuals', 'invoices'])}/doc-{i:04d}.{ext}"
            else:
                key = f"logs/app/{year}/{(i % 12) + 1:02d}/app-{i:05d}.{ext}"
            tags: dict[str, str] = {}
            storage = None
            if prefix == "docs" and i % 3 == 0:
                tags["classification"] = "confidential" if i % 2 else "internal"
            if prefix == "photos" and i % 5 == 0:
                tags["replicate"] = "true"
            if prefix == "logs":
                storage = "STANDARD_IA" if i % 4 == 0 else None
                if i % 150 == 0:
                    storage = "GLACIER"
            _put(backend, MEDIA, key, _body(rng, key, low, high), clock.tick(rng, 40), content_type=content_type,
                 storage=storage, tags=tags or None)
            count += 1
    return count


def _seed_archive(region: str, rng: random.Random) -> int:
    backend = _s3(SOURCE)
    _make_bucket(SOURCE, ARCHIVE, region, versioned=True)
    clock = _Clock(_EPOCH)
    count = 0
    for i in range(350):
        key = f"{rng.choice(['reports', 'exports', 'backups'])}/{2019 + i % 5}/item-{i:04d}.csv"
        for revision in range(1 + i % 3):  # 1-3 versions each
            _put(backend, ARCHIVE, key, _body(rng, f"{key} rev {revision}", 300, 4_000), clock.tick(rng),
                 content_type="text/csv", tags={"retention": "7y"} if i % 7 == 0 else None)
            count += 1
        if i % 10 == 0:  # a delete marker on top of the history
            marker = backend._set_delete_marker(ARCHIVE, key)
            marker.last_modified = clock.tick(rng)
            count += 1
    return count


def _seed_secure(region: str, rng: random.Random) -> int:
    backend = _s3(SOURCE)
    key = _kms_key(SOURCE, region, SOURCE_KEY_ALIAS, "Acme legacy: key for acme-legacy-secure")
    bucket = _make_bucket(SOURCE, SECURE, region)
    bucket.encryption = {
        "Rule": {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key.arn},
                 "BucketKeyEnabled": "false"}
    }
    clock = _Clock(_EPOCH)
    for i in range(60):
        name = f"finance/{2020 + i % 4}/statement-{i:03d}.pdf"
        _put(backend, SECURE, name, _body(rng, name, 500, 5_000), clock.tick(rng), content_type="application/pdf")
    return 60


RESTRICTED_KEY_ALIAS = "alias/acme-legacy-restricted"
FAILING_KEY = "finance/restricted/board-minutes-2024.pdf"


def _seed_failing_version(region: str, rng: random.Random) -> int:
    """One version of acme-legacy-secure under a key only its own account's admins use (issue 18's failing object).

    The replication role is granted kms:Decrypt on the bucket's default key only, so with SSE-KMS objects
    included this version fails (SrcGetObjectNotPermitted): an alarm, a failure event, and work for repair.
    """
    key = _kms_key(SOURCE, region, RESTRICTED_KEY_ALIAS, "Acme legacy: finance team's restricted key")
    when = dt.datetime(2024, 6, 30, 17, 0, 0)
    _put(_s3(SOURCE), SECURE, FAILING_KEY, _body(rng, FAILING_KEY, 800, 2_000), when, content_type="application/pdf",
         encryption="aws:kms", kms_key_id=key.arn)
    return 1


def _seed_records(region: str, rng: random.Random) -> int:
    backend = _s3(SOURCE)
    bucket = _make_bucket(SOURCE, RECORDS, region, versioned=True)
    bucket.object_lock_enabled = True
    bucket.default_lock_mode = "GOVERNANCE"
    bucket.default_lock_days = 30
    bucket.default_lock_years = 0
    clock = _Clock(_EPOCH)
    for i in range(40):
        name = f"ledger/{2021 + i % 3}/entry-{i:03d}.json"
        body = json.dumps({"entry": i, "amount": rng.randint(1, 10_000)}).encode()
        _put(backend, RECORDS, name, body, clock.tick(rng), content_type="application/json")
    return 40


def _seed_destination(region: str) -> None:
    from moto.iam.models import iam_backends

    iam = iam_backends[DESTINATION]["global"]
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{DESTINATION}:root"},
                                                      "Action": "sts:AssumeRole"}]}
    role = iam.create_role(AUDIT_ROLE, json.dumps(trust), "/", None, "Acme platform: read-only audit", [], None, None)
    media = _make_bucket(DESTINATION, DEST_MEDIA, region, versioned=True)
    media.ownership_rule = "BucketOwnerEnforced"
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": AUDIT_SID, "Effect": "Allow", "Principal": {"AWS": role.arn}, "Action": "s3:GetObject",
             "Resource": f"arn:aws:s3:::{DEST_MEDIA}/*"}
        ],
    }
    media.policy = json.dumps(policy).encode()
    reports = _make_bucket(DESTINATION, DEST_REPORTS, region, versioned=True)
    reports.ownership_rule = "BucketOwnerEnforced"
    _kms_key(DESTINATION, region, REPLICA_KEY_ALIAS, "Acme platform: key for SSE-KMS replicas")


def seed_demo(region: str = "us-east-1") -> dict[str, int]:
    """Create the demo world. Returns object/version counts per source bucket."""
    rng = random.Random(20261101)
    counts = {
        MEDIA: _seed_media(region, rng),
        ARCHIVE: _seed_archive(region, rng),
        SECURE: _seed_secure(region, rng) + _seed_failing_version(region, random.Random(18)),
        RECORDS: _seed_records(region, rng),
    }
    reports = _make_bucket(SOURCE, SOURCE_REPORTS, region)
    reports.ownership_rule = "BucketOwnerEnforced"
    _seed_destination(region)
    seed_storage_figures()
    return counts


TIB = 1024**4
# The CloudWatch daily storage figures the demo's buckets report instead of what they hold, so the
# cost estimate shows a migration of a real size (sandbox/storage_metrics.py). acme-legacy-media keeps
# its true figures: the demo's main pair is priced as it is.
VIRTUAL_STORAGE = {
    ARCHIVE: (120_000_000, {"StandardStorage": 14 * TIB, "StandardIAStorage": 22 * TIB, "GlacierStorage": 60 * TIB}),
    SECURE: (8_500_000, {"StandardStorage": 3 * TIB}),
    RECORDS: (2_400_000, {"StandardStorage": 512 * 1024**3, "StandardIAStorage": 1 * TIB}),
}


def seed_storage_figures() -> None:
    """Give the demo's larger source buckets virtual storage figures (the estimate's "millions of objects")."""
    from .storage_metrics import set_virtual_figures

    for bucket, (objects, sizes) in VIRTUAL_STORAGE.items():
        set_virtual_figures(SOURCE, bucket, objects, sizes)
