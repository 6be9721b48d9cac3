"""Credentials held for the run: sessions for any identity, MFA codes, and the log guard.

Identities
    ``None`` (the ambient chain), a profile name, or ``"keyring:NAME"`` (keys the
    user added in the app, see :mod:`keyring_store`). :func:`session_for` turns
    any of them into a boto3 session (plus the endpoint a keyring entry names).

MFA
    An assume-role profile with ``mfa_serial`` needs the device's current code.
    botocore would ask with ``getpass`` on the terminal, which corrupts a TUI and
    hangs a worker; instead every session we open asks, in order:

    1. a code the caller registered with :func:`set_mfa_code` (used once),
    2. the ``mfa_code_provider`` passed to ``clients_for`` / ``resolve_identity``,
    3. the process's provider (:func:`set_mfa_code_provider`; headless commands
       install :func:`terminal_mfa_code_provider`),

    and otherwise fails with :class:`AwsError` code ``MfaRequired``. A provider is
    ``provider(profile, mfa_serial) -> code``. The assumed-role credentials go to
    one in-memory cache shared by every session of the run (botocore's own
    AssumeRole cache, a dict: never a file), so the code is asked once and later
    ``clients_for(profile)`` calls reuse the role until it is 15 minutes from
    expiry (one hour by default), when a new code is needed.

Secrets in logs
    botocore logs request headers, bodies and AssumeRole responses at DEBUG
    (session tokens, secret keys, MFA codes). Importing this module installs a
    log-record factory that masks the secrets we know of (every secret and token
    loaded from the keyring, every MFA code given) and the shapes botocore uses
    (``X-Amz-Security-Token``, ``<SecretAccessKey>``, ``TokenCode=``…) in every
    record's message and traceback, whatever handler writes it.
"""

from __future__ import annotations

import getpass
import logging
import re
import sys
import threading
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .errors import AwsError, BotocoreAwsError
from .secret_mask import remember_secret, scrub

if TYPE_CHECKING:
    import boto3  # imported by session_for: the accounts screen imports this module before its first paint

log = logging.getLogger(__name__)

MfaCodeProvider = Callable[[str, str], str]  # (profile label, mfa_serial) -> the device's current code

_MFA_CODE_RE = re.compile(r"^\d{6}$")
_PROMPT_SERIAL_RE = re.compile(r"for (\S+?):?\s*$")

_lock = threading.Lock()
_pending_codes: dict[str, str] = {}
_process_provider: MfaCodeProvider | None = None
# botocore's AssumeRole cache (key: hash of role ARN, MFA serial, …; value: the
# AssumeRole response). Shared by every session we open; memory only.
_role_cache: dict[str, Any] = {}


# --- MFA ---------------------------------------------------------------------------


def _label(profile: str | None) -> str:
    return profile or "(ambient)"


def _check_code(code: str) -> str:
    code = (code or "").strip()
    if not _MFA_CODE_RE.match(code):
        raise AwsError("an MFA code is the 6 digits the device shows now", "type the current code from the MFA device",
                       "InvalidMfaCode")
    remember_secret(code)
    return code


def set_mfa_code(profile: str | None, code: str) -> None:
    """Give the next MFA prompt for ``profile`` this code (used once). Raises AwsError if not 6 digits."""
    code = _check_code(code)
    with _lock:
        _pending_codes[_label(profile)] = code


def set_mfa_code_provider(provider: MfaCodeProvider | None) -> None:
    """The process's fallback provider (None: fail with ``MfaRequired``, the TUI's default)."""
    global _process_provider
    with _lock:
        _process_provider = provider


def forget_credentials() -> None:
    """Drop pending MFA codes and every cached assumed-role credential."""
    with _lock:
        _pending_codes.clear()
        _role_cache.clear()


def mfa_required(profile: str | None, serial: str) -> AwsError:
    return AwsError(
        f"profile {_label(profile)} assumes a role that needs an MFA code ({serial})",
        "enter the current 6-digit code of that device (headless commands: --mfa-code CODE, or run in a terminal)",
        "MfaRequired",
    )


def terminal_mfa_code_provider(code: str | None = None) -> MfaCodeProvider:
    """For headless commands: ``code`` (from ``--mfa-code``) if given, else ask on the TTY, else one-line error."""

    def provide(profile: str, serial: str) -> str:
        if code:
            return _check_code(code)
        if not sys.stdin.isatty():
            raise AwsError(
                f"profile {profile} needs an MFA code ({serial}) and there is no terminal to ask for it",
                "pass --mfa-code CODE, or run the command interactively",
                "MfaRequired",
            )
        return _check_code(getpass.getpass(f"MFA code for {serial} (profile {profile}): "))

    return provide


