"""The rule/score model: hand-set log2 Bayes factors per comparison level.

Why hand-set: the weights are few, readable, and measured against the
sample world and the real EuroPython pairs (benchmarks/identity_quality.py).
Names alone never reach the threshold here: an identical full name is worth
9, the threshold is 12, so at least one non-name agreement (affiliation,
topics, co-author, same talk) is always needed. The cluster rounds
(rounds.py) use the same scale on linked groups; there an uncommon full name
carried by at most three records may join when nothing contradicts it.
An initial whose key two co-authors of one paper share is ambiguous (-6).
"""
from __future__ import annotations

import duckdb

from enrich.identity.steps import Params, run

WEIGHTS_SQL = '''
SELECT f.*,
       CASE WHEN f."name_level" = 4 AND f."raw_equal" THEN 9
            WHEN f."name_level" >= 3 THEN 8
            WHEN f."name_level" = 2 THEN 6
            WHEN f."name_level" = 1 THEN 3
            WHEN f."min_tokens" <= 1 THEN -4
            ELSE -12 END
       - CASE WHEN f."ambiguous_initial" THEN 6 ELSE 0 END AS "w_name",
       CASE WHEN f."affil_agree" THEN 5 WHEN NOT f."affil_agree" THEN -3 ELSE 0 END AS "w_affil",
       CASE WHEN f."shared_topics" IS NULL THEN 0
            WHEN len(f."shared_topics") = 0 THEN -1
            WHEN len(f."shared_topics") = 1 THEN 2
            WHEN len(f."shared_topics") = 2 THEN 4 ELSE 6 END AS "w_topic",
       CASE WHEN f."shared_coauthors" > 0 THEN 6 ELSE 0 END AS "w_coauthor",
       CASE WHEN f."same_location" THEN 2 ELSE 0 END AS "w_location",
       -greatest(0, log2(f."name_tf") - 1) AS "w_tf",
       CASE WHEN f."same_work_title" IS NULL THEN 0
            WHEN f."sole_speakers" THEN 16 ELSE 8 END AS "w_work"
FROM "_ir_features" f'''

REASON_SQL = """concat_ws('; ',
    'names ''' || w."name_a" || ''' ~ ''' || w."name_b" || ''' (level ' || w."name_level" || ')',
    CASE WHEN w."w_affil" > 0 THEN 'affiliation ''' || w."affil_a" || ''' ~ ''' || w."affil_b" || '''' END,
    CASE WHEN w."w_topic" > 0 THEN len(w."shared_topics") || ' shared topics ('
         || array_to_string(list_sort(w."shared_topics")[1:5], ', ') || ')' END,
    CASE WHEN w."w_coauthor" > 0 THEN w."shared_coauthors" || ' shared co-authors' END,
    CASE WHEN w."w_location" > 0 THEN 'same location' END,
    CASE WHEN w."w_work" > 0 THEN 'same talk/paper ''' || w."same_work_title" || ''' in '
         || w."source_a" || ' and ' || w."source_b"
         || CASE WHEN w."sole_speakers" THEN ' (sole speaker on both)' ELSE '' END END,
    'weight ' || round(w."weight", 1))"""


def score(con: duckdb.DuckDBPyConnection, p: Params) -> None:
    """Accepted scored pairs into "_ir_pairs_scored"."""
    run(con, f"""
CREATE OR REPLACE TEMP TABLE "_ir_pairs_scored" AS
WITH w0 AS ({WEIGHTS_SQL}),
w AS (SELECT *, "w_name" + "w_affil" + "w_topic" + "w_coauthor" + "w_location" + "w_tf" + "w_work"
                AS "weight" FROM w0)
SELECT w."identity_a", w."identity_b",
       least(0.98, 1.0 / (1.0 + pow(2.0, -(w."weight" - ?)))) AS "confidence",
       {REASON_SQL} AS "reason",
       CASE WHEN w."w_work" > 0 THEN 'same_work' ELSE 'rules_score' END AS "method"
FROM w
WHERE w."weight" >= ?
  AND (w."w_affil" > 0 OR w."w_topic" > 0 OR w."w_coauthor" > 0 OR w."w_work" > 0)""",
        [p.prior_weight, p.accept_weight])
