"""An unchanged conference programme costs one 304 per page and no parsing or loading.

What a user relies on: a second night on unchanged programmes loads no
record, keeps every row with its ``last_seen`` moved to that night (so
retention keeps it), and keeps the stored validators; a programme that
changed (a new talk, an edited page, one more page) is read again whole,
with the new data; a server that sends no validators, and local files, are
read exactly as before; a 304 to a request that carried no validator is an
error, never an empty programme; stored state that is not ours is ignored
with a warning (full read).
"""
from __future__ import annotations

import json
import logging
from datetime import datetime
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, urlsplit

import pytest

from flows import nightly as night
from flows.config import SourceSpec
from flows.nightly import NightContext
from sampleworld.files import conference_tables
from sampleworld.generate import generate_world
from sampleworld.server import serve
from sources.conferences import ConferenceSettings, pull
from sources.conferences.conditional import SEEN_KIND, state_key
from sources.errors import ParseError
from sources.records import Speaker, Talk, VenueAuthor, VenuePaper
from conftest import local_http_server
from warehouse import load_page
from warehouse.load import mark_seen

NIGHT1, NIGHT2 = datetime(2026, 12, 1, 3, 0), datetime(2026, 12, 2, 3, 0)
TABLES = ("raw_conference_speakers", "raw_conference_talks")
UPSTREAMS = ("pretalx", "sessionize", "html", "pyvideo")


# --- the sample world: all four served formats ------------------------------------------------
@pytest.fixture
def world():
    return generate_world(60)  # fresh: a test edits a talk before night 2


@pytest.fixture
def server(world):
    with serve(world) as srv:
        yield srv


def specs(srv, **pretalx_options) -> list[SourceSpec]:
    out = []
    for table in conference_tables(srv.base_url):
        if table["format"] == "pretalx":
            table = {**table, **pretalx_options}
        out.append(SourceSpec(table["name"], "conference", ConferenceSettings.from_dict(table["name"], table)))
    return out


def run_night(con, sources: list[SourceSpec], now: datetime) -> dict[str, tuple[int, dict[str, str]]]:
    """Every conference source through the flow's page loop: records loaded and saved state per source."""
    ctx = NightContext(con, f"run-{now:%d}", now)
    out = {}
    for spec in sources:
        outcome = night._pull_into_warehouse(ctx, spec)
        assert outcome.status == "success"
        out[spec.name] = (outcome.records, ctx.state(spec.name))
    return out


def rows(con, table: str) -> list[str]:
    cols = [r[0] for r in con.execute(f'DESCRIBE "{table}"').fetchall() if r[0] not in ("first_seen", "last_seen")]
    quoted = ", ".join(f'"{c}"' for c in cols)
    return sorted(map(repr, con.execute(f'SELECT {quoted} FROM "{table}"').fetchall()))


def stamps(con, table: str, column: str) -> dict[str, set]:
    found: dict[str, set] = {}
    for source, value in con.execute(f'SELECT "source", "{column}" FROM "{table}"').fetchall():
        found.setdefault(source, set()).add(value)
    return found


def test_unchanged_night_loads_nothing_and_moves_last_seen(server, con):
    sources = specs(server, page_size=3)  # several pretalx pages per list
    first = run_night(con, sources, NIGHT1)
    assert all(loaded > 0 for loaded, _ in first.values())
    assert all(any(k.startswith("etag:") for k in state) for _, state in first.values())
    before = {t: rows(con, t) for t in TABLES}
    pretalx_pages = server.counts["pretalx"]
    assert pretalx_pages > 4

    server.reset_counts()
    second = run_night(con, sources, NIGHT2)
    assert {name: loaded for name, (loaded, _) in second.items()} == {name: 0 for name in first}
    assert {name: state for name, (_, state) in second.items()} == {n: s for n, (_, s) in first.items()}
    counts = server.counts
    for upstream in UPSTREAMS:  # every request was a conditional one, answered 304
        assert counts[upstream] == counts[f"{upstream}:not_modified"], counts
    assert counts["pretalx"] == pretalx_pages  # each page asked once, none twice
    assert {t: rows(con, t) for t in TABLES} == before  # no row lost, none changed
    for table in TABLES:
        assert set(stamps(con, table, "last_seen")) == {s.name for s in sources}
        assert all(v == {NIGHT2} for v in stamps(con, table, "last_seen").values())
        assert all(v == {NIGHT1} for v in stamps(con, table, "first_seen").values())


