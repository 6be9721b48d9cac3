"""``s3xrep sandbox``: run the embedded AWS sandbox (a simulator) in the foreground.

Listens on 127.0.0.1 unless ``--host`` says otherwise, seeds the demo world,
writes an AWS config file with the two demo profiles (keys included, mode
0600), prints the endpoint and the ``export AWS_CONFIG_FILE=...`` line, and
stops cleanly on Ctrl-C or SIGTERM. The server's own logging goes to a file,
never to the terminal.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from .. import locations

EXIT_OK, EXIT_FAILURE = 0, 1


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "sandbox",
        help="run the embedded AWS sandbox (a local simulator of two accounts) in the foreground",
        description="Run the embedded AWS sandbox: a SIMULATOR on this machine, not real AWS.",
    )
    parser.add_argument("--port", type=int, default=0, help="TCP port (default: any free port)")
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1 only)")
    parser.add_argument("--seed", choices=("demo", "empty", "fleet"), default="demo",
                        help="what the accounts hold at start (fleet: the demo plus five pairs for a fleet migration)")
    parser.add_argument("--aws-config", metavar="PATH", type=Path,
                        help="where to write the AWS config file (default: under the user state directory)")
    parser.add_argument("--replication-delay", type=float, default=1.0, metavar="SECONDS",
                        help="how long a new version stays PENDING before it replicates (default: 1.0)")
    parser.add_argument("--job-dwell", type=float, default=None, metavar="SECONDS",
                        help="least time a Batch Operations job spends in New, Preparing, Ready and Active "
                             "(default: $S3XREP_SANDBOX_JOB_DWELL, else 2.5; 0 moves as fast as the work)")
    parser.add_argument("--rtc-threshold", type=float, default=None, metavar="SECONDS",
                        help="when a version of an RTC rule counts as late (OperationMissedThreshold); "
                             "default: the rule's EventThreshold, S3's 15 minutes")
    parser.add_argument("--log-file", type=Path, help="server log file (default: under the user log directory)")
    parser.set_defaults(handler=run)


class _PrivateFileHandler(logging.FileHandler):
    """0600 from the first byte, never through a link planted at its name."""

    own_dir = True
    s3xrep_log = True  # the top-level error wrapper writes a crash's traceback here (unexpected.one_line)

    def _open(self):  # type: ignore[no-untyped-def]
        return os.fdopen(locations.open_append(Path(self.baseFilename), own_dir=self.own_dir), "a", encoding="utf-8")


def _log_to_file(path: Path | None) -> Path:
    own = path is None
    if path is None:
        path = locations.sandbox_log_file()
    else:
        path.parent.mkdir(parents=True, exist_ok=True)  # the user's directory: its mode is theirs
    root = logging.getLogger()
    for handler in list(root.handlers):  # nothing of the server's goes to the terminal
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
            root.removeHandler(handler)
    handler = _PrivateFileHandler(path, delay=True)
    handler.own_dir = own
    handler.stream = handler._open()  # an unusable log fails here, before the server starts
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return path


def run(args: argparse.Namespace) -> int:
    from ..sandbox.emulator import PROFILES, SIMULATOR_NOTE, Sandbox

    if args.port < 0 or args.port > 65535:
        print(f"s3xrep sandbox: --port {args.port} is not a TCP port", file=sys.stderr)
        return 2
    if args.rtc_threshold is not None and not args.rtc_threshold > 0:
        print("s3xrep sandbox: --rtc-threshold must be above 0 seconds", file=sys.stderr)
        return 2
    if args.job_dwell is not None and not 0 <= args.job_dwell <= 3600:
        print(f"s3xrep sandbox: --job-dwell {args.job_dwell:g} is out of range: give 0 to 3600 seconds", file=sys.stderr)
        return 2
    log_path = _log_to_file(args.log_file)
    sandbox = Sandbox(host=args.host, port=args.port, seed=args.seed, config_path=args.aws_config,
                      replication_delay=args.replication_delay, job_dwell=args.job_dwell,
                      rtc_threshold=args.rtc_threshold)
    try:
        sandbox.start()
    except locations.UnsafeLocation as exc:  # where its AWS config goes
        print(f"s3xrep sandbox: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except OSError as exc:
        print(f"s3xrep sandbox: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILURE
    stop = threading.Event()
    # Ctrl-C and SIGTERM both stop it. SIGINT gets a handler of its own rather than Python's
    # KeyboardInterrupt: a process started with SIGINT ignored (a script's background job,
    # a pytest-xdist worker's child) never gets that one, and Ctrl-C would do nothing.
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)} \
        if threading.current_thread() is threading.main_thread() else {}
    try:
        print(SIMULATOR_NOTE)
        print(f"endpoint:   {sandbox.endpoint_url}")
        print(f"s3control:  {sandbox.s3control_endpoint_url} (in the config: the stock AWS CLI and boto3 need nothing more)")
        print(f"batch jobs: New, Preparing, Ready, Active last at least {sandbox.job_dwell:g}s each (--job-dwell)")
        print(f"profiles:   {PROFILES['source']} (source), {PROFILES['destination']} (destination)")
        print(f"seed:       {args.seed} ({sandbox.seed_seconds:.1f}s)")
        print(f"log:        {log_path}")
        if args.host not in ("127.0.0.1", "localhost", "::1"):
            print(f"warning:    listening on {args.host}: anyone who reaches it can use these accounts")
        print()
        print(sandbox.export_line())
        print()
        print("Ctrl-C stops the sandbox.", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        sandbox.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("sandbox stopped.", flush=True)
    return EXIT_OK
