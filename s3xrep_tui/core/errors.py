"""The root of the package's own errors: ``except S3xrepError`` catches every failure s3xrep names itself.

AwsError (a failed AWS call, explained), MergeError, ExportError, the journal's
and the keyring's errors all derive from it; errors of the SDK and of Python
itself do not (they are caught as what they are: ClientError, BotoCoreError, OSError).
"""

from __future__ import annotations


class S3xrepError(Exception):
    """A failure s3xrep detected and can explain."""
