"""What the screens share: each identity's resolution and the two choices."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..aws.errors import AwsError
from ..aws.profiles import ProfileInfo
from ..core.models import Account

Resolution = Literal["waiting", "resolving", "resolved", "failed"]


@dataclass(frozen=True)
class Identity:
    """Where resolving one profile stands."""

    state: Resolution = "waiting"
    account: Account | None = None
    error: AwsError | None = None


@dataclass(frozen=True)
class Choice:
    """A profile picked as source or destination, with its identity so far."""

    profile: ProfileInfo
    identity: Identity

    @property
    def ready(self) -> bool:
        return self.identity.state == "resolved" and self.identity.account is not None

    @property
    def account_id(self) -> str | None:
        return self.identity.account.id if self.identity.account else None
