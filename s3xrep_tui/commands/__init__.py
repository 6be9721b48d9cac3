"""Headless command implementations, imported lazily by ``s3xrep_tui.cli``."""
