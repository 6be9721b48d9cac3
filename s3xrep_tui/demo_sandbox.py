"""The demo wiring: the embedded sandbox, handed to the app as its AWS.

Lives beside ``cli`` (which may import every layer) so the TUI never imports
the sandbox itself.
"""

from __future__ import annotations

from .tui.demo import DemoEnvironment


def start_embedded_sandbox() -> DemoEnvironment:
    """Start ``s3xrep_tui.sandbox.emulator.Sandbox`` (slow: the app runs it in a worker)."""
    from .sandbox.emulator import PROFILES, SIMULATOR_NOTE, Sandbox  # heavy (moto): only for the demo

    sandbox = Sandbox(seed="demo").start()
    return DemoEnvironment(str(sandbox.config_path), dict(PROFILES), sandbox.stop, SIMULATOR_NOTE)
