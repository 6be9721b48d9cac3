"""AWS failures as one readable line (what failed, where) plus one line of fix.

``explain`` turns whatever boto3/botocore raised into an :class:`AwsError`.
Messages never carry secrets: access key ids and long token-like strings that
AWS sometimes echoes back are masked before they reach a message.
"""

from __future__ import annotations

import os
import re
from typing import Any

from botocore import exceptions as bce

from ..core.errors import S3xrepError
from ..core.text import safe

# The IAM permission behind each API operation we call (ClientError.operation_name).
PERMISSIONS: dict[str, str] = {
    "GetCallerIdentity": "sts:GetCallerIdentity",
    "HeadBucket": "s3:ListBucket",
    "GetBucketLocation": "s3:GetBucketLocation",
    "GetBucketVersioning": "s3:GetBucketVersioning",
    "GetBucketOwnershipControls": "s3:GetBucketOwnershipControls",
    "GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "GetObjectLockConfiguration": "s3:GetBucketObjectLockConfiguration",
    "GetBucketRequestPayment": "s3:GetBucketRequestPayment",
    "GetBucketReplication": "s3:GetReplicationConfiguration",
    "GetBucketPolicy": "s3:GetBucketPolicy",
    "GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "GetRole": "iam:GetRole",
    "ListRolePolicies": "iam:ListRolePolicies",
    "GetRolePolicy": "iam:GetRolePolicy",
    "DescribeKey": "kms:DescribeKey",
    "GetKeyPolicy": "kms:GetKeyPolicy",
}

# AWS asking the caller to slow down (S3's SlowDown 503, s3control's TooManyRequestsException, IAM/STS/KMS ...).
THROTTLING_CODES = frozenset(
    {"SlowDown", "Throttling", "ThrottlingException", "ThrottledException", "TooManyRequestsException",
     "TooManyRequests", "RequestLimitExceeded", "RequestThrottled", "RequestThrottledException"}
)
ACCESS_DENIED_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "403", "Forbidden", "UnauthorizedOperation", "AuthorizationError"}
)
EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"})
INVALID_KEY_CODES = frozenset(
    {"InvalidClientTokenId", "SignatureDoesNotMatch", "InvalidAccessKeyId", "UnrecognizedClientException",
     "InvalidToken", "AuthFailure"}
)

# Failures that are the caller's argument, not AWS: the README's exit code 2 (bad arguments).
BAD_ARGUMENT_CODES = frozenset({"ProfileNotFound"})

_ACCESS_KEY_RE = re.compile(r"\b(AKIA|ASIA|AIDA|AROA)[A-Z0-9]{12,}\b")
_LONG_TOKEN_RE = re.compile(r"[A-Za-z0-9+/=]{60,}")


class AwsError(S3xrepError):
    """A failure talking to AWS: ``message`` (what failed and where), ``fix``, ``code``."""

    def __init__(self, message: str, fix: str, code: str) -> None:
        # AWS's messages echo foreign keys, tags and policies: control characters shown, never obeyed
        message, fix = safe(message), safe(fix)
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.code = code

    def __str__(self) -> str:
        return self.message

    @property
    def bad_argument(self) -> bool:
        """True when the command line named something that does not exist (exit 2, not 1)."""
        return self.code in BAD_ARGUMENT_CODES

    def __repr__(self) -> str:
        return f"AwsError(code={self.code!r}, message={self.message!r}, fix={self.fix!r})"

    def within(self, where: str) -> AwsError:
        """The same error with ``where`` ("source (profile prod)") in front of the message."""
        error = AwsError(f"{where}: {self.message}", self.fix, self.code)
        error.__cause__ = self.__cause__ or self
        return error


def redact(text: str) -> str:
    """Mask access key ids and token-like strings; collapse to one line; control characters shown escaped."""
    text = _ACCESS_KEY_RE.sub(lambda m: m.group(1) + "…", text)
    text = _LONG_TOKEN_RE.sub("…", text)
    return safe(" ".join(text.split()))


