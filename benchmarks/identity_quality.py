"""Identity-resolution quality: pairwise precision/recall/F1 and B-cubed F1.

Two benchmarks:
  sample  -- a built warehouse (identity_person) against the sample world's
             truth_identities.csv (true_person_id,source,source_key). Only
             records the warehouse holds are scored (a one-night demo has no
             night-2 records; their count is printed). --rerun runs the
             current resolve() from scratch on a temporary copy first;
             --show-errors lists missed and wrong pairs with both sides'
             name, affiliation, tags, co-authors and links.
  real    -- EuroPython speakers that appear both in the pyvideo archive and
             on the conference site (DERIVED_europython_pyvideo_vs_pretalx_
             speaker_pairs.csv): the pyvideo talks and the EuroPython
             2022/2024 speakers+sessions are loaded into the warehouse
             surface shape, resolve() runs, and the labelled pairs are scored.

Usage:
  python benchmarks/identity_quality.py sample --warehouse W.duckdb --truth truth_identities.csv \
         [--rerun [--scorer rules|splink|both]] [--show-errors]
  python benchmarks/identity_quality.py real [--shared ../shared] [--scorer rules|splink|both]
"""
from __future__ import annotations

import argparse
import csv
import json
import logging
import shutil
import sys
import tempfile
import unicodedata
from collections import defaultdict
from datetime import date, datetime
from itertools import combinations
from pathlib import Path

import duckdb

from enrich.identity import resolve
from sources.links import classify_url

logger = logging.getLogger(__name__)

REAL_PAIRS = "crosslinks/DERIVED_europython_pyvideo_vs_pretalx_speaker_pairs.csv"


# ---------------------------------------------------------------- scoring
def score_clusters(predicted: dict[str, str], truth: dict[str, str]) -> dict[str, float]:
    """Pairwise and B-cubed precision/recall/F1 of ``predicted`` clusters
    (identity -> cluster id) against ``truth`` (identity -> true id).

    Only identities present in ``truth`` are scored; an identity missing from
    ``predicted`` counts as its own singleton cluster."""
    ids = sorted(truth)
    pred = {i: predicted.get(i, f"__single__{i}") for i in ids}
    pred_groups, true_groups = _groups(pred), _groups(truth)
    tp = sum(_n_pairs(len(set(g) & set(t))) for g in pred_groups.values() for t in true_groups.values()
             if len(g) > 1 and len(t) > 1) if len(ids) < 2000 else _tp_fast(pred, truth)
    pred_pairs = sum(_n_pairs(len(g)) for g in pred_groups.values())
    true_pairs = sum(_n_pairs(len(g)) for g in true_groups.values())
    p, r = _ratio(tp, pred_pairs), _ratio(tp, true_pairs)
    bp, br = _bcubed(pred, truth, pred_groups, true_groups)
    return {"identities": len(ids), "true_pairs": true_pairs, "predicted_pairs": pred_pairs,
            "true_positive_pairs": tp, "pairwise_precision": p, "pairwise_recall": r,
            "pairwise_f1": _f1(p, r), "bcubed_precision": bp, "bcubed_recall": br, "bcubed_f1": _f1(bp, br)}