def test_the_unchanged_page_names_the_source(server):
    settings = specs(server)[2].settings
    state = {k: v for page in pull(settings, {}) for k, v in page.checkpoint.items()}
    pages = list(pull(settings, state))
    assert len(pages) == 1 and pages[0].records == []
    assert pages[0].seen == {SEEN_KIND: (settings.name,)} and pages[0].checkpoint == state


def test_night_two_additions_and_an_edited_page_are_read_again(world, server, con):
    sources = specs(server, page_size=3)
    run_night(con, sources, NIGHT1)
    conf = next(c for c in world.conferences if c.format == "pretalx" and len(c.talks) > 3)
    edited = conf.talks[-1]  # on the last talks page
    edited.title = "Feature stores, revisited"
    server.set_night(2)  # also: the pyvideo archive gains night 2's talk
    server.reset_counts()
    second = run_night(con, sources, NIGHT2)

    pretalx_name = next(s.name for s in sources if s.settings.event == conf.slug)
    talks = {r[0] for r in con.execute('SELECT "title" FROM "raw_conference_talks" WHERE "source" = ?',
                                       [pretalx_name]).fetchall()}
    assert "Feature stores, revisited" in talks
    rows_now = sum(con.execute(f'SELECT count(*) FROM "{t}" WHERE "source" = ?', [pretalx_name]).fetchone()[0]
                   for t in TABLES)
    assert second[pretalx_name][0] == rows_now  # the whole event, not just the edited page
    new_talk = next(a for a in world.night2 if a["kind"] == "talk")
    title = next(t.title for c in world.conferences for t in c.talks if t.night == 2 and t.key == new_talk["key"])
    assert con.execute('SELECT count(*) FROM "raw_conference_talks" WHERE "source" = ? AND "title" = ? '
                       'AND "first_seen" = ?', [new_talk["source"], title, NIGHT2]).fetchone()[0] == 1
    assert second[new_talk["source"]][0] > 0
    unchanged = {s.name for s in sources} - {pretalx_name, new_talk["source"]}
    assert unchanged and all(second[name][0] == 0 for name in unchanged)
    assert server.counts["pyvideo"] == 1  # the changed archive's answer to the check is the one parsed


# --- a controllable pretalx-like server --------------------------------------------------------
class Upstream:
    """What the fake pretalx serves: speakers and talks, validators on or off, requests seen."""

    def __init__(self) -> None:
        self.speakers = [{"code": f"S{i}", "name": f"Speaker {i}", "submissions": [f"T{i}"]} for i in range(5)]
        self.talks = [{"code": f"T{i}", "title": f"Talk {i}", "speakers": [f"S{i}"]} for i in range(5)]
        self.etags, self.last_modified, self.always_304 = True, False, False
        self.requests: list[tuple[str, str | None, str | None]] = []  # (path?query, If-None-Match, If-Modified-Since)


