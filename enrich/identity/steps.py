"""SQL steps of identity resolution, one named function per step.

Each step reads the warehouse surface (`identities`, `identity_links`,
`evidence`) or an earlier step's temporary table ("_ir_*") and writes one
temporary table. Everything pair-shaped is computed in DuckDB: candidate pairs
only come from blocks (same name key, same strong identifier, same talk or
paper title), never from all pairs, so cost grows with block sizes, not n^2.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib import resources

import duckdb

from enrich.identity.nicknames import NICKNAMES
from enrich.identity.surnames import COMMON_SURNAMES

logger = logging.getLogger(__name__)

STRONG_KINDS = ("github", "email", "homepage", "orcid", "openreview", "dblp", "scholar", "huggingface")


@dataclass(frozen=True)
class Params:
    """Tunable limits. Why each exists is in the step that uses it."""

    max_block: int = 400          # name blocks larger than this are skipped (logged)
    generic_names: int = 3        # an identifier held by more distinct names is generic
    generic_holders: int = 25     # ... or by more identities than this
    topic_max_df: float = 0.02    # topic tokens on more than this share of identities are noise
    topic_min_df_cap: int = 25    # ... but never drop a token held by <= this many
    topic_common_df: float = 0.10  # tokens above the cap but on at most this share are weak ("common") topics
    accept_weight: float = 12.0   # match weight needed to accept a scored pair
    prior_weight: float = 10.0    # log2 prior odds offset: confidence = 1/(1+2^-(w-prior))
    work_days: int = 10           # same talk title counts only if dates are this close
    cluster_rounds: int = 4       # at most this many cluster-profile rounds (each stops early when stable);
    # rounds 5-6 merged ~0.02% of pairs (300k: 94 pairs, 44% of them right) for ~10% of the rounds' time
    incremental_max_share: float = 0.2  # above this share of changed identities a night resolves in full
    full_every_days: int = 7      # an incremental night older than this since the last full one goes full


def run(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> None:
    """Execute one statement and fully consume it (DuckDB 2.0: a half-read
    result blocks the next statement on the connection)."""
    con.execute(sql, params or []).fetchall()


def create_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Name/affiliation folding and comparison macros from prepare.sql."""
    text = resources.files("enrich.identity").joinpath("prepare.sql").read_text("utf-8")
    for statement in _split_sql(text):
        run(con, statement)


def _split_sql(text: str) -> list[str]:
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";\n") if s.strip().rstrip(";")]


def load_nicknames(con: duckdb.DuckDBPyConnection) -> None:
    """The nickname table as a temp table, joined on the first name token."""
    variants = sorted(NICKNAMES)
    run(con, 'CREATE OR REPLACE TEMP TABLE "_ir_nick" AS '
             'SELECT unnest(?::VARCHAR[]) AS "variant", unnest(?::VARCHAR[]) AS "canonical"',
        [variants, [NICKNAMES[v] for v in variants]])


def load_surnames(con: duckdb.DuckDBPyConnection) -> None:
    """Very common family names (surnames.py) as a temp table."""
    run(con, 'CREATE OR REPLACE TEMP TABLE "_ir_common_surnames" AS SELECT unnest(?::VARCHAR[]) AS "surname"',
        [sorted(COMMON_SURNAMES)])


def names(con: duckdb.DuckDBPyConnection) -> None:
    """One row per identity with folded name tokens and blocking keys.

    `tokens` has the first token replaced by its canonical nickname form;
    `raw_tokens` keeps it as written (for handle matching). An internal
    record's "affiliation" is a team inside the company, not an employer, so
    it never agrees or disagrees with an outside affiliation.

    Names, affiliations and places are folded once per distinct value (the
    folding macros are regex chains; at 100k people 301k identities carry
    109k names, and far fewer employers and places)."""
    run(con, '''
CREATE OR REPLACE TEMP TABLE "_ir_names" AS
WITH src AS (
    SELECT i."identity_id", i."source", i."source_kind", i."source_key", i."name", i."affiliation", i."location"
    FROM "identities" i
), nm AS (
    SELECT k, "ir_name_tokens"(k) AS "raw_tokens", "ir_fold"(k) AS "folded"
    FROM (SELECT DISTINCT coalesce("name", '') AS k FROM src)
), af AS (
    SELECT k, "ir_affil_tokens"(k) AS "affil_tokens" FROM (SELECT DISTINCT coalesce("affiliation", '') AS k FROM src)
), lc AS (
    SELECT k, nullif("ir_fold"(k), '') AS "location_key" FROM (SELECT DISTINCT coalesce("location", '') AS k FROM src)
), t AS (
    SELECT s.*, nm."raw_tokens",
           CASE WHEN s."source_kind" = 'internal' THEN []::VARCHAR[] ELSE af."affil_tokens" END AS "affil_tokens",
           lc."location_key", nm."folded"
    FROM src s
    JOIN nm ON nm.k = coalesce(s."name", '')
    JOIN af ON af.k = coalesce(s."affiliation", '')
    JOIN lc ON lc.k = coalesce(s."location", '')
), c AS (
    SELECT t.* EXCLUDE ("folded"),
           CASE WHEN len(t."raw_tokens") = 0 THEN []::VARCHAR[]
                ELSE list_prepend(coalesce(n."canonical", t."raw_tokens"[1]), t."raw_tokens"[2:])
           END AS "tokens",
           CASE WHEN t."source_kind" = 'github'
                THEN len(t."raw_tokens") = 0 OR t."folded" = "ir_fold"(t."source_key")
                ELSE FALSE END AS "name_is_login"
    FROM t LEFT JOIN "_ir_nick" n ON n."variant" = t."raw_tokens"[1]
)
SELECT c.* EXCLUDE ("name_is_login"),
       len(c."tokens") AS "n_tokens",
       c."tokens"[1] AS "first", c."tokens"[-1] AS "last",
       CASE WHEN len(c."tokens") >= 2 THEN c."tokens"[1] || ' ' || c."tokens"[-1] END AS "fl_key",
       CASE WHEN len(c."tokens") >= 2 THEN c."tokens"[-1] || '|' || c."tokens"[1][1] END AS "init_key",
       CASE WHEN len(c."tokens") >= 2 THEN array_to_string(list_sort(c."tokens"), ' ') END AS "sorted_key",
       len(c."tokens") > 0 AND NOT c."name_is_login" AS "has_real_name",
       CASE WHEN c."name_is_login" THEN lower(c."source_key") END AS "login_only"
FROM c''')


def handles(con: duckdb.DuckDBPyConnection) -> None:
    """GitHub logins per identity: a GitHub user's own login and GitHub links.
    Used as an alternative 'name' ("disconnect3d" speaks as their login)."""
    run(con, '''
CREATE OR REPLACE TEMP TABLE "_ir_handles" AS
SELECT DISTINCT "identity_id", lower(trim("value")) AS "login"
FROM "_ir_src_links" WHERE "kind" = 'github' AND coalesce(trim("value"), '') <> ''
UNION
SELECT "identity_id", lower("source_key") FROM "_ir_names" WHERE "source_kind" = 'github' ''')


def strong_values(con: duckdb.DuckDBPyConnection, p: Params) -> None:
    """Strong identifiers per identity, with generic values flagged.

    A value held by identities with more than `generic_names` distinct real
    names (a company homepage, an org's GitHub, info@ mailbox) is generic
    and never links anyone."""
    kinds = list(STRONG_KINDS)
    run(con, '''
CREATE OR REPLACE TEMP TABLE "_ir_strong" AS
WITH v AS (
    SELECT DISTINCT l."identity_id", l."kind",
           CASE WHEN l."kind" = 'orcid' THEN upper(trim(l."value"))
                WHEN l."kind" = 'openreview' THEN trim(l."value")
                ELSE lower(trim(l."value")) END AS "value"
    FROM "_ir_src_links" l
    WHERE list_contains(?::VARCHAR[], l."kind") AND coalesce(trim(l."value"), '') <> ''
    UNION
    SELECT "identity_id", 'github', lower("source_key") FROM "_ir_names" WHERE "source_kind" = 'github'
), g AS (
    SELECT v."kind", v."value", count(DISTINCT v."identity_id") AS "holders",
           count(DISTINCT n."init_key") FILTER (WHERE n."has_real_name") AS "names"
    FROM v JOIN "_ir_names" n USING ("identity_id")
    GROUP BY ALL
)
SELECT v.*, g."holders", (g."names" > ? OR g."holders" > ?) AS "generic"
FROM v JOIN g USING ("kind", "value")''', [kinds, p.generic_names, p.generic_holders])
    n_generic = con.execute('SELECT count(DISTINCT ("kind", "value")) FROM "_ir_strong" WHERE "generic"').fetchone()[0]
    if n_generic:
        logger.info("identity: %d shared identifier values ignored as generic", n_generic)


def _describe(alias: str) -> str:
    """SQL for 'where' an identifier was found, for the pair reason."""
    return (f'''CASE WHEN {alias}."kind" = 'github' AND n{alias}."source_kind" = 'github'
                     AND {alias}."value" = lower(n{alias}."source_key")
                THEN 'GitHub user ' || {alias}."identity_id"
                ELSE CASE n{alias}."source_kind" WHEN 'conference' THEN 'speaker links of '
                     WHEN 'internal' THEN 'internal record ' ELSE 'links of ' END
                     || {alias}."identity_id" END''')


def strong_pairs(con: duckdb.DuckDBPyConnection) -> None:
    """Pairs sharing a non-generic strong identifier, confidence 0.99.

    Gate: the two names must be compatible (or one side has no real name,
    e.g. a GitHub user without a profile name), or the login fits the other
    name. A shared identifier between clearly different names is more likely
    a colleague's repo or a shared homepage than one person."""
    run(con, f"""
CREATE OR REPLACE TEMP TABLE "_ir_pairs_strong" AS
SELECT a."identity_id" AS "identity_a", b."identity_id" AS "identity_b",
       0.99 AS "confidence",
       string_agg(
           CASE a."kind" WHEN 'github' THEN 'github login' WHEN 'email' THEN 'public email'
                WHEN 'homepage' THEN 'homepage' WHEN 'orcid' THEN 'ORCID'
                ELSE 'OpenReview id' END
           || ' ''' || a."value" || ''' in ' || {_describe('a')} || ' and ' || {_describe('b')},
           '; ' ORDER BY a."kind", a."value") AS "reason",
       'strong_id' AS "method"
FROM "_ir_strong" a
JOIN "_ir_strong" b ON a."kind" = b."kind" AND a."value" = b."value" AND a."identity_id" < b."identity_id"
JOIN "_ir_names" na ON na."identity_id" = a."identity_id"
JOIN "_ir_names" nb ON nb."identity_id" = b."identity_id"
WHERE NOT a."generic"
  AND ("ir_name_level"(na."tokens", nb."tokens") >= 1
       OR (a."kind" <> 'homepage' AND (NOT na."has_real_name" OR NOT nb."has_real_name"))
       OR (a."kind" = 'github' AND ("ir_login_fits"(a."value", na."raw_tokens")
                                     OR "ir_login_fits"(a."value", nb."raw_tokens"))))
GROUP BY ALL""")


