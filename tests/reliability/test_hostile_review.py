"""A hostile review of issue 14's promises on the merged main, end to end through the CLI on the sandbox.

Each test is a break found by trying the promise as a hostile user (or a hostile
other user of the machine) would; see each docstring for what it was.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from s3xrep_tui.cli import main
from s3xrep_tui.sandbox.emulator import Sandbox
from tests.apply_world import World

from .conftest import DST_PROFILE, SRC_PROFILE, state

OTHER_UID = 4242  # another user of the machine (the tests run as root, who may chown a link to anyone)


def _both(w: World) -> list[str]:
    return ["--source", f"{SRC_PROFILE}:{w.src}", "--dest", f"{DST_PROFILE}:{w.dst}"]


def _plant(link: Path, target: Path) -> None:
    """A link at ``link`` to ``target``, made by another user."""
    link.symlink_to(target, target_is_directory=True)
    os.lchown(link, OTHER_UID, OTHER_UID)


@pytest.mark.skipif(os.geteuid() != 0, reason="planting another user's link needs root")
def test_plan_out_below_a_link_another_user_planted_writes_nothing_there(
    world: Callable[[str], World], cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``plan --out SHARED/reports/out``, where another user made ``SHARED/reports`` a link to a
    victim's folder: only the last component was checked, so the documents replaced the victim's
    files of the same names (a regular file at the name is replaced by the rename)."""
    w = world("hostile-out-parent")
    first = tmp_path / "first"
    assert main(["plan", *_both(w), "--report-bucket", w.report, "--out", str(first)]) == 0
    names = sorted(p.name for p in first.iterdir())
    capsys.readouterr()
    victim = tmp_path / "victim"
    (victim / "out").mkdir(parents=True)
    for name in names:
        (victim / "out" / name).write_text("the victim's own file\n")
    shared = tmp_path / "shared"
    shared.mkdir()
    _plant(shared / "reports", victim)
    for out in (shared / "reports" / "out", shared / "reports" / "new"):
        code = main(["plan", *_both(w), "--report-bucket", w.report, "--out", str(out)])
        err = capsys.readouterr().err
        assert code == 1, (out, err)
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
        assert "another user" in err and str(shared / "reports") in err, err
    assert sorted(p.name for p in victim.iterdir()) == ["out"]
    for name in names:
        assert (victim / "out" / name).read_text() == "the victim's own file\n", name


def test_every_command_with_a_directory_where_the_journal_is(
    world: Callable[[str], World], sandbox: Sandbox, cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A directory in place of a plan's journal (chmod 000 means nothing to root): undo said what
    was in the way, but apply and repair called it "a bug in s3xrep; please report it". Every
    command names the path and the fix, writes nothing, and shows no traceback."""
    w = world("hostile-journal-dir")
    assert main(["apply", *_both(w), "--report-bucket", w.report, "--yes", "--iam-wait", "0.1"]) == 0
    out, _ = capsys.readouterr()
    plan_id = next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("Plan id: "))
    journal = cli_env / "journal" / f"{plan_id}.jsonl"
    assert journal.is_file()
    journal.unlink()
    journal.mkdir()
    before = state(sandbox)
    for argv in (["undo", plan_id, "--yes"], ["undo", plan_id, "--dry-run"], ["report", plan_id],
                 ["apply", *_both(w), "--report-bucket", w.report, "--yes", "--iam-wait", "0.1"],
                 ["repair", *_both(w), "--report-bucket", w.report, "--yes", "--wait", "5"]):
        code = main(argv)
        out, err = capsys.readouterr()
        assert code == 1, (argv, out, err)
        assert "Traceback" not in out + err and len(err.strip().splitlines()) == 1, (argv, err)
        assert str(journal) in err and "bug" not in err, (argv, err)
    assert main(["verify", *_both(w)]) == 0  # reads no journal
    capsys.readouterr()
    assert state(sandbox) == before


def test_repair_read_only_writes_nothing_when_versions_are_missing(
    world: Callable[[str], World], sandbox: Sandbox, cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``repair`` (new) would put a manifest and create a Batch job: read-only, by either flag, it sends neither."""
    w = world("hostile-repair-ro")
    # no backfill: the objects already there stay NONE, missing on the destination
    assert main(["apply", *_both(w), "--no-existing", "--yes", "--iam-wait", "0.1"]) == 0
    out, _ = capsys.readouterr()
    plan_id = next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("Plan id: "))
    before = state(sandbox)
    for argv in (["--read-only", "repair", *_both(w), "--plan", plan_id, "--report-bucket", w.report, "--yes", "--wait", "5"],
                 ["repair", *_both(w), "--plan", plan_id, "--report-bucket", w.report, "--yes", "--wait", "5", "--read-only"]):
        code = main(argv)
        out, err = capsys.readouterr()
        assert code != 0 and "Traceback" not in out + err, (argv, out, err)
        assert "verify found 3 version(s) missing" in out, (argv, out, err)  # a preview: the job it would create
    assert state(sandbox) == before


