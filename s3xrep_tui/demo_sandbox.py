"""The demo wiring: the embedded sandbox, handed to the app as its AWS.

Lives beside ``cli`` (which may import every layer) so the TUI never imports
the sandbox itself.
"""

from __future__ import annotations

from .tui.demo import DemoEnvironment

DEMO_INVENTORY_INTERVAL = 60.0
DEMO_SEED = "fleet"  # the demo world and the fleet's buckets (sandbox/seed_fleet.py), so the fleet story runs in --demo


def start_embedded_sandbox() -> DemoEnvironment:
    """Start ``s3xrep_tui.sandbox.emulator.Sandbox`` (slow: the app runs it in a worker)."""
    from .sandbox.emulator import PROFILES, SIMULATOR_NOTE, Sandbox  # heavy (moto): only for the demo

    # inventory reports every DEMO_INVENTORY_INTERVAL s (AWS: daily or weekly), so verify --inventory has one to read;
    # the fleet seed is the single-pair demo plus five acme-legacy-NAME -> acme-platform-NAME pairs (issue 20)
    sandbox = Sandbox(seed=DEMO_SEED, inventory_interval=DEMO_INVENTORY_INTERVAL).start()
    return DemoEnvironment(str(sandbox.config_path), dict(PROFILES), sandbox.stop, SIMULATOR_NOTE)