def paper_code_pairs(con: duckdb.DuckDBPyConnection) -> None:
    """Join a paper's code-URL owner to the *one* author whose name fits.

    `paper_code_github` is attached to every author of a paper; only an
    author whose name is compatible with the GitHub profile's name (level 2+)
    or whose name fits the login is a candidate, and only if exactly one
    author of that paper qualifies (two "J. Li" on a paper: no guess).
    Org-owned URLs ("google-research") fit no author and link nobody."""
    run(con, """
CREATE OR REPLACE TEMP TABLE "_ir_pairs_code" AS
WITH hint AS (
    SELECT DISTINCT l."identity_id", lower(trim(l."value")) AS "login",
           regexp_replace(l."identity_id", '#[0-9]+$', '') AS "paper"
    FROM "_ir_src_links" l WHERE l."kind" = 'paper_code_github' AND coalesce(l."value", '') <> ''
), fit AS (
    SELECT h."identity_id" AS "author", h."paper", h."login", g."identity_id" AS "gh",
           na."name" AS "author_name", ng."name" AS "gh_name"
    FROM hint h
    JOIN "_ir_names" g ON g."source_kind" = 'github' AND lower(g."source_key") = h."login"
    JOIN "_ir_names" na ON na."identity_id" = h."identity_id"
    JOIN "_ir_names" ng ON ng."identity_id" = g."identity_id"
    WHERE (ng."has_real_name" AND "ir_name_level"(na."tokens", ng."tokens") >= 2)
       OR "ir_login_fits"(h."login", na."raw_tokens")
), uniq AS (
    SELECT * FROM fit QUALIFY count(*) OVER (PARTITION BY "paper", "login") = 1
)
SELECT least("author", "gh") AS "identity_a", greatest("author", "gh") AS "identity_b",
       0.95 AS "confidence",
       'code URL github.com/' || "login" || ' in paper ' || "paper"
       || ' and author ''' || "author_name" || ''' fits GitHub user ' || "gh"
       || ' (''' || "gh_name" || ''')' AS "reason",
       'paper_code' AS "method"
FROM uniq""")


def hub_paper_pairs(con: duckdb.DuckDBPyConnection) -> None:
    """Join a Hugging Face user to the *one* author of an arXiv paper their model
    cards cite, whose name fits the Hub profile's name or username.

    A card's `arxiv:` tag says the repo builds on that paper, not who wrote it:
    like a paper's code URL it is a hint, accepted only when exactly one author
    of the paper is compatible (no guess between two "J. Li")."""
    run(con, """
CREATE OR REPLACE TEMP TABLE "_ir_pairs_hub" AS
WITH hint AS (
    SELECT DISTINCT l."identity_id" AS "hub", regexp_replace(trim(l."value"), 'v[0-9]+$', '') AS "paper"
    FROM "_ir_src_links" l
    WHERE l."kind" = 'arxiv_paper' AND coalesce(l."value", '') <> '' AND l."identity_id" LIKE 'huggingface:%'
), fit AS (
    SELECT h."hub", h."paper", a."identity_id" AS "author", na."name" AS "author_name", nh."name" AS "hub_name"
    FROM hint h
    JOIN "_ir_names" a ON a."source_kind" = 'arxiv'
     AND regexp_replace(a."identity_id", '#[0-9]+$', '') = 'arxiv:' || h."paper"
    JOIN "_ir_names" na ON na."identity_id" = a."identity_id"
    JOIN "_ir_names" nh ON nh."identity_id" = h."hub"
    WHERE (nh."has_real_name" AND "ir_name_level"(na."tokens", nh."tokens") >= 2)
       OR "ir_login_fits"(lower(split_part(h."hub", ':', 2)), na."raw_tokens")
), uniq AS (
    SELECT * FROM fit QUALIFY count(*) OVER (PARTITION BY "paper", "hub") = 1
)
SELECT least("author", "hub") AS "identity_a", greatest("author", "hub") AS "identity_b",
       0.9 AS "confidence",
       'model card of ' || "hub" || ' cites arXiv ' || "paper" || ' and its author '''
       || "author_name" || ''' fits the Hub profile (''' || "hub_name" || ''')' AS "reason",
       'hub_paper' AS "method"
FROM uniq""")


