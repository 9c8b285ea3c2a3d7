"""Cluster-level rounds: compare what is already known about both sides.

Why: one arXiv record "J. Smith" carries little context (one paper, often no
affiliation), so pairwise scoring leaves a prolific author split into many
pieces. Once records are linked, their union of affiliations, topics, fields
and co-authors corroborates -- or separates -- further joins: the paper-code
GitHub link of one paper tells which "J. Smith" wrote the others, and a
cluster with physics papers is not the HCI namesake.

Each round compares the current clusters over the *same* name blocks as the
pair step (`_ir_cand`), so the cost never grows beyond the blocks; after
the first round only blocks that a merge touched are compared again. Accepted
cluster pairs are merged through the same guarded union-find (two GitHub
logins, two ORCIDs, co-authors of one paper never merge). Name frequency is
counted over current clusters, not records: a prolific author's fifty papers
are one name, not fifty namesakes. A few rounds settle.
"""
from __future__ import annotations

import logging

import duckdb
import pyarrow as pa

from enrich.identity.cluster import GuardedUnionFind
from enrich.identity.steps import Params, run

logger = logging.getLogger(__name__)

METHOD = "cluster_profile"
FULL_NAME = 'n."tokens"[-1] || \'|\' || n."tokens"[1]'   # 'last|first', for first-name conflicts
HAS_FULL_NAME = 'n."has_real_name" AND n."n_tokens" >= 2 AND length(n."tokens"[1]) >= 2'


def run_rounds(con: duckdb.DuckDBPyConnection, uf: GuardedUnionFind, p: Params) -> tuple[list[tuple], int]:
    """Merge clusters round by round; return (accepted pairs, refused count)."""
    accepted: list[tuple] = []
    refused = 0
    slim_features(con)
    write_membership(con, uf)
    round_candidates(con, '"_ir_cand"')
    run(con, 'CREATE OR REPLACE TEMP TABLE "_ir_rscore" AS SELECT * FROM "_ir_rcand"')
    for number in range(1, p.cluster_rounds + 1):
        profiles(con)
        score(con, p)
        merged, blocked, pairs = _merge(con, uf, number)
        accepted += pairs
        refused += blocked
        logger.info("identity: cluster round %d merged %d cluster pairs (%d refused)", number, merged, blocked)
        if not merged:
            break
        roots = {uf.find(a) for a, *_ in pairs}
        changed = _changed_members(uf, roots)
        write_membership(con, uf, roots)
        remember_reach(con)
        touched_blocks(con, changed)
        worth_scoring(con, changed, p)
    drop_round_tables(con)
    return accepted, refused


_ROUND_TABLES = ("_ir_features", "_ir_rcand", "_ir_rscore", "_ir_touched", "_ir_cm", "_ir_cscope", "_ir_cprof",
                 "_ir_named", "_ir_ccand", "_ir_cscored", "_ir_cpairs", "_ir_reach", "_ir_cmap")


