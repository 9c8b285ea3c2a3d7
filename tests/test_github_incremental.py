"""An unchanged GitHub night costs (almost) no requests, and unchanged data still counts as seen.

What a user relies on: a second night on an unchanged world asks GitHub for
no organisation repository at all (not even a free 304) and leaves the same
rows, with their ``last_seen`` moved to that night, so retention keeps data
only because it did not change; a repository pushed between the nights is
read again; a skipped repository is still re-checked (conditionally) once
its last check is ``recheck_days`` old, which is how a contributor change
that no push announced is picked up; a bad ``recheck_days`` stops the config.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest

from flows import nightly as night
from flows.config import SourceSpec
from flows.nightly import NightContext
from flows.privacy import purge_expired
from sampleworld.files import github_targets
from sampleworld.generate import generate_world
from sampleworld.server import serve
from sources.github import checked_key, pull
from sources.github.settings import GithubSettings
from sources.records import GithubContribution, GithubRepo
from warehouse import load_page

TOKEN_ENV = "TS_TEST_GITHUB_TOKEN_INCREMENTAL"
NIGHT1, NIGHT2 = datetime(2026, 12, 1, 3, 0), datetime(2026, 12, 2, 3, 0)
GITHUB_TABLES = ("raw_github_repos", "raw_github_contributions", "raw_github_users")


@pytest.fixture
def world():
    return generate_world()  # fresh: tests move repositories to night 2


@pytest.fixture
def request_log(monkeypatch):
    """Every GitHub request the sample server answers, 304s included: (path, status)."""
    import sampleworld.server as server_module

    log: list[tuple[str, int]] = []
    real = server_module.github

    def logged(sw, method, path, params, body, headers):
        response = real(sw, method, path, params, body, headers)
        log.append((path, response.status))
        return response

    monkeypatch.setattr(server_module, "github", logged)
    return log


@pytest.fixture
def server(world, request_log, monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    with serve(world) as srv:
        yield srv


def settings_for(srv, **extra) -> GithubSettings:
    orgs, repos = github_targets(srv.world)
    table = {"base_url": srv.base_url + "/github", "orgs": orgs, "repos": repos, "token_env": TOKEN_ENV,
             "max_rate_limit_wait_seconds": 1, "timeout_seconds": 5, **extra}
    return GithubSettings.from_dict("github", table)


def org_repo_requests(log, settings: GithubSettings) -> list[tuple[str, int]]:
    """Requests for an organisation's repository or its contributor list."""
    orgs = {o.lower() for o in settings.orgs}
    return [(p, s) for p, s in log if p.startswith("/repos/") and p.split("/")[2].lower() in orgs]


def run_pull(con, settings: GithubSettings, now: datetime) -> dict[str, str]:
    """One night of the GitHub source through the flow's page loop; returns the saved state."""
    ctx = NightContext(con, f"run-{now:%d}", now)
    outcome = night._pull_into_warehouse(ctx, SourceSpec("github", "github", settings))
    assert outcome.status == "success"
    return ctx.state("github")


def rows(con, table: str, with_stamps: bool = False) -> list[tuple]:
    cols = [r[0] for r in con.execute(f'DESCRIBE "{table}"').fetchall()]
    cols = [c for c in cols if with_stamps or c not in ("first_seen", "last_seen")]
    quoted = ", ".join(f'"{c}"' for c in cols)
    return sorted(map(repr, con.execute(f'SELECT {quoted} FROM "{table}"').fetchall()))