HOSTILE_KEY = "evil/\x1b]0;pwned\x07\x1b[2J[bold]x[/bold]\u202e.txt"


@pytest.mark.parametrize("extra", [["--dry-run"], ["--json", "--dry-run"], ["--yes", "--wait", "30"]])
def test_repair_with_a_hostile_key_prints_no_control_character(
    extra: list[str], world: Callable[[str], World], sandbox: Sandbox, cli_env: Path,
    capsys: pytest.CaptureFixture[str]
) -> None:
    """A key holding an OSC title sequence, a screen clear, Rich markup and a bidi override, missing
    on the destination: whatever repair prints (its list, its preview, its manifest) escapes it."""
    w = world(f"hostile-repair-key-{len(extra)}")
    w.s3a().put_object(Bucket=w.src, Key=HOSTILE_KEY, Body=b"x")
    assert main(["apply", *_both(w), "--no-existing", "--yes", "--iam-wait", "0.1"]) == 0
    out, _ = capsys.readouterr()
    plan_id = next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("Plan id: "))
    code = main(["repair", *_both(w), "--plan", plan_id, "--report-bucket", w.report, *extra])
    out, err = capsys.readouterr()
    assert code in (0, 1) and "Traceback" not in out + err, (code, out, err)
    for bad in ("\x1b", "\x07", "\u202e"):
        assert bad not in out + err, (bad, out, err)


@pytest.mark.skipif(os.geteuid() != 0, reason="planting another user's link needs root")
def test_the_preview_screens_export_below_a_link_another_user_planted_writes_nothing_there(
    world: Callable[[str], World], cli_env: Path, tmp_path: Path
) -> None:
    """The plan preview's ``e`` (export) resolved the folder the user typed before checking it, so
    every link on the way, another user's included, was followed unseen: the documents replaced the
    victim's files and the victim's folder was made 0700. The export is refused, naming the link."""
    from s3xrep_tui.locations import UnsafeLocation
    from s3xrep_tui.tui.screens.preview import export_documents

    w = world("hostile-export-parent")
    plan = w.plan()
    victim = tmp_path / "victim"
    (victim / "out").mkdir(parents=True)
    (victim / "out").chmod(0o755)
    (victim / "out" / "plan.json").write_text("the victim's own file\n")
    shared = tmp_path / "shared"
    shared.mkdir()
    _plant(shared / "reports", victim)
    with pytest.raises(UnsafeLocation, match="another user"):
        export_documents(plan, shared / "reports" / "out")
    assert sorted(p.name for p in (victim / "out").iterdir()) == ["plan.json"]
    assert (victim / "out" / "plan.json").read_text() == "the victim's own file\n"
    assert (victim / "out").stat().st_mode & 0o777 == 0o755
    # the user's own folder, reached through their own link, still works
    mine = tmp_path / "mine"
    mine.mkdir()
    (tmp_path / "my-link").symlink_to(mine, target_is_directory=True)
    written = export_documents(plan, tmp_path / "my-link" / "out")
    assert written and all((mine / "out" / p.name).is_file() for p in written)