def works(con: duckdb.DuckDBPyConnection) -> None:
    """Talks and papers per identity, keyed by folded title.

    Why: the same talk listed by two sources (a pyvideo archive and the
    conference's pretalx) is strong co-occurrence evidence, and two people on
    the *same* work of one source are co-authors/co-speakers, i.e. different
    people (a guard for clustering)."""
    title_keys(con)
    run(con, '''
CREATE OR REPLACE TEMP TABLE "_ir_works" AS
WITH e AS (
    SELECT s."identity_id", s."source", s."happened_on",
           "ir_work_key"(s."evidence_id", s."identity_id") AS "work_key", k."title_key"
    FROM "_ir_src_evidence" s JOIN "_ir_title_keys" k USING ("title")
    WHERE s."kind" IN ('talk', 'paper')
)
SELECT DISTINCT e.*,
       count(DISTINCT "identity_id") OVER (PARTITION BY "source", "work_key") AS "n_people",
       count(DISTINCT "work_key") OVER (PARTITION BY "source", "title_key") AS "n_same_title"
FROM e''')


def title_keys(con: duckdb.DuckDBPyConnection, replace: bool = True) -> None:
    """`_ir_title_keys`: each distinct work title folded once (works and
    topics both need it; an arXiv paper's title is on one row per author)."""
    create = "CREATE OR REPLACE TEMP TABLE" if replace else "CREATE TEMP TABLE IF NOT EXISTS"
    run(con, f'''
{create} "_ir_title_keys" AS
SELECT "title", "ir_fold"("title") AS "title_key"
FROM (SELECT DISTINCT "title" FROM "_ir_src_evidence"
      WHERE "title" IS NOT NULL AND "kind" IN ('talk', 'paper', 'contribution', 'repo'))''')


def topics(con: duckdb.DuckDBPyConnection, p: Params) -> None:
    """Topic tokens per identity: evidence tags (arXiv categories, repo topics,
    talk tracks) plus longer title words. `topics` are the specific ones
    (document frequency cap); `common_topics` those on up to
    `topic_common_df` of identities ("inference", "mlops"): weak evidence the
    cluster rounds use for rare names only; commoner tokens mean nothing.

    Frequencies are warehouse-wide: on an incremental night (few identities
    read) the last full night's counts (`_ir_df_prior`) and the number of
    all identities (`_ir_universe`) stand in for the whole."""
    title_keys(con, replace=False)   # works() made it this run
    run(con, '''
CREATE OR REPLACE TEMP TABLE "_ir_tok" AS
SELECT DISTINCT "identity_id", lower(trim(t)) AS "token"
FROM "_ir_src_evidence", unnest(coalesce("tags", []::VARCHAR[])) AS u(t)
WHERE coalesce(trim(t), '') <> ''
UNION
SELECT DISTINCT s."identity_id", w
FROM "_ir_src_evidence" s JOIN "_ir_title_keys" k USING ("title"), unnest(string_split(k."title_key", ' ')) AS u(w)
WHERE length(w) >= 6 AND s."kind" IN ('talk', 'paper', 'contribution', 'repo')''')
    run(con, '''
CREATE OR REPLACE TEMP TABLE "_ir_df" AS
SELECT t."token", greatest(count(*), max(coalesce(p."df", 0))) AS "df"
FROM "_ir_tok" t LEFT JOIN "_ir_df_prior" p USING ("token") GROUP BY t."token"''')
    run(con, '''
CREATE OR REPLACE TEMP TABLE "_ir_topics" AS
WITH cap AS (
    SELECT greatest(?, ? * (SELECT "n" FROM "_ir_universe")) AS "max_df",
           ? * (SELECT "n" FROM "_ir_universe") AS "common_df"
)
SELECT tok."identity_id",
       list(tok."token" ORDER BY df."df", tok."token") FILTER (df."df" <= cap."max_df")[1:64] AS "topics",
       list(tok."token" ORDER BY df."df", tok."token") FILTER (df."df" > cap."max_df")[1:64] AS "common_topics"
FROM "_ir_tok" tok JOIN "_ir_df" df USING ("token"), cap
WHERE df."df" >= 2 AND (df."df" <= cap."max_df" OR df."df" <= cap."common_df")
GROUP BY tok."identity_id"''', [p.topic_min_df_cap, p.topic_max_df, p.topic_common_df])
    run(con, 'DROP TABLE "_ir_tok"')   # a row per identity and token: millions, needed by nothing after