# --- an unchanged night ----------------------------------------------------------------------
def test_unchanged_night_asks_for_no_org_repo_and_keeps_the_rows_seen(server, request_log, con):
    settings = settings_for(server)
    state = run_pull(con, settings, NIGHT1)
    asked = org_repo_requests(request_log, settings)
    assert len(asked) >= 20 and all(p.endswith("/contributors") for p, _ in asked)  # night 1 read every org
    # repo's contributors; its fields came from the listing, its languages from GraphQL batches
    before = {t: rows(con, t) for t in GITHUB_TABLES}
    assert all(before.values())

    request_log.clear()
    server.reset_counts()
    state2 = run_pull(con, settings, NIGHT2)
    assert org_repo_requests(request_log, settings) == []  # not even a 304
    assert server.counts.get("github", 0) == 0
    # one free 304 per configured repository: its contributors were checked within recheck_days
    assert len(request_log) == len([k for k in state if k.startswith("org:")]) + len(settings.repos)
    assert all(status == 304 for _, status in request_log)
    assert state2 == state
    assert {t: rows(con, t) for t in GITHUB_TABLES} == before  # same rows, same content
    for table in ("raw_github_repos", "raw_github_contributions"):  # confirmed unchanged: seen tonight
        assert con.execute(f'SELECT DISTINCT "last_seen" FROM "{table}"').fetchall() == [(NIGHT2,)]
    assert con.execute('SELECT DISTINCT "first_seen" FROM "raw_github_repos"').fetchall() == [(NIGHT1,)]


def test_retention_keeps_unchanged_github_data_and_purges_what_was_not_confirmed(server, con):
    settings = settings_for(server)
    run_pull(con, settings, NIGHT1)
    load_page(con, [GithubRepo("gone-org/gone", "https://github.com/gone-org/gone"),
                    GithubContribution("gone-org/gone", "gone-user", 3)], now=NIGHT1)
    run_pull(con, settings, NIGHT2)
    repos_before = len(rows(con, "raw_github_repos"))
    # 30 days after night 1, just under 30 days after night 2
    purged = purge_expired(con, days=30, now=NIGHT1 + timedelta(days=30, hours=12))
    assert purged.get("raw_github_repos") == 1 and purged.get("raw_github_contributions") == 1
    names = {n for (n,) in con.execute('SELECT "full_name" FROM "raw_github_repos"').fetchall()}
    assert "gone-org/gone" not in names and len(names) == repos_before - 1
    assert len(rows(con, "raw_github_users")) > 20  # the contributors' profiles stay with them


# --- changes between the nights --------------------------------------------------------------
def pushed_on_night_two(world) -> list:
    """Org repositories that gain contributors on night 2, now showing the push that did it."""
    repos = [r for r in world.repos if r.owner_is_org and any(c.night == 2 for c in r.contributors)]
    for repo in repos:
        repo.pushed_at = "2026-12-01T21:00:00Z"
    return repos


def test_a_repo_pushed_on_night_two_is_read_again(world, server, request_log, con):
    settings = settings_for(server)
    run_pull(con, settings, NIGHT1)
    contributions = len(rows(con, "raw_github_contributions"))
    pushed = pushed_on_night_two(world)
    new = [c for r in pushed for c in r.contributors if c.night == 2]
    assert pushed and new
    server.set_night(2)
    request_log.clear()
    run_pull(con, settings, NIGHT2)

    asked = {p for p, _ in org_repo_requests(request_log, settings)}
    assert asked == {f"/repos/{r.full_name}/contributors" for r in pushed}  # fields from the changed listing
    assert {p.split("/")[2] + "/" + p.split("/")[3] for p in asked} == {r.full_name for r in pushed}
    assert len(rows(con, "raw_github_contributions")) == contributions + len(new)
    logins = {u for (u,) in con.execute('SELECT "login" FROM "raw_github_users"').fetchall()}
    assert {c.login.lower() for c in new} <= logins  # the newcomers' profiles were read too


def age(state: dict[str, str], name: str, days: int) -> dict[str, str]:
    """The state as if ``name`` was last fully checked ``days`` ago."""
    _, _, stamp = state[checked_key(name)].partition("|")
    return {**state, checked_key(name): f"{(date.today() - timedelta(days=days)).isoformat()}|{stamp}"}


def pages_of(settings: GithubSettings, state: dict[str, str]) -> tuple[list, dict[str, str]]:
    pages = list(pull(settings, state))
    checkpoint = {k: v for p in pages for k, v in p.checkpoint.items()}
    return pages, checkpoint


