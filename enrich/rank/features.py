"""Per-person features, computed in DuckDB SQL from `evidence` + `identities`.

One named function per step; each takes the connection (never a global),
reads the warehouse surface or an earlier step's temp table (`_rk_*`), and
writes one table.  Keyword lists reach SQL only as bound parameters (as an
escaped regular expression), never concatenated into the statement.

Outputs (staged in `_rk_pf` / `_rk_fe`, published by enrich/rank/people.py):
  person_features(person_id, feature, value, n_evidence, detail)
  feature_evidence(person_id, feature, evidence_id, matched)
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import duckdb

from enrich.rank.profiles import CompositeFeature, Profiles

logger = logging.getLogger(__name__)

WORK_KINDS = ["paper", "talk", "contribution", "repo"]
CODE_KINDS = ["contribution", "repo"]
# Built-in features cite at most this many evidence rows each (the most
# recent): enough to open, without copying all evidence once per feature.
BUILTIN_CITATIONS = 5


def reference_date(now: datetime) -> datetime:
    """The date evidence weights, recency counts and role freshness are
    measured against: `now` truncated to Monday 00:00 of its ISO week.

    Half-lives are years, so a week moves a weight by well under 0.5%; a
    reference that moves once a week instead of every night keeps every
    unchanged person's scores bit-identical within a week, which is what
    lets an incremental night recompute only the persons whose evidence
    changed (enrich/rank/people.py).  A new week recomputes everyone."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def run(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> None:
    """Execute one statement and consume it fully (DuckDB 2.0: a half-read
    result blocks the next statement on the same connection)."""
    con.execute(sql, params or []).fetchall()


def snapshot_evidence(con: duckdb.DuckDBPyConnection, profiles: Profiles, reference: datetime) -> None:
    """Materialise `evidence` once with a weight and a content fingerprint.

    `evidence` is a view over several joins and every step reads it, so it
    is evaluated once.  The fingerprint hashes the fields keyword matching
    reads (enrich/rank/hits.py): a row whose fingerprint is cached is not
    regex-scanned again.
    Weight `w` in (0, 1]: a contribution counts by its size (one commit to a
    serving repo is weaker evidence than three hundred: log-scaled, full at
    `contribution_saturation` commits), and old work decays with
    `evidence_half_life_years` (ROLES.md: the last two years count most),
    its age taken at `reference` (`reference_date(now)`: the start of the
    week, not today)."""
    s = profiles.settings
    run(con, '''
CREATE OR REPLACE TEMP TABLE "_rk_ev" AS
SELECT e."evidence_id", e."person_id", e."kind", e."source", e."title", e."url",
       e."happened_on", e."amount", e."venue",
       CASE WHEN e."kind" = 'contribution' AND e."amount" IS NOT NULL
            THEN least(1.0, ln(1 + greatest(e."amount", 1)) / ln(1 + ?::DOUBLE)) ELSE 1.0 END
     * CASE WHEN e."happened_on" IS NULL THEN 1.0
            ELSE pow(0.5, greatest(0, date_diff('day', e."happened_on", ?::DATE)) / 365.25 / ?::DOUBLE) END AS "w",
       e."text", e."tags", hash(e."kind", e."title", e."text", e."tags", e."venue") AS "fingerprint"
FROM "evidence" e
WHERE e."person_id" IS NOT NULL''', [s.contribution_saturation, reference, s.evidence_half_life_years])


FEATURE_EVIDENCE_COLUMNS = ('("person_id" VARCHAR NOT NULL, "feature" VARCHAR NOT NULL, '
                            '"evidence_id" VARCHAR NOT NULL, "matched" VARCHAR)')
PERSON_FEATURES_COLUMNS = ('("person_id" VARCHAR NOT NULL, "feature" VARCHAR NOT NULL, "value" DOUBLE NOT NULL, '
                           '"n_evidence" INTEGER, "detail" VARCHAR)')


def create_staging(con: duckdb.DuckDBPyConnection) -> None:
    """Empty staging tables `_rk_fe`/`_rk_pf`: every step writes there, for
    the persons being recomputed (all of them on a full run); the run then
    publishes them into `feature_evidence`/`person_features`
    (enrich/rank/people.py)."""
    run(con, f'CREATE OR REPLACE TEMP TABLE "_rk_fe" {FEATURE_EVIDENCE_COLUMNS}')
    run(con, f'CREATE OR REPLACE TEMP TABLE "_rk_pf" {PERSON_FEATURES_COLUMNS}')


def keyword_values(con: duckdb.DuckDBPyConnection, profiles: Profiles) -> None:
    """value = min(1, Σ evidence weight of matching rows / saturation);
    detail = the most recent match.  All keyword features in one pass over
    `feature_evidence`.  The sum runs over the sorted weights and ties on the
    date go to the greatest evidence id, so the result does not depend on
    the order rows arrive in (a cached and a fresh scan give the same)."""
    run(con, '''
INSERT INTO "_rk_pf"
SELECT fe."person_id", fe."feature", least(1.0, list_sum(list_sort(list(e."w"))) / any_value(s."saturation")),
       count(*)::INTEGER,
       arg_max(e."title", {'d': coalesce(e."happened_on", DATE '0001-01-01'), 'id': e."evidence_id"})
FROM "_rk_fe" fe
JOIN (SELECT unnest(?::VARCHAR[]) AS "feature", unnest(?::DOUBLE[]) AS "saturation") s USING ("feature")
JOIN "_rk_ev" e USING ("evidence_id")
GROUP BY fe."person_id", fe."feature"''', [list(profiles.features), [f.saturation for f in profiles.features.values()]])


def breadth_values(con: duckdb.DuckDBPyConnection, feature: CompositeFeature, profiles: Profiles) -> None:
    """value = share of the component features the person has (value >=
    min_value); detail names them.  Each covered component cites its most
    recent evidence row (matched = the component's label), so the breadth
    claim is backed by one openable work per stage."""
    components, labels = list(feature.of), [profiles.label(c) for c in feature.of]
    run(con, '''
INSERT INTO "_rk_fe"
SELECT fe."person_id", ?,
       arg_max(fe."evidence_id", [coalesce(e."happened_on", DATE '0001-01-01')::VARCHAR, fe."evidence_id"]),
       (?::VARCHAR[])[list_position(?::VARCHAR[], fe."feature")]
FROM "_rk_fe" fe
JOIN "_rk_ev" e USING ("evidence_id")
JOIN "_rk_pf" pf ON pf."person_id" = fe."person_id" AND pf."feature" = fe."feature"
WHERE list_contains(?::VARCHAR[], fe."feature") AND pf."value" >= ?
GROUP BY fe."person_id", fe."feature"''', [feature.name, labels, components, components, feature.min_value])
    run(con, '''
INSERT INTO "_rk_pf"
SELECT "person_id", ?, count(*) / ?::DOUBLE, count(*)::INTEGER,
       count(*) || ' of ' || ? || ': ' || array_to_string(list_transform(
           list_sort(list({'k': list_position(?::VARCHAR[], "feature"), 'f': "feature"})),
           lambda x: (?::VARCHAR[])[x."k"]), ', ')
FROM "_rk_pf"
WHERE list_contains(?::VARCHAR[], "feature") AND "value" >= ?
GROUP BY "person_id"''', [feature.name, len(components), len(components), components, labels, components,
                          feature.min_value])