def ambiguous_initials(con: duckdb.DuckDBPyConnection) -> None:
    """Last-name+initial keys held by two different people on one work
    ("P. Moreau" and "Pedro Moreau" on the same paper): there are provably
    two people behind "P. Moreau" here, so an initial alone cannot say which.
    Initial-level joins on such a key need much more context."""
    run(con, '''
CREATE OR REPLACE TEMP TABLE "_ir_ambiguous" AS
SELECT DISTINCT n."init_key"
FROM "_ir_works" w JOIN "_ir_names" n USING ("identity_id")
WHERE w."n_people" > 1 AND n."init_key" IS NOT NULL
GROUP BY w."source", w."work_key", n."init_key"
HAVING count(DISTINCT w."identity_id") > 1''')


def fields(con: duckdb.DuckDBPyConnection) -> None:
    """arXiv-style categories and broad research fields (computing, physics,
    biology) per identity, from its papers' tags.

    Why both: a shared category is topical evidence even when it is too
    common for the topic tokens (cs.LG), and two namesakes whose papers lie
    in disjoint fields are two people -- a strong separating signal."""
    run(con, '''
CREATE OR REPLACE TEMP TABLE "_ir_fields" AS
SELECT "identity_id", list(DISTINCT c ORDER BY c) AS "categories", list(DISTINCT f ORDER BY f) AS "fields"
FROM (SELECT "identity_id", lower(trim(t)) AS c, "ir_field"(t) AS f
      FROM "_ir_src_evidence", unnest(coalesce("tags", []::VARCHAR[])) AS u(t)
      WHERE "kind" = 'paper')
WHERE f IS NOT NULL
GROUP BY "identity_id"''')


def coauthors(con: duckdb.DuckDBPyConnection) -> None:
    """Name keys of the people an identity shares a work with (co-authors,
    co-speakers): a shared co-author is strong context for a name match."""
    run(con, '''
CREATE OR REPLACE TEMP TABLE "_ir_coauthors" AS
SELECT a."identity_id", list(DISTINCT n."init_key")[1:100] AS "coauthors"
FROM "_ir_works" a
JOIN "_ir_works" b ON a."source" = b."source" AND a."work_key" = b."work_key"
                   AND a."identity_id" <> b."identity_id"
JOIN "_ir_names" n ON n."identity_id" = b."identity_id"
WHERE a."n_people" <= 50 AND n."init_key" IS NOT NULL
GROUP BY a."identity_id"''')


