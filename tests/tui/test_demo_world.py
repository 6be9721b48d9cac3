"""What ``s3xrep --demo`` starts: the single-pair demo's buckets as they were, and the fleet's five pairs on top
(issue 20: the fleet story runs in the demo), so ``m`` and the map ``acme-legacy-*=acme-platform-*`` find them."""

from __future__ import annotations

from pathlib import Path

import pytest

from s3xrep_tui.aws.clients import clients_for
from s3xrep_tui.demo_sandbox import start_embedded_sandbox
from s3xrep_tui.sandbox.seed import DEST_MEDIA, DEST_REPORTS, MEDIA, SOURCE_REPORTS
from s3xrep_tui.sandbox.seed_fleet import FLEET


def test_the_demo_holds_the_single_pair_story_and_the_fleet(aws_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    environment = start_embedded_sandbox()
    try:
        monkeypatch.setenv("AWS_CONFIG_FILE", environment.config_path)

        def names(side: str) -> set[str]:
            s3 = clients_for(environment.profiles[side])("s3")
            return {b["Name"] for b in s3.list_buckets()["Buckets"]}

        source, destination = names("source"), names("destination")
        assert {MEDIA, SOURCE_REPORTS, "acme-legacy-archive", "acme-legacy-secure", "acme-legacy-records"} <= source
        assert {DEST_MEDIA, DEST_REPORTS} <= destination
        assert {f"acme-legacy-{n}" for n in FLEET} <= source and {f"acme-platform-{n}" for n in FLEET} <= destination
        assert len(source) == 10 and len(destination) == 7  # nothing else: the demo's pictures list these
    finally:
        environment.stop()
