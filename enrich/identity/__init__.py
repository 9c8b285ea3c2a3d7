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

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone

import duckdb

from enrich.identity import cluster as _cluster
from enrich.identity import persons as _persons
from enrich.identity import rounds as _rounds
from enrich.identity import steps as _steps
from enrich.identity.steps import Params

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


def resolve(con: duckdb.DuckDBPyConnection, *, now: datetime | None = None,
            scorer: str = "rules", params: Params | None = None) -> ResolveStats:
    """Resolve identities into persons on ``con`` (see module docstring).

    ``scorer`` picks the probabilistic part of the record-pair step: "rules"
    (hand-set weights, the default: it measured best) or "splink" (Splink 5,
    EM-trained). The cluster rounds after it always use the rule scale: they
    compare groups, which Splink's per-record model does not describe."""
    if scorer not in SCORERS:
        raise ValueError(f"identity scorer must be one of {SCORERS}, got {scorer!r}")
    started, p = time.monotonic(), params or Params()
    now = _naive_utc(now or datetime.now(timezone.utc))
    _prepare(con, p)
    _timed(_score, con, p, scorer)
    _cluster.combine_pairs(con, ["_ir_pairs_strong", "_ir_pairs_code", "_ir_pairs_hub", "_ir_pairs_scored"])
    uf, pairs, refused = _timed(_cluster.cluster, con)
    round_pairs, round_refused = _timed(_rounds.run_rounds, con, uf, p)
    roots, kept = _cluster.finish(uf, pairs + round_pairs)
    refused += round_refused
    stats = _timed(_write, con, roots, kept, now)
    result = ResolveStats(
        identities=stats["identities"], candidate_pairs=_count(con, "_ir_cand"),
        accepted_pairs=_count(con, "_ir_accepted"), refused_by_guard=refused, kept_pairs=len(kept),
        persons=stats["persons"], merged_identities=stats["merged"], new_persons=stats["new"],
        aliases=stats["aliases"], scorer=scorer, seconds=round(time.monotonic() - started, 3))
    _steps.drop_temp(con)
    logger.info("identity resolution: %s", result)
    return result


def _prepare(con: duckdb.DuckDBPyConnection, p: Params) -> None:
    """Named steps up to the comparison vectors (all temp tables)."""
    _steps.create_macros(con)
    _steps.load_nicknames(con)
    _steps.load_surnames(con)
    for step in _PREPARE_STEPS:
        _timed(step, con, p) if step in _WITH_PARAMS else _timed(step, con)


_PREPARE_STEPS = (_steps.names, _steps.handles, _steps.strong_values, _steps.strong_pairs,
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
           now: datetime) -> dict[str, int]:
    ids = [r[0] for r in con.execute('SELECT "identity_id" FROM "_ir_names" ORDER BY 1').fetchall()]
    current, age = _persons.existing_persons(con)
    result = _persons.assign(ids, roots, kept, current, age)
    _persons.ensure_aliases_table(con)
    _persons.write_pairs(con, kept)
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
