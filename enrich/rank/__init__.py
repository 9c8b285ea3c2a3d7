"""Per-person features, role profiles and explainable per-role ranking.

Entry point: ``rank(con, profiles=None, now=None)``. Reads the warehouse
views `evidence` and `identities`; writes `person_features`,
`feature_evidence`, `role_scores` and `lead_rows`, and (re)creates the
`leads` view and the `shortlist(role, n)` table macro.  Everything runs in
one transaction when the caller has none open, so a failed run leaves the
previous ranking in place.

Ages are measured at the start of `now`'s week (features.reference_date), so
within a week only persons whose evidence or identities changed are
recomputed (enrich/rank/people.py); a new week recomputes everyone.
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
from enrich.rank import people as _people
from enrich.rank import scoring as _scoring
from enrich.rank import sql_surface as _surface
from enrich.rank.profiles import Profiles, load_profiles
from warehouse import deferred_checkpoints

logger = logging.getLogger(__name__)

__all__ = ["rank", "RankStats", "load_profiles", "Profiles"]

_TEMP_TABLES = ("_rk_ev", "_rk_counts", "_rk_weights", "_rk_roles", "_rk_labels", "_rk_phrases",
                "_rk_person", "_rk_lead_ev", "_rk_depth", "_rk_scan", "_rk_fp", "_rk_dirty",
                "_rk_pf", "_rk_fe", "_rk_rs", "_rk_lr", "_rk_lead_keys", "_rk_lead_changes", "_rk_lead_head")


@dataclass(frozen=True)
class RankStats:
    people: int
    feature_rows: int
    roles: dict[str, int] = field(default_factory=dict)  # role -> ranked people
    profiles: str = ""
    seconds: float = 0.0
    scanned_rows: int = 0   # evidence rows regex-scanned this run (the rest reused cached hits)
    incremental: bool = False   # True: only changed/new/vanished persons were recomputed
    recomputed_people: int = 0  # persons whose rows were recomputed (everyone on a full run)
    removed_people: int = 0     # persons gone since the last run (their rows deleted)


def rank(con: duckdb.DuckDBPyConnection, *, profiles: Profiles | str | Path | None = None,
         now: datetime | None = None, full: bool = False) -> RankStats:
    """Compute features and rank every person for every role in ``profiles``
    (a `Profiles`, a path to a role file, or None for the packaged one).

    Keyword matches are cached per evidence row (`rank_hits`): only new or
    changed rows are regex-scanned.  Within one week (same reference date)
    and with the same profiles, only persons whose evidence or identity
    records changed, new persons and vanished persons are recomputed
    (`rank_people`); every rank is then renumbered.  ``full=True`` rebuilds
    the cache and recomputes everyone.  The output is the same either way."""
    started = time.monotonic()
    if not isinstance(profiles, Profiles):
        profiles = load_profiles(profiles)
    now = _naive_utc(now or datetime.now(timezone.utc))
    with deferred_checkpoints(con):  # the steps' temp tables are dropped below, never worth compressing
        own_tx = _begin(con)
        try:
            n_features, scanned, plan = _run_steps(con, profiles, _features.reference_date(now), full)
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
                      seconds=round(time.monotonic() - started, 3), scanned_rows=scanned,
                      incremental=not plan.full, recomputed_people=plan.recomputed, removed_people=plan.removed)
    logger.info("ranked %d people for %d roles in %.2fs (%s: %d recomputed, %d removed; %d evidence rows "
                "scanned)", stats.people, len(stats.roles), stats.seconds,
                "incremental" if stats.incremental else "full", plan.recomputed, plan.removed, scanned)
    return stats


def _run_steps(con: duckdb.DuckDBPyConnection, profiles: Profiles, reference: datetime,
               full: bool) -> tuple[int, int, _people.Plan]:
    """All steps in order; returns (staged person_features rows, evidence
    rows scanned, the plan: full or which persons)."""
    _features.snapshot_evidence(con, profiles, reference)
    scanned = _hits.refresh(con, profiles, full=full)
    _scoring.person_profiles(con)
    plan = _people.plan(con, profiles, reference, full=full)
    if not plan.full:
        _people.restrict_to_dirty(con)
    _features.create_staging(con)
    _hits.load_hits(con)
    n = _features.compute_values(con, profiles, reference)
    _scoring.role_tables(con, profiles)
    _scoring.venue_values(con, profiles)
    _scoring.phrases(con)
    _scoring.score_roles(con, reference)
    _surface.stage_leads(con)
    _people.publish(con, plan, profiles, reference)
    return n, scanned, plan


def _begin(con: duckdb.DuckDBPyConnection) -> bool:
    """Open a transaction unless the caller already holds one.  Probed with
    txid_current() (stable only inside a transaction): in DuckDB 2.0 a
    failed BEGIN aborts the caller's open transaction."""
    (first,) = con.execute("SELECT txid_current()").fetchone()
    (second,) = con.execute("SELECT txid_current()").fetchone()
    if first == second:
        return False
    con.execute("BEGIN TRANSACTION")
    return True


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