def _groups(assign: dict[str, str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for identity, cluster in assign.items():
        out[cluster].append(identity)
    return out


def _n_pairs(n: int) -> int:
    return n * (n - 1) // 2


def _tp_fast(pred: dict[str, str], truth: dict[str, str]) -> int:
    joint: dict[tuple[str, str], int] = defaultdict(int)
    for i in pred:
        joint[(pred[i], truth[i])] += 1
    return sum(_n_pairs(n) for n in joint.values())


def _bcubed(pred, truth, pred_groups, true_groups) -> tuple[float, float]:
    joint: dict[tuple[str, str], int] = defaultdict(int)
    for i in pred:
        joint[(pred[i], truth[i])] += 1
    n = len(pred) or 1
    precision = sum(joint[(pred[i], truth[i])] / len(pred_groups[pred[i]]) for i in pred) / n
    recall = sum(joint[(pred[i], truth[i])] / len(true_groups[truth[i]]) for i in pred) / n
    return (precision, recall) if pred else (1.0, 1.0)


def _ratio(a: int, b: int) -> float:
    return a / b if b else 1.0


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


# ---------------------------------------------------------------- sample world
def load_truth_csv(path: Path) -> dict[str, str]:
    """truth_identities.csv -> {identity_id: true_person_id}."""
    with open(path, newline="", encoding="utf-8") as fh:
        return {f"{r['source']}:{r['source_key']}": r["true_person_id"] for r in csv.DictReader(fh)}


def predicted_from_warehouse(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute('SELECT "identity_id", "person_id" FROM "identities"').fetchall())


def bench_sample(warehouse: Path, truth_csv: Path, *, rerun: bool = False, scorer: str = "rules",
                 errors: list | None = None) -> dict[str, float]:
    """Score the warehouse's identity_person. With ``rerun`` the current
    resolve() code runs from scratch on a temporary copy first (the demo DB
    is never changed), so a code change is measured without re-crawling.
    ``errors`` (a list) receives the missed and wrong pairs with context."""
    with tempfile.TemporaryDirectory() as tmp:
        con, stats = _open_sample(warehouse, Path(tmp), rerun, scorer)
        try:
            truth_all, predicted = load_truth_csv(truth_csv), predicted_from_warehouse(con)
            # Records the warehouse never loaded (the world's night-2 records
            # after a one-night demo) say nothing about resolution: not scored.
            truth = {i: t for i, t in truth_all.items() if i in predicted}
            result = score_clusters(predicted, truth)
            result["truth_not_in_warehouse"] = len(truth_all) - len(truth)
            if stats is not None:
                result.update({"scorer": scorer, "seconds": stats.seconds})
            if errors is not None:
                errors.extend(pair_errors(con, predicted, truth))
            return result
        finally:
            con.close()


def _open_sample(warehouse: Path, tmp: Path, rerun: bool, scorer: str):
    if not rerun:
        return duckdb.connect(str(warehouse), read_only=True,
                              config={"autoinstall_known_extensions": False}), None
    from warehouse import connect
    copy = tmp / "rerun.duckdb"
    shutil.copyfile(warehouse, copy)
    con = connect(copy)
    for table in ("identity_pairs", "identity_person", "person_aliases"):
        con.execute(f'DELETE FROM "{table}"').fetchall()
    return con, resolve(con, scorer=scorer)


def pair_errors(con: duckdb.DuckDBPyConnection, predicted: dict[str, str],
                truth: dict[str, str]) -> list[dict]:
    """Missed (same true person, different predicted) and wrong (joined
    across true persons) pairs, each side with name, affiliation, topics
    and co-authors, to study where resolution fails."""
    ctx = _identity_context(con)
    out = []
    for a, b in combinations(sorted(truth), 2):
        same_t = truth[a] == truth[b]
        same_p = a in predicted and b in predicted and predicted[a] == predicted[b]
        if same_t != same_p:
            out.append({"kind": "missed" if same_t else "wrong", "a": a, "b": b,
                        "ctx_a": ctx.get(a, {}), "ctx_b": ctx.get(b, {})})
    return out


def _identity_context(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    rows = con.execute('''
WITH w AS (SELECT "identity_id", "source",
                  regexp_replace("evidence_id", '^[^|]*\\|', '') AS "work", "tags"
           FROM "evidence" WHERE "kind" IN ('paper', 'talk')),
co AS (SELECT a."identity_id", list(DISTINCT i."name") AS "coauthors"
       FROM w a JOIN w b ON a."source" = b."source" AND a."work" = b."work" AND a."identity_id" <> b."identity_id"
       JOIN "identities" i ON i."identity_id" = b."identity_id" GROUP BY 1),
tg AS (SELECT "identity_id", list(DISTINCT t) AS "tags"
       FROM "evidence", unnest(coalesce("tags", []::VARCHAR[])) u(t) GROUP BY 1),
ln AS (SELECT "identity_id", list(DISTINCT "kind" || '=' || "value") AS "links"
       FROM "identity_links" GROUP BY 1)
SELECT i."identity_id", i."name", i."affiliation", tg."tags", co."coauthors", ln."links"
FROM "identities" i LEFT JOIN co USING ("identity_id") LEFT JOIN tg USING ("identity_id")
LEFT JOIN ln USING ("identity_id")''').fetchall()
    return {r[0]: {"name": r[1], "affiliation": r[2], "tags": sorted(r[3] or [])[:8],
                   "coauthors": sorted(r[4] or [])[:6], "links": sorted(r[5] or [])[:4]} for r in rows}


def print_errors(errors: list[dict]) -> None:
    for e in errors:
        print(f"  {e['kind']:6s} {e['a']}  ~  {e['b']}")
        for side in ("ctx_a", "ctx_b"):
            c = e[side]
            print(f"         {c.get('name')!r} aff={c.get('affiliation')!r} tags={c.get('tags')} "
                  f"co={c.get('coauthors')} links={c.get('links')}")


# ---------------------------------------------------------------- real EuroPython pairs
SURFACE_DDL = [
    '''CREATE TABLE "identities" ("identity_id" VARCHAR, "person_id" VARCHAR, "source" VARCHAR,
        "source_kind" VARCHAR, "source_key" VARCHAR, "name" VARCHAR, "affiliation" VARCHAR,
        "headline" VARCHAR, "bio" VARCHAR, "location" VARCHAR, "url" VARCHAR,
        "first_seen" TIMESTAMP, "last_seen" TIMESTAMP, "is_internal" BOOLEAN)''',
    'CREATE TABLE "identity_links" ("identity_id" VARCHAR, "kind" VARCHAR, "value" VARCHAR, "url" VARCHAR)',
    '''CREATE TABLE "evidence" ("evidence_id" VARCHAR, "identity_id" VARCHAR, "person_id" VARCHAR,
        "source" VARCHAR, "kind" VARCHAR, "title" VARCHAR, "url" VARCHAR, "happened_on" DATE,
        "text" VARCHAR, "tags" VARCHAR[], "amount" INTEGER, "venue" VARCHAR)''',
    '''CREATE TABLE "identity_person" ("identity_id" VARCHAR PRIMARY KEY, "person_id" VARCHAR NOT NULL,
        "confidence" DOUBLE, "reason" VARCHAR, "decided_at" TIMESTAMP)''',
    '''CREATE TABLE "identity_pairs" ("identity_a" VARCHAR NOT NULL, "identity_b" VARCHAR NOT NULL,
        "confidence" DOUBLE NOT NULL, "reason" VARCHAR NOT NULL, "method" VARCHAR NOT NULL)''',
]


def slug(name: str) -> str:
    """pyvideo-style speaker key: folded name joined by hyphens."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return "-".join("".join(c if c.isalnum() else " " for c in folded).split())


class SurfaceRows:
    """Rows of identities / identity_links / evidence for the minimal loader."""

    def __init__(self) -> None:
        self.identities: dict[str, tuple] = {}
        self.links: list[tuple] = []
        self.evidence: dict[str, tuple] = {}

    def identity(self, source: str, key: str, name: str, affiliation: str | None = None) -> str:
        identity_id = f"{source}:{key}"
        if identity_id not in self.identities:
            self.identities[identity_id] = (identity_id, identity_id, source, "conference", key, name,
                                            affiliation or None, None, None, None, None,
                                            datetime(2025, 1, 1), datetime(2025, 1, 1), False)
        return identity_id

    def link(self, identity_id: str, url: str | None, hint: str | None = None) -> None:
        link = classify_url(url, hint)
        if link and link.value:
            self.links.append((identity_id, link.kind, link.value, link.url))

    def talk(self, identity_id: str, source: str, work_key: str, title: str, on: date | None,
             text: str | None, tags: list[str], venue: str | None) -> None:
        eid = f"{identity_id}|talk:{source}:{work_key}"
        self.evidence[eid] = (eid, identity_id, identity_id, source, "talk", title, None, on, text,
                              tags, None, venue)

    def into(self, con: duckdb.DuckDBPyConnection) -> None:
        for ddl in SURFACE_DDL:
            con.execute(ddl)
        for table, rows in (("identities", list(self.identities.values())), ("identity_links", self.links),
                            ("evidence", list(self.evidence.values()))):
            _insert_rows(con, table, rows)


def _insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple]) -> None:
    """Bulk insert through Arrow (executemany is row-at-a-time and slow)."""
    if not rows:
        return
    import pyarrow as pa
    names = [r[0] for r in con.execute(f'DESCRIBE "{table}"').fetchall()]
    arrow = pa.table({n: [row[i] for row in rows] for i, n in enumerate(names)})
    con.register("_bench_rows", arrow)
    con.execute(f'INSERT INTO "{table}" SELECT * FROM "_bench_rows"').fetchall()
    con.unregister("_bench_rows")


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "")[:10])
    except ValueError:
        return None


def load_pyvideo(rows: SurfaceRows, path: Path) -> None:
    """Every pyvideo talk: one identity per speaker-name slug (as a pyvideo
    adapter keys speakers), one talk evidence per speaker."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            talk = json.loads(line)
            event = talk.get("_source_path", "").split("/")[0]
            for name in talk.get("speakers") or []:
                if not slug(name):
                    continue
                iid = rows.identity("pyvideo", slug(name), name)
                rows.talk(iid, "pyvideo", talk["_source_path"], talk.get("title") or "",
                          _date(talk.get("recorded")), talk.get("description"), talk.get("tags") or [], event)


def load_europython2024(rows: SurfaceRows, speakers: Path, sessions: Path) -> None:
    by_slug = {}
    for sp in json.loads(speakers.read_text("utf-8")):
        iid = rows.identity("europython2024", sp["slug"], sp["name"], sp.get("affiliation"))
        by_slug[sp["slug"]] = iid
        for field, hint in (("gitx", None), ("homepage", "homepage"), ("linkedin_url", None),
                            ("twitter_url", "x"), ("mastodon_url", "mastodon")):
            rows.link(iid, sp.get(field), hint)
    for se in json.loads(sessions.read_text("utf-8")):
        for sp_slug in se.get("speakers") or []:
            if sp_slug in by_slug:
                rows.talk(by_slug[sp_slug], "europython2024", se["code"], se.get("title") or "",
                          _date(se.get("start")), se.get("_body_markdown"),
                          [se["track"]] if se.get("track") else [], "EuroPython 2024")


def load_europython2022(rows: SurfaceRows, speakers: Path, sessions: Path) -> None:
    for sp in json.loads(speakers.read_text("utf-8")):
        iid = rows.identity("europython2022", sp["code"], sp["name"], sp.get("affiliation"))
        rows.link(iid, sp.get("homepage"), "homepage")
        if sp.get("twitter"):
            rows.link(iid, "https://twitter.com/" + sp["twitter"].lstrip("@"), "x")
    for se in json.loads(sessions.read_text("utf-8")):
        for sp in se.get("speakers") or []:
            iid = f"europython2022:{sp['code']}"
            if iid in rows.identities:
                rows.talk(iid, "europython2022", se["code"], se.get("title") or "", _date(se.get("start")),
                          se.get("abstract"), [se["track"]] if se.get("track") else [], "EuroPython 2022")


def real_truth(pairs_csv: Path) -> dict[str, str]:
    """Labelled pairs -> {identity_id: true cluster} (union-find over pairs)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            x = parent[x]
        return x

    with open(pairs_csv, newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if not r["conf_speaker_key"]:
                continue
            source = "europython2024" if "2024" in r["event"] else "europython2022"
            a, b = f"pyvideo:{slug(r['pyvideo_speaker_name'])}", f"{source}:{r['conf_speaker_key']}"
            parent[find(a)] = find(b)
    return {x: find(x) for x in parent}


def build_real(shared: Path) -> duckdb.DuckDBPyConnection:
    real = shared / "data" / "real"
    rows = SurfaceRows()
    conf = real / "conferences"
    load_pyvideo(rows, conf / "pyvideo_talks_pydata_pycon_europython_scipy.jsonl")
    load_europython2024(rows, conf / "europython2024_speakers.json", conf / "europython2024_sessions.json")
    load_europython2022(rows, conf / "europython2022_speakers_pretalx_derived.json",
                        conf / "europython2022_sessions_pretalx_derived.json")
    con = duckdb.connect(config={"autoinstall_known_extensions": False})
    rows.into(con)
    return con


def bench_real(shared: Path, scorer: str = "rules") -> dict[str, float]:
    con = build_real(shared)
    stats = resolve(con, scorer=scorer)
    predicted = dict(con.execute('SELECT "identity_id", "person_id" FROM "identity_person"').fetchall())
    result = score_clusters(predicted, real_truth(shared / "data" / "real" / REAL_PAIRS))
    result.update({"scorer": scorer, "seconds": stats.seconds, "all_identities": stats.identities,
                   "all_merged": stats.merged_identities})
    return result


def misses(shared: Path, scorer: str = "rules") -> list[tuple[str, str, str]]:
    """For debugging: truth pairs not joined, and joined pairs across truth clusters."""
    con = build_real(shared)
    resolve(con, scorer=scorer)
    predicted = dict(con.execute('SELECT "identity_id", "person_id" FROM "identity_person"').fetchall())
    truth = real_truth(shared / "data" / "real" / REAL_PAIRS)
    out = []
    for a, b in combinations(sorted(truth), 2):
        same_t, same_p = truth[a] == truth[b], predicted.get(a) == predicted.get(b)
        if same_t != same_p:
            out.append(("missed" if same_t else "wrong", a, b))
    return out


# --- (c) accepted-paper lists: the gain of profile identifiers -------------------------
VENUE_LISTS = (
    ("colm2024", "conferences/papercopilot_colm2024.json", "COLM 2024"),
    ("colm2025", "conferences/papercopilot_colm2025.json", "COLM 2025"),
    ("corl2024", "crosslinks/papercopilot_corl2024.json", "CoRL 2024"),
)


def _venue_warehouse(real: Path) -> duckdb.DuckDBPyConnection:
    """The three OpenReview-backed paper lists loaded through the real `papers` adapter."""
    from sources.conferences import pull
    from sources.conferences.settings import ConferenceSettings
    from warehouse import connect, load_page, migrate

    con = connect()
    migrate(con)
    for name, path, event in VENUE_LISTS:
        settings = ConferenceSettings.from_dict(name, {"name": name, "format": "papers",
                                                       "url": str(real / path), "event": event})
        for page in pull(settings, {}):
            load_page(con, page.records)
    return con


def _openreview_truth(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Truth = the OpenReview profile id each author slot carries (one id per person)."""
    rows = con.execute(
        "SELECT identity_id, value FROM identity_links WHERE kind = 'openreview' AND value LIKE '~%'").fetchall()
    return dict(rows)


def bench_venues(shared: Path) -> dict[str, dict[str, float]]:
    """Pairwise/B3 scores on COLM 2024, COLM 2025 and CoRL 2024 authors, scored against
    their OpenReview ids: once with every identifier the lists publish (OpenReview,
    ORCID, DBLP, Scholar, homepage, LinkedIn — the truth's own ids among them, so
    that row shows what the lists make possible), once with all of them hidden
    (names, affiliations, topics only): the gain the paper lists' ids bring."""
    real = shared / "data" / "real"
    results = {}
    for label, strip in (("with profile ids", False), ("without profile ids", True)):
        con = _venue_warehouse(real)
        truth = _openreview_truth(con)
        if strip:
            con.execute('UPDATE "raw_venue_authors" SET "links" = []')
        started = datetime.now()
        resolve(con)
        predicted = dict(con.execute("SELECT identity_id, person_id FROM identities").fetchall())
        result = score_clusters({k: v for k, v in predicted.items() if k in truth}, truth)
        result["seconds"] = (datetime.now() - started).total_seconds()
        results[label] = result
        con.close()
    return results


def _print(title: str, result: dict) -> None:
    print(title)
    for key, value in result.items():
        print(f"  {key:22s} {value:.4f}" if isinstance(value, float) else f"  {key:22s} {value}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sample", help="score a built warehouse against truth_identities.csv")
    s.add_argument("--warehouse", type=Path, required=True)
    s.add_argument("--truth", type=Path, required=True)
    s.add_argument("--rerun", action="store_true",
                   help="re-run resolve() with the current code on a temporary copy first")
    s.add_argument("--scorer", choices=["rules", "splink", "both"], default="rules",
                   help="scorer for --rerun")
    s.add_argument("--show-errors", action="store_true", help="list missed and wrong pairs")
    r = sub.add_parser("real", help="EuroPython pyvideo vs pretalx speaker pairs")
    r.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    r.add_argument("--scorer", choices=["rules", "splink", "both"], default="both")
    r.add_argument("--show-errors", action="store_true")
    v = sub.add_parser("venues", help="paper lists (COLM 2024/2025, CoRL 2024): with vs without profile ids")
    v.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.cmd == "venues":
        for label, result in bench_venues(args.shared).items():
            _print(f"accepted-paper lists, {label} (truth: OpenReview ids)", result)
        return 0
    if args.cmd == "sample":
        for scorer in (["rules", "splink"] if args.scorer == "both" else [args.scorer]):
            errors: list | None = [] if args.show_errors else None
            title = f"sample world: {args.warehouse}" + (f" (rerun, scorer={scorer})" if args.rerun else "")
            _print(title, bench_sample(args.warehouse, args.truth, rerun=args.rerun, scorer=scorer, errors=errors))
            print_errors(errors or [])
            if not args.rerun:
                break
        return 0
    for scorer in (["rules", "splink"] if args.scorer == "both" else [args.scorer]):
        _print(f"real EuroPython pairs, scorer={scorer}", bench_real(args.shared, scorer))
        if args.show_errors:
            for row in misses(args.shared, scorer):
                print("  ", *row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
