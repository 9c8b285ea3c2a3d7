"""Splink 5 (DuckDB backend) as the probabilistic scorer — the measured
alternative to the rule weights in score_rules.py.

Splink sees the same prepared columns (folded name keys, affiliation,
topic tokens, co-author keys, location) and the same name blocks; m and u
are learnt (u by random sampling, m by EM on a name block). The same-talk
co-occurrence rule and the strong-identifier steps are shared with the
rules scorer, so the benchmark compares only the name+context model.
Names alone never accept a pair here either: at least one of affiliation,
topics or co-authors must agree.
"""
from __future__ import annotations

import logging

import duckdb

from enrich.identity import score_rules
from enrich.identity.steps import Params, run

logger = logging.getLogger(__name__)


def _input_table(con: duckdb.DuckDBPyConnection) -> None:
    run(con, '''
CREATE OR REPLACE TEMP TABLE "_ir_splink_input" AS
SELECT n."identity_id",
       CASE WHEN n."n_tokens" >= 2 THEN array_to_string(n."tokens", ' ') END AS "full_key",
       n."fl_key", n."sorted_key", n."init_key",
       nullif(array_to_string(n."affil_tokens", ' '), '') AS "affil",
       t."topics", c."coauthors", n."location_key"
FROM "_ir_names" n
LEFT JOIN "_ir_topics" t USING ("identity_id")
LEFT JOIN "_ir_coauthors" c USING ("identity_id")''')


def _settings():
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    name = cl.CustomComparison(output_column_name="name", comparison_levels=[
        cll.NullLevel("init_key"), cll.ExactMatchLevel("full_key"), cll.ExactMatchLevel("fl_key"),
        cll.ExactMatchLevel("sorted_key"), cll.ExactMatchLevel("init_key"), cll.ElseLevel()])
    return SettingsCreator(
        link_type="dedupe_only", unique_id_column_name="identity_id",
        comparisons=[name, cl.JaroWinklerAtThresholds("affil", [0.94]),
                     cl.ArrayIntersectAtSizes("topics", [3, 1]),
                     cl.ArrayIntersectAtSizes("coauthors", [1]), cl.ExactMatch("location_key")],
        blocking_rules_to_generate_predictions=[block_on("fl_key"), block_on("sorted_key"),
                                                block_on("init_key")],
        probability_two_random_records_match=0.0005,
        retain_intermediate_calculation_columns=False)


def _train(linker) -> None:
    from splink import block_on

    linker.training.estimate_u_using_random_sampling(max_pairs=2e5)
    for rule in (block_on("fl_key"), block_on("affil")):
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
        except Exception as exc:  # EM can fail on tiny/degenerate blocks; keep defaults
            logger.warning("splink EM on %s skipped: %s", rule, exc)


def score(con: duckdb.DuckDBPyConnection, p: Params, threshold: float = 0.9) -> None:
    """Accepted pairs into "_ir_pairs_scored" (Splink pairs + same-talk rule)."""
    from splink import DuckDBAPI, Linker

    _input_table(con)
    db_api = DuckDBAPI(connection=con)
    linker = Linker(db_api.register("_ir_splink_input"), _settings())
    _train(linker)
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    table = predictions.physical_name
    g = _gammas(con, table)
    score_rules.score(con, p)
    run(con, f'''
CREATE OR REPLACE TEMP TABLE "_ir_pairs_scored" AS
SELECT * FROM "_ir_pairs_scored" WHERE "method" = 'same_work'
UNION ALL
SELECT least(s."identity_id_l", s."identity_id_r"), greatest(s."identity_id_l", s."identity_id_r"),
       least(0.98, s."match_probability"),
       'splink: names ' || coalesce(s."full_key_l", s."init_key_l", '') || ' ~ '
       || coalesce(s."full_key_r", s."init_key_r", '') || ' (name level ' || {g["name"]}
       || ', affiliation ' || {g["affil"]} || ', topics ' || {g["topics"]}
       || ', co-authors ' || {g["coauthors"]} || ', location ' || {g["location_key"]}
       || '); match probability ' || round(s."match_probability", 3),
       'splink'
FROM "{table}" s
WHERE {g["affil"]} > 0 OR {g["topics"]} > 0 OR {g["coauthors"]} > 0''')


def _gammas(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """SQL for each comparison's gamma; Splink leaves out a gamma column it
    could not compute (e.g. tiny inputs), which then counts as 'no data' (-1)."""
    cols = {r[0] for r in con.execute(f'DESCRIBE "{table}"').fetchall()}
    return {c: (f's."gamma_{c}"' if f"gamma_{c}" in cols else "-1")
            for c in ("name", "affil", "topics", "coauthors", "location_key")}
