"""``s3xrep verify --engine athena``: listing verify's output shapes and exit codes, from Athena, with what
it scanned and the projection at a billion versions; read-only refused with exit 1 in one line."""

from __future__ import annotations

import json
from typing import Any

from s3xrep_tui.cli import main
from tests.aws.inventory_helpers import configure_pair, deliver_pair
from tests.commands.test_verify_command import _verify, env, pair, sandbox  # noqa: F401  (fixtures)
from tests.sandbox.helpers import Setup


def test_athena_verify_exits_0_and_shows_the_scan_and_the_projection(env, pair: Setup, capsys: Any) -> None:
    configure_pair(pair)
    deliver_pair(env, pair)
    code, out, err = _verify(capsys, pair, "--engine", "athena", "--athena-timeout", "60")
    assert code == 0, err
    assert "from S3 Inventory: source as of " in out and "in Athena (workgroup s3xrep-verify-" in out
    assert "1 query, " in out and "projected at 1,000,000,000 versions a side" in out
    assert "OK: nothing missing or mismatched." in out
    assert "measured on 3 versions: an upper bound" in out  # a tiny report's size is mostly Parquet overhead


def test_athena_verify_json_and_a_missing_version_exit_1(env, pair: Setup, capsys: Any) -> None:
    configure_pair(pair)
    version = pair.s3b.list_object_versions(Bucket=pair.dst, Prefix="c/d")["Versions"][0]["VersionId"]
    pair.s3b.delete_object(Bucket=pair.dst, Key="c/d", VersionId=version)
    deliver_pair(env, pair)
    code, out, _ = _verify(capsys, pair, "--engine", "athena", "--json")
    data = json.loads(out)
    assert code == 1 and data["ok"] is False and data["counts"]["missing"] == 1
    assert data["engine"] == "athena" and data["differences"][0]["key"] == "c/d"
    assert data["athena"]["projected_billion"]["cost_usd"] > 0 and data["athena"]["data_scanned_bytes"] > 0


def test_athena_verify_read_only_is_refused_in_one_line(env, pair: Setup, capsys: Any) -> None:
    configure_pair(pair)
    deliver_pair(env, pair)
    code = main(["--read-only", "verify", "--source", f"s3xrep-demo-source:{pair.src}",
                 "--dest", f"s3xrep-demo-destination:{pair.dst}", "--engine", "athena"])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "read-only mode: verify --engine athena writes" in err and "--engine duckdb" in err


def test_a_bad_athena_timeout_is_exit_2(env, pair: Setup, capsys: Any) -> None:
    try:
        code, _, err = _verify(capsys, pair, "--engine", "athena", "--athena-timeout", "0")
    except SystemExit as exit_:
        code, err = int(exit_.code or 0), capsys.readouterr().err
    assert code == 2 and "--athena-timeout must be more than 0" in err
