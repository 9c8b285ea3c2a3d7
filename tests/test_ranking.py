"""Ranking: role profiles from TOML, features, explanations, leads/shortlist.

Small hand-built warehouses: `identities` and `evidence` tables with exactly
the columns of the warehouse contract (docs/ARCHITECTURE.md)."""
from __future__ import annotations

import re
from datetime import date, datetime
from importlib import resources
from pathlib import Path

import duckdb
import pytest

from enrich.rank import rank
from enrich.rank.profiles import load_profiles, parse_profiles
from surface import EVIDENCE_DDL, IDENTITIES_DDL

NOW = datetime(2026, 11, 1)
HOSTILE = "Bobby'); DROP TABLE x; -- \"quoted\" O'Brien"
HOSTILE_TITLE = "'); DROP TABLE x; -- \"Serving\" on Kubernetes with {braces} (and) [brackets]"

IDENTITY_COLS = ("identity_id", "person_id", "source", "source_kind", "source_key", "name", "affiliation",
                 "headline", "bio", "location", "url", "first_seen", "last_seen", "is_internal")


def _identity(identity_id, person_id, name, *, headline=None, affiliation=None, location=None):
    source, key = identity_id.split(":", 1)
    kind = source if source in ("arxiv", "github", "internal") else "conference"
    return (identity_id, person_id, source, kind, key, name, affiliation, headline, headline, location,
            f"https://example.org/{key}", datetime(2026, 10, 1), datetime(2026, 10, 2), False)


def _ev(identity_id, person_id, kind, title, *, url=None, day=date(2026, 3, 1), text="", tags=(),
        amount=None, venue=None):
    source = identity_id.split(":", 1)[0]
    return (f"{identity_id}|{kind}:{title}", identity_id, person_id, source, kind, title,
            url, day, text, list(tags), amount, venue)


IDENTITIES = [
    _identity("github:ops", "p_ops", "Olga Opsdottir", headline="ML platform engineer", location="Oslo"),
    _identity("mlconf:ops", "p_ops", "Olga Opsdottir", affiliation="Helio Cloud"),
    _identity("github:mle", "p_mle", "Mia Engineer", headline="Machine learning engineer"),
    _identity("mlconf:mle", "p_mle", "Mia Engineer"),
    _identity("mlconf:pm", "p_pm", "Paula Product", headline="Head of Product, AI", affiliation="Quanta"),
    _identity("arxiv:2501.00001#1", "p_ux", "U. Xavier"),
    _identity("mlconf:ux", "p_ux", "Ursula Xavier", headline="Design Lead"),
    _identity("arxiv:2501.00002#1", "p_res", "Rita Theorist", affiliation="Northgate University"),
    _identity("github:web", "p_web", "Walt Web", headline="Frontend developer"),
    _identity("github:hostile", "p_hostile", HOSTILE),
]

EVIDENCE = [
    # MLOps engineer: ML-platform contributions, infra-as-code, observability, a platform talk.
    _ev("github:ops", "p_ops", "contribution", "acme/flowml", url="https://github.com/acme/flowml/commits?author=ops",
        text="Experiment tracking and model registry", tags=("mlops", "experiment-tracking", "Python"), amount=40),
    _ev("github:ops", "p_ops", "contribution", "acme/deploy-kit", url="https://github.com/acme/deploy-kit",
        text="Terraform modules for GPU clusters", tags=("terraform", "HCL"), amount=12),
    _ev("github:ops", "p_ops", "contribution", "obs/gpu-exporter", url="https://github.com/obs/gpu-exporter",
        text="Prometheus exporter for GPUs", tags=("prometheus", "grafana", "Go"), amount=7),
    _ev("mlconf:ops", "p_ops", "talk", "Cutting GPU inference cost", url="https://mlconf.example/talk/ops",
        day=date(2025, 6, 1), text="How we run the ML platform: Helm charts, Prometheus and GPU cost."),
    # ML engineer: serving + evaluation contributions, a production talk.
    _ev("github:mle", "p_mle", "contribution", "serve/tensorgate", url="https://github.com/serve/tensorgate",
        text="A model serving and inference server for Kubernetes", tags=("model-serving", "Dockerfile"), amount=30),
    _ev("github:mle", "p_mle", "contribution", "evalworks/evalkit", url="https://github.com/evalworks/evalkit",
        text="Evaluation and benchmark harness", tags=("evaluation", "benchmark", "Python"), amount=9),
    _ev("mlconf:mle", "p_mle", "talk", "ML in Production: How Our Models Fail and How We Notice",
        url="https://mlconf.example/talk/mle", text="Serving, evaluation harnesses and monitoring in production."),
    # AI PM: talks and a bio only, no GitHub at all.
    _ev("mlconf:pm", "p_pm", "talk", "AI Product Strategy: Launching Assistants with Staged Rollouts",
        url="https://mlconf.example/talk/pm1", text="Success criteria, staged rollout and rollback for AI features."),
    _ev("mlconf:pm", "p_pm", "talk", "Defining Quality for AI Features: Evals Product Teams Can Own",
        url="https://mlconf.example/talk/pm2", text="Evaluation frameworks and user outcomes."),
    _ev("mlconf:pm", "p_pm", "profile", "Head of Product, AI", text="Head of Product, AI Quanta Leads AI products."),
    # AI UX designer: a CHI paper, a talk, a design title.
    _ev("arxiv:2501.00001#1", "p_ux", "paper", "Explaining LLMs to End Users: A Study of Trust and Override",
        url="https://arxiv.org/abs/2501.00001", text="We study human-AI interaction and confidence displays.",
        tags=("cs.HC", "cs.AI"), venue="CHI '25"),
    _ev("mlconf:ux", "p_ux", "talk", "Designing for Probabilistic Output: AI UX Patterns",
        url="https://mlconf.example/talk/ux", text="Explaining model behaviour and showing confidence."),
    _ev("mlconf:ux", "p_ux", "profile", "Design Lead", text="Design Lead at Kestrel AI"),
    # Researcher: theory papers only.
    *[_ev("arxiv:2501.00002#1", "p_res", "paper", f"Generalisation Bounds for Model Class {i}",
          url=f"https://arxiv.org/abs/2501.0000{i + 3}", text="We prove generalisation bounds. Purely theoretical.",
          tags=("cs.LG", "stat.ML"), venue="cs.LG") for i in range(3)],
    # Web developer.
    _ev("github:web", "p_web", "contribution", "webcraft/pixel-router", url="https://github.com/webcraft/pixel-router",
        text="Accessible components", tags=("react", "TypeScript"), amount=50),
    # Hostile strings everywhere.
    _ev("github:hostile", "p_hostile", "contribution", HOSTILE_TITLE, url="https://github.com/h/x?q=');--",
        text="model serving inference '); DROP TABLE x; --", tags=("kubernetes", "it's")),
]


def build_warehouse(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    con.execute('CREATE TABLE "x" ("keep" INTEGER)')
    con.execute(IDENTITIES_DDL)
    con.execute(EVIDENCE_DDL)
    con.executemany(f'INSERT INTO "identities" VALUES ({", ".join("?" * len(IDENTITY_COLS))})', IDENTITIES)
    con.executemany('INSERT INTO "evidence" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', EVIDENCE)
    return con


@pytest.fixture()
def con():
    c = build_warehouse(duckdb.connect())
    yield c
    c.close()


@pytest.fixture()
def ranked(con):
    rank(con, now=NOW)
    return con


def roles_text() -> str:
    return resources.files("enrich").joinpath("roles.toml").read_text("utf-8")


def set_weight(text: str, section: str, feature: str, value: float) -> str:
    """Edit `feature = value` inside `[section]`, as a user would in an editor."""
    head = f"[{section}]\n"
    start = text.index(head) + len(head)
    end = text.find("\n[", start)
    body = text[start:end]
    body, n = re.subn(rf"(?m)^{feature} = .*$", f"{feature} = {value}", body)
    if not n:
        body = body.rstrip("\n") + f"\n{feature} = {value}\n"
    return text[:start] + body + text[end:]


def ranks(con, role: str) -> dict[str, int]:
    return dict(con.execute('SELECT "person_id", "rank" FROM "role_scores" WHERE "role" = ?', [role]).fetchall())


def lead(con, role: str, person: str) -> dict:
    cur = con.execute('SELECT * FROM "leads" WHERE "role" = ? AND "person_id" = ?', [role, person])
    cols = [d[0] for d in cur.description]
    row = cur.fetchone()
    assert row is not None, f"{person} not ranked for {role}"
    return dict(zip(cols, row))


# ------------------------------------------------------------------ profiles

def test_packaged_profiles_have_the_four_roles():
    profiles = load_profiles()
    assert set(profiles.roles) >= {"ml_engineer", "mlops_engineer", "ai_product_manager", "ai_ux_designer"}
    assert profiles.roles["ai_ux_designer"].venues["CHI"] > 0
    assert "research_only" in profiles.roles["ml_engineer"].red_flags


def test_unknown_feature_is_named_in_the_error(tmp_path):
    path = tmp_path / "roles.toml"
    path.write_text(set_weight(roles_text(), "roles.mlops_engineer.weights", "foo", 1.0), "utf-8")
    with pytest.raises(ValueError, match=r"^roles\.mlops_engineer\.weights\.foo: unknown feature$"):
        load_profiles(path)


@pytest.mark.parametrize("bad", ['"high"', "true", "[1]", "-1"])
def test_bad_weight_type_is_named_in_the_error(tmp_path, bad):
    path = tmp_path / "roles.toml"
    path.write_text(set_weight(roles_text(), "roles.ml_engineer.weights", "production_ml", bad), "utf-8")
    with pytest.raises(ValueError, match=r"^roles\.ml_engineer\.weights\.production_ml: must be"):
        load_profiles(path)


def test_bad_feature_definition_is_named():
    with pytest.raises(ValueError, match=r"^features\.x\.applies_to: unknown value 'tweet'"):
        parse_profiles({"features": {"x": {"keywords": ["a"], "applies_to": ["tweet"]}},
                        "roles": {"r": {"weights": {"x": 1}}}})
    with pytest.raises(ValueError, match=r"^features\.has_code: is a built-in"):
        parse_profiles({"features": {"has_code": {"keywords": ["a"]}}, "roles": {"r": {"weights": {"volume": 1}}}})


# ------------------------------------------------------------------ ranking behaviour

def test_weight_change_in_a_copied_role_file_changes_the_order(con, tmp_path):
    rank(con, now=NOW)
    before = ranks(con, "ml_engineer")
    assert before["p_mle"] < before["p_ops"]
    text = roles_text()
    for feature, weight in (("production_ml", 0.0), ("evaluation_fluency", 0.0), ("lifecycle_breadth", 0.0),
                            ("infra_as_code", 2.0)):
        text = set_weight(text, "roles.ml_engineer.weights", feature, weight)
    text = set_weight(text, "roles.ml_engineer.red_flags", "no_eval", 0.0)
    path = tmp_path / "roles.toml"
    path.write_text(text, "utf-8")
    rank(con, profiles=path, now=NOW)
    after = ranks(con, "ml_engineer")
    assert after["p_ops"] < after["p_mle"]
    assert after["p_ops"] == 1


def test_a_fifth_role_and_a_new_keyword_feature_need_no_code(con, tmp_path):
    con.execute("INSERT INTO evidence VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                _ev("github:web", "p_web", "contribution", "data/dbt-models", url="https://github.com/data/dbt-models",
                    text="dbt models and Airflow DAGs for the warehouse", tags=("dbt", "etl")))
    text = roles_text() + '''
[features.analytics_engineering]
label = "analytics engineering"
keywords = ["dbt", "etl", "airflow", "spark"]
applies_to = ["contribution", "talk"]

[roles.data_engineer]
label = "Data engineer"
[roles.data_engineer.weights]
analytics_engineering = 1.0
has_code = 0.2
'''
    path = tmp_path / "roles.toml"
    path.write_text(text, "utf-8")
    stats = rank(con, profiles=path, now=NOW)
    assert stats.roles["data_engineer"] > 0
    top = con.execute("SELECT person_id, explanation FROM shortlist('data_engineer', 1)").fetchone()
    assert top[0] == "p_web"
    assert top[1].startswith("Data engineer: analytics engineering (dbt in data/dbt-models)")


def test_pm_with_talks_only_ranks_above_engineers_for_ai_pm(ranked):
    r = ranks(ranked, "ai_product_manager")
    assert r["p_pm"] == 1
    assert r["p_pm"] < r["p_mle"] and r["p_pm"] < r.get("p_ops", 10**9)
    row = lead(ranked, "ai_product_manager", "p_pm")
    assert "AI product talks ×2" in row["explanation"] and '"head of product"' in row["explanation"]
    assert row["sources"] == ["mlconf"]


def test_ux_designer_with_chi_paper_and_talk_leads_ai_ux(ranked):
    row = lead(ranked, "ai_ux_designer", "p_ux")
    assert row["rank"] == 1
    contributions = ranked.execute(
        "SELECT contributions FROM role_scores WHERE role = 'ai_ux_designer' AND person_id = 'p_ux'").fetchone()[0]
    assert {"venue:CHI", "hci_research", "ai_ux_talks", "design_title"} <= {c["feature"] for c in contributions}
    assert row["name"] == "Ursula Xavier"  # the conference name wins over the arXiv initial


def test_papers_only_researcher_is_red_flagged_and_ranks_below_practitioner(ranked):
    res = lead(ranked, "ml_engineer", "p_res")
    mle = lead(ranked, "ml_engineer", "p_mle")
    assert "⚑ research-only: 3 papers, no code and no production signal outside papers" in res["red_flags"]
    assert "⚑ research-only" in res["explanation"]
    assert res["rank"] > mle["rank"] and res["score"] < mle["score"]
    assert mle["red_flags"] == [] and mle["explanation"].endswith("red flag: none")
    assert mle["rank"] == 1
    # the red flag is a real feature with its evidence: the papers
    cited = ranked.execute("SELECT count(*) FROM feature_evidence WHERE person_id = 'p_res' "
                           "AND feature = 'research_only'").fetchone()[0]
    assert cited == 3


def test_mlops_explanation_cites_repos_and_talk(ranked):
    row = lead(ranked, "mlops_engineer", "p_ops")
    assert row["rank"] == 1
    text = row["explanation"]
    assert text.startswith("MLOps engineer: ")
    assert "sustained platform code (40 commits to acme/flowml)" in text and "terraform in acme/deploy-kit" in text
    assert text.endswith("red flag: none")
    assert "https://github.com/acme/flowml/commits?author=ops" in row["evidence_urls"]
    assert "https://mlconf.example/talk/ops" in row["evidence_urls"]


def test_explanations_and_urls_reference_existing_evidence(ranked):
    urls = {u for (u,) in ranked.execute("SELECT url FROM evidence WHERE url IS NOT NULL").fetchall()}
    titles = {t for (t,) in ranked.execute("SELECT title FROM evidence").fetchall()}
    rows = ranked.execute("SELECT evidence_urls, evidence FROM leads").fetchall()
    assert rows
    for evidence_urls, evidence in rows:
        assert set(evidence_urls) <= urls
        assert all(item["title"] in titles for item in evidence)
    orphan = ranked.execute("SELECT count(*) FROM feature_evidence fe ANTI JOIN evidence e "
                            "USING (evidence_id)").fetchone()[0]
    assert orphan == 0


def test_features_are_normalised_to_unit_interval(ranked):
    lo, hi = ranked.execute("SELECT min(value), max(value) FROM person_features").fetchone()
    assert 0 < lo and hi <= 1.0
    names = {f for (f,) in ranked.execute("SELECT DISTINCT feature FROM person_features").fetchall()}
    assert {"production_ml", "evaluation_fluency", "ml_platform_contrib", "infra_as_code", "observability",
            "hci_research", "ai_ux_talks", "product_launch_talks", "product_title", "design_title",
            "research_only", "no_eval", "recency", "volume", "community_reach", "has_code", "has_talks",
            "has_papers"} <= names


def test_recency_is_relative_to_now(con):
    rank(con, now=datetime(2026, 11, 1))
    recent = con.execute("SELECT value FROM person_features WHERE person_id = 'p_ops' "
                         "AND feature = 'recency'").fetchone()[0]
    score_now = lead(con, "mlops_engineer", "p_ops")["score"]
    rank(con, now=datetime(2032, 1, 1))
    later = con.execute("SELECT value FROM person_features WHERE person_id = 'p_ops' "
                        "AND feature = 'recency'").fetchone()
    assert recent == 1.0 and later is None  # nothing in the last two years any more
    assert lead(con, "mlops_engineer", "p_ops")["score"] < score_now / 2


def test_shortlist_on_a_file_in_a_fresh_stock_client(tmp_path):
    path = tmp_path / "w.duckdb"
    con = build_warehouse(duckdb.connect(str(path)))
    rank(con, now=NOW)
    con.close()
    reader = duckdb.connect(str(path), read_only=True)
    rows = reader.execute("SELECT role, rank, person_id FROM shortlist('mlops_engineer', 2)").fetchall()
    reader.close()
    assert [r[1] for r in rows] == [1, 2]
    assert {r[0] for r in rows} == {"mlops_engineer"} and rows[0][2] == "p_ops"


def test_hostile_strings_flow_through_unharmed(con, tmp_path):
    text = roles_text() + '''
[features.hostile]
keywords = ["'); DROP TABLE x; --", "{braces} (and) [brackets]"]
applies_to = ["contribution"]
fields = ["title"]

[roles.hostile_role]
[roles.hostile_role.weights]
hostile = 1.0
'''
    path = tmp_path / "roles.toml"
    path.write_text(text, "utf-8")
    rank(con, profiles=path, now=NOW)
    assert con.execute('SELECT count(*) FROM "x"').fetchone()[0] == 0  # table x still exists
    row = lead(con, "hostile_role", "p_hostile")
    assert row["rank"] == 1 and row["name"] == HOSTILE
    assert row["evidence"][0]["title"] == HOSTILE_TITLE
    assert HOSTILE_TITLE[:40] in row["explanation"]
    ml = lead(con, "ml_engineer", "p_hostile")
    assert "https://github.com/h/x?q=');--" in ml["evidence_urls"]


def test_runs_on_the_real_warehouse_schema():
    """The warehouse migrations' views satisfy the ranking's input contract."""
    from warehouse.connection import connect
    from warehouse.migrate import migrate

    con = connect()
    migrate(con)
    stats = rank(con, now=NOW)
    assert stats.people == 0 and set(stats.roles) >= {"ml_engineer", "ai_ux_designer"}
    assert con.execute("SELECT count(*) FROM shortlist('ml_engineer', 5)").fetchone()[0] == 0
    con.close()


def test_create_views_before_any_ranking():
    from enrich.rank.sql_surface import create_views

    con = duckdb.connect()
    create_views(con)
    create_views(con)  # idempotent
    cols = [d[0] for d in con.execute("SELECT * FROM leads").description]
    assert cols == ["role", "rank", "person_id", "name", "score", "headline", "explanation", "red_flags",
                    "evidence_urls", "evidence", "sources", "first_seen", "last_seen", "location", "affiliation"]


# ------------------------------------------------------------------ lifecycle breadth, code depth, red flags

def _add(con, *rows) -> None:
    con.executemany("INSERT INTO evidence VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", list(rows))


def _engineers(con, *, deep_commits: int = 400, shallow_commits: int = 3) -> None:
    """Two ML engineers with the same kinds of work: one contribution each to
    the same serving repo (different commit counts) and the same eval repo."""
    for person, commits in (("p_deep", deep_commits), ("p_shallow", shallow_commits)):
        ident = f"github:{person}"
        con.execute(f'INSERT INTO "identities" VALUES ({", ".join("?" * len(IDENTITY_COLS))})',
                    _identity(ident, person, person.title()))
        _add(con,
             _ev(ident, person, "contribution", "serve/tensorgate", url=f"https://github.com/serve/tensorgate/{person}",
                 text="A model serving and inference server", tags=("model-serving",), amount=commits),
             _ev(ident, person, "contribution", "evalworks/evalkit", url=f"https://github.com/evalworks/evalkit/{person}",
                 text="Evaluation harness", tags=("evaluation",), amount=commits))


def test_sustained_contribution_outranks_a_drive_by_and_says_how_many_commits(con):
    _engineers(con)
    rank(con, now=NOW)
    r = ranks(con, "ml_engineer")
    assert r["p_deep"] < r["p_shallow"]
    deep = lead(con, "ml_engineer", "p_deep")
    assert "sustained ML code (400 commits to " in deep["explanation"]
    cited = con.execute("SELECT e.amount FROM feature_evidence fe JOIN evidence e USING (evidence_id) "
                        "WHERE fe.person_id = 'p_deep' AND fe.feature = 'ml_code_depth'").fetchall()
    assert cited == [(400,)]  # exactly the one heaviest contribution backs the claim


def test_a_pipeline_contribution_counts_as_lifecycle_breadth(con):
    """Same serving and evaluation work and the same number of commits; the
    third contribution is a data-pipeline repo for one and a web repo for the
    other: only the first widens the lifecycle, and the explanation names it."""
    shared = (("serve/tensorgate", "Model serving", "model-serving"), ("evalworks/evalkit", "Evaluation harness", "evaluation"))
    for person, third in (("p_broad", ("data/etl-jobs", "ETL jobs for the data pipelines", "etl")),
                          ("p_a_narrow", ("web/pixel-router", "Accessible React components", "react"))):
        ident = f"github:{person}"
        con.execute(f'INSERT INTO "identities" VALUES ({", ".join("?" * len(IDENTITY_COLS))})',
                    _identity(ident, person, person.title()))
        _add(con, *[_ev(ident, person, "contribution", repo, url=f"https://github.com/{repo}/{person}", text=text,
                        tags=(tag,), amount=200) for repo, text, tag in (*shared, third)])
    rank(con, now=NOW)
    r = ranks(con, "ml_engineer")
    assert r["p_broad"] < r["p_a_narrow"]  # not a tie broken by id: "p_a_..." would win that
    broad = lead(con, "ml_engineer", "p_broad")
    assert "whole ML lifecycle (3 of 5: data pipelines, evaluation work, production ML)" in broad["explanation"]
    stages = con.execute("SELECT list(matched ORDER BY matched) FROM feature_evidence "
                         "WHERE person_id = 'p_broad' AND feature = 'lifecycle_breadth'").fetchone()[0]
    assert stages == ["data pipelines", "evaluation work", "production ML"]  # one cited work per stage
    narrow = lead(con, "ml_engineer", "p_a_narrow")
    assert "whole ML lifecycle (2 of 5: evaluation work, production ML)" in narrow["explanation"]


def test_applied_papers_alone_still_carry_the_research_only_flag(con):
    """A paper about deployment and monitoring is still a paper: with no code
    or talk the author is research-only, and the flag says so."""
    con.execute(f'INSERT INTO "identities" VALUES ({", ".join("?" * len(IDENTITY_COLS))})',
                _identity("arxiv:2501.00009#2", "p_coauthor", "Carl Coauthor"))
    _add(con, _ev("arxiv:2501.00009#2", "p_coauthor", "paper", "Detecting Silent Failures with Online Monitoring",
                  url="https://arxiv.org/abs/2501.00009", tags=("cs.LG",),
                  text="We deploy models to production on Kubernetes with drift monitoring and evaluation."))
    rank(con, now=NOW)
    row = lead(con, "ml_engineer", "p_coauthor")
    assert any(flag.startswith("⚑ research-only: 1 paper") for flag in row["red_flags"])
    assert lead(con, "ml_engineer", "p_mle")["red_flags"] == []


def test_an_old_venue_paper_earns_less_bonus_than_a_recent_one(con):
    for person, day in (("p_old", date(2019, 5, 1)), ("p_new", date(2026, 5, 1))):
        ident = f"arxiv:{person}#1"
        con.execute(f'INSERT INTO "identities" VALUES ({", ".join("?" * len(IDENTITY_COLS))})',
                    _identity(ident, person, person.title()))
        _add(con, _ev(ident, person, "paper", f"Explaining models to users ({person})", day=day, tags=("cs.HC",),
                      url=f"https://arxiv.org/abs/{person}", text="A user study of trust.", venue="CHI '25"))
    rank(con, now=NOW)
    bonus = dict(con.execute("SELECT person_id, c.contribution FROM role_scores, unnest(contributions) AS t(c) "
                             "WHERE role = 'ai_ux_designer' AND c.feature = 'venue:CHI'").fetchall())
    assert 0 < bonus["p_old"] < bonus["p_new"] / 4


@pytest.mark.parametrize("spec, message", [
    ({"breadth_of": ["production_ml", "nope"]}, "features.stages.breadth_of: 'nope' is not a keyword feature"),
    ({"breadth_of": ["production_ml"], "depth_of": ["production_ml"]}, "features.stages: give exactly one of"),
    ({"depth_of": ["production_ml"], "min_value": 2}, "features.stages.min_value: must be <= 1"),
    ({"breadth_of": ["volume"]}, "features.stages.breadth_of: 'volume' is not a keyword feature"),
])
def test_bad_composite_feature_is_named(spec, message):
    doc = {"features": {"production_ml": {"keywords": ["serving"]}, "stages": spec},
           "roles": {"r": {"weights": {"stages": 1}}}}
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_profiles(doc)
