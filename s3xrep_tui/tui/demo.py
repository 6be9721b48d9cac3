"""The demo's AWS: the embedded sandbox, as the app needs to know it.

The app only needs a config file holding two profiles and a way to stop the
sandbox at exit, so it takes any ``StartSandbox`` callable (the tests pass a
bare moto server).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path


def _nothing() -> None:
    return None


@dataclass(frozen=True)
class DemoEnvironment:
    """A running sandbox: its AWS config file and which profile plays which part."""

    config_path: str
    profiles: Mapping[str, str]  # {"source": profile name, "destination": profile name}
    stop: Callable[[], None] = field(default=_nothing, compare=False)
    note: str = "A simulated AWS on this machine: nothing here touches real accounts."


StartSandbox = Callable[[], DemoEnvironment]


DEMO_DIR = "demo"


def demo_data_dir(base: Path) -> Path:
    """Where ``--demo`` keeps its journals: ``base/demo`` (demo plans never mix with real ones), not nested twice."""
    return base if base.name == DEMO_DIR else base / DEMO_DIR
