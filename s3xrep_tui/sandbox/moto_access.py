"""moto's S3 backend, reached directly: buckets, versions and tags by name.

moto's bucket namespace is global across accounts (as on AWS), so a bucket
name alone finds its owner.
"""

from __future__ import annotations

from typing import Any


def s3_backend(account_id: str) -> Any:
    from moto.s3.models import s3_backends

    return s3_backends[account_id]["aws"]


def bucket_owner(bucket_name: str) -> str | None:
    from moto.s3.models import s3_backends

    entry = s3_backends.bucket_accounts.get(bucket_name)
    return entry[1] if entry else None


def find_bucket(name: str) -> Any | None:
    """moto's FakeBucket for ``name`` in whichever account owns it (the namespace is global), or None."""
    from moto.s3.models import s3_backends

    entry = s3_backends.bucket_accounts.get(name)
    if entry is None:
        return None
    partition, account = entry
    return s3_backends[account][partition].buckets.get(name)


def find_version(bucket: Any, key: str, version_id: str) -> Any | None:
    for version in bucket.keys.getlist(key, []) or []:
        if str(version.version_id) == str(version_id):
            return version
    return None


def is_delete_marker(version: Any) -> bool:
    from moto.s3.models import FakeDeleteMarker

    return isinstance(version, FakeDeleteMarker)


def object_tags(bucket: Any, version: Any) -> dict[str, str]:
    if is_delete_marker(version):
        return {}
    return dict(s3_backend(bucket.account_id).tagger.get_tag_dict_for_resource(version.arn))
