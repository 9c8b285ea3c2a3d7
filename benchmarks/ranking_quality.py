"""Ranking quality on the sample world: precision@k and nDCG@k per role.

Ranked people are warehouse `person_id`s; the truth is about true persons.
Each person_id is mapped to a true person through its identities
(`identities.source`, `identities.source_key` -> truth_identities.csv),
by majority vote; a person_id with no known identity maps to nobody (and
counts as irrelevant).  Relevance comes from truth_leads.csv
(`role,true_person_id,relevance`, graded 1..3, absent = 0).

  precision@k = share of the top k whose true person has relevance > 0
  nDCG@k      = DCG of the top k (gain 2^rel - 1, log2 discount) / ideal DCG
                from the truth's own best k; a true person reached by two
                ranked person_ids counts once (the second is a duplicate, gain 0).

Also reported: the same two scores with duplicates skipped (how well the
ranking would do with perfect identity resolution), and recall of the truth's red flags (truth_flags.csv) among the
ranked people's `red_flags`.

Usage:
  python benchmarks/ranking_quality.py WAREHOUSE.duckdb TRUTH_DIR [--k 10] [--rerank [ROLES.toml]] [--json]
(`--rerank` recomputes the ranking first, which needs write access to the file.)
"""
from __future__ import annotations

import argparse
import csv
import json
import logging
import math
import sys
from collections import Counter, defaultdict
from pathlib import Path

import duckdb

logger = logging.getLogger(__name__)
TARGET = 0.8


# ---------------------------------------------------------------- scoring (reusable)
def map_people(identities: list[tuple[str, str, str]], truth_ids: dict[tuple[str, str], str]) -> dict[str, str]:
    """person_id -> true_person_id by majority vote of its identities
    (ties broken by the smallest true id, so the result is deterministic)."""
    votes: dict[str, Counter] = defaultdict(Counter)
    for person_id, source, source_key in identities:
        true = truth_ids.get((source, source_key))
        if true is not None:
            votes[person_id][true] += 1
    return {pid: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for pid, c in votes.items()}


def dcg(gains: list[float]) -> float:
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def score_role(ranked: list[str], mapping: dict[str, str], relevance: dict[str, int], k: int = 10,
               *, skip_duplicates: bool = False) -> dict:
    """precision@k and nDCG@k of one role's ranked person_ids.

    A true person reached again by a later person_id (identity resolution
    left them split) scores 0, or, with ``skip_duplicates``, is skipped: the
    latter isolates ranking quality from identity-resolution quality."""
    seen: set[str] = set()
    rels = []
    for pid in ranked:
        if len(rels) == k:
            break
        true = mapping.get(pid)
        if skip_duplicates and true is not None and true in seen:
            continue
        rel = relevance.get(true, 0) if true is not None and true not in seen else 0
        if true is not None:
            seen.add(true)
        rels.append(rel)
    ideal = sorted(relevance.values(), reverse=True)[:k]
    ideal_dcg = dcg([2 ** r - 1 for r in ideal])
    precision = sum(1 for r in rels if r > 0) / k if rels else 0.0
    ndcg = dcg([2 ** r - 1 for r in rels]) / ideal_dcg if ideal_dcg else 0.0
    return {"precision_at_k": round(precision, 4), "ndcg_at_k": round(ndcg, 4), "k": k,
            "relevant_in_truth": sum(1 for r in relevance.values() if r > 0), "top_relevance": rels}


def flag_recall(flags: list[tuple[str, str, str]], flagged: set[tuple[str, str, str]]) -> float | None:
    """Share of truth (role, true person, flag) rows that the ranking shows."""
    if not flags:
        return None
    return round(sum(1 for f in flags if f in flagged) / len(flags), 4)