def who(profile: str | None) -> str:
    """``profile 'prod'`` or ``the ambient credentials`` — for messages."""
    return f"profile {profile!r}" if profile else "the ambient credentials"


def _profile_flag(profile: str | None) -> str:
    return f" --profile {profile}" if profile else ""


def _config_file() -> str:
    return os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config"


def _client_error_fields(exc: bce.ClientError) -> tuple[str, str, int | None, dict[str, Any]]:
    response: dict[str, Any] = getattr(exc, "response", None) or {}
    error = response.get("Error") or {}
    meta = response.get("ResponseMetadata") or {}
    return str(error.get("Code") or ""), str(error.get("Message") or ""), meta.get("HTTPStatusCode"), error


def error_code(exc: BaseException) -> str:
    """The AWS error code of a ClientError ("" for anything else)."""
    if isinstance(exc, bce.ClientError):
        return _client_error_fields(exc)[0]
    return ""


_Problem = tuple[str, str, str]  # (reason, fix, code)


def _credential_problem(exc: BaseException, profile: str | None, creds: str) -> _Problem | None:
    """botocore's configuration and credential errors, and an endpoint that does not answer."""
    if isinstance(exc, bce.ProfileNotFound):
        name = exc.kwargs.get("profile") or profile or "?"
        return (
            f"profile {name!r} is not in {_config_file()}",
            f"create it with 'aws configure --profile {name}' (or 'aws configure sso'), "
            "or pick one from 'aws configure list-profiles'",
            "ProfileNotFound",
        )
    if isinstance(exc, (bce.UnauthorizedSSOTokenError, bce.SSOTokenLoadError, bce.TokenRetrievalError)):
        return (
            f"the SSO session of {creds} has expired or was never started",
            f"run 'aws sso login{_profile_flag(profile)}' and try again",
            "SSOTokenExpired",
        )
    if isinstance(exc, bce.NoCredentialsError):
        return (
            f"no AWS credentials found for {creds}",
            f"configure credentials ('aws configure{_profile_flag(profile)}' or 'aws sso login{_profile_flag(profile)}') "
            "or choose another profile",
            "NoCredentials",
        )
    if isinstance(exc, bce.PartialCredentialsError):
        return (
            f"the credentials of {creds} are incomplete (missing {exc.kwargs.get('cred_var', 'a value')})",
            f"complete them in ~/.aws/credentials or run 'aws configure{_profile_flag(profile)}'",
            "PartialCredentials",
        )
    if isinstance(exc, bce.CredentialRetrievalError):
        return (
            f"could not obtain credentials for {creds} ({exc.kwargs.get('provider', 'provider')} failed)",
            f"check the profile's credential_process / role settings in {_config_file()}",
            "CredentialRetrievalError",
        )
    if isinstance(exc, bce.NoRegionError):
        return (
            f"no region is configured for {creds}",
            f"set one: 'aws configure set region us-east-1{_profile_flag(profile)}' or AWS_DEFAULT_REGION",
            "NoRegion",
        )
    if isinstance(exc, (bce.EndpointConnectionError, bce.ConnectTimeoutError, bce.ReadTimeoutError,
                        bce.ConnectionClosedError)):
        url = exc.kwargs.get("endpoint_url", "the endpoint")
        return (
            f"the endpoint {url} does not answer ({type(exc).__name__})",
            "check the network, proxy and any endpoint_url in the profile (is the sandbox running?)",
            "EndpointUnreachable",
        )
    return None


