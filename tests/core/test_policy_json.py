"""core.policy_json: the one parse and dump of policy documents that apply, undo, inspect, repair and the sandbox share."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from s3xrep_tui.core.policy_json import dump_policy, load_policy

POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}


def test_dicts_and_none_pass_through() -> None:
    assert load_policy(POLICY) is POLICY
    assert load_policy(None) is None


@pytest.mark.parametrize("text", [dump_policy(POLICY), quote(dump_policy(POLICY)), dump_policy(POLICY).encode()])
def test_json_url_encoded_json_and_bytes_parse_alike(text: object) -> None:
    """IAM returns policy documents URL-encoded (RFC 3986); S3 and KMS return JSON text."""
    assert load_policy(text) == POLICY


def test_text_that_is_not_json_either_way_raises_value_error() -> None:
    with pytest.raises(ValueError):
        load_policy("not a policy")


def test_dump_is_compact_and_round_trips() -> None:
    text = dump_policy(POLICY)
    assert " " not in text.replace("s3:GetObject", "")
    assert load_policy(text) == POLICY
