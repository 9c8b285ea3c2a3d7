"""Conference adapters on the real public files, and pretalx over a local HTTP server."""
from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from sources.conferences import common as c
from sources.conferences import pull
from sources.conferences.settings import ConferenceSettings
from sources.errors import ParseError, SourceError
from sources.records import Speaker, Talk

CONVERGESE_SELECTORS = {
    "speaker": ".day_schedule",
    "name": ".day_header_content h3",
    "affiliation": ".day_header_content p",
    "links": ".day_header_content a[href]",
    "bio": ".schedule-block",
    "talk_title": ".schedule-block h2",
    "key": "a[name]",
    "key_attr": "name",
}


def settings(**table) -> ConferenceSettings:
    table.setdefault("name", "conf")
    return ConferenceSettings.from_dict(table["name"], table)


def read(conf: ConferenceSettings) -> tuple[dict[str, Speaker], dict[str, Talk]]:
    records = [r for page in pull(conf, {}) for r in page.records]
    speakers = {r.speaker_key: r for r in records if isinstance(r, Speaker)}
    talks = {r.talk_key: r for r in records if isinstance(r, Talk)}
    assert len(speakers) + len(talks) == len(records)  # keys unique, nothing else yielded
    return speakers, talks


def by_name(speakers: dict[str, Speaker], name: str) -> Speaker:
    return next(s for s in speakers.values() if s.name == name)


def links_of(speaker: Speaker, kind: str) -> list[str | None]:
    return [link.value for link in speaker.links if link.kind == kind]


@pytest.fixture(scope="module")
def conf_dir(real_data) -> Path:
    return real_data / "conferences"


# --- pretalx files -------------------------------------------------------------
def test_pretalx_juliacon_raw_api_objects(conf_dir):
    speakers, talks = read(settings(
        format="pretalx", url=str(conf_dir / "juliacon2023_pretalx_speakers.json"),
        talks_url=str(conf_dir / "juliacon2023_pretalx_talks.json"), event="JuliaCon 2023",
    ))
    assert (len(speakers), len(talks)) == (269, 341)
    assert all(s.source == "conf" and s.event == "JuliaCon 2023" for s in speakers.values())
    assert "Cédric Belmant" in {s.name for s in speakers.values()}
    # localized {"en": ...} fields come out as plain text, slot start as the local day
    talk = talks["3QFPST"]
    assert talk.track == "Julia Base and Tooling" and str(talk.happened_on) == "2023-07-27"
    assert set(talk.speaker_keys) <= set(speakers)
    # GitHub URLs written into bios become typed links with the login
    palmes = by_name(speakers, "Paulito Palmes")
    assert "ppalmes" in links_of(palmes, "github")
    # a repository in a bio is kept as a link but names no account (here an organisation's)
    repo = next(link for link in palmes.links if link.url == "https://github.com/IBM/AutoMLPipeline.jl")
    assert repo.kind == "github" and repo.value is None
    with_github_in_bio = [s for s in speakers.values() if "github.com" in (s.bio or "")]
    assert len(with_github_in_bio) == 11
    assert all(links_of(s, "github") for s in with_github_in_bio)
    # talks attached to speakers both ways (a speaker may also list a submission
    # that never became a public talk: kept as published)
    for talk in talks.values():
        assert all(talk.talk_key in speakers[k].talk_keys for k in talk.speaker_keys)
    listed = [k for s in speakers.values() for k in s.talk_keys]
    assert sum(k in talks for k in listed) / len(listed) > 0.9


def test_pretalx_europython2024_derived_export(conf_dir):
    speakers, talks = read(settings(
        format="pretalx", url=str(conf_dir / "europython2024_speakers.json"),
        talks_url=(conf_dir / "europython2024_sessions.json").as_uri(), event="EuroPython 2024",
    ))
    assert (len(speakers), len(talks)) == (170, 172)
    raw = {s["code"]: s for s in json.loads((conf_dir / "europython2024_speakers.json").read_text("utf-8"))}
    with_gitx = [code for code, s in raw.items() if s["gitx"]]
    assert len(with_gitx) == 106
    for code in with_gitx:  # every published GitHub entry survives as a link (URL or bare handle)
        assert speakers[code].links, code
    assert sum(1 for s in speakers.values() if links_of(s, "github") and links_of(s, "github")[0]) >= 104
    jakub = by_name(speakers, "Jakub Beránek")
    assert jakub.affiliation == "Rust Project"
    assert links_of(jakub, "github") == ["kobzol"]
    assert links_of(jakub, "linkedin") == ["in/jakub-beranek"]
    assert links_of(jakub, "x") == ["beranek1582"]
    assert jakub.bio.startswith("I'm currently trying to finish a PhD.")
    # sessions name speakers by slug and speakers name sessions by slug: both map to codes
    assert jakub.talk_keys and all(k in talks for k in jakub.talk_keys)
    assert jakub.speaker_key in talks[jakub.talk_keys[0]].speaker_keys
    assert all(set(t.speaker_keys) <= set(speakers) for t in talks.values())
    bare = next(code for code, s in raw.items() if s["gitx"] == "janpipek")
    assert links_of(speakers[bare], "github") == ["janpipek"]
    mastodon = [s for s in speakers.values() if links_of(s, "mastodon")]
    assert len(mastodon) >= sum(1 for s in raw.values() if s["mastodon_url"])


def test_pretalx_europython2022_handles_and_nameless_skip(conf_dir, caplog):
    caplog.set_level(logging.WARNING)
    speakers, talks = read(settings(
        format="pretalx", url=str(conf_dir / "europython2022_speakers_pretalx_derived.json"),
        talks_url=str(conf_dir / "europython2022_sessions_pretalx_derived.json"), event="EuroPython 2022",
    ))
    # 162 entries in the file: 10 repeat a speaker code, one has no name
    assert (len(speakers), len(talks)) == (151, 153)
    assert "without a name" in caplog.text and "J8TMQE" in caplog.text
    sobot = speakers["XSUHP3"]
    assert sobot.affiliation == "Spotify"
    assert links_of(sobot, "x") == ["psobot"] and links_of(sobot, "homepage") == ["petersobot.com"]
    # sessions embed speaker objects; the speaker's talks come from them
    assert sobot.talk_keys == ("39YWUH",) and talks["39YWUH"].speaker_keys == ("XSUHP3",)


def test_pretalx_wrong_shape_and_truncated_files(conf_dir, tmp_path):
    with pytest.raises(ParseError, match="expected a pretalx page"):
        read(settings(format="pretalx", url=str(conf_dir / "sessionize_dddmelbourne2024_view_all.json")))
    cut = tmp_path / "speakers.json"
    cut.write_bytes((conf_dir / "juliacon2023_pretalx_speakers.json").read_bytes()[:5000])
    with pytest.raises(ParseError, match=r"speakers\.json: invalid or truncated JSON"):
        read(settings(format="pretalx", url=str(cut)))
    with pytest.raises(SourceError, match="file not found"):
        read(settings(format="pretalx", url=str(tmp_path / "absent.json")))


# --- pretalx API over HTTP -------------------------------------------------------
@pytest.fixture()
def api():
    routes: dict[str, tuple[int, bytes]] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server API
            status, body = routes.get(self.path, (404, b'{"detail": "Not found."}'))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"

    def serve(path: str, body, status: int = 200) -> None:
        routes[path] = (status, body if isinstance(body, bytes) else json.dumps(body).encode())

    serve.base = base
    yield serve
    httpd.shutdown()
    httpd.server_close()


def _page(results, next_url=None):
    return {"count": 99, "next": next_url, "previous": None, "results": results}


def test_pretalx_api_follows_next_over_pages(api):
    ev = "/pretalx/api/events/ml-2026"
    api(f"{ev}/speakers/?limit=2", _page(
        [{"code": "AAA111", "name": "Zoë Müller", "biography": "See https://github.com/zoem", "submissions": ["T1"]},
         {"code": "BBB222", "name": "Wei Zhang", "submissions": ["T1", "T2"],
          "answers": [{"question": {"question": {"en": "Company"}}, "answer": "Acme AI"}]}],
        f"{api.base}{ev}/speakers/?limit=2&offset=2"))
    api(f"{ev}/speakers/?limit=2&offset=2", _page(
        [{"code": "CCC333", "name": "", "submissions": []},
         {"code": "DDD444", "name": "Ana Costa", "submissions": ["T2"]}],
        f"{ev}/speakers/?limit=2&offset=4"))  # relative next is fine
    api(f"{ev}/speakers/?limit=2&offset=4", _page([{"code": "EEE555", "name": "Ruth Berg"}]))
    api(f"{ev}/talks/?limit=2", _page(
        [{"code": "T1", "title": {"en": "Serving LLMs"}, "speakers": [{"code": "AAA111"}, {"code": "BBB222"}],
          "slot": {"start": "2026-06-10T10:00:00+02:00"}, "track": {"en": "MLOps"}}],
        f"{api.base}{ev}/talks/?limit=2&offset=2"))
    api(f"{ev}/talks/?limit=2&offset=2", _page([{"code": "T2", "title": "Eval", "speakers": ["BBB222", "DDD444"]}]))
    conf = settings(format="pretalx", url=api.base + "/pretalx/", event="ml-2026", page_size=2,
                    timeout_seconds=5)
    pages = list(pull(conf, {}))
    assert len(pages) == 5  # 3 speaker pages + 2 talk pages
    speakers, talks = read(conf)
    assert set(speakers) == {"AAA111", "BBB222", "DDD444", "EEE555"}  # the nameless one skipped
    assert links_of(speakers["AAA111"], "github") == ["zoem"]
    assert speakers["BBB222"].affiliation == "Acme AI"
    assert speakers["BBB222"].talk_keys == ("T1", "T2")
    t1 = talks["T1"]
    assert (t1.title, t1.track, str(t1.happened_on)) == ("Serving LLMs", "MLOps", "2026-06-10")
    assert t1.speaker_keys == ("AAA111", "BBB222")
    assert t1.url == f"{api.base}/pretalx/ml-2026/talk/T1/"
    assert talks["T2"].speaker_keys == ("BBB222", "DDD444")


def test_pretalx_api_falls_back_to_submissions(api):
    ev = "/x/api/events/ev"
    api(f"{ev}/speakers/?limit=100", _page([{"code": "S1", "name": "Ana", "submissions": ["Q1"]}]))
    api(f"{ev}/submissions/?limit=100", _page([{"code": "Q1", "title": "Talk", "speakers": ["S1"]}]))
    speakers, talks = read(settings(format="pretalx", url=api.base + "/x", event="ev", timeout_seconds=5))
    assert list(talks) == ["Q1"] and talks["Q1"].speaker_keys == ("S1",)


def test_pretalx_api_next_loop_is_detected(api):
    ev = "/p/api/events/ev"
    api(f"{ev}/speakers/?limit=100", _page([{"code": "S1", "name": "Ana"}], f"{api.base}{ev}/speakers/?page=2"))
    api(f"{ev}/speakers/?page=2", _page([{"code": "S2", "name": "Bo"}], f"{api.base}{ev}/speakers/?limit=100"))
    with pytest.raises(ParseError, match="pagination loop"):
        read(settings(format="pretalx", url=api.base + "/p", event="ev", timeout_seconds=5))


def test_pretalx_api_next_to_other_host_is_refused(api):
    ev = "/p/api/events/ev"
    api(f"{ev}/speakers/?limit=100", _page([{"code": "S1", "name": "Ana"}], "http://example.invalid/steal"))
    with pytest.raises(ParseError, match="another host"):
        read(settings(format="pretalx", url=api.base + "/p", event="ev", timeout_seconds=5))


def test_pretalx_api_truncated_and_misshapen_bodies(api):
    ev = "/p/api/events/ev"
    api(f"{ev}/speakers/?limit=100", b'{"count": 3, "next": null, "results": [{"code": "S1", "na')
    conf = settings(format="pretalx", url=api.base + "/p", event="ev", timeout_seconds=5)
    with pytest.raises(ParseError, match=r"speakers/\?limit=100: invalid or truncated JSON"):
        read(conf)
    api(f"{ev}/speakers/?limit=100", {"detail": "nope"})
    with pytest.raises(ParseError, match="expected a pretalx page"):
        read(conf)
    api(f"{ev}/speakers/?limit=100", _page(["S1", "S2"]))
    with pytest.raises(ParseError, match="expected pretalx objects"):
        read(conf)