def drop_round_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Free the rounds' tables before the write: at a million identities the
    write's Python rows are the night's memory peak, on top of whatever
    DuckDB still holds."""
    for table in _ROUND_TABLES:
        run(con, f'DROP TABLE IF EXISTS "{table}"')


def slim_features(con: duckdb.DuckDBPyConnection) -> None:
    """Keep only the comparison columns the rounds read. Why: at a million
    identities `_ir_features` holds millions of pairs with both names,
    affiliations, sources and shared topics as strings -- the largest table
    of the night, kept in memory through every round for nothing."""
    run(con, '''
CREATE OR REPLACE TEMP TABLE "_ir_features" AS
SELECT "pair_id", "identity_a", "identity_b", "name_level", "raw_equal", "affil_agree", "shared_coauthors",
       "ambiguous_initial"
FROM "_ir_features"''')


def round_candidates(con: duckdb.DuckDBPyConnection, source: str) -> None:
    """`_ir_rcand`: the pairs of ``source`` worth comparing as clusters.

    Two single records whose names are incompatible, or whose employers
    differ with no shared co-author, can never reach the threshold here
    (at most 9+1-8+7+2 = 11 or -12+1+6+7+6+2 = 10 < 12): the pair step
    already saw exactly these profiles, so they are left out."""
    run(con, f'''
CREATE OR REPLACE TEMP TABLE "_ir_rcand" AS
SELECT c."pair_id", c."identity_a", c."identity_b"
FROM {source} c JOIN "_ir_features" f USING ("pair_id")
WHERE NOT (f."name_level" = 0 OR (coalesce(NOT f."affil_agree", FALSE) AND f."shared_coauthors" = 0))
   OR c."identity_a" IN (SELECT "identity_id" FROM "_ir_cmap")
   OR c."identity_b" IN (SELECT "identity_id" FROM "_ir_cmap")''')


def _changed_members(uf: GuardedUnionFind, roots: set[str]) -> list[str]:
    return [m for root in roots for m in uf.data[root].members]


def touched_blocks(con: duckdb.DuckDBPyConnection, changed: list[str]) -> None:
    """`_ir_rcand` for the next round: only candidate pairs in a name block
    that a merge touched. Elsewhere profiles and name frequencies are as
    they were, so the decision would be the same: re-scoring is wasted."""
    con.register("_ir_changed_arrow", pa.table({"identity_id": pa.array(changed, pa.string())}))
    run(con, '''
CREATE OR REPLACE TEMP TABLE "_ir_touched" AS
WITH keys AS (
    SELECT DISTINCT k FROM "_ir_changed_arrow" c JOIN "_ir_names" n USING ("identity_id"),
         unnest([n."fl_key", n."init_key", n."sorted_key"]) AS u(k)
    WHERE k IS NOT NULL
), hit AS (
    SELECT "identity_id" FROM "_ir_names"
    WHERE "fl_key" IN (SELECT k FROM keys) OR "init_key" IN (SELECT k FROM keys)
       OR "sorted_key" IN (SELECT k FROM keys)
    UNION SELECT "identity_id" FROM "_ir_changed_arrow"
)
SELECT c.* FROM "_ir_cand" c
WHERE c."identity_a" IN (SELECT "identity_id" FROM hit) OR c."identity_b" IN (SELECT "identity_id" FROM hit)''')
    con.unregister("_ir_changed_arrow")
    round_candidates(con, '"_ir_touched"')


# Largest rise of a cluster pair's weight when only name frequency changes:
# w_tf goes up to +1 and w_rare (tf <= 3) may switch on (+3).
_TF_GAIN = 4


def remember_reach(con: duckdb.DuckDBPyConnection) -> None:
    """`_ir_reach`: per scored cluster pair, the best weight it could reach
    while both clusters stay as they are. Appended every round without a key
    (an index on millions of pairs costs more than it saves); a pair scored in
    several rounds counts with its highest reach, which can only re-score
    more, never less."""
    run(con, 'CREATE TEMP TABLE IF NOT EXISTS "_ir_reach" ("ca" VARCHAR, "cb" VARCHAR, "reach" DOUBLE)')
    run(con, f'''INSERT INTO "_ir_reach"
                  SELECT "ca", "cb", "weight" - "w_tf" - "w_rare" + {_TF_GAIN} FROM "_ir_cscored"''')


def worth_scoring(con: duckdb.DuckDBPyConnection, changed: list[str], p: Params) -> None:
    """`_ir_rscore`: the pairs of `_ir_rcand` whose decision can change.

    Why: a merge touches a name block, but in that block a pair of two
    *unchanged* clusters keeps its profiles; only the name frequency (fewer
    clusters carry the name now) moves its weight, by at most `_TF_GAIN`. A
    pair that stayed that far below the threshold cannot pass, so it is not
    scored again. `_ir_rcand` stays whole: name frequencies count over it."""
    con.register("_ir_changed_arrow", pa.table({"identity_id": pa.array(changed, pa.string())}))
    run(con, '''
CREATE OR REPLACE TEMP TABLE "_ir_rscore" AS
WITH placed AS (
    SELECT c."pair_id", c."identity_a", c."identity_b",
           coalesce(ma."cluster_id", c."identity_a") AS "ca", coalesce(mb."cluster_id", c."identity_b") AS "cb"
    FROM "_ir_rcand" c
    LEFT JOIN "_ir_cmap" ma ON ma."identity_id" = c."identity_a"
    LEFT JOIN "_ir_cmap" mb ON mb."identity_id" = c."identity_b"
)
SELECT x."pair_id", x."identity_a", x."identity_b"
FROM placed x
LEFT JOIN (SELECT "ca", "cb", max("reach") AS "reach" FROM "_ir_reach" GROUP BY ALL) r
       ON r."ca" = least(x."ca", x."cb") AND r."cb" = greatest(x."ca", x."cb")
WHERE x."ca" <> x."cb"
  AND (r."reach" IS NULL OR r."reach" >= ?
       OR x."identity_a" IN (SELECT "identity_id" FROM "_ir_changed_arrow")
       OR x."identity_b" IN (SELECT "identity_id" FROM "_ir_changed_arrow"))''', [p.accept_weight])
    con.unregister("_ir_changed_arrow")


def write_membership(con: duckdb.DuckDBPyConnection, uf: GuardedUnionFind, changed: set[str] | None = None) -> None:
    """`_ir_cmap`: identity -> current cluster, for multi-record clusters only
    (a record absent from it is its own cluster). After a round only the
    members of the clusters that merged are rewritten: everyone else's
    cluster is what it was."""
    roots = changed if changed is not None else [r for r, c in uf.data.items() if len(c.members) > 1]
    ids: list[str] = []
    cids: list[str] = []
    for root in roots:
        members = uf.data[root].members
        ids.extend(members)
        cids.extend([root] * len(members))
    table = pa.table({"identity_id": pa.array(ids, pa.string()), "cluster_id": pa.array(cids, pa.string())})
    con.register("_ir_cmap_arrow", table)
    if changed is None:
        run(con, 'CREATE OR REPLACE TEMP TABLE "_ir_cmap" AS SELECT * FROM "_ir_cmap_arrow"')
    else:
        run(con, 'DELETE FROM "_ir_cmap" WHERE "identity_id" IN (SELECT "identity_id" FROM "_ir_cmap_arrow")')
        run(con, 'INSERT INTO "_ir_cmap" SELECT * FROM "_ir_cmap_arrow"')
    con.unregister("_ir_cmap_arrow")


def profiles(con: duckdb.DuckDBPyConnection) -> None:
    """`_ir_cm` (members of the clusters the name blocks touch: name
    frequencies count over them) and `_ir_cprof` (one row per cluster that
    a pair to score touches: the union of its members' context)."""
    run(con, '''
CREATE OR REPLACE TEMP TABLE "_ir_cm" AS
WITH touched AS (SELECT "identity_a" AS "identity_id" FROM "_ir_rcand"
                 UNION SELECT "identity_b" FROM "_ir_rcand"),
tc AS (SELECT DISTINCT coalesce(c."cluster_id", t."identity_id") AS "cid"
       FROM touched t LEFT JOIN "_ir_cmap" c USING ("identity_id"))
SELECT coalesce(c."cluster_id", t."identity_id") AS "cid", t."identity_id"
FROM touched t LEFT JOIN "_ir_cmap" c USING ("identity_id")
UNION
SELECT c."cluster_id", c."identity_id" FROM "_ir_cmap" c JOIN tc ON tc."cid" = c."cluster_id"''')
    run(con, '''
CREATE OR REPLACE TEMP TABLE "_ir_cscope" AS
SELECT DISTINCT m."cid" FROM "_ir_cm" m
WHERE m."identity_id" IN (SELECT "identity_a" FROM "_ir_rscore" UNION SELECT "identity_b" FROM "_ir_rscore")''')
    run(con, f'''
CREATE OR REPLACE TEMP TABLE "_ir_cprof" AS
WITH multi AS (SELECT DISTINCT "cluster_id" FROM "_ir_cmap")
SELECT m."cid",
       list_distinct(flatten(list(t."topics") FILTER (t."topics" IS NOT NULL)))[1:256] AS "topics",
       list_distinct(flatten(list(t."common_topics") FILTER (t."common_topics" IS NOT NULL)))[1:256] AS "common_topics",
       list_distinct(flatten(list(f."fields") FILTER (f."fields" IS NOT NULL))) AS "fields",
       list_distinct(flatten(list(f."categories") FILTER (f."categories" IS NOT NULL))) AS "categories",
       list(DISTINCT array_to_string(n."affil_tokens", ' ')) FILTER (len(n."affil_tokens") > 0) AS "affils",
       list_distinct(flatten(list(co."coauthors") FILTER (co."coauthors" IS NOT NULL)))[1:256] AS "coauthors",
       list(DISTINCT n."location_key") FILTER (n."location_key" IS NOT NULL) AS "locations",
       list(DISTINCT {FULL_NAME}) FILTER ({HAS_FULL_NAME}) AS "full_names"
FROM "_ir_cm" m
JOIN "_ir_names" n USING ("identity_id")
LEFT JOIN "_ir_topics" t USING ("identity_id")
LEFT JOIN "_ir_fields" f USING ("identity_id")
LEFT JOIN "_ir_coauthors" co USING ("identity_id")
WHERE m."cid" IN (SELECT "cluster_id" FROM multi) AND m."cid" IN (SELECT "cid" FROM "_ir_cscope")
GROUP BY m."cid"
UNION ALL
SELECT m."cid", t."topics", t."common_topics", f."fields", f."categories",
       CASE WHEN len(n."affil_tokens") > 0 THEN [array_to_string(n."affil_tokens", ' ')] END,
       co."coauthors", CASE WHEN n."location_key" IS NOT NULL THEN [n."location_key"] END,
       CASE WHEN {HAS_FULL_NAME} THEN [{FULL_NAME}] END
FROM "_ir_cm" m
JOIN "_ir_names" n USING ("identity_id")
LEFT JOIN "_ir_topics" t USING ("identity_id")
LEFT JOIN "_ir_fields" f USING ("identity_id")
LEFT JOIN "_ir_coauthors" co USING ("identity_id")
WHERE m."cid" NOT IN (SELECT "cluster_id" FROM multi) AND m."cid" IN (SELECT "cid" FROM "_ir_cscope")''')


NAMED_SQL = '''
CREATE OR REPLACE TEMP TABLE "_ir_named" AS
WITH named AS (
    SELECT m."cid", n."identity_id", n."tokens", n."fl_key", n."init_key"
    FROM "_ir_cm" m JOIN "_ir_names" n USING ("identity_id")
), tf_fl AS (SELECT "fl_key", count(DISTINCT "cid") AS "tf" FROM named WHERE "fl_key" IS NOT NULL GROUP BY 1),
tf_init AS (SELECT "init_key", count(DISTINCT "cid") AS "tf" FROM named WHERE "init_key" IS NOT NULL GROUP BY 1)
SELECT named."cid", named."identity_id", length(named."tokens"[1]) AS "first_len",
       coalesce(fa."tf", 1) AS "tf_fl", coalesce(ia."tf", 1) AS "tf_init",
       named."tokens"[-1] NOT IN (SELECT "surname" FROM "_ir_common_surnames") AS "uncommon_surname"
FROM named
LEFT JOIN tf_fl fa ON fa."fl_key" = named."fl_key"
LEFT JOIN tf_init ia ON ia."init_key" = named."init_key"'''

CANDIDATES_SQL = '''
WITH pairs AS (
    SELECT least(na."cid", nb."cid") AS "ca", greatest(na."cid", nb."cid") AS "cb", c."pair_id",
           f."name_level" * 10 + f."raw_equal"::INT AS "k", c."identity_a", c."identity_b",
           CASE WHEN na."first_len" >= 2 AND nb."first_len" >= 2 THEN na."tf_fl" ELSE na."tf_init" END AS "tf",
           na."first_len" >= 3 AND nb."first_len" >= 3
             AND na."uncommon_surname" AND nb."uncommon_surname" AS "uncommon"
    FROM "_ir_rscore" c
    JOIN "_ir_features" f USING ("pair_id")
    JOIN "_ir_named" na ON na."identity_id" = c."identity_a"
    JOIN "_ir_named" nb ON nb."identity_id" = c."identity_b"
    WHERE na."cid" <> nb."cid"
), best AS (  -- the best-named record pair of each cluster pair; ties broken by ids
    SELECT "ca", "cb", arg_max(struct_pack(pair_id := "pair_id", tf := "tf", uncommon := "uncommon"),
                               struct_pack(k := "k", a := "identity_a", b := "identity_b")) AS "b"
    FROM pairs GROUP BY 1, 2
)
SELECT best."ca", best."cb",
       struct_pack(a := f."identity_a", b := f."identity_b", name_a := na."name", name_b := nb."name",
                   level := f."name_level", raw_equal := f."raw_equal", tf := best."b".tf,
                   ambiguous := f."ambiguous_initial", uncommon := best."b".uncommon) AS "best"
FROM best JOIN "_ir_features" f ON f."pair_id" = best."b".pair_id
JOIN "_ir_names" na ON na."identity_id" = f."identity_a"
JOIN "_ir_names" nb ON nb."identity_id" = f."identity_b"'''

WEIGHTS_SQL = '''
SELECT c."ca", c."cb", c."best",
       CASE WHEN len(coalesce(pa."full_names", [])) + len(coalesce(pb."full_names", [])) > 2
                 AND "ir_names_conflict"(pa."full_names", pb."full_names") THEN -12
            WHEN c."best".level = 4 AND c."best".raw_equal THEN 9
            WHEN c."best".level >= 3 THEN 8
            WHEN c."best".level = 2 THEN 6
            WHEN c."best".level = 1 THEN 3
            ELSE -12 END
       - CASE WHEN c."best".ambiguous THEN 6 ELSE 0 END AS "w_name",
       CASE WHEN c."best".tf <= 2 THEN 1 ELSE -greatest(0, log2(c."best".tf) - 3) END AS "w_tf",
       CASE WHEN c."best".level >= 3 AND c."best".uncommon AND c."best".tf <= 3 THEN 3 ELSE 0 END AS "w_rare",
       CASE WHEN len(coalesce(pa."affils", [])) = 0 OR len(coalesce(pb."affils", [])) = 0 THEN 0
            WHEN list_has_any(pa."affils", pb."affils") THEN 6
            WHEN "ir_affils_agree"(pa."affils", pb."affils") THEN 6 ELSE -8 END AS "w_affil",
       list_filter(list_intersect(coalesce(pa."topics", []), coalesce(pb."topics", [])),
                   lambda t: "ir_field"(t) IS NULL) AS "shared_topics",
       pa."common_topics" AS "common_a", pb."common_topics" AS "common_b",
       list_has_any(coalesce(pa."fields", []), coalesce(pb."fields", [])) AS "same_field",
       len(list_intersect(coalesce(pa."categories", []), coalesce(pb."categories", []))) AS "shared_categories",
       len(coalesce(pa."fields", [])) > 0 AND len(coalesce(pb."fields", [])) > 0
           AND NOT list_has_any(pa."fields", pb."fields") AS "field_conflict",
       len(list_intersect(coalesce(pa."coauthors", []), coalesce(pb."coauthors", []))) AS "shared_coauthors",
       list_has_any(coalesce(pa."locations", []), coalesce(pb."locations", [])) AS "same_location",
       pa."affils" AS "affils_a", pb."affils" AS "affils_b"
FROM "_ir_ccand" c
JOIN "_ir_cprof" pa ON pa."cid" = c."ca"
JOIN "_ir_cprof" pb ON pb."cid" = c."cb"'''


def score(con: duckdb.DuckDBPyConnection, p: Params) -> None:
    """`_ir_cpairs`: accepted cluster pairs with weight, confidence and reason.

    Same scale as the pair rules (threshold `accept_weight`, names alone never
    enough), plus two separating signals only visible on clusters: disjoint
    research fields and incompatible full first names."""
    run(con, NAMED_SQL)
    run(con, f'CREATE OR REPLACE TEMP TABLE "_ir_ccand" AS {CANDIDATES_SQL}')
    run(con, f"""
CREATE OR REPLACE TEMP TABLE "_ir_cscored" AS
WITH w0 AS ({WEIGHTS_SQL}),
w1 AS (
    SELECT *,
           least(7, CASE WHEN len("shared_topics") >= 3 THEN 7 WHEN len("shared_topics") = 2 THEN 6
                         WHEN len("shared_topics") = 1 THEN 3 ELSE 0 END
                    + CASE WHEN "shared_categories" >= 2 THEN 4 WHEN "shared_categories" = 1 THEN 3
                           WHEN "same_field" THEN 2
                           WHEN len("shared_topics") = 0 AND list_has_any("common_a", "common_b") THEN 2
                           ELSE 0 END
                    ) AS "w_topic",
           CASE WHEN "field_conflict" THEN -10 ELSE 0 END AS "w_field",
           CASE WHEN "shared_coauthors" > 0 THEN 6 ELSE 0 END AS "w_coauthor",
           CASE WHEN "same_location" THEN 2 ELSE 0 END AS "w_location"
    FROM w0),
w2 AS (SELECT * REPLACE (CASE WHEN "w_affil" < 0 OR "w_field" < 0 THEN 0 ELSE "w_rare" END AS "w_rare") FROM w1),
w3 AS (SELECT *, "w_name" + "w_tf" + "w_rare" + "w_affil" + "w_topic" + "w_field" + "w_coauthor" + "w_location"
                 AS "weight" FROM w2),
w AS (SELECT *, "weight" >= ? AND ("w_affil" > 0 OR "w_topic" > 0 OR "w_coauthor" > 0 OR "w_location" > 0
                                   OR ("w_rare" > 0 AND "w_affil" = 0 AND "w_field" = 0 AND "w_name" > 0))
                AS "accepted" FROM w3)
SELECT w."best".a AS "identity_a", w."best".b AS "identity_b", w."ca", w."cb", w."weight", w."w_tf", w."w_rare",
       least(0.98, 1.0 / (1.0 + pow(2.0, -(w."weight" - ?)))) AS "confidence",
       CASE WHEN w."accepted" THEN concat_ws('; ',   -- only accepted pairs are read for their reason
           'cluster profiles: names ''' || w."best".name_a || ''' ~ ''' || w."best".name_b
               || ''' (level ' || w."best".level || ')',
           CASE WHEN w."w_affil" > 0 THEN 'affiliations ' || array_to_string(list_sort(w."affils_a")[1:3], ', ')
                || ' ~ ' || array_to_string(list_sort(w."affils_b")[1:3], ', ') END,
           CASE WHEN len(w."shared_topics") > 0 THEN len(w."shared_topics") || ' shared topics ('
                || array_to_string(list_sort(w."shared_topics")[1:5], ', ') || ')'
                END,
           CASE WHEN w."shared_categories" > 0 THEN w."shared_categories" || ' shared categories'
                WHEN w."same_field" THEN 'same research field'
                WHEN len(w."shared_topics") = 0 AND list_has_any(w."common_a", w."common_b")
                THEN 'common topics (' || array_to_string(list_sort(list_intersect(w."common_a", w."common_b"))[1:3], ', ')
                     || ')' END,
           CASE WHEN w."w_coauthor" > 0 THEN w."shared_coauthors" || ' shared co-authors' END,
           CASE WHEN w."w_location" > 0 THEN 'same location' END,
           CASE WHEN w."w_rare" > 0 THEN 'uncommon full name, held by at most three records' END,
           'weight ' || round(w."weight", 1)) END AS "reason",
       w."accepted"
FROM w""", [p.accept_weight, p.prior_weight])
    run(con, 'CREATE OR REPLACE TEMP TABLE "_ir_cpairs" AS SELECT * FROM "_ir_cscored" WHERE "accepted"')


def _merge(con: duckdb.DuckDBPyConnection, uf: GuardedUnionFind, number: int) -> tuple[int, int, list[tuple]]:
    """Union accepted cluster pairs, strongest first, through the guards.

    A second merge of a cluster in the same round (A~B, then B~C) joins A and
    C although nobody compared them (Jennifer and John Smith through one
    "J. Smith"). It is allowed only when nothing separates the groups it
    joins (`_Separation`: conflicting full names, employers that never agree,
    disjoint research fields); otherwise it waits for the next round, where
    the merged profile is compared as a whole. Why allow it at all: a
    prolific author's many records would otherwise need one round per
    doubling, each re-scoring every touched pair."""
    rows = con.execute('''SELECT "identity_a", "identity_b", "ca", "cb", "confidence", "reason" FROM "_ir_cpairs"
                          ORDER BY "weight" DESC, "identity_a", "identity_b"''').fetchall()
    separation = _Separation.load(con)
    merged = refused = 0
    accepted = []
    for a, b, ca, cb, confidence, reason in rows:
        ra, rb = uf.find(a), uf.find(b)
        if ra == rb or not separation.allows(ra, rb, ca, cb):
            continue
        if uf.union(a, b):
            separation.joined(ra, rb, uf.find(a), ca, cb)
            merged += 1
            accepted.append((min(a, b), max(a, b), confidence, f"round {number}: {reason}", METHOD))
        else:
            refused += 1
    return merged, refused, accepted


class _Separation:
    """What can separate two groups without scoring them: full names with the
    same family name and incompatible first names, affiliations that never
    match, disjoint research fields -- the negative signals of WEIGHTS_SQL,
    checked conservatively (exact strings, token containment): any doubt
    defers the merge to the next round.

    A root merged this round carries the union of its groups' signals as
    sets, grown at each merge (a prolific author joining fifty groups in
    one round would otherwise re-union all of them at every check); a group
    not merged yet is read straight from its profile row."""

    _EMPTY = ((), (), ())

    def __init__(self, table: pa.Table):
        self.row = {cid: i for i, cid in enumerate(table.column("cid").to_pylist())}
        self.columns = [table.column(name).to_pylist() for name in ("full_names", "affils", "fields")]
        self.merged_now: dict[str, tuple[set, set, set]] = {}   # root merged this round -> its signals

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection) -> "_Separation":
        return cls(con.sql('''
SELECT p."cid", p."full_names", p."affils", p."fields" FROM "_ir_cprof" p
WHERE p."cid" IN (SELECT "ca" FROM "_ir_cpairs" UNION SELECT "cb" FROM "_ir_cpairs")''').to_arrow_table())

    def _profile(self, cid: str) -> tuple:
        i = self.row.get(cid)
        return self._EMPTY if i is None else tuple(column[i] or () for column in self.columns)

    def _signals(self, root: str, cid: str) -> tuple:
        merged = self.merged_now.get(root)
        return merged if merged is not None else self._profile(cid)

    def allows(self, ra: str, rb: str, ca: str, cb: str) -> bool:
        if ra not in self.merged_now and rb not in self.merged_now:
            return True   # both as scored: the pair's own weight decided
        (na, aa, fa), (nb, ab, fb) = self._signals(ra, ca), self._signals(rb, cb)
        return not (_names_conflict(na, nb) or _affils_disagree(aa, ab)
                    or (fa and fb and not set(fa).intersection(fb)))

    def joined(self, ra: str, rb: str, root: str, ca: str, cb: str) -> None:
        sa, sb = self.merged_now.pop(ra, None), self.merged_now.pop(rb, None)
        if sa is None and sb is None:
            merged = tuple(set(x) for x in self._profile(ca))
            other = self._profile(cb)
        elif sa is None or sb is None:
            merged = sa if sa is not None else sb
            other = self._profile(ca if sa is None else cb)
        else:
            merged, other = (sa, sb) if len(sa[0]) + len(sa[1]) >= len(sb[0]) + len(sb[1]) else (sb, sa)
        for mine, theirs in zip(merged, other):
            mine.update(theirs)
        self.merged_now[root] = merged


def _names_conflict(xs, ys) -> bool:
    """'last|first' full names: same family name, neither first name a prefix of the other."""
    for x in xs:
        last_x, _, first_x = x.partition("|")
        for y in ys:
            last_y, _, first_y = y.partition("|")
            if last_x == last_y and not (first_x.startswith(first_y) or first_y.startswith(first_x)):
                return True
    return False


def _affils_disagree(xs, ys) -> bool:
    """Both sides name employers and none matches (equal, or one's tokens contained in the other's)."""
    if not xs or not ys:
        return False
    for x in xs:
        tx = set(x.split())
        for y in ys:
            ty = set(y.split())
            if x == y or tx <= ty or ty <= tx:
                return False
    return True
