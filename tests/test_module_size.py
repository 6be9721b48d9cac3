"""No module in s3xrep_tui over 600 lines, no function over 80 (issue 16): small modules named for what they hold."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "s3xrep_tui"
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _name(path: Path) -> str:
    return path.relative_to(PACKAGE.parent).as_posix()


def long_modules() -> list[str]:
    found = []
    for path in _modules():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES:
            found.append(f"{_name(path)}: {lines} lines")
    return found


def functions_over(source: str, name: str, limit: int = MAX_FUNCTION_LINES) -> list[str]:
    """``name:line function: N lines`` for each function (methods and nested ones too) longer than ``limit``."""
    found = []
    for node in ast.walk(ast.parse(source, filename=name)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            lines = (node.end_lineno or node.lineno) - start + 1
            if lines > limit:
                found.append(f"{name}:{node.lineno} {node.name}: {lines} lines")
    return found


def long_functions() -> list[str]:
    return [hit for path in _modules() for hit in functions_over(path.read_text(encoding="utf-8"), _name(path))]


def test_no_module_over_600_lines() -> None:
    assert long_modules() == [], f"split these modules (at most {MAX_MODULE_LINES} lines each)"


def test_no_function_over_80_lines() -> None:
    assert long_functions() == [], f"split these functions (at most {MAX_FUNCTION_LINES} lines each)"


def test_the_check_names_a_long_method_and_not_a_short_one() -> None:
    """The measure itself (so an empty answer means something): 81 lines are found, 80 are not."""
    def source(lines: int) -> str:
        body = "\n".join(f"        x{i} = {i}" for i in range(lines - 1))
        return f"class C:\n    @staticmethod\n    def f():\n{body}\n"

    assert functions_over(source(80), "m.py") == ["m.py:3 f: 81 lines"]  # the decorator's line counts
    assert functions_over(source(79), "m.py") == []
