"""`talent-signals demo`: the nightly flow on the bundled sample world, end to end.

Serves the shipped synthetic world from a local HTTP server on 127.0.0.1
(the real arxiv, PyGithub and requests clients talk to it), writes a config
pointing every source at it, runs the same Prefect flow as `run`, then prints
what landed and the top leads per role, and writes one shortlist per role.
"""
from __future__ import annotations

import logging
from pathlib import Path

from flows.report import summary_text

logger = logging.getLogger("talent_signals.demo")

LANDED_SQL = """
SELECT 'identities' AS what, source_kind AS kind, count(*) AS n FROM identities GROUP BY ALL
UNION ALL SELECT 'evidence', kind, count(*) FROM evidence GROUP BY ALL
UNION ALL SELECT 'people', 'resolved', count(*) FROM people
ORDER BY 1, 2
"""

TOP_LEADS_SQL = """
SELECT "rank", "name", round("score", 2) AS score, "explanation"
FROM "leads" WHERE "role" = ? ORDER BY "rank" LIMIT ?
"""


def prepare_world(workdir: Path, base_url: str) -> Path:
    """Write the sample world's config (and internal CSV) for ``base_url``; returns the config path."""
    from sampleworld.files import write_world
    from sampleworld.truth import default_world

    write_world(workdir, default_world(), base_url=base_url, include_world_json=False)
    return workdir / "talent-signals.toml"


def print_landed(con) -> None:
    from flows.table import render_text

    rows = con.execute(LANDED_SQL).fetchall()
    print("\nWhat landed in the warehouse:")
    print(render_text(["what", "kind", "rows"], rows))


def print_top_leads(con, top: int) -> list[str]:
    roles = [r for (r,) in con.execute('SELECT DISTINCT "role" FROM "leads" ORDER BY 1').fetchall()]
    for role in roles:
        print(f"\nTop {top} leads: {role}")
        for rank, name, score, explanation in con.execute(TOP_LEADS_SQL, [role, top]).fetchall():
            print(f"  {rank:>2}. {name}  ({score:.2f})  {explanation}")
    return roles


def export_all(db: Path, roles: list[str], out_dir: Path) -> None:
    from flows.export import export_from_warehouse

    print(f"\nShortlists written to {out_dir}/:")
    for role in roles:
        result = export_from_warehouse(db, role, top=25, fmt="csv", out=out_dir / f"{role}.csv")
        print(f"  {result.message()}")


def run_demo(db: str | Path, out_dir: str | Path, top: int = 5, quiet: bool = False) -> int:
    from flows.nightly import nightly
    from flows.progress import ProgressBars
    from sampleworld.server import serve
    from sampleworld.truth import default_world
    from warehouse import connect

    db, out_dir = Path(db), Path(out_dir)
    workdir = db.parent / "sampleworld"
    with serve(default_world()) as server:
        config = prepare_world(workdir, server.base_url)
        print(f"Sample world served at {server.base_url}; config {config}")
        print("Running the nightly flow (Prefect, offline) ...", flush=True)
        with ProgressBars(enabled=not quiet) as bars:
            summary = nightly(str(config), db=str(db), progress=bars.update)
    print(summary_text(summary))
    con = connect(db, read_only=True)
    try:
        print_landed(con)
        roles = print_top_leads(con, top)
    finally:
        con.close()
    export_all(db, roles, out_dir)
    print(f"\nQuery it:  talent-signals sql --db {db} \"SELECT * FROM shortlist('mlops_engineer', 10)\"")
    return 0 if summary.status in ("success", "partial") else 1
