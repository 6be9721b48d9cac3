"""``s3xrep serve``: the app in a web browser, through textual-serve.

Each browser session runs its own ``s3xrep`` process (``python -m
s3xrep_tui.cli [--demo]``) with this user's environment, so **whoever reaches
the page drives the app with this user's AWS credentials**. Hence: loopback
(127.0.0.1) by default; any other address only when ``--host`` names it, with
a warning; and the terminal's WebSocket accepts only pages served from this
server's own origin, so another web site open in the same browser cannot
drive the app (cross-site WebSocket hijacking; browsers always send Origin).
"""

from __future__ import annotations

import argparse
import ipaddress
import shlex
import sys
from typing import Any
from urllib.parse import urlsplit

from .. import locations

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000

WARNING = (
    "Anyone who can reach {url} drives s3xrep with your AWS credentials "
    "(every profile of your AWS config, and the ambient ones). Stop it with Ctrl+C."
)
EXPOSED = (
    "WARNING: bound to {host}, not to loopback: anyone on your network who reaches port {port} "
    "drives s3xrep as you. There is no login. Prefer an SSH tunnel to a loopback server "
    "(ssh -L {port}:127.0.0.1:{port} this-host)."
)


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "serve",
        help="the app in a web browser (textual-serve), on 127.0.0.1 unless --host says otherwise",
        description="Serve the app to a web browser. Whoever reaches the page drives the app with your "
        "AWS credentials: it binds to 127.0.0.1 unless --host names another address.",
    )
    parser.add_argument("--demo", dest="serve_demo", action="store_true",
                        help="each session runs on the embedded AWS sandbox (no AWS account needed)")
    parser.add_argument("--host", default=None,
                        help=f"address to bind (default {DEFAULT_HOST}; anything but loopback exposes your credentials)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    parser.add_argument("--public-url", metavar="URL",
                        help="the address browsers use, when it is not http://HOST:PORT (a tunnel, a proxy)")
    parser.set_defaults(handler=run)


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind_host(host: str | None) -> tuple[str, bool]:
    """(address to bind, whether it is exposed beyond this machine). ``None`` means loopback.

    A non-loopback address is only ever one the user typed after ``--host``:
    nothing else (no default, no environment variable) can widen the bind.
    """
    if host is None:
        return DEFAULT_HOST, False
    if not host.strip():
        raise ValueError("--host is empty")
    return host, not is_loopback(host)


def app_command(demo: bool, log_file: str | None = None) -> str:
    """The shell command textual-serve runs for each browser session."""
    parts = [sys.executable, "-m", "s3xrep_tui.cli"]
    if demo:
        parts.append("--demo")
    if log_file:
        parts += ["--log-file", log_file]
    return shlex.join(parts)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def allowed_origins(public_url: str, host: str, port: int) -> set[str]:
    """The page's own origin(s): the public URL, and for loopback the usual spellings of it."""
    origins = {_origin(public_url)}
    if is_loopback(host):
        origins |= {f"http://{name}:{port}" for name in ("127.0.0.1", "localhost", "[::1]")}
    return origins


def _server_class() -> type:
    from aiohttp import web
    from textual_serve.server import Server

    class OriginCheckingServer(Server):
        """textual-serve's server, refusing WebSocket upgrades from other sites' pages."""

        origins: set[str] = set()

        async def handle_websocket(self, request: web.Request) -> web.StreamResponse:
            origin = request.headers.get("Origin")
            if origin is not None and origin.lower() not in self.origins:
                return web.Response(status=403, text="s3xrep serve: this page's origin may not drive the app\n")
            return await super().handle_websocket(request)

    return OriginCheckingServer


def run(args: argparse.Namespace) -> int:
    try:
        host, exposed = bind_host(args.host)
        if not 0 < args.port < 65536:
            raise ValueError(f"--port {args.port} is not a TCP port (1-65535)")
    except ValueError as exc:
        print(f"s3xrep serve: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        server_class = _server_class()
    except ImportError as exc:  # pragma: no cover - textual-serve is a runtime dependency
        print(f"s3xrep serve: textual-serve is not installed ({exc}): pip install textual-serve", file=sys.stderr)
        return EXIT_FAILURE
    demo = bool(getattr(args, "demo", False) or getattr(args, "serve_demo", False))
    display_host = f"[{host}]" if ":" in host and not host.startswith("[") else host
    public_url = args.public_url or f"http://{display_host}:{args.port}"
    command = app_command(demo, getattr(args, "log_file", None))
    if not getattr(args, "log_file", None):  # each session's app logs there: unusable, say so before serving
        locations.private_dir(locations.log_dir())
    server = server_class(command, host=host, port=args.port, title="s3xrep" + (" (demo)" if demo else ""),
                          public_url=public_url)
    server.origins = allowed_origins(public_url, host, args.port)

    print(f"s3xrep serve: {public_url}" + (" (demo: the embedded sandbox in each session)" if demo else ""),
          file=sys.stderr)
    print(WARNING.format(url=public_url), file=sys.stderr)
    if exposed:
        print(EXPOSED.format(host=host, port=args.port), file=sys.stderr)
    sys.stderr.flush()
    try:
        server.serve()
    except OSError as exc:  # the port is taken, the address is not ours...
        print(f"s3xrep serve: cannot listen on {host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK
