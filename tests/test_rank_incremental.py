"""Incremental ranking: cached keyword hits and per-person recomputation give
exactly what a full run gives.

Each test ranks a small generated warehouse, changes it the way a night
does (new papers, an edited title, a removed row, a merge that moves a row to
another person, a new keyword in the profiles), ranks again, and compares
every output table with a cold run on an identical copy that never saw the
first state."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import duckdb
import pytest

import enrich.rank.scoring as scoring
import enrich.rank.sql_surface as sql_surface
from enrich.rank import rank
from enrich.rank.features import reference_date
from enrich.rank.hits import HITS_DDL, PROFILE_DDL
from enrich.rank.people import PEOPLE_DDL, STATE_DDL
from surface import EVIDENCE_DDL, IDENTITIES_DDL
from enrich.rank.profiles import load_profiles, parse_profiles

NOW = datetime(2026, 11, 1)          # a Sunday: its week starts Monday 2026-10-26
SAME_WEEK = datetime(2026, 10, 26, 0, 0, 1)
OUTPUTS = ("person_features", "feature_evidence", "role_scores", "lead_rows", "leads")

# Words from the packaged profiles' keywords and venues, plus filler.
WORDS = ["serving", "kubernetes", "evaluation", "benchmarks", "terraform", "prometheus", "drift", "platform",
         "gpu", "ux", "explaining", "rollout", "designer", "prototype", "spark", "fine-tuning", "training",
         "mlflow", "ray", "helm", "grafana", "the", "a", "of", "model", "data", "study", "method", "graph"]
VENUES = ["CHI '25", "MLSys 2024", "KDD", "cs.LG", "OSDI '23", "UIST", None]
KINDS = ["paper", "talk", "contribution", "repo", "profile"]


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _evidence_row(rng: random.Random, person: int, i: int) -> tuple:
    """One evidence row; dates repeat on purpose so ties must break the same way."""
    kind = rng.choice(KINDS)
    identity = f"{'github' if kind in ('contribution', 'repo', 'profile') else 'mlconf'}:u{person}"
    title = _text(rng, 4).title()
    day = None if rng.random() < 0.2 else date(2020, 1, 1) + timedelta(days=200 * rng.randrange(12))
    amount = rng.randrange(1, 400) if kind == "contribution" else None
    venue = rng.choice(VENUES) if kind in ("paper", "talk") else None
    return (f"{identity}|{kind}:{i}", identity, f"p{person}", identity.split(":")[0], kind, title,
            f"https://example.org/{person}/{i}", day, _text(rng, 12), [rng.choice(WORDS), rng.choice(WORDS)],
            amount, venue)


def world(n_people: int = 30, rows_per_person: int = 5, seed: int = 7) -> tuple[list, list]:
    rng = random.Random(seed)
    identities, evidence = [], []
    for p in range(n_people):
        for source in ("github", "mlconf"):
            identities.append((f"{source}:u{p}", f"p{p}", source, "github" if source == "github" else "conference",
                               f"u{p}", f"Person {p}", None, f"Engineer {p}", None, None, None,
                               datetime(2026, 10, 1), datetime(2026, 10, 2), False))
        evidence += [_evidence_row(rng, p, p * 100 + i) for i in range(rows_per_person)]
    return identities, evidence


def build(identities: list, evidence: list) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(IDENTITIES_DDL)
    con.execute(EVIDENCE_DDL)
    con.executemany('INSERT INTO "identities" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', identities)
    con.executemany('INSERT INTO "evidence" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', evidence)
    return con


def outputs(con: duckdb.DuckDBPyConnection) -> dict[str, list]:
    """Every output table (sorted rows) and each role's shortlist in its own order."""
    found = {t: con.execute(f'SELECT * FROM "{t}" ORDER BY ALL').fetchall() for t in OUTPUTS}
    for (role,) in con.execute('SELECT DISTINCT "role" FROM "role_scores" ORDER BY 1').fetchall():
        found[f"shortlist:{role}"] = con.execute('SELECT * FROM shortlist(?, 1000)', [role]).fetchall()
    return found