@pytest.mark.skipif(os.geteuid() != 0, reason="planting another user's link needs root")
def test_report_out_below_a_link_another_user_planted_is_refused(
    world: Callable[[str], World], cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``report --out SHARED/reports/notes/report.md``: the same planted link higher up, another writer."""
    w = world("hostile-report-parent")
    assert main(["apply", *_both(w), "--report-bucket", w.report, "--yes", "--iam-wait", "0.1"]) == 0
    out, _ = capsys.readouterr()
    plan_id = next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("Plan id: "))
    victim = tmp_path / "victim"
    (victim / "notes").mkdir(parents=True)
    (victim / "notes" / "report.md").write_text("the victim's own file\n")
    shared = tmp_path / "shared"
    shared.mkdir()
    _plant(shared / "reports", victim)
    code = main(["report", plan_id, "--out", str(shared / "reports" / "notes" / "report.md")])
    out, err = capsys.readouterr()
    assert code != 0 and "Traceback" not in out + err and "another user" in err, (code, out, err)
    assert (victim / "notes" / "report.md").read_text() == "the victim's own file\n"
    assert sorted(p.name for p in (victim / "notes").iterdir()) == ["report.md"]


def test_a_foreign_deny_in_our_sid_family_naming_our_role_is_never_removed(
    world: Callable[[str], World], sandbox: Sandbox, cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A co-admin guards a prefix with a Deny on our replication role, its Sid in our family (copied
    from ours, say). A statement is ours when its Sid is in our family and its principal is our role,
    so apply removed the Deny as one of ours "no longer wanted": the guarded keys would replicate.
    Every statement we write is an Allow: a Deny there is proven foreign, and the plan refuses it."""
    import json

    from s3xrep_tui.core.names import sid_family
    from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A

    w = world("hostile-deny-in-family")
    family = sid_family(A, w.src, w.dst)
    assert main(["plan", *_both(w), "--report-bucket", w.report, "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    ours = [s for s in plan["documents"]["destination_bucket_policy"]["Statement"] if s["Sid"].startswith(family)]
    assert ours
    guard = {"Sid": f"{family}GuardSecrets", "Effect": "Deny", "Principal": ours[0]["Principal"],
             "Action": ["s3:ReplicateObject", "s3:ReplicateDelete"], "Resource": f"arn:aws:s3:::{w.dst}/secrets/*"}
    policy = json.loads(w.original_policy)
    policy["Statement"].append(guard)
    w.s3b().put_bucket_policy(Bucket=w.dst, Policy=json.dumps(policy))
    before = state(sandbox)
    code = main(["apply", *_both(w), "--report-bucket", w.report, "--yes", "--iam-wait", "0.1"])
    out, err = capsys.readouterr()
    after = json.loads(w.s3b().get_bucket_policy(Bucket=w.dst)["Policy"])
    assert guard in after["Statement"], (code, out, err)
    assert code == 3 and state(sandbox) == before, (code, out, err)
    assert "GuardSecrets" in out + err, (out, err)


def test_a_foreign_role_with_our_name_and_hostile_text_is_named_escaped(
    world: Callable[[str], World], sandbox: Sandbox, cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A role with our default name, trusted by a service whose name is an escape sequence (inside the
    JSON of its trust policy), with a description and tag of markup and a bidi override: the plan's
    finding names it, escaped."""
    import json

    w = world("hostile-role-text")
    evil = "\x1b]0;pwned\x07\x1b[2J[red]x[/red]\u202e"
    iam = w.iam()
    name = f"s3xrep-repl-{w.src}"
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"Service": f"ec2{evil}.amazonaws.com"}}]}
    shown = "[red]x[/red]\u202e"  # XML carries no control character: IAM's answers cannot hold them
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust), Description=f"d{shown}",
                    Tags=[{"Key": "owner", "Value": f"v{shown}"}])
    for argv in (["plan", *_both(w), "--report-bucket", w.report],
                 ["plan", *_both(w), "--report-bucket", w.report, "--json"],
                 ["apply", *_both(w), "--report-bucket", w.report, "--yes", "--iam-wait", "0.1"]):
        code = main(argv)
        out, err = capsys.readouterr()
        assert code == 3 and name in out + err and "pwned" in out + err, (argv, code, out, err)
        for bad in ("\x1b", "\x07", "\u202e"):
            assert bad not in out + err, (argv, bad, out, err)


def test_undo_after_adopt_keeps_a_trust_policy_changed_since_apply(
    world: Callable[[str], World], sandbox: Sandbox, cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--adopt`` journals the foreign role and rewrites its trust; someone edits the trust again
    after apply. Undo must not put the old trust back over their edit, and must say so (exit 1)."""
    import json

    w = world("hostile-adopt-then-edit")
    iam = w.iam()
    name = f"s3xrep-repl-{w.src}"
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"Service": "ec2.amazonaws.com"}}]}
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
    managed = iam.create_policy(PolicyName=f"team-{w.src}", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]
    }))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=name, PolicyArn=managed)
    assert main(["apply", *_both(w), "--report-bucket", w.report, "--yes", "--iam-wait", "0.1", "--adopt"]) == 0
    out, _ = capsys.readouterr()
    plan_id = next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("Plan id: "))
    edited = json.loads(json.dumps(iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]))
    edited["Statement"].append({"Effect": "Allow", "Action": "sts:AssumeRole",
                                "Principal": {"Service": "lambda.amazonaws.com"}})
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(edited))
    code = main(["undo", plan_id, "--yes"])
    out, err = capsys.readouterr()
    assert code == 1 and "Traceback" not in out + err, (code, out, err)
    now = iam.get_role(RoleName=name)["Role"]
    assert now["AssumeRolePolicyDocument"] == edited, (out, err)
    attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [managed]


