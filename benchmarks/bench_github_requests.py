"""Counted GitHub API requests per enriched profile, ours vs the plain PyGithub loop,
and what a second night with no upstream change costs (GitHub and arXiv).

Both sides run against the same sample-world server, which counts requests
as GitHub's rate limit would (a 304 and ``/rate_limit`` are not counted).

* ours: ``sources.github.pull`` (org repos' fields from the listing items,
  their languages in GraphQL batches of 50 repositories, counted by the
  server as ``graphql_languages``; contributors via list payloads, profiles
  in GraphQL batches of up to 100 logins, ``graphql``), every contributor read
  (``max_contributors_per_repo`` raised so both sides see the same people);
* baseline: the loop most scripts start with, PyGithub defaults
  (``per_page`` 30): ``get_organization(o).get_repos()`` (skipping forks and
  archived repos, as ours does) and ``get_repo(r)`` for the user repos,
  ``repo.get_contributors()`` and reading ``.name``, ``.company``,
  ``.location``, ``.bio``, ``.email``, ``.blog`` on each contributor (the
  first attribute read completes the lazy object with ``GET /users/{login}``).

Second night: the same world (no upstream change), our source with the
state the first night stored; arXiv the same (high-water marks).

  python benchmarks/bench_github_requests.py --people 1000 10000 --repeats 3
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import median, print_header, quiet_logging, ratio, write_json  # noqa: E402

from github import Github  # noqa: E402

from sampleworld.files import ARXIV_QUERIES, github_targets  # noqa: E402
from sampleworld.generate import generate_world  # noqa: E402
from sampleworld.server import serve  # noqa: E402
from sources.arxiv import ArxivSettings  # noqa: E402
from sources.arxiv import pull as arxiv_pull  # noqa: E402
from sources.github import GithubSettings  # noqa: E402
from sources.github import pull as github_pull  # noqa: E402
from sources.records import GithubUser  # noqa: E402

PROFILE_FIELDS = ("name", "company", "location", "bio", "email", "blog")


def our_settings(base_url: str, orgs: list[str], repos: list[str]) -> GithubSettings:
    return GithubSettings(repos=tuple(repos), orgs=tuple(orgs), base_url=base_url + "/github",
                          max_repos_per_org=1000, max_contributors_per_repo=10_000, use_graphql="auto")


def run_ours(server, settings: GithubSettings, state: dict[str, str]) -> dict:
    """One pull; returns counted requests, profiles and the merged checkpoint."""
    server.reset_counts()
    started, profiles, checkpoint = time.perf_counter(), 0, {}
    for page in github_pull(settings, state):
        profiles += sum(isinstance(r, GithubUser) for r in page.records)
        checkpoint.update(page.checkpoint)
    counts = server.counts
    return {"seconds": time.perf_counter() - started, "profiles": profiles, "requests": counts.get("github", 0),
            "profile_requests": counts.get("github:graphql", 0) + counts.get("github:user", 0),
            "repo_requests": sum(counts.get(f"github:{k}", 0) for k in ("repo", "languages", "graphql_languages",
                                                                       "contributors")),
            "not_modified": counts.get("github:not_modified", 0), "by_kind": _kinds(counts, "github:"),
            "checkpoint": checkpoint}


def run_baseline(server, orgs: list[str], repos: list[str]) -> dict:
    """The plain PyGithub loop (defaults, no pauses against the local host) over
    the same orgs and user repositories as ours; it pays for its org listings too."""
    server.reset_counts()
    started, reads = time.perf_counter(), 0
    gh = Github(base_url=server.base_url + "/github", timeout=15, seconds_between_requests=None,
                seconds_between_writes=None)
    try:
        seen: set[str] = set()
        for repo in baseline_repos(gh, orgs, repos):
            for contributor in repo.get_contributors():
                _ = [getattr(contributor, f) for f in PROFILE_FIELDS]
                reads += 1
                seen.add(contributor.login.lower())
    finally:
        gh.close()
    counts = server.counts
    return {"seconds": time.perf_counter() - started, "profiles": len(seen), "profile_reads": reads,
            "requests": counts.get("github", 0), "profile_requests": counts.get("github:user", 0),
            "by_kind": _kinds(counts, "github:")}


def baseline_repos(gh: Github, orgs: list[str], repos: list[str]):
    """Each org's public repos that are neither forks nor archived (as ours
    selects them), then the configured user repos."""
    for org in orgs:
        for repo in gh.get_organization(org).get_repos(type="public"):
            if not (repo.fork or repo.archived):
                yield repo
    for full_name in repos:
        yield gh.get_repo(full_name)


def arxiv_nights(server, n_papers: int, page_size: int) -> dict:
    """arXiv requests on a first night and on a second one with nothing new."""
    settings = ArxivSettings(queries=tuple(ARXIV_QUERIES), base_url=server.base_url + "/arxiv/api/query",
                             page_size=page_size, max_results=max(2000, 2 * n_papers), delay_seconds=0.0)
    nights = []
    state: dict[str, str] = {}
    for _ in range(2):
        server.reset_counts()
        checkpoint: dict[str, str] = {}
        for page in arxiv_pull(settings, state):
            checkpoint.update(page.checkpoint)
        nights.append(server.counts.get("arxiv", 0))
        state = {**state, **checkpoint}
    return {"queries": len(ARXIV_QUERIES), "page_size": page_size, "first_night": nights[0], "second_night": nights[1]}


def _kinds(counts: dict[str, int], prefix: str) -> dict[str, int]:
    return {k[len(prefix):]: v for k, v in sorted(counts.items()) if k.startswith(prefix)}


def unlimited_budget() -> None:
    """The sample server reports GitHub's 5,000 requests/hour (refilled at the
    reset and by ``reset_counts()`` before every run); one baseline run alone
    needs more than that at 10k people and would wait an hour for the reset.
    Counting is what we measure, so the limit is lifted here (this process
    only) and the hours of a token's budget each side would need are printed."""
    from sampleworld import server

    server.GITHUB_LIMIT = 10**9


