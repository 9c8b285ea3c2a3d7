"""Per-person features, role profiles and explainable per-role ranking.

Entry point: ``rank(con, profiles=None, now=None)``. Reads the warehouse
views `evidence` and `identities`; writes `person_features`,
`feature_evidence`, `role_scores` and `lead_rows`, and (re)creates the
`leads` view and the `shortlist(role, n)` table macro.  Everything runs in
one transaction when the caller has none open, so a failed run leaves the
previous ranking in place.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from enrich.rank import features as _features
from enrich.rank import hits as _hits
from enrich.rank import scoring as _scoring
from enrich.rank import sql_surface as _surface
from enrich.rank.profiles import Profiles, load_profiles

logger = logging.getLogger(__name__)

__all__ = ["rank", "RankStats", "load_profiles", "Profiles"]

_TEMP_TABLES = ("_rk_ev", "_rk_counts", "_rk_weights", "_rk_roles", "_rk_labels", "_rk_phrases",
                "_rk_person", "_rk_lead_ev", "_rk_depth", "_rk_scan")


@dataclass(frozen=True)
class RankStats:
    people: int
    feature_rows: int
    roles: dict[str, int] = field(default_factory=dict)  # role -> ranked people
    profiles: str = ""
    seconds: float = 0.0
    scanned_rows: int = 0   # evidence rows regex-scanned this run (the rest reused cached hits)


def rank(con: duckdb.DuckDBPyConnection, *, profiles: Profiles | str | Path | None = None,
         now: datetime | None = None, full: bool = False) -> RankStats:
    """Compute features and rank every person for every role in ``profiles``
    (a `Profiles`, a path to a role file, or None for the packaged one).

    Keyword matches are cached per evidence row (`rank_hits`): only new or
    changed rows are regex-scanned; ``full=True`` rebuilds the cache.  The
    output is the same either way."""
    started = time.monotonic()
    if not isinstance(profiles, Profiles):
        profiles = load_profiles(profiles)
    now = _naive_utc(now or datetime.now(timezone.utc))
    own_tx = _begin(con)
    try:
        n_features, scanned = _run_steps(con, profiles, now, full)
        if own_tx:
            con.execute("COMMIT")
    except Exception:
        if own_tx:
            con.execute("ROLLBACK")
        raise
    finally:
        _drop_temp(con)
    stats = RankStats(people=_count(con, 'SELECT count(DISTINCT "person_id") FROM "person_features"'),
                      feature_rows=n_features, roles=_per_role(con, profiles), profiles=profiles.source,
                      seconds=round(time.monotonic() - started, 3), scanned_rows=scanned)
    logger.info("ranked %d people for %d roles in %.2fs (%d evidence rows scanned)", stats.people,
                len(stats.roles), stats.seconds, stats.scanned_rows)
    return stats


def _run_steps(con: duckdb.DuckDBPyConnection, profiles: Profiles, now: datetime, full: bool) -> tuple[int, int]:
    """All steps in order; returns (person_features rows, evidence rows scanned)."""
    _features.snapshot_evidence(con, profiles, now)
    _features.create_outputs(con)
    scanned = _hits.refresh(con, profiles, full=full)
    n = _features.compute_values(con, profiles, now)
    _scoring.role_tables(con, profiles)
    _scoring.venue_values(con, profiles)
    _scoring.phrases(con)
    _scoring.person_profiles(con)
    _scoring.score_roles(con, now)
    _surface.materialise_leads(con)
    return n, scanned


def _begin(con: duckdb.DuckDBPyConnection) -> bool:
    """Open a transaction unless the caller already holds one."""
    try:
        con.execute("BEGIN TRANSACTION")
        return True
    except duckdb.TransactionException:
        return False


def _drop_temp(con: duckdb.DuckDBPyConnection) -> None:
    for table in _TEMP_TABLES:
        con.execute(f'DROP TABLE IF EXISTS temp."{table}"').fetchall()


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    (n,) = con.execute(sql).fetchone()
    return int(n)


def _per_role(con: duckdb.DuckDBPyConnection, profiles: Profiles) -> dict[str, int]:
    rows = dict(con.execute('SELECT "role", count(*) FROM "role_scores" GROUP BY "role"').fetchall())
    return {role: int(rows.get(role, 0)) for role in profiles.roles}


def _naive_utc(value: datetime) -> datetime:
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value