def test_pretalx_api_server_error_is_source_error(api):
    api("/p/api/events/ev/speakers/?limit=100", b"{}", status=403)
    with pytest.raises(SourceError, match="HTTP 403"):
        read(settings(format="pretalx", url=api.base + "/p", event="ev", timeout_seconds=5))


# --- Sessionize ------------------------------------------------------------------
@pytest.mark.parametrize("year,n_speakers,n_talks", [(2024, 30, 26), (2025, 29, 28)])
def test_sessionize_view_all(conf_dir, year, n_speakers, n_talks):
    path = conf_dir / f"sessionize_dddmelbourne{year}_view_all.json"
    speakers, talks = read(settings(format="sessionize", url=str(path), event=f"DDD Melbourne {year}"))
    assert (len(speakers), len(talks)) == (n_speakers, n_talks)
    raw = json.loads(path.read_text("utf-8"))
    for item in raw["speakers"]:
        speaker = speakers[item["id"]]
        assert speaker.name == item["fullName"].strip()
        urls = {link.url: link.kind for link in speaker.links}
        for raw_link in item["links"]:  # a "Company_Website" may well be a LinkedIn page
            expected = {"Twitter": ("x",), "Company_Website": ("homepage", "linkedin", "github")}
            assert urls[raw_link["url"]] in expected[raw_link["linkType"]]
        assert speaker.talk_keys == tuple(str(s) for s in item["sessions"])
        assert all(k in talks for k in speaker.talk_keys)
    assert all(t.happened_on and t.happened_on.year == year for t in talks.values())
    assert any(t.track for t in talks.values())  # "Tags" category items


def test_sessionize_same_speaker_ids_across_years(conf_dir):
    keys = []
    for year in (2024, 2025):
        speakers, _ = read(settings(format="sessionize", url=str(conf_dir / f"sessionize_dddmelbourne{year}_view_all.json")))
        keys.append(set(speakers))
    assert len(keys[0] & keys[1]) == 5


def test_sessionize_speakers_and_grouped_sessions_views(conf_dir, tmp_path):
    raw = json.loads((conf_dir / "sessionize_dddmelbourne2024_view_all.json").read_text("utf-8"))
    names = {s["id"]: s["title"] for s in raw["sessions"]}
    speakers_view = [dict(s, sessions=[{"id": i, "name": names[str(i)]} for i in s["sessions"]])
                     for s in raw["speakers"]]
    sessions_view = [{"groupId": None, "groupName": "All", "sessions": [
        dict(s, speakers=[{"id": i, "name": "x"} for i in s["speakers"]]) for s in raw["sessions"]]}]
    (tmp_path / "speakers.json").write_text(json.dumps(speakers_view), "utf-8")
    (tmp_path / "sessions.json").write_text(json.dumps(sessions_view), "utf-8")
    speakers, talks = read(settings(format="sessionize", url=str(tmp_path / "speakers.json")))
    assert (len(speakers), len(talks)) == (30, 0)
    assert all(s.talk_keys for s in speakers.values())
    speakers, talks = read(settings(format="sessionize", url=str(tmp_path / "sessions.json")))
    assert (len(speakers), len(talks)) == (0, 26)
    assert all(t.speaker_keys for t in talks.values())


def test_sessionize_wrong_shape(conf_dir):
    with pytest.raises(ParseError, match="expected a Sessionize view/All"):
        read(settings(format="sessionize", url=str(conf_dir / "juliacon2023_pretalx_talks.json")))


