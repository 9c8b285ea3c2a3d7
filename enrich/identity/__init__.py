"""Identity resolution: one person per human across arXiv, GitHub,
conferences and the internal list.

Entry point: ``resolve(con, now=...)``. Reads the warehouse views
`identities`, `identity_links`, `evidence`; rewrites `identity_pairs`;
upserts `identity_person`; records merged person ids in `person_aliases`.

Order of evidence: strong identifiers first (GitHub login, public email,
homepage, ORCID, OpenReview id; paper code URLs only for the one compatible
author), then a scored comparison of name variants with affiliation,
topics, co-authors and shared talks, on blocked candidate pairs only; then
a few cluster-level rounds compare the union of what each linked group
knows (affiliations, topics, research fields, co-authors), so context found
on one record corroborates the others (rounds.py).
"""
from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone

import duckdb

from enrich.identity import cluster as _cluster
from enrich.identity import incremental as _incremental
from enrich.identity import persons as _persons
from enrich.identity import rounds as _rounds
from enrich.identity import steps as _steps
from enrich.identity.steps import Params, run
from warehouse import deferred_checkpoints

logger = logging.getLogger(__name__)

SCORERS = ("rules", "splink")

__all__ = ["resolve", "ResolveStats", "Params", "SCORERS"]


@dataclass(frozen=True)
class ResolveStats:
    identities: int
    candidate_pairs: int
    accepted_pairs: int
    refused_by_guard: int
    kept_pairs: int
    persons: int
    merged_identities: int
    new_persons: int
    aliases: int
    scorer: str
    seconds: float
    mode: str = "full"        # full, incremental or unchanged (incremental.py)
    changed: int = 0          # identities new, edited or gone since the last resolution
    context: int = 0          # co-authors read (not re-decided) on an incremental night


def resolve(con: duckdb.DuckDBPyConnection, *, now: datetime | None = None,
            scorer: str = "rules", params: Params | None = None, mode: str = "auto") -> ResolveStats:
    """Resolve identities into persons on ``con`` (see module docstring).

    ``scorer`` picks the probabilistic part of the record-pair step: "rules"
    (hand-set weights, the default: it measured best) or "splink" (Splink 5,
    EM-trained). The cluster rounds after it always use the rule scale: they
    compare groups, which Splink's per-record model does not describe.

    ``mode`` "auto" re-resolves only what changed since the last resolution
    when little did (incremental.py); "full" always resolves everything."""
    if scorer not in SCORERS:
        raise ValueError(f"identity scorer must be one of {SCORERS}, got {scorer!r}")
    if mode not in _incremental.MODES:
        raise ValueError(f"identity resolution mode must be one of {_incremental.MODES}, got {mode!r}")
    started, p = time.monotonic(), params or Params()
    now = _naive_utc(now or datetime.now(timezone.utc))
    _steps.create_macros(con)
    _incremental.ensure_tables(con)
    with deferred_checkpoints(con):  # the steps' temp tables are dropped below, never worth compressing
        plan = _timed(_incremental.plan, con, p, scorer, now, mode)
        logger.info("identity: %s resolution (%s)", plan.mode, plan.why)
        if plan.mode == "unchanged":
            result = _unchanged(con, plan, scorer, started)
        else:
            with _duckdb_share(con, DUCKDB_SHARE):
                result = _resolve(con, p, scorer, now, plan, started)
        _steps.drop_temp(con)
    logger.info("identity resolution: %s", result)
    return result


# Share of the connection's memory_limit DuckDB may use while resolving: the
# union-find, the accepted pairs and their reasons live in Python beside it
# (about 1.4 GB at a million identities), and the night's cap is meant for
# the whole process. Above the share DuckDB spills to disk. Measured at 1M
# identities under a 4GB cap: share 1.0 peaked at 5.3 GB RSS, 0.7 at 4.4 GB
# for ~8% more CPU (spilling in the cluster rounds).
DUCKDB_SHARE = 0.6


@contextlib.contextmanager
def _duckdb_share(con: duckdb.DuckDBPyConnection, share: float):
    """Lower DuckDB's memory_limit to ``share`` of its value for the block,
    then set it back -- to the value as DuckDB reports it ("3.7 GiB", one
    decimal, rounded down), plus one MiB so that the next read shows the
    same figure instead of drifting down by a tenth at every resolution."""
    (limit,) = con.execute("SELECT current_setting('memory_limit')").fetchone()
    size = _bytes(limit)
    if size is None:
        yield
        return
    run(con, f"SET memory_limit = '{int(size * share) // 2**20}MiB'")
    try:
        yield
    finally:
        run(con, f"SET memory_limit = '{size // 2**20 + 1}MiB'")


_UNITS = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
          "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def _bytes(size: str) -> int | None:
    """"3.7 GiB" -> bytes; None for anything else (no limit, an unknown unit)."""
    number, _, unit = str(size).strip().partition(" ")
    try:
        return int(float(number) * _UNITS[unit.upper()])
    except (KeyError, ValueError):
        return None


