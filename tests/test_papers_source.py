"""Accepted-paper lists (conference format ``papers``): real papercopilot and
conference-site files, the warehouse surface they produce, and an author joined
across a paper list, arXiv and GitHub by an identifier from the list."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import duckdb
import pytest

from enrich.identity import resolve
from sources.conferences import pull
from sources.conferences.papers import parse_list, profile_links
from sources.conferences.settings import ConferenceSettings
from sources.errors import ParseError
from sources.records import GithubUser, Link, Paper, PaperAuthor, VenueAuthor, VenuePaper
from warehouse.load import load_page
from warehouse.migrate import migrate

NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)


def settings(url: str, name: str = "colm2024", event: str | None = "COLM 2024", **extra) -> ConferenceSettings:
    table = {"name": name, "format": "papers", "url": url, "max_bytes": 20_000_000, **extra}
    if event:
        table["event"] = event
    return ConferenceSettings.from_dict(name, table)


def read(url: str, **kw) -> tuple[list[VenuePaper], list[VenueAuthor]]:
    records = [r for page in pull(settings(url, **kw), {}) for r in page.records]
    return ([r for r in records if isinstance(r, VenuePaper)], [r for r in records if isinstance(r, VenueAuthor)])


def warehouse() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False})
    migrate(con)
    return con


# --- real files -------------------------------------------------------------------------------
@pytest.mark.shared
@pytest.mark.parametrize("path, papers, slots, with_code", [
    ("conferences/papercopilot_colm2024.json", 299, 1800, 0),
    ("conferences/papercopilot_colm2025.json", 418, 2639, 0),
    ("crosslinks/papercopilot_corl2024.json", 264, 1526, 128),
    ("conferences/colm2024_accepted_papers.yml", 299, 1800, 0),
])
def test_real_lists_parse_with_counts(real_data, path, papers, slots, with_code):
    found_papers, authors = read(str(real_data / path))
    assert len(found_papers) == papers
    assert len(authors) == slots
    assert sum(1 for p in found_papers if p.code_url) == with_code
    assert all(p.forum_id and p.paper_key == p.forum_id for p in found_papers)
    per_paper: dict[str, list[int]] = {}
    for a in authors:
        per_paper.setdefault(a.paper_key, []).append(a.position)
    assert all(sorted(pos) == list(range(1, len(pos) + 1)) for pos in per_paper.values())


@pytest.mark.shared
def test_colm2024_author_profiles_and_positions(real_data):
    papers, authors = read(str(real_data / "conferences/papercopilot_colm2024.json"))
    first = next(p for p in papers if p.paper_key == "0UK8c2kg7c")
    assert first.title.startswith("InstructAV") and first.venue == "COLM 2024" and first.year == 2024
    assert first.status == "Poster" and first.track == "main"
    assert first.url == "https://openreview.net/forum?id=0UK8c2kg7c"
    assert "Authorship Verification" in first.keywords
    by_slot = {(a.paper_key, a.position): a for a in authors}
    roy = by_slot[("0UK8c2kg7c", 4)]
    assert roy.name == "Roy Ka-Wei Lee" and roy.position_title == "Assistant Professor"
    assert roy.affiliation == "Singapore University of Technology and Design"
    kinds = {l.kind: l.value for l in roy.links}
    assert kinds["openreview"] == "~Roy_Ka-Wei_Lee1"
    assert kinds["orcid"] == "0000-0002-1986-7750"
    assert kinds["dblp"] == "pid/139/2266"
    assert kinds["scholar"] == "uQxdOlsAAAAJ"  # from a scholar.google.com.sg URL
    assert kinds["homepage"] == "socialai.studio/team"
    # every slot of this list has an OpenReview id, and it is kept per position
    assert all(any(l.kind == "openreview" and l.value.startswith("~") for l in a.links) for a in authors)


@pytest.mark.shared
def test_accents_intact_and_site_list_agrees_with_openreview_list(real_data):
    _, pc_authors = read(str(real_data / "conferences/papercopilot_colm2024.json"))
    _, site_authors = read(str(real_data / "conferences/colm2024_accepted_papers.yml"), name="colm2024_site")
    names = {a.name for a in pc_authors}
    assert any(any(ord(ch) > 127 for ch in n) for n in names)  # accents survive decoding
    assert all("\ufffd" not in n for n in names)
    pc = {(a.paper_key, a.position): a.name for a in pc_authors}
    site = {(a.paper_key, a.position): a.name for a in site_authors}
    assert pc.keys() == site.keys()  # same forum ids, same author counts
    same = sum(1 for key in pc if pc[key] == site[key])
    assert same >= 1750  # the site spells a few names differently ("Russ" vs "Ruslan")


@pytest.mark.shared
def test_iclr2018_emails_and_code_repos(real_data):
    papers, authors = read(str(real_data / "crosslinks/papercopilot_iclr2018_with_github_slice.json"),
                           name="iclr2018", event="ICLR 2018")
    assert len(papers) == 257
    counting = next(p for p in papers if p.paper_key == "B12Js_yRb")
    assert counting.code_url == "https://github.com/Cyanogenoid/vqa-counting"
    assert counting.year == 2018
    adam = next(a for a in authors if a.paper_key == "B12Js_yRb" and a.position == 3)
    assert adam.name == "Adam Prügel-Bennett"
    assert Link("email", "mailto:apb@ecs.soton.ac.uk", "apb@ecs.soton.ac.uk") in adam.links
    # Papers-with-Code "community implementations" are not the authors' code
    assert not any(p.code_url and "paperswithcode" in p.code_url for p in papers)


@pytest.mark.shared
def test_cross_venue_joins_on_openreview_ids(real_data):
    """COLM 2024 and COLM 2025 share authors: the OpenReview id joins them."""
    con = warehouse()
    for name, path, event in (("colm2024", "conferences/papercopilot_colm2024.json", "COLM 2024"),
                              ("colm2025", "conferences/papercopilot_colm2025.json", "COLM 2025")):
        for page in pull(settings(str(real_data / path), name=name, event=event), {}):
            load_page(con, page.records, now=NOW)
    shared = con.execute('''
        SELECT count(DISTINCT a."value") FROM identity_links a JOIN identity_links b
          ON a."kind" = 'openreview' AND b."kind" = 'openreview' AND a."value" = b."value"
         AND a."identity_id" LIKE 'colm2024:%' AND b."identity_id" LIKE 'colm2025:%' ''').fetchone()[0]
    assert shared > 50
    resolve(con, now=NOW)
    joined = con.execute('''
        SELECT count(DISTINCT person_id) FROM identities GROUP BY ALL HAVING true
        ''').fetchall()
    cross = con.execute('''
        SELECT count(*) FROM (SELECT person_id FROM identities GROUP BY person_id
                              HAVING count(DISTINCT source) = 2)''').fetchone()[0]
    assert joined and cross >= shared * 0.9
    evidence = con.execute('''SELECT kind, venue FROM evidence WHERE identity_id = 'colm2024:0UK8c2kg7c#4' ''').fetchall()
    assert ("paper", "COLM 2024") in evidence


# --- formats and bad input -----------------------------------------------------------------
def test_positional_fields_with_gaps_and_multiple_affiliations(tmp_path):
    entry = {
        "id": "AbC123", "title": "  A paper  ", "status": "Oral", "track": "main",
        "site": "https://openreview.net/forum?id=AbC123",
        "author": "Ana Pérez;Bo Li;;Chen Wu", "authorids": "~Ana_Pérez1;~Bo_Li9;;",
        "homepage": ";https://github.com/boli;;", "orcid": "0000-0001-2345-678x;;;",
        "linkedin": "ana-perez/;;;", "aff": "Uni A+Lab B;;;", "position": "PhD student;;;",
        "github": "https://gitlab.com/group/project",
        "bibtex": "@inproceedings{x,\nyear={2023}\n}",
    }
    path = tmp_path / "list.json"
    path.write_text(json.dumps([entry, "not a paper", {"id": "x"}]), "utf-8")
    papers, authors = read(str(path), event=None, name="venue_x")
    assert [p.title for p in papers] == ["A paper"]  # the title-less entry is skipped
    assert papers[0].year == 2023 and papers[0].code_url == "https://gitlab.com/group/project"
    assert [(a.position, a.name) for a in authors] == [(1, "Ana Pérez"), (2, "Bo Li"), (4, "Chen Wu")]
    ana = authors[0]
    assert ana.affiliation == "Uni A; Lab B" and ana.position_title == "PhD student"
    assert {(l.kind, l.value) for l in ana.links} == {
        ("openreview", "~Ana_Pérez1"), ("orcid", "0000-0001-2345-678X"), ("linkedin", "in/ana-perez")}
    assert ("github", "boli") in {(l.kind, l.value) for l in authors[1].links}
    assert authors[2].links == ()


def test_profile_links_ignore_junk():
    assert profile_links({"authorids": "not-an-id", "orcid": "n/a", "google_scholar": "??", "dblp": None}) == ()


@pytest.mark.parametrize("body, message", [
    (b'[{"title": "x", "author": ', "invalid or truncated JSON"),
    (b'{"title": "x"}', "expected a list"),
    (b"\xff\xfe\x00", "not UTF-8"),
    (b"- title: [unclosed\n", "invalid YAML"),
])
def test_malformed_lists_raise_parse_error(body, message):
    with pytest.raises(ParseError, match=message):
        parse_list(body, "test", "list.yml" if b"- title" in body else "list.json")


def test_format_is_registered_in_settings():
    s = settings("https://example.org/colm2024.json")
    assert s.format == "papers"
    with pytest.raises(ValueError, match="selectors: only valid"):
        settings("https://example.org/x.json", selectors={"speaker": "div"})


# --- identity: a person joined across a paper list, arXiv and GitHub -------------------------
def test_person_joined_across_paper_list_arxiv_and_github():
    """The list gives the author's homepage (a github.io page) and ORCID-less OpenReview id;
    their GitHub profile's blog is the same homepage, and the paper's code repo is theirs.
    Name variants alone ("M. Okafor" on arXiv) would not be enough."""
    con = warehouse()
    paper = VenuePaper("venue_x", "Fq1", "Sparse adapters for tabular transformers", venue="VenueX 2025",
                       year=2025, forum_id="Fq1", code_url="https://github.com/mokafor/sparse-adapters",
                       url="https://openreview.net/forum?id=Fq1")
    author = VenueAuthor("venue_x", "Fq1", 2, "Mariam Okafor", affiliation="Lagos AI Lab",
                         links=(Link("openreview", "https://openreview.net/profile?id=~Mariam_Okafor1", "~Mariam_Okafor1"),
                                Link("homepage", "https://mokafor.github.io/", "mokafor.github.io")))
    other = VenueAuthor("venue_x", "Fq1", 1, "Tomás Varga", affiliation="Lagos AI Lab")
    gh = GithubUser("mokafor", "https://github.com/mokafor", name="Mariam Okafor",
                    blog="https://mokafor.github.io")
    arxiv_paper = Paper("2501.00001", 1, "Sparse adapters for tabular transformers", "We ...",
                        (PaperAuthor("Tomás Varga", 1), PaperAuthor("M. Okafor", 2, "Lagos AI Lab")),
                        ("cs.LG",), "cs.LG", NOW, NOW, "https://arxiv.org/abs/2501.00001",
                        code_urls=("https://github.com/mokafor/sparse-adapters",))
    load_page(con, [paper, author, other, gh, arxiv_paper], now=NOW)
    resolve(con, now=NOW)
    person = dict(con.execute("SELECT identity_id, person_id FROM identities").fetchall())
    assert person["venue_x:Fq1#2"] == person["github:mokafor"] == person["arxiv:2501.00001#2"]
    assert person["venue_x:Fq1#1"] != person["venue_x:Fq1#2"]
    assert person["venue_x:Fq1#1"] == person["arxiv:2501.00001#1"]  # same title, same name
    reason = con.execute('''SELECT string_agg(reason, ' | ') FROM identity_pairs
                            WHERE 'venue_x:Fq1#2' IN (identity_a, identity_b)''').fetchone()[0]
    assert "homepage" in reason


def test_a_paper_list_is_pulled_over_http_from_a_local_server(real_data, tmp_path):
    """The `papers` format through its HTTP path (requests, size cap, timeouts), as a
    conference site or a paper-list project would serve it."""
    import functools
    import http.server
    import threading

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(real_data / "conferences"))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/papercopilot_colm2024.json"
        settings = ConferenceSettings.from_dict("colm", {"name": "colm", "format": "papers", "url": url,
                                                         "event": "COLM 2024"})
        records = [r for page in pull(settings, {}) for r in page.records]
    finally:
        server.shutdown()
    assert sum(isinstance(r, VenuePaper) for r in records) == 299
    assert sum(isinstance(r, VenueAuthor) for r in records) == 1800
