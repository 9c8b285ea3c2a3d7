"""Role scores from person features: weights, red flags, venue bonuses,
recency decay, and a one-line explanation citing the evidence.

score(role, person) = freshness × Σ weight·value (positive features)
                      + Σ venue bonus (once per matched venue)
                      − Σ red-flag weight·value
freshness = 0.5 ^ (years since the person's latest dated work / role half-life)
Ages are measured at the start of the week (features.reference_date), not today.
"""
from __future__ import annotations

from datetime import datetime

import duckdb

from enrich.rank.features import run
from enrich.rank.profiles import BUILTIN_FEATURES, Profiles

TITLE_CHARS = 80      # titles are cut in explanations, never in `evidence`
HEADLINE_CHARS = 100


def role_tables(con: duckdb.DuckDBPyConnection, profiles: Profiles) -> None:
    """The profile file as three small temp tables, built from parameters."""
    weights = [(r.name, f, w, False) for r in profiles.roles.values() for f, w in r.weights.items()]
    weights += [(r.name, f, w, True) for r in profiles.roles.values() for f, w in r.red_flags.items()]
    run(con, 'CREATE OR REPLACE TEMP TABLE "_rk_weights" ("role" VARCHAR, "feature" VARCHAR, '
             '"weight" DOUBLE, "is_flag" BOOLEAN)')
    if weights:
        con.executemany('INSERT INTO "_rk_weights" VALUES (?, ?, ?, ?)', weights)
    run(con, 'CREATE OR REPLACE TEMP TABLE "_rk_roles" ("role" VARCHAR, "label" VARCHAR, "half_life" DOUBLE)')
    con.executemany('INSERT INTO "_rk_roles" VALUES (?, ?, ?)',
                    [(r.name, r.label, r.recency_half_life_years) for r in profiles.roles.values()])
    labels = [(f, profiles.label(f), f in BUILTIN_FEATURES, f in profiles.composite)
              for f in profiles.feature_names]
    run(con, 'CREATE OR REPLACE TEMP TABLE "_rk_labels" ("feature" VARCHAR, "label" VARCHAR, "builtin" BOOLEAN, '
             '"composite" BOOLEAN)')
    con.executemany('INSERT INTO "_rk_labels" VALUES (?, ?, ?, ?)', labels)


def venue_values(con: duckdb.DuckDBPyConnection, profiles: Profiles) -> None:
    """Papers and talks whose venue names a role's venue (their hits are in
    `feature_evidence`, enrich/rank/hits.py) as person features
    `venue:<name>`, role-independent.  The value is the weight of the most
    recent such work (1 for this year's paper, halving every
    `evidence_half_life_years`): a CHI paper from five years ago says less
    about today's practice than last year's.  Ties on the date go to the
    greatest evidence id, so the detail does not depend on row order."""
    venues = sorted({v for r in profiles.roles.values() for v in r.venues})
    if not venues:
        return
    features = [f"venue:{venue}" for venue in venues]
    run(con, '''
INSERT INTO "_rk_pf"
SELECT fe."person_id", fe."feature", max(e."w"), count(*)::INTEGER,
       arg_max(e."venue", {'d': e."happened_on", 'id': e."evidence_id"}) FILTER (WHERE e."happened_on" IS NOT NULL)
FROM "_rk_fe" fe JOIN "_rk_ev" e USING ("evidence_id")
WHERE list_contains(?::VARCHAR[], fe."feature") GROUP BY ALL''', [features])
    con.executemany('INSERT INTO "_rk_weights" VALUES (?, ?, ?, FALSE)',
                    [(r.name, f"venue:{v}", r.venues[v]) for v in venues for r in profiles.roles.values()
                     if v in r.venues])
    con.executemany('INSERT INTO "_rk_labels" VALUES (?, ?, FALSE, FALSE)', [(f"venue:{v}", v) for v in venues])