# --- pyvideo ---------------------------------------------------------------------
def test_pyvideo_archive_jsonl(conf_dir):
    speakers, talks = read(settings(format="pyvideo", url=str(conf_dir / "pyvideo_talks_pydata_pycon_europython_scipy.jsonl"),
                                    event="pyvideo"))
    assert len(talks) == 3107
    talk = talks["europython-2023/a-brief-history-of-data-storage-eli-holderness"]
    assert talk.event == "EuroPython 2023" and str(talk.happened_on) == "2023-07-21"  # from the description prefix
    assert not talk.abstract.startswith("[")
    assert talk.url == "https://www.youtube.com/watch?v=QEKLcaynvnc"
    assert talk.speaker_keys == ("eli-holderness",)
    eli = speakers["eli-holderness"]
    assert eli.name == "Eli Holderness" and talk.talk_key in eli.talk_keys
    ondrej = speakers["ondrej-certik"]
    assert ondrej.name == "Ondřej Čertík"  # accents survive in the name, folded in the key
    # every talk key a speaker lists exists and names the speaker back
    for speaker in speakers.values():
        assert all(speaker.speaker_key in talks[k].speaker_keys for k in speaker.talk_keys)
    assert max(len(s.talk_keys) for s in speakers.values()) > 10
    assert talks["pydata-berlin-2014/generators-will-free-your-mind"].event == "pydata-berlin-2014"


def test_pyvideo_list_object_and_name_collapse(tmp_path):
    talks = [
        {"title": "Deep RAG", "speakers": ["José Álvarez"], "recorded": "2024-05-01", "slug": "deep-rag",
         "related_urls": ["https://example.org/talk/deep-rag"], "videos": []},
        {"title": "Evals", "speakers": ["Jose Alvarez", " "], "recorded": "2024-06-01", "tags": ["LLM", "eval"],
         "related_urls": [{"label": "licence", "url": "http://creativecommons.org/licenses/by/4.0/"},
                          {"label": "GitHub", "url": "https://github.com/JAlvarez"},
                          {"label": "Code", "url": "https://github.com/acme/evals"}]},
        {"title": "Panel", "speakers": ["Ana Costa", "Wei Zhang"], "recorded": "2024-06-02",
         "related_urls": ["https://github.com/wzhang"]},
        {"description": "no title here", "speakers": ["Nobody"]},
    ]
    (tmp_path / "list.json").write_text(json.dumps(talks), "utf-8")
    speakers, got = read(settings(format="pyvideo", url=str(tmp_path / "list.json"), event="PyData Global"))
    assert set(got) == {"deep-rag", "2024-06-01-evals", "2024-06-02-panel"}
    assert got["deep-rag"].url == "https://example.org/talk/deep-rag"
    assert got["2024-06-01-evals"].url == "https://github.com/acme/evals" and got["2024-06-01-evals"].track == "LLM; eval"
    assert got["deep-rag"].event == "PyData Global"
    assert list(speakers) == ["jose-alvarez", "ana-costa", "wei-zhang"]  # one key per name slug within the source
    # a GitHub profile on a single-speaker talk is that speaker's; repos and panels say nothing
    assert [(l.kind, l.value) for l in speakers["jose-alvarez"].links] == [("github", "jalvarez")]
    assert speakers["wei-zhang"].links == ()
    assert speakers["jose-alvarez"].name == "José Álvarez"
    assert speakers["jose-alvarez"].talk_keys == ("deep-rag", "2024-06-01-evals")
    (tmp_path / "one.json").write_text(json.dumps(talks[0]), "utf-8")
    _, got = read(settings(format="pyvideo", url=str(tmp_path / "one.json")))
    assert list(got) == ["deep-rag"]


def test_pyvideo_repeated_talks_keep_the_first_and_log_one_line(tmp_path, caplog):
    """An archive can repeat a talk thousands of times (files concatenated
    twice): the first is kept, its speaker counts it once, and the operator
    reads one line, not one per repeat."""
    talk = {"title": "Deep RAG", "speakers": ["Ana Costa"], "recorded": "2024-05-01", "slug": "deep-rag"}
    repeat = {**talk, "title": "Deep RAG (re-upload)"}
    (tmp_path / "dup.json").write_text(json.dumps([talk, repeat, repeat, repeat]), "utf-8")
    with caplog.at_level(logging.INFO, logger="sources.conferences.pyvideo"):
        speakers, got = read(settings(format="pyvideo", url=str(tmp_path / "dup.json")))
    assert got["deep-rag"].title == "Deep RAG" and speakers["ana-costa"].talk_keys == ("deep-rag",)
    lines = [r.getMessage() for r in caplog.records if "duplicate" in r.getMessage()]
    assert len(lines) == 1 and "3 duplicate talks skipped" in lines[0]


