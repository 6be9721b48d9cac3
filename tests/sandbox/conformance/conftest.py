"""The conformance suite's fixtures: a started sandbox and the stock AWS CLI pointed at it.

``sandbox`` (from ``tests/sandbox/conftest.py``) starts one with fast rates and
``seed="empty"`` and writes its AWS config file (``Sandbox.write_config``, what
``s3xrep sandbox`` writes and prints): the two seeded profiles with keys,
region, endpoint and the s3control endpoint. ``aws`` runs the stock ``aws``
command (installed by ``.[test]``) against that file only, nothing of the
user's environment: ``aws("s3api", "list-buckets")`` returns the parsed JSON
output, ``aws.fails(...)`` the error of a call that must fail.

Each ``aws`` process costs about half a second of CPU: keep the calls few per
test, and set up what is not under test with ``sandbox.clients(...)``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from s3xrep_tui.sandbox.emulator import PROFILES, Sandbox

CLI_TIMEOUT = 60.0  # seconds one aws process may take on a loaded machine


def aws_executable() -> str:
    """The ``aws`` of this interpreter's environment (what ``.[test]`` installed), else PATH's."""
    beside = Path(sys.executable).with_name("aws")
    found = str(beside) if beside.exists() else shutil.which("aws")
    if not found:
        pytest.fail("the stock AWS CLI is missing: pip install -e '.[test]' installs it")
    return found


def cli_environment(config_path: Path, home: Path) -> dict[str, str]:
    """The environment an ``aws`` process gets: the sandbox's config file and nothing of the user's AWS setup."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE=str(config_path),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "no-credentials"),
        AWS_PAGER="",
        AWS_DEFAULT_OUTPUT="json",
        AWS_MAX_ATTEMPTS="1",  # an error is the answer under test, not something to retry
        AWS_EC2_METADATA_DISABLED="true",
        HOME=str(home),
    )
    return env


@dataclass
class CliError:
    returncode: int
    stderr: str

    @property
    def code(self) -> str | None:
        """The error code the CLI printed ("... (AccessDenied) when calling ..."), if any."""
        start = self.stderr.find("(")
        end = self.stderr.find(")", start)
        return self.stderr[start + 1 : end] if start >= 0 and end > start else None


class AwsCli:
    """The stock AWS CLI with the sandbox's profiles: ``profile`` is "source" or "destination"."""

    def __init__(self, sandbox: Sandbox, home: Path) -> None:
        self.sandbox = sandbox
        self.executable = aws_executable()
        self.env = cli_environment(sandbox.config_path, home)

    def run(self, *args: str, profile: str = "source") -> subprocess.CompletedProcess[str]:
        command = [self.executable, *args, "--profile", PROFILES[profile]]
        return subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=CLI_TIMEOUT,
                              stdin=subprocess.DEVNULL)

    def __call__(self, *args: str, profile: str = "source") -> Any:
        """Run ``aws ARGS --profile ...``; the parsed JSON output (None when it printed nothing)."""
        done = self.run(*args, profile=profile)
        if done.returncode != 0:
            raise AssertionError(f"aws {' '.join(args)} exited {done.returncode}: {done.stderr.strip()}")
        return json.loads(done.stdout) if done.stdout.strip() else None

    def fails(self, *args: str, profile: str = "source") -> CliError:
        """Run a call that must fail; its exit code and error text."""
        done = self.run(*args, profile=profile)
        if done.returncode == 0:
            raise AssertionError(f"aws {' '.join(args)} succeeded, expected an error: {done.stdout.strip()[:500]}")
        return CliError(done.returncode, done.stderr)


def as_json(value: Any) -> str:
    """A CLI argument from a Python value (the CLI takes JSON for structure arguments)."""
    return json.dumps(value)


@pytest.fixture
def aws(sandbox: Sandbox, tmp_path: Path) -> AwsCli:
    home = tmp_path / "cli-home"
    home.mkdir()
    return AwsCli(sandbox, home)
