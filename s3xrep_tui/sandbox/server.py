"""moto's server on loopback with our emulation in front of it.

Every request passes through a chain of *middlewares* before (maybe) reaching
moto: a middleware sees the parsed :class:`Call`, may answer it itself (S3
Batch Operations, which moto lacks), check it first (validation moto skips),
or look at and amend moto's answer (replication status headers, queueing a new
version for replication). moto's backends are process-global, so one sandbox
runs per process at a time; starting one resets moto's state.
"""

from __future__ import annotations

import io
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from .pricing import PricingMiddleware

log = logging.getLogger(__name__)

_CREDENTIAL_RE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")


@dataclass
class Call:
    """One HTTP request, parsed once for every middleware."""

    request: Request
    body: bytes
    service: str | None  # the SigV4 signing name: s3 (also s3control), iam, sts, kms, ...
    region: str | None
    access_key: str | None
    account_id: str  # the caller's account, as moto maps the access key
    bucket: str | None = None  # S3 path-style requests only
    key: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def method(self) -> str:
        return self.request.method

    @property
    def args(self) -> Any:
        return self.request.args

    @property
    def is_s3control(self) -> bool:
        return self.request.path.startswith("/v20180820/")


Forward = Callable[[], Response]
Middleware = Callable[[Call, Forward], Response]


def _parse_call(environ: dict[str, Any]) -> tuple[Call, dict[str, Any]]:
    from moto.iam.models import get_account_id_from

    request = Request(environ)
    body = request.get_data(cache=True)
    auth = request.headers.get("Authorization", "") or request.args.get("X-Amz-Credential", "")
    match = _CREDENTIAL_RE.search(auth) or _CREDENTIAL_RE.search("Credential=" + auth)
    access_key, region, service = match.groups() if match else (None, None, None)
    account_id = get_account_id_from(access_key) if access_key else "123456789012"
    call = Call(request, body, service, region, access_key, account_id)
    if service == "s3" and not call.is_s3control:
        parts = request.path.lstrip("/").split("/", 1)
        call.bucket = unquote(parts[0]) or None
        call.key = unquote(parts[1]) if len(parts) > 1 and parts[1] else None
    # moto reads the body again: give it a fresh stream of the same bytes
    forwarded = dict(environ)
    forwarded["wsgi.input"] = io.BytesIO(body)
    forwarded["CONTENT_LENGTH"] = str(len(body))
    return call, forwarded


# Services moto lacks entirely, answered whatever middlewares an app was given (moto would print
# "Unable to find appropriate backend" to stdout and fail): the AWS Price List API.
BUILT_IN: tuple[Middleware, ...] = (PricingMiddleware(),)


def _moto_modules_listed_once() -> None:
    """moto lists its package directory (a stat per service, ~200) on every request to find the backend;
    the list never changes while we run, so it is read once (a tenth to a fifth of the sandbox's CPU per call
    on the fleet plan, bench/fleet_bench.py)."""
    from moto import backends

    if getattr(backends.list_of_moto_modules, "s3xrep_once", False):
        return
    modules = tuple(backends.list_of_moto_modules())

    def listed() -> tuple[str, ...]:
        return modules

    listed.s3xrep_once = True  # type: ignore[attr-defined]
    backends.list_of_moto_modules = listed  # type: ignore[assignment]


class SandboxApp:
    """The WSGI application: our middlewares, then moto."""

    def __init__(self, middlewares: list[Middleware] | None = None) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        _moto_modules_listed_once()
        self._moto = DomainDispatcherApplication(create_backend_app)
        self.middlewares: list[Middleware] = list(middlewares or [])

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        call, forwarded = _parse_call(environ)

        def moto() -> Response:
            return Response.from_app(self._moto, forwarded, buffered=True)

        handler: Forward = moto
        for middleware in reversed([*self.middlewares, *BUILT_IN]):
            handler = _bind(middleware, call, handler)
        try:
            response = handler()
        except Exception:  # a bug in our emulation must not kill the server thread
            log.exception("sandbox middleware failed on %s %s", call.method, call.request.path)
            response = s3_error("InternalError", "The sandbox failed on this request; see the log.", 500)
        return response(environ, start_response)


def _bind(middleware: Middleware, call: Call, next_handler: Forward) -> Forward:
    return lambda: middleware(call, next_handler)


def s3_error(code: str, message: str, status: int = 400, **fields: str) -> Response:
    """An S3-style XML error response (botocore parses Code and Message)."""
    from xml.sax.saxutils import escape

    extra = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in fields.items())
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>{extra}"
        "<RequestId>s3xrep-sandbox</RequestId></Error>"
    )
    return Response(body, status=status, content_type="application/xml")


def quiet_server_logging() -> None:
    """Keep the server off stderr: werkzeug logs every request there even when moto is told not to.

    Request logs are dropped; errors (moto's tracebacks, our own) still reach
    whatever handlers the root logger has (the app's log file), and a
    NullHandler on each logger stops Python's last-resort handler from
    printing them to stderr when the root logger has none.
    """
    for name in ("werkzeug", "moto", "flask", "botocore", "urllib3", "s3xrep_tui.sandbox"):
        logger = logging.getLogger(name)
        if name != "s3xrep_tui.sandbox":
            logger.setLevel(logging.ERROR)
        if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
            logger.addHandler(logging.NullHandler())


class SandboxServer:
    """A threaded HTTP server on loopback running :class:`SandboxApp`."""

    def __init__(self, app: SandboxApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self._host = host
        self._port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint_url(self) -> str:
        assert self._server is not None, "start() the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        from moto.moto_server.werkzeug_app import MotoRequestHandler

        quiet_server_logging()
        self._server = make_server(self._host, self._port, self.app, threaded=True, request_handler=MotoRequestHandler)
        self._server.daemon_threads = True
        # a short poll interval makes stop() quick (shutdown() waits for the next poll)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="s3xrep-sandbox-http", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None