def _prompter(profile: str | None, provider: MfaCodeProvider | None) -> Callable[[str], str]:
    """The callable botocore's AssumeRole fetcher calls with "Enter MFA code for SERIAL: "."""

    def prompt(text: str) -> str:
        match = _PROMPT_SERIAL_RE.search(text or "")
        serial = match.group(1) if match else "the MFA device"
        label = _label(profile)
        with _lock:
            code = _pending_codes.pop(label, None)
            fallback = provider or _process_provider
        if code is None and fallback is not None:
            code = _check_code(fallback(label, serial))
        if code is None:
            raise mfa_required(profile, serial)
        log.info("assuming the role of %s with an MFA code", label)
        return code

    return prompt


def _install_role_hooks(session: boto3.Session, profile: str | None, provider: MfaCodeProvider | None) -> None:
    try:
        assume_role = session._session.get_component("credential_provider").get_provider("assume-role")
    except Exception:  # noqa: BLE001  # pragma: no cover - botocore moved its internals
        log.warning("cannot reach botocore's assume-role provider; MFA profiles will fail")
        return
    assume_role.cache = _role_cache
    assume_role._prompter = _prompter(profile, provider)


# --- credential_process: bounded -------------------------------------------------------

# botocore waits for a profile's credential_process with no timeout: a helper that
# hangs (a vault that is locked, a prompt nobody sees) would hang the command.
CREDENTIAL_PROCESS_TIMEOUT_ENV = "S3XREP_CREDENTIAL_PROCESS_TIMEOUT"
CREDENTIAL_PROCESS_TIMEOUT = 60.0  # seconds: time enough for a helper that asks the user something


def credential_process_timeout() -> float:
    import os

    try:
        value = float(os.environ.get(CREDENTIAL_PROCESS_TIMEOUT_ENV, ""))
    except ValueError:
        return CREDENTIAL_PROCESS_TIMEOUT
    return value if value > 0 else CREDENTIAL_PROCESS_TIMEOUT


def credential_process_hung(profile: str, seconds: float) -> AwsError:
    return BotocoreAwsError(
        f"the credential_process of profile {profile!r} did not finish within {seconds:g} s (stopped it)",
        f"run that credential_process by hand to see why it hangs (locked vault? a prompt?), or set "
        f"{CREDENTIAL_PROCESS_TIMEOUT_ENV}=SECONDS to wait longer",
        "CredentialProcessTimeout",
    )


_running_processes: set[Any] = set()  # credential processes started and not finished


def stop_credential_processes() -> None:
    """Kill every credential_process still running (Ctrl-C: the process is about to exit, do not orphan them)."""
    with _lock:
        running = list(_running_processes)
    for process in running:
        _stop(process)


def _stop(process: Any) -> None:
    import subprocess

    try:
        process.kill()
    except OSError:  # already gone
        pass
    for pipe in (process.stdout, process.stderr):  # a grandchild may hold them open: do not wait on it
        if pipe is not None:
            pipe.close()
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:  # pragma: no cover - a process SIGKILL cannot stop
        pass


def _bounded_popen(profile: str) -> Callable[..., Any]:
    """What botocore's ProcessProvider runs its command with: ``Popen`` whose ``communicate`` has a deadline."""
    import subprocess

    class BoundedPopen(subprocess.Popen):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            with _lock:
                _running_processes.add(self)

        def communicate(self, input: Any = None, timeout: float | None = None) -> Any:  # noqa: A002
            seconds = timeout if timeout is not None else credential_process_timeout()
            try:
                return super().communicate(input, seconds)
            except subprocess.TimeoutExpired:
                _stop(self)
                raise credential_process_hung(profile, seconds) from None
            except BaseException:  # Ctrl-C: the helper must not outlive us
                _stop(self)
                raise
            finally:
                with _lock:
                    _running_processes.discard(self)

    return BoundedPopen


def _bound_credential_processes(session: boto3.Session) -> None:
    """Give every credential_process botocore may run for ``session`` a deadline (source profiles too)."""
    from botocore.credentials import ProcessProvider

    def bound(providers: list[Any]) -> list[Any]:
        for provider in providers:
            if isinstance(provider, ProcessProvider):
                provider._popen = _bounded_popen(str(getattr(provider, "_profile_name", None) or "default"))
        return providers

    try:
        resolver = session._session.get_component("credential_provider")
        bound(resolver.providers)
        builder = resolver.get_provider("assume-role")._profile_provider_builder
    except Exception:  # noqa: BLE001  # pragma: no cover - botocore moved its internals
        log.info("cannot reach botocore's credential providers; a credential_process has no deadline")
        return
    if builder is not None:  # the assume-role chain builds the source profile's providers when it needs them
        make = builder.providers
        builder.providers = lambda *args, **kwargs: bound(make(*args, **kwargs))