def depth_values(con: duckdb.DuckDBPyConnection, feature: CompositeFeature) -> None:
    """value = weight of the heaviest code contribution (with a commit count)
    behind any component feature; it is the one evidence row cited, and the
    detail says how many commits to which repository."""
    run(con, '''
CREATE OR REPLACE TEMP TABLE "_rk_depth" AS
WITH code AS (
    SELECT DISTINCT fe."person_id", fe."evidence_id", e."w", e."amount", e."title"
    FROM "_rk_fe" fe JOIN "_rk_ev" e USING ("evidence_id")
    WHERE list_contains(?::VARCHAR[], fe."feature") AND e."kind" = 'contribution' AND e."amount" IS NOT NULL
)
SELECT "person_id", max("w") AS "w", count(*)::INTEGER AS "n",
       arg_max({'id': "evidence_id", 'commits': "amount", 'title': "title"}, {'w': "w", 'id': "evidence_id"}) AS "top"
FROM code GROUP BY "person_id"
HAVING max("w") >= ?''', [list(feature.of), feature.min_value])
    run(con, '''
INSERT INTO "_rk_pf"
SELECT "person_id", ?, "w", "n", "top"."commits" || ' commit' || CASE WHEN "top"."commits" = 1 THEN '' ELSE 's' END
                                 || ' to ' || "top"."title"
FROM "_rk_depth"''', [feature.name])
    run(con, 'INSERT INTO "_rk_fe" SELECT "person_id", ?, "top"."id", NULL FROM "_rk_depth"', [feature.name])


def person_counts(con: duckdb.DuckDBPyConnection, profiles: Profiles, reference: datetime) -> None:
    """Counts behind the built-in features, one row per person with evidence;
    "recent" means within `recent_years` before `reference` (the week's start)."""
    s = profiles.settings
    run(con, '''
CREATE OR REPLACE TEMP TABLE "_rk_counts" AS
SELECT "person_id",
       count(*) FILTER (WHERE "kind" = 'paper')                      AS "n_papers",
       count(*) FILTER (WHERE "kind" = 'talk')                       AS "n_talks",
       count(*) FILTER (WHERE list_contains(?::VARCHAR[], "kind"))   AS "n_code",
       count(*) FILTER (WHERE list_contains(?::VARCHAR[], "kind"))   AS "n_works",
       count(*) FILTER (WHERE list_contains(?::VARCHAR[], "kind") AND "happened_on" IS NOT NULL) AS "n_dated",
       count(*) FILTER (WHERE list_contains(?::VARCHAR[], "kind")
                          AND "happened_on" >= (?::TIMESTAMP - to_days(CAST(? * 365.25 AS INTEGER)))::DATE) AS "n_recent",
       coalesce(max("amount") FILTER (WHERE "kind" = 'profile' AND "source" = 'github'), 0) AS "followers",
       max("happened_on") FILTER (WHERE list_contains(?::VARCHAR[], "kind"))     AS "last_work"
FROM "_rk_ev"
GROUP BY "person_id"''', [CODE_KINDS, WORK_KINDS, WORK_KINDS, WORK_KINDS, reference, s.recent_years, WORK_KINDS])


