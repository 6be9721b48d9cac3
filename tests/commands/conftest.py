"""What the sandbox-backed command tests share: the environment pointing the CLI at the module's sandbox.

A test module provides its own ``sandbox`` fixture; modules that need another
environment (a profiles file, a shared sandbox) define their own ``env``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from s3xrep_tui.sandbox.emulator import Sandbox


@pytest.fixture
def env(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(sandbox.config_path))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("S3XREP_DATA_DIR", str(tmp_path / "data"))
    for var in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path / "data"
