"""The layers point down: core is pure, aws knows nothing of Textual."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "s3xrep_tui"

FORBIDDEN = {
    "core": {"boto3", "botocore", "moto", "textual", "keyring", "s3xrep_tui.storage", "s3xrep_tui.locations", "s3xrep_tui.unexpected", "s3xrep_tui.aws", "s3xrep_tui.tui", "s3xrep_tui.sandbox"},
    "aws": {"textual", "s3xrep_tui.tui"},
    "tui": {"boto3", "botocore", "moto", "s3xrep_tui.sandbox"},
    "sandbox": {"textual", "s3xrep_tui.tui"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # resolve relative imports against the module's package
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                names.add(".".join(base + ([node.module] if node.module else [])))
            elif node.module:
                names.add(node.module)
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_only_what_it_may(layer: str) -> None:
    offending = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for name in _imports(path):
            if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN[layer]):
                offending.append(f"{path.relative_to(PACKAGE.parent)} imports {name}")
    assert not offending, "\n".join(offending)


def test_the_checker_sees_relative_imports(tmp_path: Path) -> None:
    # guard against a checker that passes because it resolves nothing
    imports = _imports(PACKAGE / "core" / "models.py")
    assert "s3xrep_tui.core.names" in imports
    assert "pydantic" in imports
