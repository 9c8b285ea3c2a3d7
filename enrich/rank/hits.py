"""Keyword and venue matches per evidence row, cached across runs.

Whether an evidence row matches a keyword feature (or a role's venue)
depends only on the row's content (kind, title, text, tags, venue) and on
the profiles' patterns: not on `now`, not on which person the row belongs
to.  Regex-scanning every row every night is the one cost of ranking that
grows with the whole warehouse rather than with what changed, so the
matches are kept in `rank_hits` (warehouse/migrations/0008_rank_hits.sql):

  rank_hits(evidence_id, fingerprint, hits)   -- one row per scanned evidence row,
                                              -- hits = [] when nothing matched
  rank_hits_profile(fingerprint, updated_at)  -- the matchers the cache was built with

A run reuses the hits of rows whose (evidence_id, content fingerprint) is
cached, scans only new or changed rows, drops rows gone from `evidence`, and
starts over when the matchers changed (a new keyword, feature, venue...).
The result is exactly what a full scan gives: the cache stores what the scan
would compute, keyed by everything the scan reads.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass

import duckdb

from enrich.rank.features import run
from enrich.rank.profiles import Profiles, keyword_pattern

logger = logging.getLogger(__name__)

# Bump when the scan's semantics change (haystack, lower-casing, pattern
# syntax): a different value invalidates every cached hit.
HITS_VERSION = 1

HITS_DDL = '''
CREATE TABLE IF NOT EXISTS "rank_hits" (
    "evidence_id" VARCHAR NOT NULL,
    "fingerprint" UBIGINT NOT NULL,
    "hits"        STRUCT("feature" VARCHAR, "matched" VARCHAR)[] NOT NULL
)'''

PROFILE_DDL = '''
CREATE TABLE IF NOT EXISTS "rank_hits_profile" (
    "fingerprint" VARCHAR NOT NULL,
    "updated_at"  TIMESTAMP NOT NULL
)'''

_COLUMNS = {"title": '"m_title"', "text": '"m_text"', "tags": '"m_tags"', "venue": '"m_venue"'}


@dataclass(frozen=True)
class Matcher:
    """One feature's match rule: rows of `kinds` whose `fields` match `pattern`.

    `matched` is the value recorded for a hit: None means "the keyword that
    matched" (regex group 1); venues record the venue name itself."""

    feature: str
    kinds: tuple[str, ...]
    fields: tuple[str, ...]
    pattern: str
    matched: str | None = None


def matchers(profiles: Profiles) -> list[Matcher]:
    """Keyword features, then one `venue:<name>` matcher per role venue."""
    found = [Matcher(f.name, tuple(f.applies_to), tuple(f.fields), f.pattern) for f in profiles.features.values()]
    venues = sorted({v for r in profiles.roles.values() for v in r.venues})
    found += [Matcher(f"venue:{v}", ("paper", "talk"), ("venue",), keyword_pattern([v]), v) for v in venues]
    return found


