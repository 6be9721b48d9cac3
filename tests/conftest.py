"""Every test runs away from the user's own state, and property tests have no deadline.

- The OS keyring is never touched: a fail backend makes the key store fall
  back to memory (tests that exercise the keyring set their own backend).
- The data directory (journals, remembered jobs) is a temporary folder.
- Sandbox Batch Operations jobs do not dwell in their states (S3XREP_SANDBOX_JOB_DWELL=0).
"""

from __future__ import annotations

import os
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


_SESSION_DATA_DIR: str | None = None


@pytest.fixture(scope="session", autouse=True)
def _no_user_state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    global _SESSION_DATA_DIR
    with pytest.MonkeyPatch.context() as patch:
        _SESSION_DATA_DIR = str(tmp_path_factory.mktemp("s3xrep-data"))
        patch.setenv("S3XREP_DATA_DIR", _SESSION_DATA_DIR)
        patch.setenv("S3XREP_CACHE_DIR", str(tmp_path_factory.mktemp("s3xrep-cache")))
        # Batch jobs in the sandbox leave each state as soon as the work is done (the demo
        # default keeps each on screen for seconds); a test of the dwell sets its own.
        patch.setenv("S3XREP_SANDBOX_JOB_DWELL", "0")
        previous = keyring.get_keyring()
        keyring.set_keyring(fail.Keyring())
        yield
        keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def _fresh_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh data directory per test, unless a module or class fixture already chose one."""
    if os.environ.get("S3XREP_DATA_DIR") == _SESSION_DATA_DIR:
        monkeypatch.setenv("S3XREP_DATA_DIR", str(tmp_path_factory.mktemp("data")))


@pytest.fixture(autouse=True)
def _fresh_key_store() -> Iterator[None]:
    """Each test probes the keyring anew (a test may have set its own backend)."""
    from s3xrep_tui.aws.credentials import forget_credentials, set_mfa_code_provider
    from s3xrep_tui.aws.keyring_store import use_store

    use_store(None)
    yield
    use_store(None)
    # cli.main installs a process-wide MFA provider for headless commands: never leak it
    set_mfa_code_provider(None)
    forget_credentials()


def data_dir() -> Path:
    """The data directory of the running test (what S3XREP_DATA_DIR points at)."""
    return Path(os.environ["S3XREP_DATA_DIR"])