def test_repeated_speakers_and_talks_keep_the_first_and_log_one_count(caplog):
    records = [Speaker("conf", "S1", "Ana"), Speaker("conf", "S1", "Ana again"), None,
               Talk("conf", "T1", "One"), Talk("conf", "T1", "One again"), Speaker("conf", "S1", "Ana 3")]
    with caplog.at_level(logging.INFO, logger="sources.conferences.common"):
        kept = c.first_of_each("conf", records)
    assert [(type(r).__name__, getattr(r, "name", None) or r.title) for r in kept] == [("Speaker", "Ana"), ("Talk", "One")]
    lines = [r.getMessage() for r in caplog.records if "repeated" in r.getMessage()]
    assert lines == ["conf: repeated records skipped (the first of each is kept): 2 Speaker, 1 Talk"]


def test_pyvideo_bad_bodies(tmp_path):
    (tmp_path / "cut.jsonl").write_text('{"title": "a", "speakers": []}\n{"title": "b", "spea', "utf-8")
    with pytest.raises(ParseError, match="line 2"):
        read(settings(format="pyvideo", url=str(tmp_path / "cut.jsonl")))
    (tmp_path / "nums.json").write_text("[1, 2, 3]", "utf-8")
    with pytest.raises(ParseError, match="expected pyvideo talk objects"):
        read(settings(format="pyvideo", url=str(tmp_path / "nums.json")))


# --- HTML speaker page -----------------------------------------------------------
def test_html_convergese_page(conf_dir):
    conf = settings(format="html", url=str(conf_dir / "html_convergese_speakers.html"), event="ConvergeSE 2018",
                    date="2018-04-26", selectors=CONVERGESE_SELECTORS)
    speakers, talks = read(conf)
    assert len(speakers) == 15
    assert "name" not in speakers and "name" not in {s.name for s in speakers.values()}  # commented-out template
    ethan = speakers["ethan-marcotte"]
    assert ethan.name == "Ethan Marcotte" and ethan.affiliation == "Responsive Web Design"
    assert links_of(ethan, "x") == ["beep"]
    assert ethan.bio.startswith("Ethan Marcotte is an independent designer")
    assert "Responsive designers now focus" not in ethan.bio  # abstracts are not bio
    assert len(ethan.talk_keys) == 2
    kasey = speakers["kasey-bonifacio"]
    assert kasey.affiliation == "Sparkbox - Developer"  # without the @handle link text
    workshop = talks["making-design-systems-work"]
    assert workshop.speaker_keys == ("kasey-bonifacio", "nathan-rambeck")
    assert workshop.abstract.startswith("Navigating the challenges") and str(workshop.happened_on) == "2018-04-26"
    meade = speakers["catherine-meade"]  # her bio lacks its opening <p>
    assert meade.bio.startswith("Catherine builds responsive websites")
    assert all(s.links for s in speakers.values())


def test_html_defaults_hostile_markup_and_layout_change(tmp_path, caplog):
    page = tmp_path / "speakers.html"
    page.write_text("""<html><body>
      <div class="sp"><h3>Zoë Ng</h3><script>alert('x'); document.write('<h3>Evil</h3>')</script>
        <a href="https://github.com/zoeng">gh</a><a href="javascript:alert(1)">x</a><a href="/me">me</a></div>
      <div class="sp"><h3>  </h3></div>
      <div class="sp"><h3>=HYPERLINK("http://x")</h3></div>
      <div class="sp" id="zoe-ng-7f3a"><h3>Zoë Ng</h3></div>
    </body></html>""", "utf-8")
    caplog.set_level(logging.WARNING)
    speakers, talks = read(settings(format="html", url=str(page), selectors={"speaker": ".sp", "name": "h3", "links": "a"}))
    # default key: the block's id when present, else the name slug
    assert list(speakers) == ["zoe-ng", "hyperlink-http-x", "zoe-ng-7f3a"]
    assert links_of(speakers["zoe-ng"], "github") == ["zoeng"] and len(speakers["zoe-ng"].links) == 1
    assert speakers["hyperlink-http-x"].name == '=HYPERLINK("http://x")'  # kept as text, never evaluated
    assert "without a name" in caplog.text
    with pytest.raises(ParseError, match="no element matches selectors.speaker"):
        read(settings(format="html", url=str(page), selectors={"speaker": ".speaker-card", "name": "h3"}))


