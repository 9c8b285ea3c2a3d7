"""A quiet GitHub night over repositories configured by name: our crawl vs the serial PyGithub path.

Repositories configured by name have no org listing to vouch for them, so
every night asks each one conditionally (``/repos/{o}/{r}``: one free 304
when nothing changed; its contributor list too, a second 304, when its last
check is ``recheck_days`` old).  That is the largest cost of an incremental
night at 100k people (4,893 304s).

Side by side in the same run, on the same state (night 1's checkpoint):

* baseline -- the previous path: every conditional GET through PyGithub's
  Requester (requests' session), one repository at a time
  (``concurrency = 1``, no probe);
* ours -- conditional GETs on the lean urllib3 pool
  (``sources/github/probe.py``), ``concurrency`` repositories in flight
  (default setting: 4).

The world is served by a separate process (its CPU is not ours; it is
printed beside ours, since its answers are part of the wall time).
Printed: median wall and this process's CPU per quiet night, per
repository, the ratio, and the requests the server counted (all must be
free 304s).

  python benchmarks/bench_github_quiet_night.py --people 10000 --repeats 3
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    answer_commands, ask, cpu_seconds, median, no_nagle_in_sample_server, print_header, quiet_logging, ratio,
    server_process, write_json,
)


def serve(n_people: int, conn) -> None:
    """Subprocess: generate and serve the world; answer `_common.answer_commands`."""
    quiet_logging()
    no_nagle_in_sample_server()
    from sampleworld import server as sw
    from sampleworld.generate import generate_world

    sw.GITHUB_LIMIT = 10**9
    world = generate_world(n_people, seed=7)
    with sw.serve(world) as server:
        conn.send({"base_url": server.base_url, "repos": [r.full_name for r in world.repos]})
        answer_commands(server, conn)


def settings_for(base_url: str, repos: list[str], concurrency: int):
    from sources.github.settings import GithubSettings

    return GithubSettings.from_dict("github", {"base_url": base_url + "/github", "repos": repos,
                                               "token_env": "TS_BENCH_NO_TOKEN", "concurrency": concurrency})


def first_night(settings) -> dict[str, str]:
    from sources.github import pull

    state: dict[str, str] = {}
    for page in pull(settings, {}):
        state.update(page.checkpoint)
    return state


def quiet_night(settings, state: dict[str, str], probe: bool) -> dict[str, float]:
    """One night on unchanged upstream data; ``probe=False`` is the previous path."""
    from sources.github import client as github_client
    from sources.github import pull

    original = github_client.build_probe
    if not probe:
        github_client.build_probe = lambda *a, **k: None
    try:
        started, cpu, pages = time.perf_counter(), cpu_seconds(), 0
        for _ in pull(settings, state):
            pages += 1
        return {"seconds": time.perf_counter() - started, "cpu_seconds": cpu_seconds() - cpu, "pages": pages}
    finally:
        github_client.build_probe = original


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    quiet_logging()
    info = print_header("a quiet GitHub night over repositories configured by name", argv)
    with server_process(serve, args.people) as (conn, hello):
        runs, counts, repos = measure(conn, hello, args.repeats, args.concurrency, args.people)
    result = summarise(runs, counts, len(repos))
    print_result(result, args.concurrency)
    write_json(args.json, {"machine": info, "people": args.people, "repos": len(repos), **result})
    return 0


def measure(conn, hello: dict, repeats: int, concurrency: int, people: int
            ) -> tuple[dict[str, list[dict]], dict[str, dict], list[str]]:
    """Night 1 once, then the baseline and our quiet night ``repeats`` times each on its state."""
    repos = hello["repos"]
    ours_settings = settings_for(hello["base_url"], repos, concurrency)
    base_settings = settings_for(hello["base_url"], repos, 1)
    state = first_night(ours_settings)
    print(f"   {len(repos)} repositories configured by name ({people} people); night 1 stored "
          f"{len(state)} checkpoint entries")
    runs: dict[str, list[dict]] = {"baseline": [], "ours": []}
    counts: dict[str, dict] = {}
    for _ in range(repeats):
        for name, settings, probe in (("baseline", base_settings, False), ("ours", ours_settings, True)):
            ask(conn, "reset")
            server_cpu = ask(conn, "cpu")
            runs[name].append(quiet_night(settings, state, probe))
            runs[name][-1]["server_cpu_seconds"] = ask(conn, "cpu") - server_cpu
            counts[name] = {k: v for k, v in ask(conn, "counts").items() if k.startswith("github")}
    return runs, counts, repos


def summarise(runs: dict[str, list[dict]], counts: dict[str, dict], n_repos: int) -> dict:
    out = {}
    for name, rows in runs.items():
        wall, cpu = median([r["seconds"] for r in rows]), median([r["cpu_seconds"] for r in rows])
        server = median([r["server_cpu_seconds"] for r in rows])
        out[name] = {"median_seconds": wall, "median_cpu_seconds": cpu, "ms_per_repo": 1000 * wall / n_repos,
                     "median_server_cpu_seconds": server,
                     "cpu_ms_per_repo": 1000 * cpu / n_repos, "runs": [r["seconds"] for r in rows],
                     "counts": counts[name]}
    out["wall_ratio"] = ratio(out["baseline"]["median_seconds"], out["ours"]["median_seconds"])
    out["cpu_ratio"] = ratio(out["baseline"]["median_cpu_seconds"], out["ours"]["median_cpu_seconds"])
    return out


def print_result(r: dict, concurrency: int) -> None:
    for name, label in (("baseline", "baseline (PyGithub, serial)"), ("ours", f"ours (probe, concurrency {concurrency})")):
        x = r[name]
        print(f"   {label:34s} median {x['median_seconds']:6.1f} s wall ({x['ms_per_repo']:.2f} ms/repo), "
              f"CPU {x['median_cpu_seconds']:6.1f} s ({x['cpu_ms_per_repo']:.2f} ms/repo); the server's own CPU "
              f"{x['median_server_cpu_seconds']:.1f} s | server counted {x['counts']}")
    print(f"   ours is {r['wall_ratio']:.1f}x faster (wall), {r['cpu_ratio']:.1f}x less CPU")


if __name__ == "__main__":
    sys.exit(main())