def profile_fingerprint(rules: list[Matcher]) -> str:
    """A digest of everything the scan depends on besides the row itself.

    DuckDB's version is part of it because `hash()` is not promised to be
    stable across releases: after an upgrade the cache is rebuilt once."""
    doc = {"version": HITS_VERSION, "duckdb": duckdb.__version__,
           "rules": [[m.feature, list(m.kinds), list(m.fields), m.pattern, m.matched] for m in rules]}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The cache tables, for warehouses migrated before 0008 or built by hand."""
    run(con, HITS_DDL)
    run(con, PROFILE_DDL)


def reset_if_stale(con: duckdb.DuckDBPyConnection, fingerprint: str, *, full: bool) -> bool:
    """Empty the cache when the matchers changed (or a full run is asked for);
    returns True when it was emptied."""
    stored = con.execute('SELECT "fingerprint" FROM "rank_hits_profile"').fetchall()
    if not full and stored == [(fingerprint,)]:
        return False
    run(con, 'DELETE FROM "rank_hits"')
    run(con, 'DELETE FROM "rank_hits_profile"')
    run(con, 'INSERT INTO "rank_hits_profile" VALUES (?, current_timestamp)', [fingerprint])
    logger.info("keyword hit cache rebuilt (%s)", "full run" if full else "profiles changed or first run")
    return True


def drop_stale(con: duckdb.DuckDBPyConnection) -> None:
    """Forget cached rows gone from `evidence` or whose content changed."""
    run(con, '''
DELETE FROM "rank_hits" h
WHERE NOT EXISTS (SELECT 1 FROM "_rk_ev" e
                  WHERE e."evidence_id" = h."evidence_id" AND e."fingerprint" = h."fingerprint")''')


def _hit_sql(rule: Matcher) -> tuple[str, list]:
    """One matcher as a CASE yielding a {feature, matched} struct or NULL.
    Only whitelisted column names enter the SQL text; the rest is bound."""
    hay = "concat_ws(' ', " + ", ".join(_COLUMNS[f] for f in rule.fields) + ")"
    if rule.matched is None:
        matched, params = f"regexp_extract({hay}, ?, 1)", [rule.pattern]
    else:
        matched, params = "?::VARCHAR", [rule.matched]
    sql = (f"CASE WHEN list_contains(?::VARCHAR[], \"kind\") AND regexp_matches({hay}, ?) "
           f"THEN {{'feature': ?::VARCHAR, 'matched': {matched}}} END")
    return sql, [list(rule.kinds), rule.pattern, rule.feature, *params]


def scan_new(con: duckdb.DuckDBPyConnection, rules: list[Matcher]) -> int:
    """Regex-scan the evidence rows the cache does not hold; returns how many."""
    parts, params = zip(*(_hit_sql(r) for r in rules)) if rules else ((), ())
    hits = "list_filter([" + ", ".join(parts) + "], lambda x: x IS NOT NULL)" if parts else "[]"
    run(con, f'''
CREATE OR REPLACE TEMP TABLE "_rk_scan" AS
SELECT "evidence_id", "fingerprint",
       coalesce({hits}, [])::STRUCT("feature" VARCHAR, "matched" VARCHAR)[] AS "hits"
FROM (
    SELECT e."evidence_id", e."fingerprint", e."kind",
           lower(coalesce(e."title", ''))                      AS "m_title",
           lower(coalesce(e."text", ''))                       AS "m_text",
           lower(coalesce(array_to_string(e."tags", ' '), '')) AS "m_tags",
           lower(coalesce(e."venue", ''))                      AS "m_venue"
    FROM "_rk_ev" e
    WHERE NOT EXISTS (SELECT 1 FROM "rank_hits" h
                      WHERE h."evidence_id" = e."evidence_id" AND h."fingerprint" = e."fingerprint")
)''', [p for group in params for p in group])
    # A row listed twice in `evidence` is cached once (same id and content,
    # same hits); deduplicating after the scan keeps the long text out of
    # the hash table.
    run(con, '''
INSERT INTO "rank_hits"
SELECT "evidence_id", "fingerprint", any_value("hits") FROM "_rk_scan" GROUP BY "evidence_id", "fingerprint"''')
    (n,) = con.execute('SELECT count(*) FROM "_rk_scan"').fetchone()
    run(con, 'DROP TABLE temp."_rk_scan"')
    return int(n)


def load_hits(con: duckdb.DuckDBPyConnection) -> None:
    """The cached hits of every row in `_rk_ev` (all evidence, or only the
    recomputed persons' rows on an incremental run) into staging `_rk_fe`."""
    run(con, '''
INSERT INTO "_rk_fe"
SELECT e."person_id", h."hit"."feature", e."evidence_id", h."hit"."matched"
FROM "_rk_ev" e
JOIN (SELECT "evidence_id", "fingerprint", unnest("hits") AS "hit"
      FROM "rank_hits" WHERE len("hits") > 0) h
  ON h."evidence_id" = e."evidence_id" AND h."fingerprint" = e."fingerprint"''')


def refresh(con: duckdb.DuckDBPyConnection, profiles: Profiles, *, full: bool = False) -> int:
    """Bring the cache up to date with `_rk_ev` and the profiles; returns the
    number of evidence rows regex-scanned this run (`load_hits` then reads
    the cache for the rows being ranked)."""
    rules = matchers(profiles)
    ensure_tables(con)
    if not reset_if_stale(con, profile_fingerprint(rules), full=full):
        drop_stale(con)
    scanned = scan_new(con, rules)
    logger.info("keyword hits: %d evidence rows scanned, the rest reused", scanned)
    return scanned