def handler_for(upstream: Upstream):
    stamp = formatdate(1_700_000_000, usegmt=True)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            upstream.requests.append((self.path, self.headers.get("If-None-Match"),
                                      self.headers.get("If-Modified-Since")))
            body = self._page()
            if body is None:
                return self._answer(404, b"{}", {})
            etag = f'"{hash(body) & 0xFFFFFFFF:x}"'
            headers = {"ETag": etag} if upstream.etags else {}
            if upstream.last_modified:
                headers["Last-Modified"] = stamp
            if upstream.always_304 or (upstream.etags and self.headers.get("If-None-Match") == etag) or \
                    (upstream.last_modified and self.headers.get("If-Modified-Since") == stamp):
                return self._answer(304, b"", headers)
            self._answer(200, body, headers)

        def _page(self) -> bytes | None:
            parts = urlsplit(self.path)
            items = {"/api/events/ev/speakers/": upstream.speakers, "/api/events/ev/talks/": upstream.talks}.get(parts.path)
            if items is None:
                return None
            params = dict(parse_qsl(parts.query))
            limit, offset = int(params.get("limit", 2)), int(params.get("offset", 0))
            base = f"http://{self.headers['Host']}{parts.path}"
            nxt = f"{base}?limit={limit}&offset={offset + limit}" if offset + limit < len(items) else None
            return json.dumps({"count": len(items), "next": nxt, "results": items[offset:offset + limit]}).encode()

        def _answer(self, status: int, body: bytes, headers: dict) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)) if status != 304 else "0")
            self.end_headers()
            if status != 304:
                self.wfile.write(body)

    return Handler


@pytest.fixture
def fake():
    upstream = Upstream()
    with local_http_server(handler_for(upstream)) as base:
        yield upstream, ConferenceSettings.from_dict("ev", {"name": "fake_ev", "format": "pretalx", "url": base,
                                                             "event": "ev", "page_size": 2, "retries": 0,
                                                             "timeout_seconds": 5})


def night_of(settings, state) -> tuple[list, dict[str, str]]:
    pages = list(pull(settings, state))
    return pages, {**state, **{k: v for p in pages for k, v in p.checkpoint.items()}}


def records(pages) -> list:
    return [r for p in pages for r in p.records]


def test_every_page_is_asked_conditionally_and_a_new_page_is_a_change(fake):
    upstream, settings = fake
    pages, state = night_of(settings, {})
    assert len(records(pages)) == 10 and len(state) == 6  # 3 speaker pages + 3 talk pages
    upstream.requests.clear()
    pages, state2 = night_of(settings, state)
    assert records(pages) == [] and pages[0].seen == {SEEN_KIND: ("fake_ev",)} and state2 == state
    assert len(upstream.requests) == 6 and all(etag for _, etag, _ in upstream.requests)

    upstream.talks.append({"code": "T5", "title": "Talk 5", "speakers": ["S0"]})  # 5 -> 6 talks: same pages,
    upstream.talks.append({"code": "T6", "title": "Talk 6", "speakers": ["S1"]})  # 6 -> 7: a 4th page
    upstream.requests.clear()
    pages, state3 = night_of(settings, state2)
    assert {r.talk_key for r in records(pages) if isinstance(r, Talk)} == {f"T{i}" for i in range(7)}
    assert {r.speaker_key for r in records(pages) if isinstance(r, Speaker)} == {f"S{i}" for i in range(5)}
    assert len(state3) == 7 and not any(p.seen for p in pages)
    upstream.requests.clear()
    pages, _ = night_of(settings, state3)
    assert records(pages) == [] and len(upstream.requests) == 7  # the new page is checked too


def test_last_modified_is_used_when_there_is_no_etag(fake):
    upstream, settings = fake
    upstream.etags, upstream.last_modified = False, True
    _, state = night_of(settings, {})
    assert all(json.loads(v)["etag"] is None and json.loads(v)["last_modified"] for v in state.values())
    upstream.requests.clear()
    pages, _ = night_of(settings, state)
    assert records(pages) == [] and all(since and not etag for _, etag, since in upstream.requests)


def test_a_server_without_validators_is_read_as_before(fake):
    upstream, settings = fake
    upstream.etags = False
    first, state = night_of(settings, {})
    second, state2 = night_of(settings, state)
    assert state == state2 == {}
    assert records(first) == records(second) and len(records(second)) == 10
    assert [len(p.records) for p in first] == [2, 2, 1, 2, 2, 1]  # one Page per API page, as before
    assert not any(p.seen or p.checkpoint for p in first + second)
    assert not any(etag or since for _, etag, since in upstream.requests)