def phrases(con: duckdb.DuckDBPyConnection) -> None:
    """One human phrase per (person, feature), citing its most recent evidence:
    `infrastructure-as-code ×2 (hcl in acme/deploy-kit)`,
    `AI product talks (talk "Evals product teams can own" (2025))`,
    `⚑ research-only: 4 papers, no code and no production signal outside papers`."""
    run(con, '''
CREATE OR REPLACE TEMP TABLE "_rk_phrases" AS
WITH top AS (
    SELECT fe."person_id", fe."feature", count(DISTINCT fe."evidence_id") AS "n",
           arg_max({'title': e."title", 'kind': e."kind", 'year': year(e."happened_on"), 'matched': fe."matched"},
                   [coalesce(e."happened_on", DATE '0001-01-01')::VARCHAR, e."evidence_id"]) AS "t"
    FROM "_rk_fe" fe JOIN "_rk_ev" e USING ("evidence_id")
    GROUP BY ALL
), cited AS (
    SELECT "person_id", "feature", "n",
           CASE WHEN "t"."title" IS NULL THEN NULL
                WHEN "t"."kind" IN ('contribution', 'repo')
                    THEN coalesce("t"."matched" || ' in ', '') || left("t"."title", ?)
                WHEN "t"."kind" = 'profile'
                    THEN coalesce('"' || "t"."matched" || '" in bio', 'bio')
                ELSE "t"."kind" || ' "' || left("t"."title", ?) || '"' || coalesce(' (' || "t"."year" || ')', '')
           END AS "cite"
    FROM top
)
SELECT pf."person_id", pf."feature", pf."value", l."builtin", l."label",
       CASE WHEN pf."feature" IN ('research_only', 'no_eval')
                THEN '⚑ ' || l."label" || ': ' || pf."detail"
            WHEN l."builtin" OR l."composite" THEN l."label" || ' (' || pf."detail" || ')'
            WHEN pf."feature" LIKE 'venue:%' THEN l."label" || ' (' || coalesce(c."cite", pf."detail") || ')'
            ELSE l."label" || CASE WHEN pf."n_evidence" > 1 THEN ' ×' || pf."n_evidence" ELSE '' END
                 || coalesce(' (' || c."cite" || ')', '')
       END AS "phrase"
FROM "_rk_pf" pf
JOIN "_rk_labels" l USING ("feature")
LEFT JOIN cited c ON c."person_id" = pf."person_id" AND c."feature" = pf."feature"''',
        [TITLE_CHARS, TITLE_CHARS])


def person_profiles(con: duckdb.DuckDBPyConnection) -> None:
    """Name, sources, dates, place and headline per person, from the
    `identities` view in one pass, for everyone on every run (the lead rows'
    display columns are refreshed from it), by the same deterministic rule
    as the `people` view (0004_views.sql): a non-arXiv name first, then the
    accented spelling, then the longest.  The same pass sums the hashes of
    the identity ids a person holds (`members_hash`, `members`): the
    membership part of the person's fingerprint (enrich/rank/people.py)."""
    run(con, '''
CREATE OR REPLACE TEMP TABLE "_rk_person" AS
SELECT "person_id",
       arg_max("name", ("source_kind" <> 'arxiv', strip_accents("name") <> "name", length("name"), "name")) AS "name",
       list(DISTINCT "source" ORDER BY "source") AS "sources",
       min("first_seen") AS "first_seen", max("last_seen") AS "last_seen",
       arg_max("location", ("last_seen", "location")) FILTER (WHERE nullif(trim("location"), '') IS NOT NULL) AS "location",
       arg_max("affiliation", ("last_seen", "affiliation")) FILTER (WHERE nullif(trim("affiliation"), '') IS NOT NULL) AS "affiliation",
       arg_max("headline", ("last_seen", "headline")) FILTER (WHERE nullif(trim("headline"), '') IS NOT NULL) AS "headline",
       sum(hash("identity_id")) AS "members_hash", count(*) AS "members"
FROM "identities"
WHERE "person_id" IS NOT NULL
GROUP BY "person_id"''')