def assert_same_as_cold_run(con: duckdb.DuckDBPyConnection, profiles=None, now: datetime = NOW) -> None:
    """`con` (ranked incrementally) equals a fresh copy of its inputs ranked from scratch."""
    identities = con.execute('SELECT * FROM "identities"').fetchall()
    evidence = con.execute('SELECT * FROM "evidence"').fetchall()
    cold = build(identities, evidence)
    stats = rank(cold, profiles=profiles, now=now)
    assert stats.scanned_rows == len(evidence)
    assert not stats.incremental
    got, want = outputs(con), outputs(cold)
    assert got.keys() == want.keys()
    for table in want:
        assert got[table] == want[table], table
    assert want["feature_evidence"] and want["lead_rows"]


@pytest.fixture(autouse=True)
def small_lead_head(monkeypatch):
    """An incremental night rewrites each role's best HEAD_ROWS lead rows and
    updates the others in place; with 30 people the default would put every
    row in the head, so the tests use a head of 4 to exercise both."""
    monkeypatch.setattr(sql_surface, "HEAD_ROWS", 4)


@pytest.fixture()
def warm():
    identities, evidence = world()
    con = build(identities, evidence)
    stats = rank(con, now=NOW)
    assert stats.scanned_rows == len(evidence)
    yield con
    con.close()


def test_a_second_run_on_unchanged_evidence_scans_nothing(warm):
    before = outputs(warm)
    stats = rank(warm, now=NOW)
    assert stats.scanned_rows == 0
    assert outputs(warm) == before


def test_new_changed_and_removed_rows_rescan_only_those_and_match_a_cold_run(warm):
    rng = random.Random(99)
    new_paper = _evidence_row(rng, 3, 9001)
    new_person_row = _evidence_row(rng, 31, 9002)
    warm.execute('INSERT INTO "identities" SELECT * REPLACE (\'p31\' AS "person_id", '
                 'replace("identity_id", \'u0\', \'u31\') AS "identity_id") FROM "identities" WHERE "person_id" = \'p0\'')
    warm.executemany('INSERT INTO "evidence" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
                     [new_paper, new_person_row])
    (changed,) = warm.execute('SELECT min("evidence_id") FROM "evidence" WHERE "person_id" = \'p5\'').fetchone()
    warm.execute('UPDATE "evidence" SET "title" = \'Serving LLMs on Kubernetes\' WHERE "evidence_id" = ?', [changed])
    (removed,) = warm.execute('SELECT max("evidence_id") FROM "evidence" WHERE "person_id" = \'p7\'').fetchone()
    warm.execute('DELETE FROM "evidence" WHERE "evidence_id" = ?', [removed])

    stats = rank(warm, now=NOW)

    assert stats.scanned_rows == 3
    cached = {r[0] for r in warm.execute('SELECT "evidence_id" FROM "rank_hits"').fetchall()}
    assert removed not in cached and {new_paper[0], new_person_row[0], changed} <= cached
    assert cached == {r[0] for r in warm.execute('SELECT "evidence_id" FROM "evidence"').fetchall()}
    assert_same_as_cold_run(warm)


def test_a_row_moved_to_another_person_is_not_rescanned_but_is_credited_to_them(warm):
    """An identity merge changes who owns a row, not what it says."""
    warm.execute('UPDATE "identities" SET "person_id" = \'p1\' WHERE "person_id" = \'p2\'')
    warm.execute('UPDATE "evidence" SET "person_id" = \'p1\' WHERE "person_id" = \'p2\'')
    stats = rank(warm, now=NOW)
    assert stats.scanned_rows == 0
    assert warm.execute('SELECT count(*) FROM "feature_evidence" WHERE "person_id" = \'p2\'').fetchone() == (0,)
    assert_same_as_cold_run(warm)


def test_a_later_now_reuses_hits_and_matches_a_cold_run(warm):
    """Weights decay with `now`; hits do not depend on it."""
    later = NOW + timedelta(days=400)
    stats = rank(warm, now=later)
    assert stats.scanned_rows == 0
    identities = warm.execute('SELECT * FROM "identities"').fetchall()
    evidence = warm.execute('SELECT * FROM "evidence"').fetchall()
    cold = build(identities, evidence)
    rank(cold, now=later)
    assert outputs(warm) == outputs(cold)


