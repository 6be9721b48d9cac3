"""One root for the package's own errors (issue 16): every exception class s3xrep_tui defines derives from
S3xrepError, except the few below, each with its reason."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import s3xrep_tui
from s3xrep_tui.aws.errors import AwsError, BotocoreAwsError
from s3xrep_tui.core.errors import S3xrepError

# not failures s3xrep explains: signals, and the emulated AWS's own answers
NOT_OURS = {
    "s3xrep_tui.aws.apply_result.ApplyCancelled": "the user's cancel, a signal",
    "s3xrep_tui.aws.verify.Cancelled": "the user's cancel, a signal",
    "s3xrep_tui.aws.backoff.GaveUp": "always turned into an AwsError by the caller",
    "s3xrep_tui.sandbox.batch_manifest.JobFailure": "the emulated job's failure (AWS's, not ours)",
    "s3xrep_tui.sandbox.batch_protocol.S3ControlError": "the emulated s3control's error answer",
    "s3xrep_tui.sandbox.athena_catalog.AthenaQueryError": "the emulated Athena's FAILED state (AWS's, not ours)",
    "s3xrep_tui.sandbox.inventory.InventoryError": "the emulated S3 Inventory API's error answer",
    "s3xrep_tui.aws.undo_records.Skip": "undo's control flow: always turned into that write's item status",
}


def _exception_classes() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(s3xrep_tui.__path__, "s3xrep_tui."):
        if info.name.startswith(("s3xrep_tui.tui", "s3xrep_tui.screenshots")):
            continue  # Textual's layer: its messages and screens, no errors of ours
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (inspect.isclass(value) and issubclass(value, BaseException) and value.__module__ == info.name
                    and not name.startswith("_")):
                found[f"{info.name}.{name}"] = value
    return found


def test_every_public_error_of_ours_derives_from_the_root() -> None:
    classes = _exception_classes()
    assert "s3xrep_tui.aws.errors.AwsError" in classes  # the walk found the modules
    strays = sorted(name for name, cls in classes.items() if not issubclass(cls, S3xrepError) and name not in NOT_OURS)
    assert strays == [], "derive these from s3xrep_tui.core.errors.S3xrepError (or say in NOT_OURS why not)"


def test_aws_errors_stay_catchable_as_before() -> None:
    assert issubclass(AwsError, S3xrepError)
    from botocore.exceptions import BotoCoreError

    assert issubclass(BotocoreAwsError, BotoCoreError) and issubclass(BotocoreAwsError, S3xrepError)