def score_roles(con: duckdb.DuckDBPyConnection, reference: datetime) -> None:
    """Staged role scores `_rk_rs`: one row per (role, person) with some
    positive signal; freshness is measured at `reference` (the week's start,
    features.reference_date).  `rank` is numbered among the staged persons;
    publishing renumbers it over everyone (enrich/rank/people.py)."""
    run(con, '''
CREATE OR REPLACE TEMP TABLE "_rk_rs" AS
WITH parts AS (
    -- _rk_phrases holds every person_features row with its label and phrase:
    -- one join on the feature name, one on the person, no composite keys
    SELECT w."role", ph."person_id", w."feature", ph."value", w."weight", w."is_flag", ph."phrase",
           ph."builtin", ph."label",
           CASE WHEN w."is_flag" THEN -w."weight" * ph."value"
                WHEN w."feature" LIKE 'venue:%' THEN w."weight" * ph."value"
                ELSE w."weight" * ph."value"
                     * CASE WHEN c."last_work" IS NULL THEN 1.0
                            ELSE pow(0.5, greatest(0, date_diff('day', c."last_work", ?::DATE)) / 365.25 / r."half_life")
                       END
           END AS "contribution"
    FROM "_rk_weights" w
    JOIN "_rk_roles" r USING ("role")
    JOIN "_rk_phrases" ph USING ("feature")
    JOIN "_rk_counts" c ON c."person_id" = ph."person_id"
    WHERE ph."value" > 0 AND w."weight" > 0
), agg AS (
    -- list_sort over structs whose first fields are the sort keys: much
    -- faster than ordered aggregates at a million people.
    -- the score sums the sorted contributions: the same bits whatever
    -- order the feature rows arrive in (a cached and a fresh run agree)
    SELECT "role", "person_id", list_sum(list_sort(list("contribution"))) AS "score",
           coalesce(sum("contribution") FILTER (WHERE NOT "is_flag"), 0) AS "positive",
           list_transform(list_sort(list({'k': -abs("contribution"), 'feature': "feature", 'value': "value",
                                          'weight': "weight", 'contribution': "contribution"})),
                          lambda x: {'feature': x."feature", 'value': x."value", 'weight': x."weight",
                                'contribution': x."contribution"}) AS "contributions",
           list_transform(list_sort(list({'b': "builtin", 'k': -"contribution", 'f': "feature", 'p': "phrase",
                                          'l': CASE WHEN "builtin" THEN NULL ELSE "label" END})
                                    FILTER (WHERE NOT "is_flag" AND "phrase" IS NOT NULL)),
                          lambda x: {'p': x."p", 'l': x."l"}) AS "drivers",
           list_transform(list_sort(list({'k': "contribution", 'f': "feature", 'p': "phrase"})
                                    FILTER (WHERE "is_flag")), lambda x: x."p") AS "flags"
    FROM parts
    GROUP BY "role", "person_id"
)
SELECT a."role", a."person_id", round(a."score", 6) AS "score",
       row_number() OVER (PARTITION BY a."role" ORDER BY round(a."score", 6) DESC, a."person_id") AS "rank",
       a."contributions",
       coalesce(a."flags", [])::VARCHAR[] AS "red_flags",
       r."label" || ': ' || coalesce(nullif(array_to_string(list_transform(a."drivers"[1:3], lambda x: x."p"), ', '), ''),
                                      'no positive signal') || '; '
           || CASE WHEN len(coalesce(a."flags", [])) = 0 THEN 'red flag: none'
                   ELSE array_to_string(a."flags", '; ') END AS "explanation",
       nullif(concat_ws(' — ', left(p."headline", ?), array_to_string(list_filter(list_transform(a."drivers", lambda x: x."l"), lambda x: x IS NOT NULL)[1:2], ' + ')), '') AS "headline"
FROM agg a
JOIN "_rk_roles" r USING ("role")
LEFT JOIN "_rk_person" p USING ("person_id")
WHERE a."positive" > 0
ORDER BY a."role", "rank"''', [reference, HEADLINE_CHARS])
