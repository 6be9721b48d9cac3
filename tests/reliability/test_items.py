"""The map of the issue's items to tests stays true: every referenced test exists, every new test is mapped."""

from __future__ import annotations

import re
from pathlib import Path

from tests.reliability.items import ITEMS

ROOT = Path(__file__).resolve().parents[2]
_DEF = re.compile(r"^(?:async )?def (test_\w+)\(", re.MULTILINE)


def test_every_referenced_test_exists() -> None:
    missing = []
    for _area, _what, tests in ITEMS:
        assert tests
        for test in tests:
            path, _, name = test.partition("::")
            file = ROOT / path
            if not file.is_file() or (name and name not in _DEF.findall(file.read_text())):
                missing.append(test)
    assert missing == []


def test_every_test_of_the_suite_is_mapped_to_an_item() -> None:
    mapped = {t for _, _, tests in ITEMS for t in tests}
    for file in (ROOT / "tests" / "reliability").glob("test_*.py"):
        if file.name == "test_items.py":
            continue
        for name in _DEF.findall(file.read_text()):
            assert f"tests/reliability/{file.name}::{name}" in mapped, name