def test_a_skipped_repo_is_rechecked_conditionally_after_recheck_days(world, server, request_log):
    settings = settings_for(server, recheck_days=3)
    _, state = pages_of(settings, {})
    target = next(r.full_name for r in world.repos if r.owner_is_org and checked_key(r.full_name) in state)
    request_log.clear()
    pages, state2 = pages_of(settings, age(state, target, 3))
    # the unchanged listing stamp vouches for the repository's fields: only its contributors are asked
    assert org_repo_requests(request_log, settings) == [(f"/repos/{target}/contributors", 304)]
    assert state2[checked_key(target)].startswith(date.today().isoformat() + "|")  # checked again today
    assert {k: v for k, v in state2.items() if k != checked_key(target)} == \
        {k: v for k, v in state.items() if k != checked_key(target)}
    seen = seen_in(pages)
    assert target.lower() in seen["github_repo"] and target.lower() in seen["github_contributors"]
    assert not [r for p in pages for r in p.records]  # nothing changed: nothing to load

    request_log.clear()
    pages_of(settings, age(state, target, 2))  # younger than recheck_days: skipped again
    assert org_repo_requests(request_log, settings) == []


def seen_in(pages) -> dict[str, set[str]]:
    seen: dict[str, set[str]] = {}
    for page in pages:
        for kind, keys in page.seen.items():
            seen.setdefault(kind, set()).update(keys)
    return seen


def contributions_in(pages) -> set[tuple[str, str]]:
    return {(r.repo, r.login) for p in pages for r in p.records if isinstance(r, GithubContribution)}


def test_a_contributor_change_without_a_push_is_picked_up_at_the_recheck(world, server):
    from sampleworld.model import Contribution

    settings = settings_for(server)
    _, state = pages_of(settings, {})
    repo = next(r for r in world.repos if r.owner_is_org and checked_key(r.full_name) in state)
    # the contributor list changes, the listing does not (GitHub computes the list apart from pushes)
    repo.contributors.append(Contribution("late-joiner", repo.contributors[0].person_id, 10**6, 1))
    pages, _ = pages_of(settings, state)
    assert (repo.full_name.lower(), "late-joiner") not in contributions_in(pages)  # within recheck_days
    pages, state2 = pages_of(settings, age(state, repo.full_name, settings.recheck_days))
    assert (repo.full_name.lower(), "late-joiner") in contributions_in(pages)
    assert state2[checked_key(repo.full_name)].startswith(date.today().isoformat() + "|")
    seen = seen_in(pages)
    assert repo.full_name.lower() in seen["github_repo"]  # its listing stamp did not move
    assert repo.full_name.lower() not in seen.get("github_contributors", set())  # its list did not


def test_recheck_days_zero_asks_for_every_repo_every_night(server, request_log):
    settings = settings_for(server, recheck_days=0)
    _, state = pages_of(settings, {})
    request_log.clear()
    pages_of(settings, state)
    asked = org_repo_requests(request_log, settings)
    assert asked and all(status == 304 for _, status in asked)


# --- repositories configured by name (no listing) --------------------------------------------
def requests_for(log, full_name: str) -> list[tuple[str, int]]:
    return [(p, s) for p, s in log if p.lower() == f"/repos/{full_name}".lower()
            or p.lower().startswith(f"/repos/{full_name}/".lower())]


def test_a_configured_repo_answering_304_costs_one_request_within_recheck_days(server, request_log):
    settings = settings_for(server, recheck_days=3)
    _, state = pages_of(settings, {})
    target = settings.repos[0]
    assert state[checked_key(target)].startswith(date.today().isoformat() + "|")  # night 1 checked it
    request_log.clear()
    pages, state2 = pages_of(settings, age(state, target, 2))
    assert requests_for(request_log, target) == [(f"/repos/{target}", 304)]  # no contributor list asked
    assert state2[checked_key(target)] == age(state, target, 2)[checked_key(target)]  # the check date stays
    seen = seen_in(pages)
    assert target.lower() in seen["github_repo"] and target.lower() in seen["github_contributors"]