def _client_problem(exc: bce.ClientError, profile: str | None, creds: str) -> _Problem:
    """An error AWS answered with: expired or invalid credentials, access denied, no such bucket, or any other."""
    code, message, status, fields = _client_error_fields(exc)
    operation = getattr(exc, "operation_name", "") or "the call"
    if code in EXPIRED_CODES:
        return (
            f"the credentials of {creds} have expired ({code})",
            f"refresh them ('aws sso login{_profile_flag(profile)}', a new session token, or your credential process)",
            code,
        )
    if code in INVALID_KEY_CODES:
        return (
            f"AWS rejected the credentials of {creds}: invalid or expired keys ({code})",
            f"check the access key and secret of {creds} ('aws configure{_profile_flag(profile)}') "
            "or refresh temporary credentials",
            code,
        )
    if code in ACCESS_DENIED_CODES:
        permission = PERMISSIONS.get(operation)
        needs = f" (needs {permission})" if permission else ""
        return (
            f"access denied to {operation}{needs} for {creds}",
            f"grant {permission or 'the permission'} to the identity of {creds}, or use a profile that has it",
            "AccessDenied",
        )
    if code == "NoSuchBucket":
        bucket = fields.get("BucketName")
        name = f"bucket {bucket!r}" if bucket else "the bucket"
        return (
            f"{name} does not exist ({operation})",
            "check the bucket name (and that the profile belongs to the account that owns it)",
            "NoSuchBucket",
        )
    detail = f": {message}" if message else ""
    return (
        f"{operation} failed with {code or status or 'an error'}{detail}",
        "see the AWS error above; retry, or check the request and the identity's permissions",
        code or str(status or "ClientError"),
    )


def explain(exc: BaseException, *, profile: str | None = None, what: str = "") -> AwsError:
    """Turn an exception from boto3/botocore into an :class:`AwsError`.

    ``what`` names the operation and its target ("s3.get_bucket_versioning on
    bucket 'x'"); ``profile`` is the profile whose credentials made the call
    (``None`` for the ambient chain).
    """
    if isinstance(exc, AwsError):
        return exc
    prefix = f"{what}: " if what else ""
    creds = who(profile)

    def error(reason: str, fix: str, code: str) -> AwsError:
        result = AwsError(redact(prefix + reason), redact(fix), code)
        result.__cause__ = exc
        return result

    problem = _credential_problem(exc, profile, creds)
    if problem is None and isinstance(exc, bce.ClientError):
        problem = _client_problem(exc, profile, creds)
    if problem is not None:
        return error(*problem)
    if isinstance(exc, bce.BotoCoreError):
        return error(f"{type(exc).__name__}: {exc}", "check the AWS configuration and try again", type(exc).__name__)
    if isinstance(exc, OSError):  # a local file in the way (a directory where the journal is), not a bug
        where = f"{os.fsdecode(exc.filename)}: " if exc.filename and exc.strerror else ""
        return error(safe(f"{where}{exc.strerror or exc}"),
                     "move what is in the way (or fix its permissions) and retry", "LocalFileError")
    return error(f"{type(exc).__name__}: {exc}", "this looks like a bug in s3xrep; please report it", type(exc).__name__)


class BotocoreAwsError(AwsError, bce.BotoCoreError):
    """An AwsError raised from inside botocore (an event handler, a credential provider).

    Also a BotoCoreError, so code that wraps a call in ``except (ClientError,
    BotoCoreError)`` handles it like any failed call; :func:`explain` passes it on as is.
    """

    def __init__(self, message: str, fix: str, code: str) -> None:
        Exception.__init__(self, message)
        self.message, self.fix, self.code, self.kwargs = message, fix, code, {}


class ReadOnlyRefused(BotocoreAwsError):
    """A write refused before it was sent: the clients are read-only (``code`` "ReadOnly")."""

    def __init__(self, service: str, operation: str) -> None:
        super().__init__(f"read-only: refused {service}:{operation}",
                         "run without --read-only (or turn read-only off in the app) to write", "ReadOnly")
        self.service, self.operation = service, operation


class EndpointTimeout(BotocoreAwsError):
    """A call that got no answer within its bound (``code`` "EndpointUnreachable": transient)."""
