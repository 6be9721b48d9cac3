"""The configuration the sandbox prints is enough for the stock AWS CLI and plain boto3."""

from __future__ import annotations

import subprocess
import sys

from s3xrep_tui.sandbox.emulator import PROFILES, SOURCE_ACCOUNT


def test_stock_cli_reaches_s3control_with_the_printed_config(aws, sandbox):
    """botocore prefixes every s3control host with the account id ("S3 Control endpoints",
    Amazon S3 API Reference, https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_AWS_S3_Control.html):
    the printed config must still reach the sandbox, for s3api and s3control alike."""
    assert aws("s3control", "list-jobs", "--account-id", SOURCE_ACCOUNT) == {"Jobs": []}
    assert aws("s3api", "list-buckets", profile="destination")["Buckets"] == []


def test_plain_boto3_reaches_s3control_with_the_printed_config(aws):
    """A plain boto3 script (no endpoint or Config of its own) lists jobs with the printed profile."""
    script = ("import boto3; s = boto3.Session(profile_name=%r);"
              "print(len(s.client('s3control').list_jobs(AccountId=%r)['Jobs']))") % (PROFILES["source"], SOURCE_ACCOUNT)
    done = subprocess.run([sys.executable, "-c", script], env=aws.env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0"
