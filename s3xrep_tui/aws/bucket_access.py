"""Calls on one bucket: a client in the bucket's own region, ExpectedBucketOwner on
every call, and errors explained with the side and profile they came from."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from .clients import Clients
from .errors import AwsError, error_code, explain, who
from .identity import profile_of
from .inspect import bucket_region


def with_owner(kwargs: dict[str, Any], owner: str | None) -> dict[str, Any]:
    """``kwargs`` with ``ExpectedBucketOwner`` when the owner is known (S3 then refuses another account's bucket)."""
    if owner:
        kwargs["ExpectedBucketOwner"] = owner
    return kwargs


class BucketAccess:
    def __init__(self, clients: Clients, bucket: str, owner: str, side: str) -> None:
        self.clients, self.bucket, self.owner, self.side = clients, bucket, owner, side
        self.profile = profile_of(clients)
        try:
            self.region = bucket_region(clients, bucket, owner)
        except AwsError as exc:
            raise exc.within(self.where) from exc.__cause__
        self.s3 = clients("s3", self.region)

    @property
    def where(self) -> str:
        return f"{self.side} ({who(self.profile)})"

    def call(self, method: str, *, absent: str | None = None, **kwargs: Any) -> dict[str, Any] | None:
        """``method`` on the bucket; None when AWS answers the error code ``absent``; AwsError otherwise."""
        try:
            return getattr(self.s3, method)(Bucket=self.bucket, ExpectedBucketOwner=self.owner, **kwargs)
        except Exception as exc:
            if absent is not None and isinstance(exc, ClientError) and error_code(exc) == absent:
                return None
            raise explain(exc, profile=self.profile, what=f"s3.{method} on bucket {self.bucket!r}").within(
                self.where) from exc