def builtin_values(con: duckdb.DuckDBPyConnection, profiles: Profiles) -> None:
    """has_*, volume, recency, community_reach, research_only, no_eval."""
    s = profiles.settings
    run(con, "CREATE OR REPLACE TEMP MACRO \"ts_plural\"(n, word) AS "
             "n || ' ' || word || CASE WHEN n = 1 THEN '' ELSE 's' END")
    run(con, '''
INSERT INTO "_rk_pf"
WITH production AS (
    -- production evidence outside the papers themselves: an applied paper
    -- is still a paper, so it cannot lift the research-only flag
    SELECT fe."person_id", count(*) AS "n_production"
    FROM "_rk_fe" fe JOIN "_rk_ev" e USING ("evidence_id")
    WHERE list_contains(?::VARCHAR[], fe."feature") AND e."kind" <> 'paper'
    GROUP BY fe."person_id"
), evaluation AS (
    SELECT "person_id", count(*) AS "n_eval"
    FROM "_rk_pf" WHERE list_contains(?::VARCHAR[], "feature") GROUP BY "person_id"
), signal AS (
    SELECT "person_id", coalesce(p."n_production", 0) AS "n_production", coalesce(v."n_eval", 0) AS "n_eval"
    FROM production p FULL JOIN evaluation v USING ("person_id")
), c AS (
    SELECT c.*, coalesce(s."n_production", 0) AS "n_production", coalesce(s."n_eval", 0) AS "n_eval"
    FROM "_rk_counts" c LEFT JOIN signal s USING ("person_id")
), v AS (
    SELECT "person_id", unnest([
        {'f': 'has_code',   'v': ("n_code" > 0)::DOUBLE,   'n': "n_code",   'd': "ts_plural"("n_code", 'code contribution')},
        {'f': 'has_talks',  'v': ("n_talks" > 0)::DOUBLE,  'n': "n_talks",  'd': "ts_plural"("n_talks", 'talk')},
        {'f': 'has_papers', 'v': ("n_papers" > 0)::DOUBLE, 'n': "n_papers", 'd': "ts_plural"("n_papers", 'paper')},
        {'f': 'volume', 'v': least(1.0, ln(1 + "n_works") / ln(1 + ?::DOUBLE)), 'n': "n_works",
         'd': "ts_plural"("n_works", 'work')},
        {'f': 'recency', 'v': CASE WHEN "n_dated" = 0 THEN 0.0 ELSE "n_recent" / "n_dated" END, 'n': "n_recent",
         'd': "n_recent" || ' of ' || "n_dated" || ' dated works in the last ' || ? || ' years'},
        {'f': 'community_reach',
         'v': 0.5 * least(1.0, ln(1 + "followers") / ln(1 + ?::DOUBLE)) + 0.5 * least(1.0, "n_talks" / ?::DOUBLE),
         'n': "n_talks", 'd': "followers" || ' followers, ' || "ts_plural"("n_talks", 'talk')},
        {'f': 'research_only',
         'v': ("n_papers" > 0 AND "n_code" = 0 AND "n_production" = 0)::DOUBLE, 'n': "n_papers",
         'd': "ts_plural"("n_papers", 'paper') || ', no code and no production signal outside papers'},
        {'f': 'no_eval', 'v': ("n_works" > 0 AND "n_eval" = 0)::DOUBLE, 'n': "n_works",
         'd': "ts_plural"("n_works", 'work') || ', none mentions evaluation'}
    ]) AS "x"
    FROM c
)
SELECT "person_id", "x"."f", "x"."v", "x"."n"::INTEGER, "x"."d" FROM v WHERE "x"."v" > 0''',
        [list(s.production_features), list(s.evaluation_features), s.volume_saturation,
         _years(s.recent_years), s.reach_followers_saturation, s.reach_talks_saturation])


def _years(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def builtin_citations(con: duckdb.DuckDBPyConnection) -> None:
    """The evidence behind built-in features: the most recent rows of the
    kinds each one counts (research_only cites the papers)."""
    run(con, '''
INSERT INTO "_rk_fe"
WITH kinds(feature, kinds) AS (VALUES
    ('has_code', ['contribution', 'repo']), ('has_talks', ['talk']), ('has_papers', ['paper']),
    ('research_only', ['paper']), ('volume', ['paper', 'talk', 'contribution', 'repo']),
    ('recency', ['paper', 'talk', 'contribution', 'repo']), ('community_reach', ['talk', 'profile'])
), ranked AS (
    SELECT pf."person_id", pf."feature", e."evidence_id",
           row_number() OVER (PARTITION BY pf."person_id", pf."feature"
                              ORDER BY e."happened_on" DESC NULLS LAST, e."evidence_id") AS "rn"
    FROM "_rk_pf" pf
    JOIN kinds k ON k."feature" = pf."feature"
    JOIN "_rk_ev" e ON e."person_id" = pf."person_id" AND list_contains(k."kinds", e."kind")
)
SELECT "person_id", "feature", "evidence_id", NULL FROM ranked WHERE "rn" <= ?''', [BUILTIN_CITATIONS])


def compute_values(con: duckdb.DuckDBPyConnection, profiles: Profiles, reference: datetime) -> int:
    """Every feature value from the keyword hits already in `feature_evidence`
    (enrich/rank/hits.py), in order; returns the number of staged rows."""
    keyword_values(con, profiles)
    for composite in profiles.composite.values():
        if composite.mode == "breadth_of":
            breadth_values(con, composite, profiles)
        else:
            depth_values(con, composite)
    person_counts(con, profiles, reference)
    builtin_values(con, profiles)
    builtin_citations(con)
    (n,) = con.execute('SELECT count(*) FROM "_rk_pf"').fetchone()
    return int(n)
