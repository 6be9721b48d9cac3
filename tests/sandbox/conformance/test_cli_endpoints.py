"""The configuration the sandbox prints is enough for the stock AWS CLI and plain boto3."""

from __future__ import annotations

import subprocess
import sys

from s3xrep_tui.sandbox.emulator import PROFILES, SOURCE_ACCOUNT


def test_stock_cli_reaches_s3control_with_the_printed_config(aws, sandbox):
    """Service-specific endpoints (AWS SDKs and Tools Reference Guide,
    https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html): a ``services`` section
    of the shared config file sets one service's endpoint, overriding the profile's ``endpoint_url``.
    The s3control one keeps the account id SDKs put in front of S3 Control hosts
    ({AccountId}.s3-control..., ListJobs, https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_ListJobs.html)
    out of the host name, so the stock CLI reaches the sandbox for s3control and s3api alike."""
    assert aws("s3control", "list-jobs", "--account-id", SOURCE_ACCOUNT) == {"Jobs": []}
    assert aws("s3api", "list-buckets", profile="destination")["Buckets"] == []


def test_plain_boto3_reaches_s3control_with_the_printed_config(aws):
    """A plain boto3 script (no endpoint or Config of its own) lists jobs with the printed profile."""
    script = ("import boto3; s = boto3.Session(profile_name=%r);"
              "print(len(s.client('s3control').list_jobs(AccountId=%r)['Jobs']))") % (PROFILES["source"], SOURCE_ACCOUNT)
    done = subprocess.run([sys.executable, "-c", script], env=aws.env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0"