def test_changed_profiles_invalidate_the_whole_cache(warm):
    profiles = load_profiles()
    features = dict(profiles.features)
    feature = features["production_ml"]
    features["production_ml"] = type(feature)(**{**feature.__dict__, "keywords": feature.keywords + ("graph",)})
    changed = type(profiles)(**{**profiles.__dict__, "features": features})
    (n,) = warm.execute('SELECT count(*) FROM "evidence"').fetchone()

    stats = rank(warm, profiles=changed, now=NOW)

    assert stats.scanned_rows == n
    assert warm.execute('SELECT count(*) FROM "feature_evidence" WHERE "matched" = \'graph\'').fetchone()[0] > 0
    assert_same_as_cold_run(warm, profiles=changed)
    assert rank(warm, profiles=changed, now=NOW).scanned_rows == 0


def test_a_new_venue_in_a_role_invalidates_the_cache():
    identities, evidence = world()
    con = build(identities, evidence)
    doc = {"settings": {"production_features": ["gpu_work"], "evaluation_features": ["gpu_work"]},
           "features": {"gpu_work": {"keywords": ["gpu"]}},
           "roles": {"r": {"weights": {"gpu_work": 1.0}, "venues": {"CHI": 0.3}}}}
    rank(con, profiles=parse_profiles(doc), now=NOW)
    doc["roles"]["r"]["venues"]["KDD"] = 0.2
    stats = rank(con, profiles=parse_profiles(doc), now=NOW)
    assert stats.scanned_rows == len(evidence)
    assert con.execute('SELECT count(*) FROM "feature_evidence" WHERE "feature" = \'venue:KDD\'').fetchone()[0] > 0


def test_full_rescans_everything_with_the_same_result(warm):
    before = outputs(warm)
    (n,) = warm.execute('SELECT count(*) FROM "evidence"').fetchone()
    stats = rank(warm, now=NOW, full=True)
    assert stats.scanned_rows == n
    assert outputs(warm) == before


def test_a_failed_run_leaves_the_cache_and_the_ranking_as_they_were(warm, monkeypatch):
    hits_before = warm.execute('SELECT * FROM "rank_hits" ORDER BY ALL').fetchall()
    people_before = warm.execute('SELECT * FROM "rank_people" ORDER BY ALL').fetchall()
    before = outputs(warm)
    warm.execute('UPDATE "evidence" SET "title" = \'Evaluation harness\' WHERE "person_id" = \'p4\'')

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(scoring, "score_roles", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        rank(warm, now=NOW)
    assert warm.execute('SELECT * FROM "rank_hits" ORDER BY ALL').fetchall() == hits_before
    assert warm.execute('SELECT * FROM "rank_people" ORDER BY ALL').fetchall() == people_before
    assert outputs(warm) == before


@pytest.mark.parametrize("ddls, tables", [
    ((HITS_DDL, PROFILE_DDL), ("rank_hits", "rank_hits_profile")),          # 0008 and hits.py
    ((PEOPLE_DDL, STATE_DDL), ("rank_people", "rank_people_state")),        # 0010 and people.py
], ids=["0008-hits", "0010-people"])
def test_the_migrations_create_the_tables_the_code_expects(con, ddls, tables):
    """conftest's `con` is a migrated warehouse: each migration and the code that
    creates its tables on a bare connection must agree."""
    scratch = duckdb.connect()
    for ddl in ddls:
        scratch.execute(ddl)
    for table in tables:
        sql = f'SELECT column_name, data_type, is_nullable FROM information_schema.columns ' \
              f'WHERE table_name = \'{table}\' ORDER BY ordinal_position'
        assert con.execute(sql).fetchall() == scratch.execute(sql).fetchall()


# --- per-person recomputation (rank_people) ---------------------------------

def _people(con: duckdb.DuckDBPyConnection) -> int:
    (n,) = con.execute('SELECT count(DISTINCT "person_id") FROM "identities"').fetchone()
    return n


def test_the_reference_date_is_the_monday_of_the_week():
    assert reference_date(datetime(2026, 11, 1, 23, 59)) == datetime(2026, 10, 26)
    assert reference_date(datetime(2026, 10, 26, 0, 0)) == datetime(2026, 10, 26)
    assert reference_date(datetime(2026, 11, 2, 0, 0, 1)) == datetime(2026, 11, 2)


def test_two_days_of_one_week_rank_identically_from_scratch():
    """Weights, recency and freshness are measured at the week's start, not at `now`."""
    identities, evidence = world()
    monday, sunday = build(identities, evidence), build(identities, evidence)
    rank(monday, now=SAME_WEEK)
    rank(sunday, now=NOW)
    assert outputs(monday) == outputs(sunday)


def test_an_unchanged_night_recomputes_nobody(warm):
    before = outputs(warm)
    stats = rank(warm, now=SAME_WEEK)
    assert stats.incremental and stats.recomputed_people == 0 and stats.removed_people == 0
    assert outputs(warm) == before


def test_new_evidence_for_one_person_recomputes_only_that_person(warm):
    rng = random.Random(5)
    row = _evidence_row(rng, 4, 9100)
    row = row[:5] + ("Serving and evaluation platform on Kubernetes with Terraform",) + row[6:]
    warm.execute('INSERT INTO "evidence" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', row)
    stats = rank(warm, now=NOW)
    assert stats.incremental and stats.recomputed_people == 1 and stats.removed_people == 0
    assert stats.people == _people(warm)
    assert_same_as_cold_run(warm)


def test_a_merge_recomputes_the_survivor_and_removes_the_merged_person(warm):
    """Identity resolution moved p2's records to p1: p1 changed, p2 vanished."""
    warm.execute('UPDATE "identities" SET "person_id" = \'p1\' WHERE "person_id" = \'p2\'')
    warm.execute('UPDATE "evidence" SET "person_id" = \'p1\' WHERE "person_id" = \'p2\'')
    stats = rank(warm, now=NOW)
    assert stats.incremental and (stats.recomputed_people, stats.removed_people) == (1, 1)
    for table in ("person_features", "feature_evidence", "role_scores", "lead_rows"):
        assert warm.execute(f'SELECT count(*) FROM "{table}" WHERE "person_id" = \'p2\'').fetchone() == (0,)
    assert_same_as_cold_run(warm)


def test_a_removed_person_leaves_no_rows_and_the_ranks_close_up(warm):
    (top,) = warm.execute('SELECT "person_id" FROM "role_scores" WHERE "rank" = 1 LIMIT 1').fetchone()
    warm.execute('DELETE FROM "evidence" WHERE "person_id" = ?', [top])
    warm.execute('DELETE FROM "identities" WHERE "person_id" = ?', [top])
    stats = rank(warm, now=NOW)
    assert stats.incremental and (stats.recomputed_people, stats.removed_people) == (0, 1)
    assert warm.execute('SELECT count(*) FROM "lead_rows" WHERE "person_id" = ?', [top]).fetchone() == (0,)
    assert warm.execute('SELECT count(*) FROM "rank_people" WHERE "person_id" = ?', [top]).fetchone() == (0,)
    assert_same_as_cold_run(warm)


def test_a_re_seen_identity_refreshes_the_lead_without_recomputing_the_person(warm):
    """Sources re-seen every night move `last_seen`: the lead shows it, scores do not depend on it."""
    warm.execute('UPDATE "identities" SET "location" = \'Lisbon\', "last_seen" = TIMESTAMP \'2026-10-30\' '
                 'WHERE "person_id" = \'p6\'')
    stats = rank(warm, now=NOW)
    assert stats.incremental and stats.recomputed_people == 0
    assert warm.execute('SELECT DISTINCT "location", "last_seen" FROM "lead_rows" WHERE "person_id" = \'p6\'').fetchall() \
        == [("Lisbon", datetime(2026, 10, 30))]
    assert_same_as_cold_run(warm)


def test_a_new_headline_recomputes_its_person(warm):
    """The role_scores headline starts with the person's own headline."""
    warm.execute('UPDATE "identities" SET "headline" = \'Staff MLOps engineer\', "last_seen" = TIMESTAMP \'2026-10-30\' '
                 'WHERE "identity_id" = \'github:u6\'')
    stats = rank(warm, now=NOW)
    assert stats.incremental and stats.recomputed_people == 1
    assert_same_as_cold_run(warm)


def test_a_new_week_recomputes_everyone(warm):
    next_week = NOW + timedelta(days=1)
    stats = rank(warm, now=next_week)
    assert not stats.incremental and stats.recomputed_people == _people(warm)
    assert_same_as_cold_run(warm, now=next_week)
    assert rank(warm, now=next_week + timedelta(days=6)).incremental


def test_changed_profiles_or_full_recompute_everyone(warm):
    profiles = load_profiles()
    role = profiles.roles["ml_engineer"]
    weights = {**role.weights, "recency": role.weights.get("recency", 0) + 0.5}
    changed = type(profiles)(**{**profiles.__dict__,
                                "roles": {**profiles.roles, "ml_engineer": type(role)(**{**role.__dict__,
                                                                                        "weights": weights})}})
    stats = rank(warm, profiles=changed, now=NOW)
    assert not stats.incremental and stats.scanned_rows == 0
    assert_same_as_cold_run(warm, profiles=changed)
    assert not rank(warm, profiles=changed, now=NOW, full=True).incremental


def test_several_incremental_nights_in_a_row_match_a_full_run_each(warm):
    """Lead rows updated in place night after night (ranks shifting, rows moving
    in and out of the rewritten head, new last_seen) still equal a cold run."""
    rng = random.Random(23)
    for night, person in enumerate((9, 2, 17)):
        row = _evidence_row(rng, person, 9500 + night)
        warm.execute('INSERT INTO "evidence" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
                     row[:5] + ("Kubernetes serving platform with evaluation and Terraform",) + row[6:])
        warm.execute('UPDATE "identities" SET "last_seen" = "last_seen" + INTERVAL (?) DAY, "affiliation" = ? '
                     'WHERE "person_id" IN (\'p3\', \'p25\')', [night + 1, f"Lab {night}"])
        stats = rank(warm, now=NOW)
        assert stats.incremental and stats.recomputed_people == 1
        assert_same_as_cold_run(warm)


def test_a_night_of_many_changes_matches_a_full_run(warm):
    """New people, new rows, an edit, a merge and a removal in one night."""
    rng = random.Random(17)
    warm.execute('INSERT INTO "identities" SELECT * REPLACE (\'p40\' AS "person_id", '
                 'replace("identity_id", \'u0\', \'u40\') AS "identity_id") FROM "identities" WHERE "person_id" = \'p0\'')
    rows = [_evidence_row(rng, p, 9300 + i) for i, p in enumerate((40, 40, 3, 11))]
    warm.executemany('INSERT INTO "evidence" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', rows)
    warm.execute('UPDATE "evidence" SET "amount" = 350 WHERE "person_id" = \'p12\' AND "kind" = \'contribution\'')
    warm.execute('UPDATE "identities" SET "person_id" = \'p14\' WHERE "person_id" = \'p15\'')
    warm.execute('UPDATE "evidence" SET "person_id" = \'p14\' WHERE "person_id" = \'p15\'')
    warm.execute('DELETE FROM "evidence" WHERE "person_id" = \'p20\'')
    stats = rank(warm, now=NOW)
    assert stats.incremental and stats.removed_people == 1
    assert 4 <= stats.recomputed_people <= 6   # p40, p3, p11, p14, p20 (no evidence now), p12 if it has code
    assert_same_as_cold_run(warm)


def test_rank_inside_the_callers_transaction_leaves_it_to_the_caller(warm):
    """The caller's transaction stays open and usable; its rollback undoes the run."""
    before = outputs(warm)
    warm.execute('DELETE FROM "evidence" WHERE "person_id" = \'p8\'')
    warm.execute("BEGIN TRANSACTION")
    stats = rank(warm, now=NOW)
    assert stats.incremental and stats.recomputed_people == 1   # p8 keeps identities, has no evidence now
    assert warm.execute('SELECT count(*) FROM "lead_rows" WHERE "person_id" = \'p8\'').fetchone() == (0,)
    warm.execute("ROLLBACK")
    assert outputs(warm) == before
