"""Messages from thread workers to the widgets that show their results.

Workers never touch widgets: they post one of these, and the handler (on the
event loop) decides whether the result is still wanted.
"""

from __future__ import annotations

from textual.message import Message

from ..aws.errors import AwsError
from ..core.models import Account
from .demo import DemoEnvironment


class IdentityResolved(Message):
    """STS answered (``account``) or failed (``error``) for the row ``key``.

    ``generation`` identifies the request: a row re-resolved since then has a
    newer one, and this late answer must not paint over it.
    """

    def __init__(self, key: str, generation: int, account: Account | None, error: AwsError | None) -> None:
        super().__init__()
        self.key = key
        self.generation = generation
        self.account = account
        self.error = error


class SandboxReady(Message):
    def __init__(self, environment: DemoEnvironment) -> None:
        super().__init__()
        self.environment = environment


class SandboxFailed(Message):
    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class KeyStoreProbed(Message):
    """The key store was opened (its keyring probed, in a worker): ``why`` says why keys stay in memory."""

    def __init__(self, persistent: bool, why: str, backend: str) -> None:
        super().__init__()
        self.persistent = persistent
        self.why = why
        self.backend = backend