# --- sessions ---------------------------------------------------------------------


def session_for(
    profile: str | None, region: str | None = None, *, mfa_code_provider: MfaCodeProvider | None = None
) -> tuple[boto3.Session, str | None]:
    """A boto3 session for ``profile`` and the endpoint URL to use with it (None: the usual one).

    ``"keyring:NAME"`` opens the stored keys (:class:`AwsError` ``KeyringEntryNotFound``
    when there are none); anything else is a profile name (``None``: the ambient
    chain) opened through botocore, with the MFA hooks above.
    """
    import boto3

    from .keyring_store import default_store, keyring_name

    name = keyring_name(profile)
    if name is not None:
        store = default_store()
        entry = store.load(name)
        if entry is None:
            raise AwsError(
                f"no keys named {name!r} are stored in this app" + (f" ({store.why})" if store.why else ""),
                f"add keys named {name} on the accounts screen, or pick another identity",
                "KeyringEntryNotFound",
            )
        session = boto3.Session(
            aws_access_key_id=entry.access_key_id,
            aws_secret_access_key=entry.secret_access_key,
            aws_session_token=entry.session_token,
            region_name=region or entry.region,
        )
        return session, entry.endpoint_url
    session = boto3.Session(profile_name=profile or None, region_name=region)
    _install_role_hooks(session, profile, mfa_code_provider)
    _bound_credential_processes(session)
    return session, None


def require_region(profile: str | None, region: str | None = None) -> str:
    """``region`` if given, else the identity's configured one; else AwsError ``NoRegion`` naming the fix."""
    if region:
        return region
    try:
        session, _ = session_for(profile)
        found = session.region_name
    except AwsError:
        raise
    except Exception:  # noqa: BLE001 - an unreadable profile has no region either
        found = None
    if found:
        return found
    raise no_region(profile)


def no_region(profile: str | None) -> AwsError:
    from .keyring_store import keyring_name

    name = keyring_name(profile)
    if name is not None:
        where = f"re-add the keys {name!r} with a region on the accounts screen"
    elif profile:
        where = f"add 'region = us-east-1' (say) to [profile {profile}] in the AWS config file"
    else:
        where = "set AWS_DEFAULT_REGION, or 'region = ...' in the default profile"
    return AwsError(f"no region is configured for {_label(profile)}", f"pass --region REGION, or {where}", "NoRegion")


# --- secrets in logs ------------------------------------------------------------------

def _scrub_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a bad format string: leave it to the handler to report
        return
    clean = scrub(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and record.exc_info[0] is not None:
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        clean = scrub(text)
        if clean != text:  # the handler would format the raw exception: hand it the masked text instead
            record.s3xrep_exception = record.exc_info[1]
            record.exc_text, record.exc_info = clean, None
    if record.stack_info:
        record.stack_info = scrub(record.stack_info)


class SecretFilter(logging.Filter):
    """The same masking as a filter, for a handler that wants it explicitly."""

    def filter(self, record: logging.LogRecord) -> bool:
        _scrub_record(record)
        return True


class _DropOurMfaRefusal(logging.Filter):
    # botocore logs "Refreshing temporary credentials failed" with a traceback
    # when our MFA prompter refuses; the caller gets the AwsError, so the
    # warning (and, with no logging configured, its traceback on stderr) is noise.
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else getattr(record, "s3xrep_exception", None)
        return not isinstance(exc, AwsError)


_installed = False


def protect_logs() -> None:
    """Install the record factory (idempotent); done on import."""
    global _installed
    with _lock:
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            _scrub_record(record)
            return record

        logging.setLogRecordFactory(factory)
        logging.getLogger("botocore.credentials").addFilter(_DropOurMfaRefusal())
        _installed = True


protect_logs()

__all__ = [
    "MfaCodeProvider", "SecretFilter", "forget_credentials", "mfa_required", "no_region", "protect_logs",
    "remember_secret", "require_region", "scrub", "session_for", "set_mfa_code", "set_mfa_code_provider",
    "stop_credential_processes", "terminal_mfa_code_provider",
]