# --- settings --------------------------------------------------------------------
@pytest.mark.parametrize("table,message", [
    ({"format": "eventbrite", "url": "x.json"},
     "sources.conferences[conf].format: unknown format 'eventbrite' (expected one of pretalx, sessionize, pyvideo, html, papers)"),
    ({"format": "pretalx", "url": "https://pretalx.com"}, "sources.conferences[conf].event: required"),
    ({"format": "html", "url": "p.html"}, "sources.conferences[conf].selectors: required"),
    ({"format": "html", "url": "p.html", "selectors": {"speaker": "div[", "name": "h3"}},
     "sources.conferences[conf].selectors.speaker: invalid CSS selector"),
    ({"format": "sessionize", "url": "ftp://host/x"}, "sources.conferences[conf].url: only http(s) URLs"),
    ({"format": "sessionize", "url": "a.json", "page_size": 10}, "sources.conferences[conf].page_size: only valid for"),
    ({"format": "pyvideo", "url": "a.json", "timeout_seconds": 0}, "sources.conferences[conf].timeout_seconds"),
    ({"format": "pyvideo", "url": "a.json", "colour": 1}, "sources.conferences[conf].colour: unknown key"),
])
def test_settings_errors_name_the_key(table, message):
    with pytest.raises(ValueError) as info:
        settings(**table)
    assert str(info.value).startswith(message)


def test_settings_modes():
    api = settings(format="pretalx", url="https://pretalx.com", event="juliacon2023")
    assert api.is_pretalx_api() and api.timeout_seconds == 30.0
    assert not settings(format="pretalx", url="https://example.org/speakers.json").is_pretalx_api()
    assert not settings(format="pretalx", url="data/s.json", talks_url="data/t.json").is_pretalx_api()


# --- hostile objects ---------------------------------------------------------------
from hypothesis import HealthCheck, given, settings as hyp_settings, strategies as st  # noqa: E402

from sources.conferences import pretalx as pretalx_adapter  # noqa: E402
from sources.conferences import pyvideo as pyvideo_adapter  # noqa: E402
from sources.conferences import sessionize as sessionize_adapter  # noqa: E402

_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                     st.text(max_size=30), st.sampled_from(["https://github.com/x", "@h", "=1+1", "2024-13-45"]))
_json = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                     max_leaves=8)
_FIELDS = ["code", "name", "title", "id", "fullName", "firstName", "lastName", "biography", "bio", "tagLine",
           "submissions", "speakers", "sessions", "links", "answers", "questionAnswers", "slot", "start",
           "track", "gitx", "twitter", "homepage", "mastodon_url", "description", "recorded", "related_urls",
           "videos", "_source_path", "startsAt", "categoryItems", "abstract"]
_objects = st.dictionaries(st.sampled_from(_FIELDS), _json, max_size=12)


def _clean(record) -> None:
    if record is None:
        return
    for value in (getattr(record, f) for f in record.__slots__):
        assert value != ""  # missing is None, never ""
        if isinstance(value, tuple):
            assert all(item not in ("", None) for item in value)


@hyp_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_objects)
def test_hostile_objects_never_crash_the_adapters(obj):
    conf = ConferenceSettings.from_dict("h", {"name": "h", "format": "pretalx", "url": "x.json"})
    _clean(pretalx_adapter.speaker_from(obj, conf))
    _clean(pretalx_adapter.talk_from(obj, conf))
    _clean(sessionize_adapter.speaker_from(obj, conf))
    _clean(sessionize_adapter.talk_from(obj, conf, {}))
    _clean(pyvideo_adapter.talk_from(obj, conf))