# ---------------------------------------------------------------- I/O
def read_truth(truth_dir: Path) -> tuple[dict[tuple[str, str], str], dict[str, dict[str, int]], list]:
    with open(truth_dir / "truth_identities.csv", newline="", encoding="utf-8") as fh:
        ids = {(r["source"], r["source_key"]): r["true_person_id"] for r in csv.DictReader(fh)}
    leads: dict[str, dict[str, int]] = defaultdict(dict)
    with open(truth_dir / "truth_leads.csv", newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            leads[r["role"]][r["true_person_id"]] = int(r["relevance"])
    flags = []
    if (truth_dir / "truth_flags.csv").exists():
        with open(truth_dir / "truth_flags.csv", newline="", encoding="utf-8") as fh:
            flags = [(r["role"], r["true_person_id"], r["flag"]) for r in csv.DictReader(fh)]
    return ids, dict(leads), flags


def _shown_flags(con: duckdb.DuckDBPyConnection, mapping: dict[str, str]) -> set[tuple[str, str, str]]:
    """(role, true person, flag) for every red flag shown, by its feature name."""
    rows = con.execute('SELECT "role", "person_id", c."feature" FROM "role_scores", '
                       'unnest("contributions") AS t(c) WHERE c."contribution" < 0').fetchall()
    return {(role, mapping[pid], feature) for role, pid, feature in rows if pid in mapping}


def evaluate(con: duckdb.DuckDBPyConnection, truth_dir: Path, k: int = 10) -> dict:
    """Scores of every role present in the truth, from the stored ranking."""
    truth_ids, leads, flags = read_truth(truth_dir)
    identities = con.execute('SELECT "person_id", "source", "source_key" FROM "identities"').fetchall()
    mapping = map_people(identities, truth_ids)
    roles = {}
    for role, relevance in sorted(leads.items()):
        ranked = [pid for (pid,) in con.execute(
            'SELECT "person_id" FROM "role_scores" WHERE "role" = ? ORDER BY "rank" LIMIT ?', [role, 5 * k]).fetchall()]
        roles[role] = score_role(ranked, mapping, relevance, k)
        deduped = score_role(ranked, mapping, relevance, k, skip_duplicates=True)
        roles[role]["dedup_precision_at_k"] = deduped["precision_at_k"]
        roles[role]["dedup_ndcg_at_k"] = deduped["ndcg_at_k"]
    return {"roles": roles, "mapped_people": len(mapping),
            "red_flag_recall": flag_recall(flags, _shown_flags(con, mapping)),
            "target": TARGET, "meets_target": all(min(r["precision_at_k"], r["ndcg_at_k"]) >= TARGET
                                                   for r in roles.values())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("truth_dir", type=Path, help="directory with truth_leads.csv and truth_identities.csv")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--rerank", nargs="?", const="", default=None, metavar="ROLES.toml",
                        help="recompute the ranking first (optionally with this role file)")
    parser.add_argument("--json", action="store_true", help="print the full result as JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if not args.warehouse.exists():
        logger.error("warehouse not found: %s", args.warehouse)
        return 2
    con = duckdb.connect(str(args.warehouse), read_only=args.rerank is None,
                         config={"autoinstall_known_extensions": False})
    if args.rerank is not None:
        from enrich.rank import rank
        rank(con, profiles=args.rerank or None)
    result = evaluate(con, args.truth_dir, args.k)
    con.close()
    _report(result, args.json)
    return 0 if result["meets_target"] else 1


def _report(result: dict, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(result, indent=1) + "\n")
        return
    k = next(iter(result["roles"].values()))["k"] if result["roles"] else 10
    lines = [f"{'role':22} {'P@' + str(k):>7} {'nDCG@' + str(k):>8}   {'(same, duplicates skipped)':26}  top relevance"]
    for role, r in result["roles"].items():
        lines.append(f"{role:22} {r['precision_at_k']:7.2f} {r['ndcg_at_k']:8.2f}   "
                     f"{r['dedup_precision_at_k']:7.2f} {r['dedup_ndcg_at_k']:8.2f}{'':10}  {r['top_relevance']}")
    lines.append(f"red-flag recall: {result['red_flag_recall']}   target {result['target']}: "
                 f"{'met' if result['meets_target'] else 'NOT met'}")
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
