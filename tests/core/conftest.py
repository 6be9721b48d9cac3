"""Shared ``PlanInputs`` factories for the core tests.

Import them in any core test: ``from tests.core.conftest import make_inputs, make_facts``.
The names and defaults are a contract other test files rely on; extend, do not change.

Defaults: source 111111111111 / acme-legacy-media / us-east-1, destination
222222222222 / acme-platform-media / us-east-1, versioning Enabled on both,
both buckets BucketOwnerEnforced, SSE-S3, no Object Lock, no roles yet.
"""

from __future__ import annotations

from typing import Any

import pytest

from s3xrep_tui.core.models import (
    Account,
    Bucket,
    BucketFacts,
    EncryptionFacts,
    MigrationOptions,
    PlanInputs,
)

SOURCE_ACCOUNT = "111111111111"
DESTINATION_ACCOUNT = "222222222222"
SOURCE_BUCKET = "acme-legacy-media"
DESTINATION_BUCKET = "acme-platform-media"
REGION = "us-east-1"

# a region of each partition, for make_inputs(partition=...)
PARTITION_REGIONS = {"aws": "us-east-1", "aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1"}

_OPTION_FIELDS = set(MigrationOptions.model_fields)
_INPUT_FIELDS = set(PlanInputs.model_fields)


def make_facts(
    name: str = SOURCE_BUCKET,
    owner: str = SOURCE_ACCOUNT,
    region: str | None = REGION,
    **overrides: Any,
) -> BucketFacts:
    """A versioned, BucketOwnerEnforced, SSE-S3 bucket; any ``BucketFacts`` field can be overridden."""
    fields: dict[str, Any] = {
        "bucket": Bucket(name=name, region=region),
        "owner_account_id": owner,
        "versioning": "Enabled",
        "object_ownership": "BucketOwnerEnforced",
        "encryption": EncryptionFacts(algorithm="AES256"),
    }
    fields.update(overrides)
    return BucketFacts(**fields)


def make_inputs(
    *,
    partition: str | None = None,
    same_account: bool = False,
    **overrides: Any,
) -> PlanInputs:
    """The default cross-account pair, with overrides.

    ``overrides`` may name any ``PlanInputs`` field (``source=make_facts(...)``,
    ``options=MigrationOptions(...)``, ``replication_role=RoleFacts(...)``) or any
    ``MigrationOptions`` field (``prefix="logs/"``, ``rtc=True``), which is applied
    on top of ``options``. ``report_bucket``/``manifest_bucket`` given as a name set
    the option; given as ``BucketFacts`` they set the facts (pass both ways if needed:
    ``report_bucket=facts`` plus ``options=MigrationOptions(report_bucket=...)``). Shorthands: ``partition="aws-cn"`` moves both accounts and
    every default bucket to a region of that partition; ``same_account=True`` puts
    the destination in the source account.
    """
    unknown = set(overrides) - _OPTION_FIELDS - _INPUT_FIELDS
    if unknown:
        raise TypeError(f"make_inputs: unknown overrides {sorted(unknown)}")
    region = PARTITION_REGIONS[partition] if partition else REGION
    part = partition or "aws"
    destination_account = SOURCE_ACCOUNT if same_account else DESTINATION_ACCOUNT

    # report_bucket / manifest_bucket name both an option (a bucket name) and a
    # PlanInputs field (its BucketFacts): a str goes to the options, facts to the inputs
    option_overrides = {
        k: v
        for k, v in overrides.items()
        if k in _OPTION_FIELDS and not (k in _INPUT_FIELDS and isinstance(v, BucketFacts))
    }
    options = overrides.get("options", MigrationOptions())
    if option_overrides:
        options = MigrationOptions(**{**options.model_dump(), **option_overrides})

    fields: dict[str, Any] = {
        "source_account": Account(id=SOURCE_ACCOUNT, partition=part),
        "destination_account": Account(id=destination_account, partition=part),
        "source": make_facts(SOURCE_BUCKET, SOURCE_ACCOUNT, region),
        "destination": make_facts(DESTINATION_BUCKET, destination_account, region),
    }
    fields.update({k: v for k, v in overrides.items() if k in _INPUT_FIELDS and k not in option_overrides})
    fields["options"] = options
    return PlanInputs(**fields)


@pytest.fixture
def inputs() -> PlanInputs:
    """The default cross-account pair with default options."""
    return make_inputs()