def bench_scale(n_people: int, repeats: int, page_size: int) -> dict:
    world = generate_world(n_people, seed=7)
    orgs, repos = github_targets(world)
    ours, base, second = [], [], []
    with serve(world) as server:
        settings = our_settings(server.base_url, orgs, repos)
        for _ in range(repeats):
            ours.append(run_ours(server, settings, {}))
            second.append(run_ours(server, settings, ours[-1]["checkpoint"]))
            base.append(run_baseline(server, orgs, repos))
        arxiv = arxiv_nights(server, len(world.papers), page_size)
    return _summary(n_people, len(orgs), len(repos), ours, base, second, arxiv)


def _summary(n_people, n_orgs, n_repos, ours, base, second, arxiv) -> dict:
    o, b, s = ours[-1], base[-1], second[-1]
    same = all(r["requests"] == o["requests"] for r in ours) and all(r["requests"] == b["requests"] for r in base)
    return {
        "people": n_people, "orgs": n_orgs, "user_repos": n_repos, "repeats": len(ours), "counts_identical": same,
        "ours": {k: v for k, v in o.items() if k != "checkpoint"} | {"median_seconds": median([r["seconds"] for r in ours])},
        "baseline": b | {"median_seconds": median([r["seconds"] for r in base])},
        "second_night": {k: v for k, v in s.items() if k != "checkpoint"},
        "ours_profile_requests_per_profile": o["profile_requests"] / max(1, o["profiles"]),
        "ours_requests_per_profile": o["requests"] / max(1, o["profiles"]),
        "baseline_profile_requests_per_profile": b["profile_requests"] / max(1, b["profiles"]),
        "baseline_requests_per_profile": b["requests"] / max(1, b["profiles"]),
        "fewer_profile_requests_x": ratio(b["profile_requests"], o["profile_requests"]),
        "fewer_requests_x": ratio(b["requests"], o["requests"]),
        "arxiv": arxiv,
    }


def print_scale(r: dict) -> None:
    o, b, s, a = r["ours"], r["baseline"], r["second_night"], r["arxiv"]
    print(f"-- {r['people']} people: {r['orgs']} orgs + {r['user_repos']} user repos; {o['profiles']} profiles "
          f"(baseline read {b['profile_reads']} contributor objects, {b['profiles']} distinct); "
          f"{r['repeats']} runs, counts identical: {r['counts_identical']}")
    print(f"   profile requests/profile: ours {r['ours_profile_requests_per_profile']:.4f} "
          f"({o['profile_requests']} GraphQL) | baseline {r['baseline_profile_requests_per_profile']:.3f} "
          f"({b['profile_requests']} GET /users) | {r['fewer_profile_requests_x']:.0f}x fewer")
    print(f"   all counted requests/profile: ours {r['ours_requests_per_profile']:.3f} ({o['requests']}) | "
          f"baseline {r['baseline_requests_per_profile']:.3f} ({b['requests']}) | {r['fewer_requests_x']:.1f}x fewer")
    print(f"   ours repository requests (repo + languages + GraphQL languages + contributors): {o['repo_requests']}")
    print(f"   hours of a token's 5,000/h budget: ours {o['requests'] / 5000:.2f} | baseline {b['requests'] / 5000:.2f}")
    print(f"   wall (median): ours {o['median_seconds']:.1f} s | baseline {b['median_seconds']:.1f} s")
    print(f"   ours by kind: {o['by_kind']}")
    print(f"   baseline by kind: {b['by_kind']}")
    print(f"   second night, no change: GitHub counted {s['requests']} (first night {o['requests']}), "
          f"304s {s['not_modified']}, by kind {s['by_kind']}")
    print(f"   arXiv pages ({a['queries']} queries, page size {a['page_size']}): first night {a['first_night']}, "
          f"second night {a['second_night']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--arxiv-page-size", type=int, default=2000)
    parser.add_argument("--json", help="write the figures to this file too")
    args = parser.parse_args(argv)
    quiet_logging()
    unlimited_budget()
    info = print_header("GitHub requests per enriched profile; second night", argv)
    results = []
    for n in args.people:
        results.append(bench_scale(n, args.repeats, args.arxiv_page_size))
        print_scale(results[-1])
    write_json(args.json, {"machine": info, "results": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