def _resolve(con: duckdb.DuckDBPyConnection, p: Params, scorer: str, now: datetime,
             plan: _incremental.Plan, started: float) -> ResolveStats:
    full = plan.mode == "full"
    sizes = _prepare(con, p, full)
    _timed(_score, con, p, scorer)
    _cluster.combine_pairs(con, ["_ir_pairs_strong", "_ir_pairs_code", "_ir_pairs_hub", "_ir_pairs_scored"])
    uf, pairs, refused = _timed(_cluster.cluster, con)
    round_pairs, round_refused = _timed(_rounds.run_rounds, con, uf, p)
    roots, kept = _cluster.finish(uf, pairs + round_pairs)
    del uf, pairs, round_pairs   # the write's peak would otherwise hold them beside the persons (~0.5 GB at 1M)
    refused += round_refused
    stats = _timed(_write, con, roots, kept, now, full)
    _timed(_incremental.save, con, p, scorer, now, full)
    return ResolveStats(
        identities=stats["identities"], candidate_pairs=_count(con, "_ir_cand"),
        accepted_pairs=_count(con, "_ir_accepted"), refused_by_guard=refused, kept_pairs=len(kept),
        persons=stats["persons"], merged_identities=stats["merged"], new_persons=stats["new"],
        aliases=stats["aliases"], scorer=scorer, seconds=round(time.monotonic() - started, 3),
        mode=plan.mode, changed=plan.changed, context=sizes.get("context", 0))


def _unchanged(con: duckdb.DuckDBPyConnection, plan: _incremental.Plan, scorer: str,
               started: float) -> ResolveStats:
    """Nothing changed: last night's persons stand, nothing is rewritten."""
    (persons,) = con.execute('SELECT count(DISTINCT "person_id") FROM "identity_person"').fetchone()
    (identities,) = con.execute('SELECT count(*) FROM "_ir_fp"').fetchone()
    return ResolveStats(identities=identities, candidate_pairs=0, accepted_pairs=0, refused_by_guard=0,
                        kept_pairs=0, persons=persons, merged_identities=identities - persons, new_persons=0,
                        aliases=0, scorer=scorer, seconds=round(time.monotonic() - started, 3),
                        mode=plan.mode, changed=0)


def _prepare(con: duckdb.DuckDBPyConnection, p: Params, full: bool) -> dict[str, int]:
    """Named steps up to the comparison vectors (all temp tables); on an
    incremental night the steps after `names` read only the scope."""
    _steps.load_nicknames(con)
    _steps.load_surnames(con)
    _timed(_steps.names, con)
    sizes = _timed(_incremental.full_sources if full else _incremental.scoped_sources, con, p) or {}
    if sizes:
        logger.info("identity: incremental scope: %d changed or in a changed person, %d more in their "
                    "blocks and persons (kept as they are unless tonight links them), %d read as context",
                    sizes["fresh"], sizes["scope"] - sizes["fresh"], sizes["context"])
    for step in _PREPARE_STEPS:
        _timed(step, con, p) if step in _WITH_PARAMS else _timed(step, con)
        if step is _steps.name_candidates and not full:
            _incremental.restrict_pairs(con, ["_ir_pairs_strong", "_ir_pairs_code", "_ir_pairs_hub", "_ir_cand"])
    return sizes


_PREPARE_STEPS = (_steps.handles, _steps.strong_values, _steps.strong_pairs,
                  _steps.paper_code_pairs, _steps.hub_paper_pairs, _steps.works, _steps.topics,
                  _steps.ambiguous_initials, _steps.fields, _steps.coauthors, _steps.name_candidates,
                  _steps.features)
_WITH_PARAMS = (_steps.strong_values, _steps.topics, _steps.name_candidates, _steps.features)


def _timed(step, *args):
    """Run one named step and log how long it took: at a million identities
    the night's operator wants to see where resolution spends its time."""
    started = time.monotonic()
    result = step(*args)
    logger.info("identity: step %s took %.1f s", step.__name__, time.monotonic() - started)
    return result


def _score(con: duckdb.DuckDBPyConnection, p: Params, scorer: str) -> None:
    if scorer == "splink":
        from enrich.identity import score_splink
        score_splink.score(con, p)
    else:
        from enrich.identity import score_rules
        score_rules.score(con, p)


def _write(con: duckdb.DuckDBPyConnection, roots: dict[str, str], kept: list[tuple],
           now: datetime, full: bool) -> dict[str, int]:
    """Persons for the identities resolved tonight (all, or the incremental
    scope: context identities keep theirs)."""
    decidable, taken = None, None   # a full night decides everyone, and reads every person
    if not full:
        run(con, 'CREATE OR REPLACE TEMP TABLE "_ir_decidable" AS SELECT "identity_id" FROM "_ir_scope" WHERE "resolvable"')
        decidable, taken = "_ir_decidable", _persons.person_ids(con)
    scope = "" if full else 'WHERE "identity_id" IN (SELECT "identity_id" FROM "_ir_decidable")'
    ids = [r[0] for r in con.execute(f'SELECT "identity_id" FROM "_ir_names" {scope} ORDER BY 1').fetchall()]
    current, age = _persons.existing_persons(con, decidable)
    result = _persons.assign(ids, roots, kept, current, age, taken)
    _persons.ensure_aliases_table(con)
    if full:
        _persons.write_pairs(con, kept)
    else:
        fresh = [r[0] for r in con.execute('SELECT "identity_id" FROM "_ir_fresh"').fetchall()]
        result = _persons.only_decided(result, set(fresh), kept, current)
        _persons.write_pairs(con, kept, fresh)
    _persons.write_persons(con, result, now)
    _persons.write_aliases(con, result.aliases, now)
    persons = len({r[1] for r in result.rows})
    return {"identities": len(ids), "persons": persons, "merged": len(ids) - persons,
            "new": result.new_persons, "aliases": len(result.aliases)}


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]


def _naive_utc(moment: datetime) -> datetime:
    """identity_person.decided_at is a naive TIMESTAMP in UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment
