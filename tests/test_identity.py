"""Identity resolution on small hand-built warehouse surfaces.

The tables have exactly the contract's columns (docs/ARCHITECTURE.md,
"Warehouse surface"), so these tests do not depend on warehouse/ loaders.
"""
from __future__ import annotations

from datetime import date, datetime

import duckdb
import pytest

from enrich.identity import resolve
from enrich.identity.persons import new_person_id
from surface import EVIDENCE_DDL, IDENTITIES_DDL

NIGHT1 = datetime(2025, 1, 1, 2, 0)
NIGHT2 = datetime(2025, 1, 2, 2, 0)

SURFACE_DDL = [
    IDENTITIES_DDL,
    'CREATE TABLE "identity_links" ("identity_id" VARCHAR, "kind" VARCHAR, "value" VARCHAR, "url" VARCHAR)',
    EVIDENCE_DDL,
    '''CREATE TABLE "identity_person" ("identity_id" VARCHAR PRIMARY KEY, "person_id" VARCHAR NOT NULL,
        "confidence" DOUBLE, "reason" VARCHAR, "decided_at" TIMESTAMP)''',
    '''CREATE TABLE "identity_pairs" ("identity_a" VARCHAR NOT NULL, "identity_b" VARCHAR NOT NULL,
        "confidence" DOUBLE NOT NULL, "reason" VARCHAR NOT NULL, "method" VARCHAR NOT NULL)''',
]
KIND = {"arxiv": "arxiv", "github": "github", "internal": "internal"}


class Surface:
    """Builder for the three input tables."""

    def __init__(self) -> None:
        self.con = duckdb.connect(config={"autoinstall_known_extensions": False})
        for ddl in SURFACE_DDL:
            self.con.execute(ddl)

    def identity(self, identity_id: str, name: str, affiliation: str | None = None,
                 location: str | None = None) -> str:
        source, key = identity_id.split(":", 1)
        self.con.execute('INSERT INTO "identities" VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, NULL, ?, ?, ?)',
                         [identity_id, identity_id, source, KIND.get(source, "conference"), key, name,
                          affiliation, location, NIGHT1, NIGHT1, source == "internal"])
        return identity_id

    def link(self, identity_id: str, kind: str, value: str) -> None:
        self.con.execute('INSERT INTO "identity_links" VALUES (?, ?, ?, ?)',
                         [identity_id, kind, value, f"https://example.org/{value}"])

    def work(self, identity_id: str, work_key: str, title: str, tags: list[str],
             kind: str = "paper", on: date | None = None) -> None:
        source = identity_id.split(":", 1)[0]
        self.con.execute('INSERT INTO "evidence" VALUES (?, ?, ?, ?, ?, ?, NULL, ?, NULL, ?, NULL, NULL)',
                         [f"{identity_id}|{work_key}", identity_id, identity_id, source, kind, title,
                          on, tags])

    def persons(self) -> dict[str, str]:
        return dict(self.con.execute('SELECT "identity_id", "person_id" FROM "identity_person"').fetchall())

    def same(self, a: str, b: str) -> bool:
        p = self.persons()
        return p[a] == p[b]


@pytest.fixture
def s() -> Surface:
    return Surface()


def test_initials_with_shared_affiliation_and_topic_join(s: Surface) -> None:
    s.identity("arxiv:2401.00001#1", "J. Smith", "ETH Zurich")
    s.identity("arxiv:2402.00002#2", "John Smith", "ETH Zürich")
    s.identity("arxiv:2402.00002#1", "Anna Other", "MIT")
    s.work("arxiv:2401.00001#1", "paper:2401.00001", "Sparse attention for long documents", ["cs.lg", "cs.cl"])
    s.work("arxiv:2402.00002#2", "paper:2402.00002", "Efficient transformers survey", ["cs.lg", "cs.cl"])
    s.work("arxiv:2402.00002#1", "paper:2402.00002", "Efficient transformers survey", ["cs.lg", "cs.cl"])
    resolve(s.con, now=NIGHT1)
    assert s.same("arxiv:2401.00001#1", "arxiv:2402.00002#2")
    assert not s.same("arxiv:2402.00002#1", "arxiv:2402.00002#2")


def test_accents_nickname_and_reversed_order_join_with_context(s: Surface) -> None:
    s.identity("pycon:AAA", "José Müller", "Zalando")
    s.identity("github:jmueller", "Jose Muller", "@zalando")
    s.identity("pycon:BBB", "Bob Wilson", "Spotify")
    s.identity("europy:CCC", "Robert Wilson", "Spotify AB")
    s.identity("arxiv:2403.00003#1", "Wang Li", "Tsinghua University")
    s.identity("arxiv:2404.00004#3", "Li Wang", "Tsinghua University")
    for i in ("arxiv:2403.00003#1", "arxiv:2404.00004#3"):
        s.work(i, "paper:" + i[6:16], "Graph networks " + i, ["cs.lg", "stat.ml"])
    resolve(s.con, now=NIGHT1)
    assert s.same("pycon:AAA", "github:jmueller")
    assert s.same("pycon:BBB", "europy:CCC")
    assert s.same("arxiv:2403.00003#1", "arxiv:2404.00004#3")


def test_namesakes_without_shared_context_stay_apart(s: Surface) -> None:
    s.identity("arxiv:2401.00010#1", "David Chen", "Stanford University")
    s.identity("pycon:DC1", "David Chen", "Acme Bakery Supplies")
    s.identity("github:dchen", "David Chen", None)
    s.work("arxiv:2401.00010#1", "paper:2401.00010", "Quantum error correction codes", ["quant-ph"])
    s.work("pycon:DC1", "talk:DC1", "Baking bread with Django", ["web"], kind="talk")
    resolve(s.con, now=NIGHT1)
    persons = s.persons()
    assert len({persons["arxiv:2401.00010#1"], persons["pycon:DC1"], persons["github:dchen"]}) == 3
    assert s.con.execute('SELECT count(*) FROM "identity_pairs"').fetchone()[0] == 0


def test_github_login_only_in_speaker_links_joins(s: Surface) -> None:
    s.identity("pycon_ai:ABC12", "Jane Doe", "Initech")
    s.link("pycon_ai:ABC12", "github", "jdoe")
    s.identity("github:jdoe", "jdoe", None)          # profile without a name
    s.identity("github:jdoe2", "Jane Doe", "Globex")  # a namesake account
    resolve(s.con, now=NIGHT1)
    assert s.same("pycon_ai:ABC12", "github:jdoe")
    assert not s.same("pycon_ai:ABC12", "github:jdoe2")
    conf, reason, method = s.con.execute(
        '''SELECT "confidence", "reason", "method" FROM "identity_pairs"
           WHERE "identity_a" = 'github:jdoe' AND "identity_b" = 'pycon_ai:ABC12' ''').fetchone()
    assert conf >= 0.99 and method == "strong_id"
    assert "github login 'jdoe'" in reason and "speaker links of pycon_ai:ABC12" in reason


def test_paper_code_hint_joins_only_the_compatible_author(s: Surface) -> None:
    paper = "2405.00005"
    for pos, name in enumerate(["Maria Garcia", "Kenji Tanaka", "Olu Ade"], start=1):
        s.identity(f"arxiv:{paper}#{pos}", name)
        s.link(f"arxiv:{paper}#{pos}", "paper_code_github", "ktanaka")
        s.link(f"arxiv:{paper}#{pos}", "paper_code_github", "deepmind")
    s.identity("github:ktanaka", "Kenji Tanaka", "Kyoto University")
    s.identity("github:deepmind", "DeepMind", None)
    resolve(s.con, now=NIGHT1)
    persons = s.persons()
    assert s.same(f"arxiv:{paper}#2", "github:ktanaka")
    assert persons[f"arxiv:{paper}#1"] != persons["github:ktanaka"]
    assert persons[f"arxiv:{paper}#3"] != persons["github:ktanaka"]
    assert len({persons[f"arxiv:{paper}#{i}"] for i in (1, 2, 3)} | {persons["github:deepmind"]}) == 4


def test_shared_company_homepage_does_not_merge_everyone(s: Surface) -> None:
    names = ["Alice Alpha", "Bruno Beta", "Chloe Gamma", "Dmitri Delta", "Eve Epsilon"]
    for i, name in enumerate(names):
        s.identity(f"pycon:S{i}", name, "BigCorp")
        s.link(f"pycon:S{i}", "homepage", "bigcorp.com")
    s.identity("github:alicealpha", "Alice Alpha", "BigCorp")
    s.link("github:alicealpha", "homepage", "bigcorp.com")
    resolve(s.con, now=NIGHT1)
    persons = s.persons()
    assert len({persons[f"pycon:S{i}"] for i in range(5)}) == 5
    # Alice is joined by name + affiliation, not by the shared homepage.
    assert s.same("pycon:S0", "github:alicealpha")
    reasons = [r for (r,) in s.con.execute('SELECT "reason" FROM "identity_pairs"').fetchall()]
    assert not any("bigcorp.com" in r for r in reasons)


def test_two_colleagues_sharing_a_homepage_stay_apart(s: Surface) -> None:
    s.identity("pycon:X1", "Hana Novak", "Tiny Startup")
    s.identity("pycon:X2", "Piotr Kowal", "Tiny Startup")
    for i in ("pycon:X1", "pycon:X2"):
        s.link(i, "homepage", "tinystartup.io")
    resolve(s.con, now=NIGHT1)
    assert not s.same("pycon:X1", "pycon:X2")


def test_same_talk_in_two_sources_joins_sole_speakers(s: Surface) -> None:
    s.identity("pyvideo:tony-ibbs", "Tony Ibbs")
    s.identity("ep2024:tibs", "Tibs")
    s.identity("pyvideo:mauro-pelucchi", "Mauro Pelucchi")
    s.identity("ep2022:8MDEKJ", "Mauro")
    title = "How I used pgvector and PostgreSQL to find pictures of me at a party"
    s.work("pyvideo:tony-ibbs", "talk:1", title, [], kind="talk", on=date(2024, 7, 10))
    s.work("ep2024:tibs", "talk:T1", title, [], kind="talk", on=date(2024, 7, 11))
    s.work("pyvideo:mauro-pelucchi", "talk:2", "Data Warehouses Meet Data Lakes", [], kind="talk")
    s.work("ep2022:8MDEKJ", "talk:T2", "Data Warehouses Meet Data Lakes", [], kind="talk")
    resolve(s.con, now=NIGHT1)
    assert s.same("pyvideo:tony-ibbs", "ep2024:tibs")
    assert s.same("pyvideo:mauro-pelucchi", "ep2022:8MDEKJ")
    assert not s.same("pyvideo:tony-ibbs", "pyvideo:mauro-pelucchi")


def test_guard_refuses_chain_between_two_github_accounts(s: Surface) -> None:
    s.identity("github:asmith", "Ann Smith", "Foo Labs")
    s.identity("github:annsmith", "Ann Smith", "Foo Labs")
    s.identity("pycon:AS", "Ann Smith", "Foo Labs")
    s.link("pycon:AS", "github", "asmith")
    stats = resolve(s.con, now=NIGHT1)
    assert s.same("pycon:AS", "github:asmith")
    assert not s.same("github:asmith", "github:annsmith")
    assert stats.refused_by_guard >= 1


def test_every_pair_has_reason_and_confidence_in_unit_interval(s: Surface) -> None:
    test_accents_nickname_and_reversed_order_join_with_context(s)
    rows = s.con.execute('SELECT "confidence", "reason", "method" FROM "identity_pairs"').fetchall()
    assert rows
    for confidence, reason, method in rows:
        assert 0.0 <= confidence <= 1.0 and reason.strip() and method
    rows = s.con.execute('SELECT "confidence", "reason", "decided_at" FROM "identity_person"').fetchall()
    assert all(0.0 <= c <= 1.0 and r.strip() and d == NIGHT1 for c, r, d in rows)


def _two_person_world(s: Surface) -> None:
    s.identity("pycon_ai:ABC12", "Jane Doe", "Initech")
    s.link("pycon_ai:ABC12", "github", "jdoe")
    s.identity("github:jdoe", "Jane Doe", "Initech")
    s.identity("arxiv:2401.00099#1", "Omar Haddad", "KAUST")


def test_person_ids_are_stable_across_runs(s: Surface) -> None:
    _two_person_world(s)
    resolve(s.con, now=NIGHT1)
    first = s.persons()
    resolve(s.con, now=NIGHT2)
    assert s.persons() == first
    assert first["github:jdoe"] == new_person_id("github:jdoe")
    assert first["arxiv:2401.00099#1"] == new_person_id("arxiv:2401.00099#1")
    # unchanged decisions keep their original time
    assert {d for (d,) in s.con.execute('SELECT "decided_at" FROM "identity_person"').fetchall()} == {NIGHT1}
    fresh = Surface()
    _two_person_world(fresh)
    resolve(fresh.con, now=NIGHT2)
    assert fresh.persons() == first


def test_resolution_gives_the_connections_memory_limit_back() -> None:
    """Resolution lowers DuckDB's cap while Python holds its clusters; the
    night's connection must get its own cap back, run after run."""
    s = Surface()
    s.con.execute("SET memory_limit = '4GB'")
    before = s.con.execute("SELECT current_setting('memory_limit')").fetchone()
    _two_person_world(s)
    for night in (NIGHT1, NIGHT2):
        resolve(s.con, now=night, mode="full")
        assert s.con.execute("SELECT current_setting('memory_limit')").fetchone() == before


def test_person_keeps_id_when_new_identity_joins_later(s: Surface) -> None:
    _two_person_world(s)
    resolve(s.con, now=NIGHT1)
    jane = s.persons()["github:jdoe"]
    s.identity("internal:jane.doe@initech.com", "Jane Doe", "ML Platform")
    s.link("internal:jane.doe@initech.com", "github", "jdoe")
    resolve(s.con, now=NIGHT2)
    assert s.persons()["internal:jane.doe@initech.com"] == jane
    assert s.persons()["pycon_ai:ABC12"] == jane


def test_merging_two_existing_persons_keeps_older_id_and_records_alias(s: Surface) -> None:
    s.identity("pycon:K1", "Karin Müller", "Klarna")   # a common family name: no join on name alone
    s.identity("github:kberg", "Karin Müller", None)
    resolve(s.con, now=NIGHT1)
    before = s.persons()
    assert before["pycon:K1"] != before["github:kberg"]
    s.link("pycon:K1", "github", "kberg")
    resolve(s.con, now=NIGHT2)
    after = s.persons()
    kept = min(before["pycon:K1"], before["github:kberg"])  # same age: smallest id wins
    assert after["pycon:K1"] == after["github:kberg"] == kept
    old = ({before["pycon:K1"], before["github:kberg"]} - {kept}).pop()
    assert s.con.execute('SELECT "person_id", "merged_at" FROM "person_aliases" WHERE "old_person_id" = ?',
                         [old]).fetchone() == (kept, NIGHT2)


def test_empty_surface_and_hostile_names_do_not_crash(s: Surface) -> None:
    s.identity("pycon:E1", "")
    s.identity("pycon:E2", "'; DROP TABLE identities; --")
    s.identity("pycon:E3", "李 王")
    s.identity("pycon:E4", "王 李")
    stats = resolve(s.con, now=NIGHT1)
    assert stats.identities == 4 and stats.persons == 4


def test_unknown_scorer_is_rejected(s: Surface) -> None:
    with pytest.raises(ValueError, match="scorer"):
        resolve(s.con, scorer="magic")


def test_splink_scorer_keeps_namesakes_apart_and_joins_strong_ids(s: Surface) -> None:
    test_namesakes_without_shared_context_stay_apart(Surface())  # rules baseline holds
    s.identity("arxiv:2401.00010#1", "David Chen", "Stanford University")
    s.identity("pycon:DC1", "David Chen", "Acme Bakery Supplies")
    s.identity("pycon_ai:ABC12", "Jane Doe", "Initech")
    s.link("pycon_ai:ABC12", "github", "jdoe")
    s.identity("github:jdoe", "jdoe", None)
    stats = resolve(s.con, now=NIGHT1, scorer="splink")
    assert stats.scorer == "splink"
    assert not s.same("arxiv:2401.00010#1", "pycon:DC1")
    assert s.same("pycon_ai:ABC12", "github:jdoe")


def test_score_clusters_pairwise_and_bcubed() -> None:
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "identity_quality.py"
    spec = importlib.util.spec_from_file_location("identity_quality", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    truth = {"a": "1", "b": "1", "c": "2", "d": "2"}
    perfect = module.score_clusters({"a": "x", "b": "x", "c": "y", "d": "y"}, truth)
    assert perfect["pairwise_f1"] == 1.0 and perfect["bcubed_f1"] == 1.0
    merged = module.score_clusters({"a": "x", "b": "x", "c": "x", "d": "x"}, truth)
    assert merged["pairwise_precision"] == pytest.approx(2 / 6) and merged["pairwise_recall"] == 1.0
    split = module.score_clusters({"a": "x"}, truth)
    assert split["pairwise_recall"] == 0.0 and split["pairwise_precision"] == 1.0


def test_real_europython_pairs_meet_targets(real_data) -> None:
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "identity_quality.py"
    spec = importlib.util.spec_from_file_location("identity_quality", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.bench_real(real_data.parents[1], scorer="rules")
    assert result["pairwise_precision"] >= 0.98 and result["pairwise_recall"] >= 0.90


# ---------------------------------------------------------------- cluster-level evidence
def _paper(s: Surface, paper: str, authors: list[tuple[str, str | None]], tags: list[str], title: str) -> list[str]:
    """One arXiv paper with its authors (name, affiliation); returns their identity ids."""
    ids = []
    for pos, (name, affiliation) in enumerate(authors, start=1):
        iid = s.identity(f"arxiv:{paper}#{pos}", name, affiliation)
        s.work(iid, f"paper:{paper}", title, tags)
        ids.append(iid)
    return ids


def test_initial_form_joins_full_name_through_linked_records(s: Surface) -> None:
    # "J. Smith" on three papers: one has the affiliation, another shares a
    # co-author with it, the third only the co-author of the second.
    a = _paper(s, "2501.00001", [("J. Smith", "Lumen Bank"), ("Olu Ade", None)], ["cs.LG"], "Serving models")
    b = _paper(s, "2502.00002", [("J. Smith", None), ("Olu Ade", None), ("Mia Kova", None)], ["cs.LG"],
               "Monitoring models")
    c = _paper(s, "2503.00003", [("J. Smith", None), ("Mia Kova", None)], ["cs.DC"], "Scheduling jobs")
    s.identity("github:jennifersmi", "Jennifer Smith", "@lumen-bank")
    s.identity("github:jsmith-other", "John Smith", "Acme Corp")   # an incompatible first name
    resolve(s.con, now=NIGHT1)
    persons = s.persons()
    jennifer = persons["github:jennifersmi"]
    assert {persons[a[0]], persons[b[0]], persons[c[0]]} == {jennifer}
    assert persons["github:jsmith-other"] != jennifer
    assert persons[a[1]] != jennifer and persons[b[2]] != jennifer   # co-authors are other people
    reasons = " ".join(r for (r,) in s.con.execute('SELECT "reason" FROM "identity_pairs"').fetchall())
    assert "cluster profiles" in reasons and "lumen bank" in reasons


def test_same_full_name_on_papers_with_shared_category_is_one_person(s: Surface) -> None:
    ids = [_paper(s, f"24{i:02d}.0000{i}", [("Elena Petrova", None)], ["cs.LG", "stat.ML"], f"Paper {i}")[0]
           for i in range(1, 5)]
    resolve(s.con, now=NIGHT1)
    persons = s.persons()
    assert len({persons[i] for i in ids}) == 1


def test_namesakes_in_disjoint_fields_or_with_different_affiliations_stay_apart(s: Surface) -> None:
    # An uncommon full name, but physics vs HCI: two people.
    phys = _paper(s, "2401.01001", [("Amara Lindholm", None)], ["hep-ph", "astro-ph.CO"], "Neutron star mergers")
    hci = _paper(s, "2402.01002", [("Amara Lindholm", None)], ["cs.HC"], "Trust in AI interfaces")
    # Same field and name, but two different employers: two people.
    uni = _paper(s, "2403.01003", [("Tomasz Okonkwo", "Northgate University")], ["cs.LG"], "Bounds")
    bank = _paper(s, "2404.01004", [("Tomasz Okonkwo", "Helio Cloud")], ["cs.LG"], "Serving")
    resolve(s.con, now=NIGHT1)
    assert not s.same(phys[0], hci[0])
    assert not s.same(uni[0], bank[0])


def test_common_name_needs_context_but_an_uncommon_one_does_not(s: Surface) -> None:
    s.identity("pycon:W1", "Wei Zhang")                   # one of the commonest names on earth
    s.identity("github:zhangw", "Wei Zhang")
    s.identity("pycon:L1", "William Lindqvist")           # uncommon, no other record carries it
    s.identity("github:william-lindqvist", "William Lindqvist")
    s.identity("pycon:B1", "Benjamin Lindqvist", "Northgate University")
    s.identity("github:blindqvist", "Benjamin Lindqvist", "Helio Cloud")   # contradicting employers
    resolve(s.con, now=NIGHT1)
    assert not s.same("pycon:W1", "github:zhangw")
    assert s.same("pycon:L1", "github:william-lindqvist")
    assert not s.same("pycon:B1", "github:blindqvist")


def test_login_patterns_and_company_spelling_join_a_nameless_github_user(s: Surface) -> None:
    s.identity("github:junche", "junche", "@kestrel-ai")  # profile name missing: it is the login
    jun = _paper(s, "2405.02005", [("Jun Chen", "Kestrel AI Inc."), ("Ana Lopes", None)], ["cs.LG"], "Kernels")
    paper = _paper(s, "2406.02006", [("Priya Raman", None), ("Olu Ade", None)], ["cs.LG"], "Cost-aware inference")
    for iid in paper:
        s.link(iid, "paper_code_github", "praman-ml")
    s.identity("github:praman-ml", "praman-ml", None)
    resolve(s.con, now=NIGHT1)
    assert s.same("github:junche", jun[0]) and not s.same("github:junche", jun[1])
    assert s.same("github:praman-ml", paper[0]) and not s.same("github:praman-ml", paper[1])


def test_initial_is_ambiguous_when_two_namesakes_share_a_paper(s: Surface) -> None:
    # "P. Moreau" and "Pedro Moreau" co-author one paper: two people behind
    # "P. Moreau". A second "P. Moreau" paper sharing a co-author with Pedro
    # must not be given to Pedro on that alone.
    both = _paper(s, "2403.01117", [("Pedro Moreau", "University of Eastbridge"), ("P. Moreau", None),
                                    ("Arjun Mendes", None)], ["cs.LG"], "Silent failures")
    pedro = _paper(s, "2310.01293", [("Pedro Moreau", None), ("Wei Zhang", None)], ["cs.LG"], "Implicit bias")
    other = _paper(s, "2205.01147", [("P. Moreau", None), ("Wei Zhang", None)], ["cs.LG"], "Cost-aware inference")
    resolve(s.con, now=NIGHT1)
    assert not s.same(both[0], both[1])
    assert not s.same(other[0], pedro[0])


def test_reversed_order_initial_joins_with_shared_affiliation(s: Surface) -> None:
    s.identity("mlops:BP3", "Kim Xin", "Copperline Logistics")
    x = _paper(s, "2607.01127", [("X. Kim", "Copperline Logistics"), ("Arjun Mendes", None)], ["cs.LG"], "Vision")
    resolve(s.con, now=NIGHT1)
    assert s.same("mlops:BP3", x[0])


def test_a_hub_user_joins_the_one_author_of_a_paper_their_card_cites():
    """A model card's arXiv tag joins its Hub author to the compatible author of that
    paper only; the co-author stays apart."""
    from datetime import datetime, timezone

    from sources.records import HubRepo, HubUser, Paper, PaperAuthor
    from warehouse import connect, load_page, migrate

    con = connect()
    migrate(con)
    when = datetime(2025, 3, 1, tzinfo=timezone.utc)
    load_page(con, [
        Paper("2503.00042", 1, "Distilling Speech Models", "We distil.",
              (PaperAuthor("Ana Lima", 1), PaperAuthor("Bo Chen", 2)), ("cs.CL",), "cs.CL", when, when,
              "http://arxiv.org/abs/2503.00042v1"),
        HubUser("analima", "https://huggingface.co/analima", name="Ana Lima"),
        HubRepo("model", "analima/tiny-speech", "analima", "https://huggingface.co/analima/tiny-speech",
                arxiv_ids=("2503.00042",)),
    ])
    resolve(con)
    person = dict(con.execute("SELECT identity_id, person_id FROM identities").fetchall())
    assert person["huggingface:analima"] == person["arxiv:2503.00042#1"]
    assert person["arxiv:2503.00042#2"] != person["arxiv:2503.00042#1"]
    reason = con.execute("SELECT reason FROM identity_pairs WHERE method = 'hub_paper'").fetchone()[0]
    assert "cites arXiv 2503.00042" in reason


def test_a_links_reason_lists_its_shared_topics_in_a_stable_order(s: Surface) -> None:
    """Recruiters read the reason and nights are compared: the same pair must
    give the same text every run (list aggregates come in any order)."""
    s.identity("arxiv:2401.00001#1", "J. Smith", "ETH Zurich")
    s.identity("arxiv:2402.00002#2", "John Smith", "ETH Zürich")
    s.work("arxiv:2401.00001#1", "paper:2401.00001", "Sparse attention kernels for retrieval serving", ["cs.lg"])
    s.work("arxiv:2402.00002#2", "paper:2402.00002", "Retrieval serving with sparse attention kernels", ["cs.lg"])
    resolve(s.con, now=NIGHT1)
    (reason,) = s.con.execute('SELECT "reason" FROM "identity_person" WHERE "identity_id" = ?',
                              ["arxiv:2402.00002#2"]).fetchone()
    listed = reason.split("shared topics (", 1)[1].split(")", 1)[0].split(", ")
    assert len(listed) >= 2 and listed == sorted(listed), reason
