"""The ``runs`` and ``source_runs`` tables: what each night did, per source.

A run is ``success`` when every source finished, ``partial`` when at least
one failed but others loaded (the rest is still published), ``failed`` when
nothing could be loaded at all.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

import duckdb


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass
class SourceOutcome:
    source: str
    status: str = "success"  # success | failed | rate_limited
    pages: int = 0
    records: int = 0
    error: str | None = None
    started_at: datetime = field(default_factory=_now)
    ended_at: datetime | None = None


def new_run_id() -> str:
    return _now().strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]


def start_run(con: duckdb.DuckDBPyConnection, run_id: str, config_path: str | None) -> None:
    con.execute(
        'INSERT INTO "runs" ("run_id", "started_at", "status", "config_path") VALUES (?, ?, ?, ?)',
        [run_id, _now(), "running", config_path],
    )


def record_source(con: duckdb.DuckDBPyConnection, run_id: str, outcome: SourceOutcome) -> None:
    con.execute(
        'INSERT OR REPLACE INTO "source_runs" VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        [run_id, outcome.source, outcome.status, outcome.pages, outcome.records,
         outcome.error, outcome.started_at, outcome.ended_at or _now()],
    )


def run_status(outcomes: list[SourceOutcome]) -> str:
    failed = [o for o in outcomes if o.status != "success"]
    if not failed:
        return "success"
    return "failed" if len(failed) == len(outcomes) and not any(o.records for o in outcomes) else "partial"


def finish_run(con: duckdb.DuckDBPyConnection, run_id: str, outcomes: list[SourceOutcome],
               status: str | None = None) -> str:
    status = status or run_status(outcomes)
    counts = {o.source: {"records": o.records, "pages": o.pages, "status": o.status} for o in outcomes}
    errors = {o.source: o.error for o in outcomes if o.error}
    con.execute(
        'UPDATE "runs" SET "ended_at" = ?, "status" = ?, "counts" = ?, "errors" = ? WHERE "run_id" = ?',
        [_now(), status, json.dumps(counts), json.dumps(errors), run_id],
    )
    return status
