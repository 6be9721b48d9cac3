"""Count the tests behind each item of the hardening issue: the README's "What we test" table.

    python tests/reliability/count.py            # print the table
    python tests/reliability/count.py --write    # refresh it in README.md (between the markers)

New tests are collected by pytest from tests/reliability/ (each parametrized case
counts, as pytest runs it); referenced tests are the existing tests items.py points
to (a whole file counts its test functions).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.reliability.items import ITEMS

START, END = "<!-- what-we-test:start -->", "<!-- what-we-test:end -->"
_TEST_DEF = re.compile(r"^(?:async )?def (test_\w+)\(", re.MULTILINE)


def collected() -> Counter[str]:
    """``path::function`` -> how many tests pytest collects for it in tests/reliability."""
    lines = subprocess.run(
        [sys.executable, "-m", "pytest", "-o", "addopts=", "-p", "no:cacheprovider", "--collect-only", "-q",
         "tests/reliability"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.splitlines()
    return Counter(line.split("[", 1)[0] for line in lines if "::" in line)


def referenced(test: str) -> int:
    path, _, name = test.partition("::")
    text = (ROOT / path).read_text()
    return 1 if name else len(_TEST_DEF.findall(text))


def rows() -> list[tuple[str, str, int, int]]:
    counts = collected()
    table = []
    for area, what, tests in ITEMS:
        new = sum(counts[t] for t in tests if t.startswith("tests/reliability/"))
        old = sum(referenced(t) for t in tests if not t.startswith("tests/reliability/"))
        table.append((area, what, new, old))
    return table


def markdown() -> str:
    table = rows()
    counts = collected()
    listed = {t for _, _, tests in ITEMS for t in tests}
    suite_total = sum(counts.values())
    per_area: Counter[str] = Counter()
    for area, _, new, _ in table:
        per_area[area] += new
    lines = [
        START,
        "## What we test",
        "",
        "The hardening suite (`tests/reliability/`: issue 7, then issue 14's trust promises and",
        "issue 17's sandbox fidelity) proves each item end to end on the embedded sandbox; where a",
        "test elsewhere (a conformance test driving the stock AWS CLI, a core or Pilot test) proves",
        "an item it is referenced, not repeated (`tests/reliability/items.py` maps every item to its",
        "tests). Counts: tests pytest runs (each parametrized case counts; a referenced file counts",
        "its test functions); refresh with `python tests/reliability/count.py --write`.",
        "",
        "| area | what | tests in the suite | tests elsewhere |",
        "|---|---|---:|---:|",
    ]
    lines += [f"| {area} | {what} | {new} | {old} |" for area, what, new, old in table]
    unlisted = sum(n for t, n in counts.items() if t not in listed)
    lines += [
        "",
        "Per area, tests in the suite: " + ", ".join(f"{area} {n}" for area, n in per_area.items())
        + f"; {unlisted} more check the map itself; {suite_total} in all.",
        END,
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    text = markdown()
    if "--write" not in argv:
        sys.stdout.write(text)
        return 0
    readme = ROOT / "README.md"
    current = readme.read_text()
    if START in current and END in current:
        before, rest = current.split(START, 1)
        after = rest.split(END, 1)[1].lstrip("\n")
        updated = before + text + (("\n" + after) if after else "")
    else:
        updated = current.rstrip("\n") + "\n\n" + text
    readme.write_text(updated)
    print(f"README.md: What we test refreshed ({readme})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
