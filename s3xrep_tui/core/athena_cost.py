"""What an Athena-engine verify costs and takes, projected from measured inventory sizes.

Athena bills the bytes each query scans. The price used here, 5 USD per TB
scanned with a 10 MB minimum per query, is the published on-demand rate in most
Regions; no AWS page in our references states it (the reference marks it
UNCONFIRMED), so it is a parameter, and what we print says "projected".
A verify runs :data:`QUERIES_PER_VERIFY` queries (the summary, the rows that
matter, the expected differences, the rows a tag filter leaves undecided:
``aws.inventory_duckdb.compare``), and each reads both inventories' columns: the
projection counts every query scanning all of both sides' Parquet bytes, which
is the most it can be (Athena reads only the referenced columns).

Time: the scan rate is an assumption (``scan_bytes_per_second``), not a
measurement of Athena; the default is deliberately modest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PRICE_PER_TB_USD = 5.0
TB = 10**12
MIN_BYTES_PER_QUERY = 10 * 10**6  # Athena's minimum charge per query
QUERIES_PER_VERIFY = 4
DEFAULT_SCAN_RATE = 1 * 10**9  # bytes a second one query reads (assumed, not measured)
BILLION = 10**9
SMALL_REPORT = 100_000


@dataclass(frozen=True)
class AthenaProjection:
    versions_per_side: int
    bytes_per_version: float  # Parquet bytes per inventory row, as measured
    bytes_per_query: int
    queries: int
    bytes_scanned: int
    cost_usd: float
    seconds: float
    price_per_tb_usd: float
    measured_versions: int = 0  # the report the bytes per version were measured on (0: not said)

    def as_dict(self) -> dict[str, Any]:
        return {"versions_per_side": self.versions_per_side, "bytes_per_version": round(self.bytes_per_version, 3),
                "bytes_per_query": self.bytes_per_query, "queries": self.queries,
                "bytes_scanned": self.bytes_scanned, "cost_usd": round(self.cost_usd, 4),
                "seconds": round(self.seconds, 1), "price_per_tb_usd": self.price_per_tb_usd,
                "measured_versions": self.measured_versions,
                "assumptions": "every query scans all of both inventories; price and scan rate are parameters"}

    def text(self) -> str:
        # below SMALL_REPORT versions a report's bytes are mostly Parquet's per-file overhead
        caveat = (f"; measured on {self.measured_versions:,} versions: an upper bound"
                  if 0 < self.measured_versions < SMALL_REPORT else "")
        return (f"{self.versions_per_side:,} versions a side: {self.queries} queries x "
                f"{self.bytes_per_query / TB:,.3f} TB = {self.bytes_scanned / TB:,.3f} TB scanned, about "
                f"${self.cost_usd:,.2f} at ${self.price_per_tb_usd:g}/TB and {self.seconds / 60:,.0f} min "
                f"(projected{caveat})")


def bytes_per_version(parquet_bytes: int, versions: int) -> float:
    """Measured Parquet bytes per inventory row (0 when nothing was measured)."""
    return parquet_bytes / versions if versions > 0 else 0.0


def project_athena(source_bytes_per_version: float, destination_bytes_per_version: float, *,
                   versions_per_side: int = BILLION, queries: int = QUERIES_PER_VERIFY,
                   price_per_tb_usd: float = PRICE_PER_TB_USD,
                   scan_bytes_per_second: float = DEFAULT_SCAN_RATE, measured_versions: int = 0) -> AthenaProjection:
    """Projected bytes scanned, cost and time of one Athena verify at ``versions_per_side`` a side."""
    if versions_per_side < 0 or queries < 1 or price_per_tb_usd < 0 or scan_bytes_per_second <= 0:
        raise ValueError("versions must be >= 0, queries >= 1, the price >= 0 and the scan rate > 0")
    per_query = int(round((source_bytes_per_version + destination_bytes_per_version) * versions_per_side))
    billed = max(per_query, MIN_BYTES_PER_QUERY)
    scanned = per_query * queries
    cost = billed * queries / TB * price_per_tb_usd
    seconds = scanned / scan_bytes_per_second
    return AthenaProjection(versions_per_side, (source_bytes_per_version + destination_bytes_per_version) / 2,
                            per_query, queries, scanned, cost, seconds, price_per_tb_usd, measured_versions)


__all__ = ["AthenaProjection", "BILLION", "PRICE_PER_TB_USD", "QUERIES_PER_VERIFY", "bytes_per_version",
           "project_athena"]