def name_candidates(con: duckdb.DuckDBPyConnection, p: Params) -> None:
    """Candidate pairs from name blocks: same first+last (nickname-canonical,
    middle names dropped), same sorted tokens (reversed order), and same
    last name + first initial where one side *is* an initial (also against
    a two-token name read family-name first: "X. Kim" ~ "Kim Xin"), and a
    GitHub user known only by a login against names the login spells
    ("praman-ml" ~ "Priya Raman", "junche" ~ "Jun Chen"). Blocks above
    `max_block` are skipped: a very common name needs an identifier anyway."""
    run(con, '''
CREATE OR REPLACE TEMP TABLE "_ir_cand" AS
WITH initials AS (  -- keys some initial-form name holds: the only useful 'initial' blocks
    SELECT DISTINCT "init_key" FROM "_ir_names" WHERE length("first") = 1 AND "init_key" IS NOT NULL
), k AS (
    SELECT "identity_id", 'fl' AS "block", "fl_key" AS "key", FALSE AS "is_initial"
    FROM "_ir_names" WHERE "fl_key" IS NOT NULL AND length("first") >= 2
    UNION ALL
    SELECT "identity_id", 'sorted', "sorted_key", FALSE FROM "_ir_names" WHERE "sorted_key" IS NOT NULL
    UNION ALL
    SELECT "identity_id", 'initial', "init_key", length("first") = 1 FROM "_ir_names"
    WHERE "init_key" IN (SELECT "init_key" FROM initials)
    UNION ALL
    SELECT "identity_id", 'initial', "raw_tokens"[1] || '|' || "raw_tokens"[-1][1], FALSE
    FROM "_ir_names" WHERE len("raw_tokens") = 2 AND length("raw_tokens"[-1]) >= 2
      AND "raw_tokens"[1] || '|' || "raw_tokens"[-1][1] IN (SELECT "init_key" FROM initials)
), sized AS (
    SELECT *, count(*) OVER (PARTITION BY "block", "key") AS "size" FROM k
)
SELECT DISTINCT least(a."identity_id", b."identity_id") AS "identity_a",
                greatest(a."identity_id", b."identity_id") AS "identity_b"
FROM sized a JOIN sized b
  ON a."block" = b."block" AND a."key" = b."key" AND a."identity_id" < b."identity_id"
WHERE a."size" <= ? AND (a."block" <> 'initial' OR a."is_initial" OR b."is_initial")
UNION
SELECT least(a."identity_id", b."identity_id"), greatest(a."identity_id", b."identity_id")
FROM "_ir_works" a JOIN "_ir_works" b
  ON a."title_key" = b."title_key" AND a."source" <> b."source" AND a."identity_id" < b."identity_id"
WHERE a."n_same_title" = 1 AND b."n_same_title" = 1 AND strpos(a."title_key", ' ') > 0''', [p.max_block])
    _login_candidates(con, p)
    run(con, '''CREATE OR REPLACE TEMP TABLE "_ir_cand" AS   -- an integer key: the rounds join pairs by it
                  SELECT row_number() OVER () AS "pair_id", "identity_a", "identity_b" FROM "_ir_cand"''')
    skipped = con.execute('''
        SELECT count(*) FROM (SELECT "fl_key" FROM "_ir_names" WHERE "fl_key" IS NOT NULL
                              GROUP BY 1 HAVING count(*) > ?)''', [p.max_block]).fetchone()[0]
    if skipped:
        logger.warning("identity: %d name blocks larger than %d skipped", skipped, p.max_block)


def _login_candidates(con: duckdb.DuckDBPyConnection, p: Params) -> None:
    """Add pairs of a login-only GitHub user and a named record whose name
    the login spells. The login side is small (users without a profile
    name), so the name side's spellings are joined against it, never
    grouped as a whole."""
    run(con, '''
CREATE OR REPLACE TEMP TABLE "_ir_login_forms" AS
SELECT DISTINCT "identity_id", unnest("ir_login_forms"("login_only")) AS "form"
FROM "_ir_names" WHERE "login_only" IS NOT NULL''')
    if not con.execute('SELECT count(*) FROM "_ir_login_forms"').fetchone()[0]:
        return
    run(con, '''
INSERT INTO "_ir_cand"
WITH forms AS (SELECT DISTINCT "form" FROM "_ir_login_forms"),
named AS (
    SELECT n."identity_id", f."form"
    FROM (SELECT "identity_id", unnest("ir_name_keys"("raw_tokens")) AS "form"
          FROM "_ir_names" WHERE "has_real_name" AND len("raw_tokens") >= 2) f
    JOIN "_ir_names" n USING ("identity_id")
    WHERE f."form" IN (SELECT "form" FROM forms)
    QUALIFY count(*) OVER (PARTITION BY f."form") <= ?
)
SELECT DISTINCT least(l."identity_id", n."identity_id"), greatest(l."identity_id", n."identity_id")
FROM "_ir_login_forms" l JOIN named n USING ("form")
WHERE l."identity_id" <> n."identity_id"
EXCEPT SELECT "identity_a", "identity_b" FROM "_ir_cand"''', [p.max_block])


