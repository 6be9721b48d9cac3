"""Sessions and clients: one place that knows how to reach AWS (or the sandbox).

Profiles are opened with ``boto3.Session(profile_name=...)`` so whatever the
user's ``~/.aws/config`` says (``endpoint_url``, SSO, assume-role chains,
``credential_process``) works unchanged; ``profile=None`` is the ambient chain
(environment variables, CloudShell container credentials, instance roles);
``"keyring:NAME"`` is keys the user added in the app (OS keyring, or memory).
MFA codes and the run's assumed-role cache are :mod:`credentials`' business.

Every client built here refuses writes while its ``Clients`` is read-only
(:mod:`read_only`), and bounds its waits: a connect gives up after
``CONNECT_TIMEOUT`` s, a silent endpoint after ``READ_TIMEOUT`` s, and a call
that timed out is tried ``TIMEOUT_ATTEMPTS`` times in all, then fails with one
line naming the endpoint (throttling and 5xx keep botocore's usual retries).
"""

from __future__ import annotations

import re
import threading
from typing import Any

import boto3
from botocore import exceptions as bce
from botocore.config import Config

from . import lean_versions, s3_200_errors
from .credentials import MfaCodeProvider, session_for
from .errors import EndpointTimeout
from .read_only import ReadOnlyFlag, process_read_only, refuse_writes
from .timestamps import parse_timestamp

_ACCOUNT_HOST_PREFIX = re.compile(r"^(https?://)\d{12}\.")
_RETRIES = {"max_attempts": 5, "mode": "standard"}
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 8.0
TIMEOUT_ATTEMPTS = 2
# The longest one call waits on an endpoint that accepts and never answers (the backoff between is < 0.1 s).
WORST_WAIT = TIMEOUT_ATTEMPTS * READ_TIMEOUT


def open_session(
    profile: str | None, region: str | None = None, *, mfa_code_provider: MfaCodeProvider | None = None
) -> boto3.Session:
    """A boto3 session for a profile, ``"keyring:NAME"``, or the ambient chain when ``profile`` is None.

    A keyring entry's endpoint URL is not part of a session: use :func:`clients_for`.
    Raises :class:`AwsError` for an unknown keyring name; botocore's ProfileNotFound for an unknown profile.
    """
    return session_for(profile, region, mfa_code_provider=mfa_code_provider)[0]


def is_custom_endpoint(url: str | None) -> bool:
    return bool(url) and not re.search(r"\.amazonaws\.com(\.cn)?(:\d+)?/?$|\.api\.aws/?$", str(url))


def _strip_account_host_prefix(request: Any, **_: Any) -> None:
    # botocore prefixes s3control hosts with the account id
    # ("http://111111111111.127.0.0.1:PORT"), which cannot resolve for a custom
    # endpoint such as the sandbox. Strip it just before signing.
    request.url = _ACCOUNT_HOST_PREFIX.sub(r"\1", request.url)


def _give_up_on_timeouts(caught_exception: Any = None, attempts: int = 1, operation: Any = None,
                         request_dict: Any = None, **_: Any) -> None:
    # A ``needs-retry`` handler run before botocore's: the last timed-out try
    # fails with one line instead of botocore's five tries (minutes on a frozen endpoint).
    if not isinstance(caught_exception, (bce.ReadTimeoutError, bce.ConnectTimeoutError)) or attempts < TIMEOUT_ATTEMPTS:
        return
    url = (request_dict or {}).get("url") or caught_exception.kwargs.get("endpoint_url") or "the endpoint"
    url = _ACCOUNT_HOST_PREFIX.sub(r"\1", str(url).split("?", 1)[0])
    name = f"{operation.service_model.service_name}:{operation.name}" if operation is not None else "a call"
    if isinstance(caught_exception, bce.ConnectTimeoutError):
        bound, what = CONNECT_TIMEOUT, f"could not connect to {url} within {CONNECT_TIMEOUT:g} s"
    else:
        bound, what = READ_TIMEOUT, f"{url} did not answer within {READ_TIMEOUT:g} s"
    raise EndpointTimeout(
        f"{name}: {what}, {attempts} times (gave up after about {attempts * bound:g} s)",
        "check the network, proxy and any endpoint_url in the profile (is the endpoint or sandbox up?), then retry",
        "EndpointUnreachable",
    ) from caught_exception


