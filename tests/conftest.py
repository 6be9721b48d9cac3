"""Every test runs away from the user's own state, and property tests have no deadline.

- The OS keyring is never touched: a fail backend makes the key store fall
  back to memory (tests that exercise the keyring set their own backend).
- The data directory (journals, remembered jobs) is a temporary folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from hypothesis import settings
from keyring.backends import fail

# Property tests judge correctness, not speed: no per-example deadline, which
# a loaded CI machine (two workers, sandboxes starting) would trip at random.
settings.register_profile("s3xrep", deadline=None)
settings.load_profile("s3xrep")


@pytest.fixture(autouse=True)
def _no_user_state(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from s3xrep_tui.aws.keyring_store import use_store

    monkeypatch.setenv("S3XREP_DATA_DIR", str(tmp_path_factory.mktemp("s3xrep-data")))
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    use_store(None)
    yield
    use_store(None)
    keyring.set_keyring(previous)


def data_dir() -> Path:
    """The data directory of the running test (what S3XREP_DATA_DIR points at)."""
    import os

    return Path(os.environ["S3XREP_DATA_DIR"])