def test_validators_that_disappear_are_overwritten(fake):
    upstream, settings = fake
    _, state = night_of(settings, {})
    upstream.etags = False
    upstream.talks[0]["title"] = "Edited"
    pages, state2 = night_of(settings, state)
    assert any(isinstance(r, Talk) and r.title == "Edited" for r in records(pages))
    assert set(state2) == set(state) and all(json.loads(v)["etag"] is None for v in state2.values())
    upstream.requests.clear()
    night_of(settings, state2)
    assert not any(etag or since for _, etag, since in upstream.requests)


def test_a_304_to_an_unconditional_request_is_an_error(fake):
    upstream, settings = fake
    upstream.always_304 = True
    with pytest.raises(ParseError, match="304 Not Modified"):
        list(pull(settings, {}))


@pytest.mark.parametrize("bad", [
    "not json", "[]", '{"etag": 5, "last_modified": null, "next": null}',
    '{"etag": "\\"x\\"\\r\\nX-Evil: 1", "last_modified": null, "next": null}',
    '{"etag": "\\"x\\"", "last_modified": null, "next": "ftp://elsewhere/x"}',
    '{"etag": "\\"x\\""}',
])
def test_malformed_stored_state_is_ignored_with_a_warning(fake, caplog, bad):
    upstream, settings = fake
    _, state = night_of(settings, {})
    first_url = next(k for k in state if "speakers" in k and "offset" not in k)
    upstream.requests.clear()
    with caplog.at_level(logging.WARNING, logger="sources.conferences.conditional"):
        pages, state2 = night_of(settings, {**state, first_url: bad})
    assert "malformed stored state" in caplog.text
    assert len(records(pages)) == 10  # read whole
    assert upstream.requests[0][1] is None  # nothing of the bad entry was sent
    assert state2 == state  # and replaced by a good one


def test_a_stored_next_link_to_another_host_is_not_followed(fake, caplog):
    upstream, settings = fake
    _, state = night_of(settings, {})
    first_url = next(k for k in state if "speakers" in k and "offset" not in k)
    entry = {**json.loads(state[first_url]), "next": "http://127.0.0.2:9/api/events/ev/speakers/?offset=2"}
    with caplog.at_level(logging.WARNING, logger="sources.conferences.conditional"):
        pages, _ = night_of(settings, {**state, first_url: json.dumps(entry)})
    assert "leave its host" in caplog.text and len(records(pages)) == 10


def test_local_files_are_never_conditional(tmp_path):
    path = tmp_path / "speakers.json"
    path.write_text(json.dumps([{"code": "S1", "name": "Ada"}]))
    settings = ConferenceSettings.from_dict("f", {"name": "files", "format": "pretalx", "url": str(path)})
    first, state = night_of(settings, {})
    second, _ = night_of(settings, state)
    assert state == {} and records(first) == records(second) and len(records(second)) == 1


# --- the warehouse side ----------------------------------------------------------------------------
def test_mark_seen_moves_only_the_named_sources_rows_speakers_talks_and_venue(con):
    load_page(con, [Speaker("PyCon_X", "s1", "Ada"), Talk("PyCon_X", "t1", "T", speaker_keys=("s1",)),
                    Speaker("other", "s1", "Bob"), VenuePaper("PyCon_X", "p1", "P", "V"),
                    VenueAuthor("PyCon_X", "p1", 1, "Ada")], now=NIGHT1)
    counts = mark_seen(con, {SEEN_KIND: ("PyCon_X",)}, NIGHT2)  # the configured spelling, not lower-cased
    assert counts == {"raw_conference_speakers": 1, "raw_conference_talks": 1,
                      "raw_venue_papers": 1, "raw_venue_authors": 1}
    assert stamps(con, "raw_conference_speakers", "last_seen") == {"PyCon_X": {NIGHT2}, "other": {NIGHT1}}
    for table in ("raw_conference_talks", "raw_venue_papers", "raw_venue_authors"):
        assert stamps(con, table, "last_seen") == {"PyCon_X": {NIGHT2}}
    assert mark_seen(con, {SEEN_KIND: ("PyCon_X",)}, NIGHT1)["raw_conference_speakers"] == 0  # never backwards