class Clients:
    """Thread-safe cache of boto3 clients for one session, per service and region.

    boto3 clients are thread-safe once created; creating them is not cheap and
    not thread-safe on a shared session, hence the lock. ``read_only`` (a bool,
    or a callable read at each call, e.g. the app's toggle) makes every client
    refuse mutating operations before they are sent; so does the process's mode
    (:func:`read_only.set_process_read_only`, the headless ``--read-only``).
    """

    def __init__(self, session: boto3.Session, endpoint_url: str | None = None,
                 read_only: bool | ReadOnlyFlag = False) -> None:
        self.session = session
        self._endpoint_url = endpoint_url
        self._read_only: ReadOnlyFlag = read_only if callable(read_only) else (lambda: bool(read_only))
        self._clients: dict[tuple[str, str | None], Any] = {}
        self._lock = threading.Lock()

    @property
    def read_only(self) -> bool:
        """Whether writes are refused now (this Clients' flag or the process's mode)."""
        return process_read_only() or self._read_only()

    @property
    def default_region(self) -> str | None:
        return self.session.region_name

    def __call__(self, service: str, region: str | None = None) -> Any:
        region = region or self.session.region_name or "us-east-1"
        key = (service, region)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self._clients[key] = self._create(service, region)
        return client

    def _create(self, service: str, region: str) -> Any:
        self.session._session.get_component("response_parser_factory").set_parser_defaults(
            timestamp_parser=parse_timestamp)
        config = Config(retries=_RETRIES, connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT,
                        user_agent_extra="s3xrep-tui")
        kwargs: dict[str, Any] = {"region_name": region}
        if self._endpoint_url:
            kwargs["endpoint_url"] = self._endpoint_url
        client = self.session.client(service, config=config, **kwargs)
        if is_custom_endpoint(client.meta.endpoint_url):
            if service == "s3":  # "bucket.127.0.0.1" does not resolve: path-style addressing
                client = self.session.client(
                    service, config=config.merge(Config(s3={"addressing_style": "path"})), **kwargs
                )
            if service == "s3control":
                client.meta.events.register("before-sign.s3-control.*", _strip_account_host_prefix)
        if service == "s3":
            s3_200_errors.install(client)
            lean_versions.install(client)
        # before-parameter-build: the first event of a call, before validation, signing (credentials) or sending
        client.meta.events.register_first("before-parameter-build", refuse_writes(self._read_only),
                                          unique_id="s3xrep-read-only")
        client.meta.events.register_first("needs-retry", _give_up_on_timeouts, unique_id="s3xrep-timeouts")
        return client


def clients_for(
    profile: str | None, *, region: str | None = None, mfa_code_provider: MfaCodeProvider | None = None,
    read_only: bool | ReadOnlyFlag = False,
) -> Clients:
    """Clients for an identity as the user chose it: a profile name, ``"keyring:NAME"``,
    or None / "" for the ambient chain.

    The one place commands and screens turn an identity choice into clients.
    ``region`` overrides the identity's default region (``--region``);
    ``mfa_code_provider(profile, mfa_serial) -> code`` answers an MFA prompt
    (see :mod:`credentials` for the other ways a code can arrive).
    ``read_only``: see :class:`Clients`.
    Raises :class:`AwsError` for an unknown keyring name.
    """
    session, endpoint_url = session_for(profile, region, mfa_code_provider=mfa_code_provider)
    return Clients(session, endpoint_url=endpoint_url, read_only=read_only)
