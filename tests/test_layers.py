"""The layers point down: core is pure, aws knows nothing of Textual.

The rules are import-linter contracts in pyproject.toml (``[tool.importlinter]``):
the layer order of the package's top-level modules, and what core, aws, the
sandbox and tui must never import. ``lint-imports`` checks them; this test runs
it, so a plain ``pytest`` catches a broken layer too.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _lint_imports(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    command = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    if command is None:
        pytest.fail("lint-imports is missing: pip install -e '.[test]' installs import-linter")
    return subprocess.run([command, "--no-cache", "--no-logo", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_every_import_contract_is_kept() -> None:
    result = _lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
    assert "Layers point down KEPT" in result.stdout


def test_a_broken_contract_fails_and_names_the_import(tmp_path: Path) -> None:
    # guard against contracts that pass because they check nothing: core.models imports core.names
    config = tmp_path / "contracts.toml"
    config.write_text(
        '[tool.importlinter]\nroot_package = "s3xrep_tui"\n\n'
        '[[tool.importlinter.contracts]]\nname = "models alone"\ntype = "forbidden"\n'
        'source_modules = ["s3xrep_tui.core.models"]\nforbidden_modules = ["s3xrep_tui.core.names"]\n'
    )
    result = _lint_imports(str(config))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "models alone BROKEN" in result.stdout
    assert "s3xrep_tui.core.models -> s3xrep_tui.core.names" in result.stdout