def features(con: duckdb.DuckDBPyConnection, p: Params) -> None:
    """Comparison vector per candidate pair (one row, all in SQL)."""
    run(con, '''
CREATE OR REPLACE TEMP TABLE "_ir_features" AS
WITH tf AS (SELECT "fl_key", count(*) AS "tf" FROM "_ir_names" WHERE "fl_key" IS NOT NULL GROUP BY 1),
same_work AS (
    SELECT least(a."identity_id", b."identity_id") AS "identity_a",
           greatest(a."identity_id", b."identity_id") AS "identity_b",
           arg_min(a."title_key", a."title_key") AS "title_key",
           bool_or(a."n_people" = 1 AND b."n_people" = 1) AS "sole"
    FROM "_ir_works" a JOIN "_ir_works" b
      ON a."title_key" = b."title_key" AND a."source" <> b."source" AND a."identity_id" <> b."identity_id"
    WHERE a."n_same_title" = 1 AND b."n_same_title" = 1 AND strpos(a."title_key", ' ') > 0
      AND (a."happened_on" IS NULL OR b."happened_on" IS NULL
           OR abs(a."happened_on" - b."happened_on") <= ?)
    GROUP BY 1, 2
)
SELECT c."pair_id", c."identity_a", c."identity_b",
       na."name" AS "name_a", nb."name" AS "name_b",
       "ir_pair_level"(na."tokens", nb."tokens", na."raw_tokens", nb."raw_tokens",
                           na."login_only", nb."login_only") AS "name_level",
       CASE WHEN na."raw_tokens" = nb."raw_tokens" THEN TRUE ELSE FALSE END AS "raw_equal",
       least(na."n_tokens", nb."n_tokens") AS "min_tokens",
       na."affiliation" AS "affil_a", nb."affiliation" AS "affil_b",
       CASE WHEN len(na."affil_tokens") = 0 OR len(nb."affil_tokens") = 0 THEN NULL
            WHEN na."affil_tokens" = nb."affil_tokens"
              OR list_has_all(na."affil_tokens", nb."affil_tokens")
              OR list_has_all(nb."affil_tokens", na."affil_tokens")
              OR jaro_winkler_similarity(array_to_string(na."affil_tokens", ' '),
                                         array_to_string(nb."affil_tokens", ' ')) >= 0.94
            THEN TRUE ELSE FALSE END AS "affil_agree",
       CASE WHEN ta."topics" IS NULL OR tb."topics" IS NULL THEN NULL
            ELSE list_intersect(ta."topics", tb."topics") END AS "shared_topics",
       CASE WHEN ca."coauthors" IS NULL OR cb."coauthors" IS NULL THEN 0
            ELSE len(list_intersect(ca."coauthors", cb."coauthors")) END AS "shared_coauthors",
       na."location_key" IS NOT NULL AND na."location_key" = nb."location_key" AS "same_location",
       coalesce(tf."tf", 1) AS "name_tf",
       (length(na."tokens"[1]) = 1 OR length(nb."tokens"[1]) = 1)
         AND na."init_key" IN (SELECT "init_key" FROM "_ir_ambiguous") AS "ambiguous_initial",
       sw."title_key" AS "same_work_title", coalesce(sw."sole", FALSE) AS "sole_speakers",
       na."source" AS "source_a", nb."source" AS "source_b"
FROM "_ir_cand" c
JOIN "_ir_names" na ON na."identity_id" = c."identity_a"
JOIN "_ir_names" nb ON nb."identity_id" = c."identity_b"
LEFT JOIN "_ir_topics" ta ON ta."identity_id" = c."identity_a"
LEFT JOIN "_ir_topics" tb ON tb."identity_id" = c."identity_b"
LEFT JOIN "_ir_coauthors" ca ON ca."identity_id" = c."identity_a"
LEFT JOIN "_ir_coauthors" cb ON cb."identity_id" = c."identity_b"
LEFT JOIN tf ON tf."fl_key" = na."fl_key"
LEFT JOIN same_work sw ON sw."identity_a" = c."identity_a" AND sw."identity_b" = c."identity_b"''',
        [p.work_days])


def drop_temp(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the step tables so a long-lived connection does not keep them."""
    for (name,) in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE temporary AND starts_with(view_name, '_ir_')").fetchall():
        run(con, f'DROP VIEW IF EXISTS "{name}"')
    for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE temporary AND starts_with(table_name, '_ir_')").fetchall():
        run(con, f'DROP TABLE IF EXISTS "{name}"')