def test_a_configured_repo_is_rechecked_after_recheck_days(world, server, request_log):
    from sampleworld.model import Contribution

    settings = settings_for(server, recheck_days=3)
    _, state = pages_of(settings, {})
    target = settings.repos[0]
    repo = next(r for r in world.repos if r.full_name.lower() == target.lower())
    # the contributor list changes, the repository payload does not (no push)
    repo.contributors.append(Contribution("late-joiner", repo.contributors[0].person_id, 10**6, 1))
    request_log.clear()
    pages, _ = pages_of(settings, age(state, target, 2))
    assert (target.lower(), "late-joiner") not in contributions_in(pages)  # within recheck_days
    request_log.clear()
    pages, state2 = pages_of(settings, age(state, target, 3))
    assert requests_for(request_log, target) == [(f"/repos/{target}", 304), (f"/repos/{target}/contributors", 200)]
    assert (target.lower(), "late-joiner") in contributions_in(pages)
    assert state2[checked_key(target)].startswith(date.today().isoformat() + "|")


@pytest.mark.parametrize("stored", [None, "not-a-date|", ""])
def test_a_configured_repo_without_a_readable_check_asks_for_its_contributors(server, request_log, stored):
    settings = settings_for(server)
    _, state = pages_of(settings, {})
    target = settings.repos[0]
    old = {k: v for k, v in state.items() if k != checked_key(target)}
    if stored is not None:  # None: a state written before configured repos stored a check date
        old[checked_key(target)] = stored
    request_log.clear()
    _, state2 = pages_of(settings, old)
    assert requests_for(request_log, target) == [(f"/repos/{target}", 304), (f"/repos/{target}/contributors", 304)]
    assert state2[checked_key(target)].startswith(date.today().isoformat() + "|")


# --- stored state ---------------------------------------------------------------------------
def test_listing_state_keeps_one_stamp_per_listed_repo(server):
    settings = settings_for(server)
    _, state = pages_of(settings, {})
    for key in (k for k in state if k.startswith("org:")):
        page = json.loads(state[key])
        assert len(page["at"]) == len(page["repos"]) and all("|" in a for a in page["at"])


def test_a_listing_stored_without_stamps_still_works_but_skips_nothing(server, request_log):
    settings = settings_for(server)
    _, state = pages_of(settings, {})
    old = dict(state)
    for key in (k for k in state if k.startswith("org:")):
        page = json.loads(state[key])
        del page["at"]
        old[key] = json.dumps(page)
    request_log.clear()
    server.reset_counts()
    pages_of(settings, old)
    assert server.counts.get("github:org_repos", 0) == 0  # the old entries are still sent conditionally
    asked = org_repo_requests(request_log, settings)
    # no stamp: every repository is read again (its fields too: night 1 took them from the listing,
    # so there is no repository ETag to send); contributor lists are asked conditionally
    contributors = [s for p, s in asked if p.endswith("/contributors")]
    assert len(contributors) == len(asked) / 3 and all(status == 304 for status in contributors)


@pytest.mark.parametrize("stored", ["not-a-date|x|y", "", "2026-01-01"])
def test_an_unreadable_check_entry_means_the_repo_is_asked_for(server, request_log, stored):
    settings = settings_for(server)
    _, state = pages_of(settings, {})
    orgs = {o.lower() for o in settings.orgs}
    target = next(k.removeprefix("etag:checked:") for k in state
                  if k.startswith("etag:checked:") and k.split(":")[2].split("/")[0] in orgs)
    request_log.clear()
    pages_of(settings, {**state, checked_key(target): stored})
    assert org_repo_requests(request_log, settings) == [(f"/repos/{target}", 200), (f"/repos/{target}/languages", 200),
                                                        (f"/repos/{target}/contributors", 304)]


@pytest.mark.parametrize("value", [-1, 366, "7", 1.5, True, None])
def test_bad_recheck_days_is_a_config_error_naming_the_key(value):
    table = {"orgs": ["lab"], "recheck_days": value}
    with pytest.raises(ValueError, match=r"^sources\.github\.recheck_days: ") as info:
        GithubSettings.from_dict("github", table)
    assert "\n" not in str(info.value)


def test_recheck_days_defaults_to_a_week():
    assert GithubSettings.from_dict("github", {"orgs": ["lab"]}).recheck_days == 7
    assert GithubSettings.from_dict("github", {"orgs": ["lab"], "recheck_days": 0}).recheck_days == 0