LIMITS = {
    "tag key of 129": (["--tag", "k" * 129 + "=v"], "at most 128"),
    "tag value of 257": (["--tag", "k=" + "v" * 257], "at most 256"),
    "11 tags": ([x for i in range(11) for x in ("--tag", f"k{i}=v")], "at most 10 tags"),
    "report prefix of 513": (["--report-prefix", "r" * 513], "at most 512"),
    "control character in the rule ID": (["--rule-id", "ours\x1b[2J"], "control character"),
    "control character in the prefix": (["--prefix", "logs/\x01"], "control character"),
}


@pytest.mark.parametrize("case", list(LIMITS))
def test_s3_limits_the_options_missed_are_refused_before_any_write(
    case: str, world: Callable[[str], World], sandbox: Sandbox, cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """S3's object tag limits (10 tags, keys 128, values 256 characters), a Batch report prefix's 512
    (the s3control model), and the control characters S3's XML cannot carry: each was accepted, and
    a control character in the rule ID failed at PutBucketReplication after seven writes."""
    argv, said = LIMITS[case]
    w = world(f"hostile-limit-{list(LIMITS).index(case)}")
    before = state(sandbox)
    code = main(["apply", *_both(w), "--report-bucket", w.report, "--yes", "--iam-wait", "0.1", *argv])
    out, err = capsys.readouterr()
    assert code == 2 and said in err and len(err.strip().splitlines()) == 1, (code, out, err)
    assert "\x1b" not in err
    assert state(sandbox) == before


def test_read_only_dry_runs_read_and_succeed(
    world: Callable[[str], World], sandbox: Sandbox, cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Read-only refuses writes, not the dry runs that only read: undo's and repair's still work."""
    w = world("hostile-ro-dry")
    assert main(["apply", *_both(w), "--no-existing", "--yes", "--iam-wait", "0.1"]) == 0
    out, _ = capsys.readouterr()
    plan_id = next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("Plan id: "))
    before = state(sandbox)
    code = main(["--read-only", "undo", plan_id, "--dry-run"])
    out, err = capsys.readouterr()
    assert code == 0 and "read-only" not in err, (code, out, err)
    code = main(["--read-only", "repair", *_both(w), "--plan", plan_id, "--dry-run"])
    out, err = capsys.readouterr()
    assert code == 0 and "missing" in out and not err, (code, out, err)  # a dry run that ran is a success
    assert state(sandbox) == before


def test_repair_after_apply_no_existing_writes_nothing_when_the_batch_role_is_missing(
    world: Callable[[str], World], sandbox: Sandbox, cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``apply --no-existing`` creates no Batch role; ``repair`` put its manifest, then failed at
    PutRolePolicy (NoSuchEntity), every run again: it can never converge. It stops before its first
    write, naming the role and the fix."""
    w = world("hostile-repair-no-role")
    assert main(["apply", *_both(w), "--no-existing", "--yes", "--iam-wait", "0.1"]) == 0
    out, _ = capsys.readouterr()
    plan_id = next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("Plan id: "))
    before = state(sandbox)
    code = main(["repair", *_both(w), "--plan", plan_id, "--report-bucket", w.report, "--yes", "--wait", "5"])
    out, err = capsys.readouterr()
    assert code == 1 and "Traceback" not in out + err, (code, out, err)
    assert f"s3xrep-batch-{w.src}" in err and "does not exist" in err and "put_object" not in out, (out, err)
    assert state(sandbox) == before
