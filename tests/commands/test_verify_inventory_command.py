"""``s3xrep verify --inventory``: the same output shapes and exit codes as listing verify, with the reports' dates."""

from __future__ import annotations

import json
from typing import Any

from tests.aws.inventory_helpers import configure_pair, deliver_pair
from tests.commands.test_verify_command import _verify, env, pair, sandbox  # noqa: F401  (fixtures)
from tests.sandbox.helpers import Setup


def test_inventory_verify_exits_0_and_says_as_of_when(env, pair: Setup, capsys: Any) -> None:
    configure_pair(pair)
    deliver_pair(env, pair)
    code, out, err = _verify(capsys, pair, "--inventory")
    assert code == 0, err
    assert "from S3 Inventory: source as of " in out and "destination as of " in out
    assert "replication status (source)   COMPLETED 3" in out and "OK: nothing missing or mismatched." in out


def test_inventory_verify_json_and_a_missing_version_exit_1(env, pair: Setup, capsys: Any) -> None:
    configure_pair(pair)
    version = pair.s3b.list_object_versions(Bucket=pair.dst, Prefix="c/d")["Versions"][0]["VersionId"]
    pair.s3b.delete_object(Bucket=pair.dst, Key="c/d", VersionId=version)
    deliver_pair(env, pair)
    code, out, _ = _verify(capsys, pair, "--inventory", "--json")
    data = json.loads(out)
    assert code == 1 and data["ok"] is False and data["counts"]["missing"] == 1
    assert data["differences"][0]["key"] == "c/d" and data["engine"] == "inventory"
    assert data["inventory"]["source"]["bucket"] == pair.src and data["inventory"]["replication_status"] == {"COMPLETED": 3}


def test_inventory_verify_without_a_report_exits_1_in_one_line(env, pair: Setup, capsys: Any) -> None:
    code, out, err = _verify(capsys, pair, "--inventory")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "no S3 Inventory report of" in err and "fix:" in err
