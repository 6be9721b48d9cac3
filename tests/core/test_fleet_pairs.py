"""Pairs files (TOML, CSV) and --map: every bad input named by line and field, with the fix (issue 20)."""

from __future__ import annotations

import pytest

from s3xrep_tui.core.fleet_pairs import PairsError, expand_map, parse_map, parse_pairs

TOML = '''
migration = "acme move"

[defaults]
delete_markers = true

[[pair]]
source = "legacy:acme-legacy-orders"
destination = "platform:acme-platform-orders"

[[pair]]
source = "legacy:acme-legacy-logs"
destination = "platform:acme-platform-logs"
prefix = "2024/"
delete_markers = false
'''


def test_toml_pairs_with_shared_options_and_per_pair_overrides() -> None:
    parsed = parse_pairs(TOML, "pairs.toml")
    assert parsed.migration == "acme move"
    assert parsed.defaults == {"delete_markers": True}
    first, second = parsed.pairs
    assert (first.source_profile, first.source_bucket, first.destination_bucket) == (
        "legacy", "acme-legacy-orders", "acme-platform-orders")
    assert second.overrides == {"prefix": "2024/", "delete_markers": False}
    assert second.line == 11


def test_csv_pairs_with_option_columns() -> None:
    text = "source,destination,prefix,rtc\nlegacy:a-1,platform:b-1,,\n# a comment\nlegacy:a-2,platform:b-2,x/,yes\n"
    parsed = parse_pairs(text, "pairs.csv")
    assert [p.overrides for p in parsed.pairs] == [{}, {"prefix": "x/", "rtc": True}]
    assert parsed.pairs[1].line == 4


@pytest.mark.parametrize(("text", "name", "words"), [
    ('[[pair]]\nsource = "a:b"\n', "p.toml", ["line 1", "no destination", 'destination = "PROFILE:BUCKET"']),
    ('[[pair]]\nsource = "a:b"\ndestination = "c:d"\nprefx = "x"\n', "p.toml", ["line 1", "unknown option 'prefx'",
                                                                               "prefix"]),
    ('[[pair]]\nsource = "a:b"\ndestination = "c:d"\nrtc = "maybe"\n', "p.toml", ["field rtc", "true or false"]),
    ('[[pair]]\nsource = "nocolon"\ndestination = "c:d"\n', "p.toml", ["field source", "PROFILE:BUCKET"]),
    ("[[pair]\n", "p.toml", ["not valid TOML"]),
    ("src,dst\n", "p.csv", ["line 1", "source,destination"]),
    ("source,destination,colour\n", "p.csv", ["line 1", "unknown option 'colour'"]),
    ("source,destination\na:b,c:d,e\n", "p.csv", ["line 2", "quote"]),
    ("source,destination\na:b,c:d\nx:y\n", "p.csv", ["line 3", "no destination"]),
    ("source,destination,priority\na:b,c:d,high\n", "p.csv", ["line 2", "field priority", "whole number"]),
])
def test_bad_pairs_files_name_the_line_field_and_fix(text: str, name: str, words: list[str]) -> None:
    with pytest.raises(PairsError) as caught:
        parse_pairs(text, name)
    for word in words:
        assert word in str(caught.value)


def test_map_matched_against_the_listed_buckets() -> None:
    mapping = parse_map("legacy:acme-legacy-*=platform:acme-platform-*")
    result = expand_map(mapping, ["acme-legacy-orders", "acme-legacy-logs", "other"],
                        ["acme-platform-orders", "acme-platform-media"])
    assert [(p.source_profile, p.source_bucket, p.destination_bucket) for p in result.pairs] == [
        ("legacy", "acme-legacy-orders", "acme-platform-orders")]
    assert result.missing == (("acme-legacy-logs", "acme-platform-logs"),)


@pytest.mark.parametrize("text", ["nothing", "a*=b", "=b*", "a-*-*=b-*"])
def test_bad_maps_say_the_form(text: str) -> None:
    with pytest.raises(PairsError, match="--map"):
        parse_map(text)
