"""The ``s3xrep`` entry point.

Only the standard library is imported at module level so ``s3xrep --version``
stays fast; each command imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from . import __version__
from .core.errors import S3xrepError

# Exit codes scripts can trust.
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_BLOCKED = 3


class UsageError(S3xrepError):
    """Bad arguments: one line to the user, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no usage dump
        raise UsageError(message)


# The order commands are listed in; any other module of s3xrep_tui.commands follows.
_COMMAND_ORDER = ("plan", "apply", "jobs", "verify", "canary", "undo", "sandbox")


def _command_modules() -> list:
    """Every module of ``s3xrep_tui.commands`` with an ``add_parser`` (stdlib-only at import)."""
    import importlib
    import pkgutil

    from . import commands

    names = [m.name for m in pkgutil.iter_modules(commands.__path__) if not m.name.startswith("_")]
    names.sort(key=lambda n: (_COMMAND_ORDER.index(n) if n in _COMMAND_ORDER else len(_COMMAND_ORDER), n))
    modules = [importlib.import_module(f"{commands.__name__}.{name}") for name in names]
    return [m for m in modules if hasattr(m, "add_parser")]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="s3xrep", description="Set up, watch and prove S3 cross-account replication.")
    parser.add_argument("--version", action="version", version=f"s3xrep {__version__}")
    parser.add_argument("--demo", action="store_true", help="run on the embedded AWS sandbox (no AWS account needed)")
    # a subcommand's own --read-only has default=SUPPRESS: its default would overwrite this flag's True
    parser.add_argument("--read-only", action="store_true",
                        help="refuse every write to AWS, in the app (the command palette toggles it) and in every "
                        "command")
    parser.add_argument("--log-file", help="where the app writes its log (default: the user log directory)")
    parser.add_argument("--mfa-code", metavar="CODE", help="MFA code for an assume-role profile with mfa_serial "
                        "(headless commands ask on the terminal when it is missing)")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    for command in _command_modules():
        command.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        args.read_only = bool(getattr(args, "read_only", False))  # `s3xrep --read-only CMD` = `s3xrep CMD --read-only`
        handler = getattr(args, "handler", None)
        if handler is None:
            return _run_app(args)
        from .commands import _interrupt

        if argv is None:  # our own process: Ctrl-C ends it promptly
            _interrupt.install()
        _ask_mfa_on_the_terminal(args.mfa_code)
        code = _run_command(handler, args)
        return _interrupt.finish(code) if argv is None else code
    except UsageError as exc:
        print(f"s3xrep: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        from .commands import _interrupt

        _interrupt.tell()
        return _interrupt.finish(_interrupt.EXIT_INTERRUPTED) if argv is None else _interrupt.EXIT_INTERRUPTED
    except Exception as exc:  # a bug or an unusable directory: one line here, the traceback in the log
        from .unexpected import one_line

        print(one_line(exc), file=sys.stderr)
        return EXIT_FAILURE


def _run_command(handler: Any, args: argparse.Namespace) -> int:
    """The command, with every client of the process read-only when asked (enforced in aws.clients)."""
    from .aws.read_only import set_process_read_only

    previous = set_process_read_only(args.read_only)
    try:
        return handler(args)
    finally:
        set_process_read_only(previous)


def _ask_mfa_on_the_terminal(code: str | None) -> None:
    """Headless commands: an MFA profile takes --mfa-code, or asks on the TTY (the TUI has its own form)."""
    from .aws.credentials import set_mfa_code_provider, terminal_mfa_code_provider

    set_mfa_code_provider(terminal_mfa_code_provider(code))


def _run_app(args: argparse.Namespace) -> int:
    from .tui.app import run_app

    starter = None
    if args.demo:
        from .demo_sandbox import start_embedded_sandbox as starter
    return run_app(demo=args.demo, log_file=args.log_file, start_sandbox=starter, read_only=args.read_only)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
