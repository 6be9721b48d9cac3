"""The sandbox: moto's AWS plus our replication emulation, two accounts, one config file.

``Sandbox`` is what ``s3xrep sandbox`` runs in the foreground and ``s3xrep
--demo`` runs in the background. It is a *simulator*: whatever shows it to a
person should say so (``SIMULATOR_NOTE``).

moto's backends are process-global, so only one Sandbox runs per process at a
time, and starting one resets every moto backend.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any, Literal

from .. import locations
from . import storage_metrics
from .alarm_eval import AlarmEvaluator
from .athena import AthenaQueries
from .batch import BatchOperations
from .bucket_settings import BucketSettingsMiddleware
from .canonical_ids import canonical_user_id  # noqa: F401 - re-exported: tests import it here
from .inventory import InventoryConfigurations
from .inventory_delivery import Delivery, InventoryDelivery
from .listing import ListingMiddleware
from .metrics import ReplicationMetrics
from .policy_gate import PolicyGateMiddleware
from .replication import ReplicationEngine
from .replication_events import ReplicationNotifications
from .replication_middleware import ReplicationMiddleware
from .server import Middleware, SandboxApp, SandboxServer, quiet_server_logging

log = logging.getLogger(__name__)

SOURCE_ACCOUNT = "111111111111"
DESTINATION_ACCOUNT = "222222222222"
ACCOUNTS = (SOURCE_ACCOUNT, DESTINATION_ACCOUNT)
PROFILES = {"source": "s3xrep-demo-source", "destination": "s3xrep-demo-destination"}
PROFILE_ACCOUNTS = {PROFILES["source"]: SOURCE_ACCOUNT, PROFILES["destination"]: DESTINATION_ACCOUNT}
SANDBOX_USER = "s3xrep-sandbox-admin"
JOB_DWELL_ENV = "S3XREP_SANDBOX_JOB_DWELL"
DEFAULT_JOB_DWELL = 2.5  # seconds: above the monitor's fastest poll (2 s); AWS takes seconds to minutes
SERVICES_SECTION = "s3xrep-sandbox"  # the config file's [services ...] section (per-service endpoints)
SIMULATOR_NOTE = (
    "SIMULATOR: an embedded AWS sandbox (moto plus s3xrep's replication emulation) on this machine. "
    "Nothing here touches real AWS accounts."
)

_active_lock = threading.Lock()
_active: Sandbox | None = None


def static_keys(account_id: str) -> tuple[str, str]:
    """The static access key pair the sandbox registers for an account (the same on every start)."""
    access_key = f"AKIA{account_id}DEMO"  # 20 characters, like a real key id
    secret = hashlib.sha256(f"s3xrep-sandbox-secret:{account_id}".encode()).hexdigest()[:40]
    return access_key, secret


def default_job_dwell() -> float:
    """Least seconds a Batch Operations job spends in New, Preparing, Ready and Active.

    ``S3XREP_SANDBOX_JOB_DWELL`` overrides the default (the test suite sets 0); the
    default keeps each state on the monitor for a couple of its polls.
    """
    raw = os.environ.get(JOB_DWELL_ENV, "")
    try:
        value = float(raw) if raw.strip() else DEFAULT_JOB_DWELL
    except ValueError:
        log.warning("%s=%r is not a number of seconds; using %s", JOB_DWELL_ENV, raw, DEFAULT_JOB_DWELL)
        value = DEFAULT_JOB_DWELL
    return max(0.0, value)


def default_config_path() -> Path:
    return locations.sandbox_config_file()


def active_sandbox() -> Sandbox | None:
    """The Sandbox running in this process, if any (the UI uses it to show the simulator notice)."""
    return _active


def is_sandbox_endpoint(endpoint_url: str | None) -> bool:
    """True when ``endpoint_url`` is the endpoint of the Sandbox running in this process."""
    sandbox = _active
    return bool(sandbox and endpoint_url and endpoint_url.rstrip("/") == sandbox.endpoint_url)


class Sandbox:
    """moto's server on loopback with the replication, Batch Operations and metrics emulation."""

    SIMULATOR_NOTE = SIMULATOR_NOTE
    is_simulator = True

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: Literal["demo", "empty", "fleet"] = "demo",
        replication_delay: float = 1.0,
        batch_task_rate: float = 200.0,
        job_dwell: float | None = None,
        region: str = "us-east-1",
        config_path: Path | None = None,
        inventory_interval: float | None = None,
        rtc_threshold: float | None = None,
    ) -> None:
        if seed not in ("demo", "empty", "fleet"):
            raise ValueError(f"seed must be 'demo', 'empty' or 'fleet', not {seed!r}")
        self.host = host
        self.port = port
        self.seed = seed
        self.replication_delay = replication_delay
        self.batch_task_rate = batch_task_rate
        self.job_dwell = default_job_dwell() if job_dwell is None else float(job_dwell)
        self.region = region
        self.config_path: Path = Path(config_path) if config_path is not None else default_config_path()
        self.engine = ReplicationEngine(replication_delay=replication_delay, region=region)
        self.athena: AthenaQueries | None = None  # Athena queries run in DuckDB (moto never executes them)
        self.batch: BatchOperations | None = None
        self.metrics: ReplicationMetrics | None = None
        self.inventory_interval = inventory_interval  # seconds between scheduled inventory reports (None: on demand only)
        self.inventory: InventoryDelivery | None = None
        self.alarms: AlarmEvaluator | None = None  # CloudWatch alarm evaluation (moto never evaluates)
        self.notifications: ReplicationNotifications | None = None  # replication events to SNS/SQS
        self.rtc_threshold = rtc_threshold  # seconds until an RTC version is late (None: the rule's 15 minutes)
        self._server: SandboxServer | None = None
        self._started = False
        self.seed_seconds: float | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> Sandbox:
        global _active
        with _active_lock:
            if _active is not None:
                raise RuntimeError("a Sandbox is already running in this process (moto's state is process-global)")
            _active = self
        try:
            self._start()
        except BaseException:
            self._stop()
            with _active_lock:
                _active = None
            raise
        return self

    def _start(self) -> None:
        quiet_server_logging()
        from moto.moto_api._internal.models import moto_api_backend

        moto_api_backend.reset()
        self._create_account_keys()
        self.athena = AthenaQueries()
        self.batch = BatchOperations(self.engine, task_rate=self.batch_task_rate, dwell=self.job_dwell)
        self.metrics = ReplicationMetrics(self.engine)
        inventory_configs = InventoryConfigurations()
        self.inventory = InventoryDelivery(inventory_configs, self.engine.status, interval=self.inventory_interval)
        self.alarms = AlarmEvaluator(ACCOUNTS)
        self.notifications = ReplicationNotifications(self.engine, rtc_threshold=self.rtc_threshold)
        # BucketSettings first (ExpectedBucketOwner refuses before anything answers); the listing
        # middleware answers ListObjectVersions / ListObjectsV2 with the engine's per-version owners
        middlewares: list[Middleware] = [
            self.inventory.control, self.batch, BucketSettingsMiddleware(), PolicyGateMiddleware(), inventory_configs,
            ListingMiddleware(self.engine.owner), ReplicationMiddleware(self.engine)
        ]
        storage_metrics.install()  # S3's daily storage metrics in CloudWatch, from what the buckets hold
        middlewares.append(self.athena)  # answers Athena's query calls only
        self._server = SandboxServer(SandboxApp(middlewares), host=self.host, port=self.port)
        self._server.start()
        self._started = True
        self.engine.start()
        self.athena.start()
        self.batch.start()
        self.metrics.start()
        self.inventory.start()
        self.alarms.start()
        self.notifications.start()
        started = time.perf_counter()
        if self.seed in ("demo", "fleet"):
            from .seed import seed_demo

            seed_demo(self.region)
        if self.seed == "fleet":  # the demo plus five pairs for a fleet migration (issue 20)
            from .seed_fleet import seed_fleet

            seed_fleet(self.region)
        self.seed_seconds = time.perf_counter() - started
        self.write_config()
        log.info("sandbox up at %s (seed %s in %.2fs)", self.endpoint_url, self.seed, self.seed_seconds)

    def stop(self) -> None:
        global _active
        self._stop()
        with _active_lock:
            if _active is self:
                _active = None

    def _stop(self) -> None:
        for part in (self.notifications, self.alarms, self.inventory, self.metrics, self.batch):
            if part is not None:
                try:
                    part.stop()
                except Exception:  # stopping must go on whatever one part did
                    log.exception("stopping %r failed", part)
        if self.athena is not None:
            self.athena.stop()
        self.engine.stop()
        storage_metrics.uninstall()
        if self._server is not None:
            self._server.stop()
        self._started = False

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what callers need ---------------------------------------------------------------

    def deliver_inventory(self, bucket: str | None = None, config_id: str | None = None) -> list[Delivery]:
        """The control hook: write the S3 Inventory reports now (every bucket's, or ``bucket``'s)."""
        if self.inventory is None:
            raise RuntimeError("start() the Sandbox first")
        return self.inventory.deliver(bucket, config_id)

    @property
    def running(self) -> bool:
        return self._started

    @property
    def endpoint_url(self) -> str:
        if self._server is None:
            raise RuntimeError("start() the Sandbox first")
        return self._server.endpoint_url

    def credentials(self, account_id: str) -> tuple[str, str]:
        """Static access key id and secret that moto maps to ``account_id``."""
        if account_id not in ACCOUNTS:
            raise KeyError(f"the sandbox has no account {account_id}")
        return static_keys(account_id)

    def profile_account(self, profile: str) -> str:
        return PROFILE_ACCOUNTS[profile]

    def session(self, account_id: str) -> Any:
        """A boto3 Session with the static keys of ``account_id`` in the sandbox's region."""
        import boto3

        key, secret = self.credentials(account_id)
        return boto3.Session(aws_access_key_id=key, aws_secret_access_key=secret, region_name=self.region)

    def clients(self, account_id: str) -> Any:
        """``Clients`` for ``account_id`` pointed at the sandbox endpoint."""
        from ..aws.clients import Clients

        return Clients(self.session(account_id), endpoint_url=self.endpoint_url)

    def config_text(self) -> str:
        lines = [
            "# Written by s3xrep's sandbox: a SIMULATOR on this machine, not real AWS.",
            f"# Endpoint {self.endpoint_url}; rewritten on every start.",
        ]
        for role, profile in PROFILES.items():
            account = PROFILE_ACCOUNTS[profile]
            key, secret = static_keys(account)
            lines += [
                "",
                f"[profile {profile}]",
                f"# {role} account {account}",
                f"region = {self.region}",
                f"endpoint_url = {self.endpoint_url}",
                f"aws_access_key_id = {key}",
                f"aws_secret_access_key = {secret}",
                f"services = {SERVICES_SECTION}",
                "s3 =",
                "    addressing_style = path",
            ]
        lines += [
            "",
            "# botocore puts the account id in front of the s3control host (111111111111.127.0.0.1),",
            "# which resolves nowhere; in front of this URL's user part it is dropped instead.",
            f"[services {SERVICES_SECTION}]",
            "s3_control =",
            f"    endpoint_url = {self.s3control_endpoint_url}",
        ]
        return "\n".join(lines) + "\n"

    @property
    def s3control_endpoint_url(self) -> str:
        """The endpoint for s3control clients that botocore's account-id host prefix cannot break.

        botocore's endpoint rules build ``{AccountId}.{authority}`` for every s3control call
        (no setting turns that off); with ``s3control@`` in the authority the prefix lands in
        the URL's user part, which urllib3 drops, and the request reaches the sandbox.
        """
        scheme, _, authority = self.endpoint_url.partition("://")
        return f"{scheme}://s3control@{authority}"

    def write_config(self) -> Path:
        """Write the AWS config file (profiles with keys, region, endpoint_url) with mode 0600."""
        path = self.config_path
        # the app's own folder, or one made for it, is private; a folder the user named keeps its mode
        own = path == default_config_path() or not path.parent.exists()
        return locations.write_private(path, self.config_text(), own_dir=own)

    def export_line(self) -> str:
        return f"export AWS_CONFIG_FILE={self.config_path}"

    # -- internals -----------------------------------------------------------------------

    def _create_account_keys(self) -> None:
        from moto.iam.models import iam_backends

        for account in ACCOUNTS:
            backend = iam_backends[account]["global"]
            backend.create_user(self.region, SANDBOX_USER)
            created = backend.create_access_key(SANDBOX_USER)
            del backend.access_keys[created.physical_resource_id]
            key, secret = static_keys(account)
            created.access_key_id = key
            created.secret_access_key = secret
            backend.access_keys[created.physical_resource_id] = created

