"""Who the credentials are: ``sts.get_caller_identity`` as an :class:`Account`."""

from __future__ import annotations

from ..core.models import Account
from .clients import Clients
from .errors import AwsError, explain


def profile_of(clients: Clients) -> str | None:
    """The profile name behind ``clients`` (``None``: explicit keys or the ambient chain)."""
    try:
        return clients.session._session.profile  # botocore's view: None unless a profile was named
    except Exception:  # pragma: no cover - defensive: an unusual session object
        return None


def partition_of_arn(arn: str) -> str:
    parts = arn.split(":")
    return parts[1] if len(parts) > 1 and parts[0] == "arn" and parts[1] else "aws"


def caller_identity(clients: Clients) -> Account:
    """The account (and partition, from the caller ARN) the credentials belong to."""
    try:
        answer = clients("sts").get_caller_identity()
    except AwsError:
        raise
    except Exception as exc:
        raise explain(exc, profile=profile_of(clients), what="sts.get_caller_identity") from exc
    arn = answer.get("Arn")
    partition = partition_of_arn(arn or "")
    if partition not in ("aws", "aws-cn", "aws-us-gov"):
        raise AwsError(
            f"sts.get_caller_identity: partition {partition!r} of {arn} is not supported",
            "use a profile in the aws, aws-cn or aws-us-gov partition",
            "UnsupportedPartition",
        )
    return Account(id=answer["Account"], partition=partition, arn=arn)
