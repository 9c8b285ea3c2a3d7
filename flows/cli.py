"""`talent-signals` command line: run the night, query leads, export shortlists.

Every command has help with a real example (`talent-signals COMMAND --help`);
a test checks that each one does.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Callable, Sequence

import flows  # noqa: F401  (sets offline Prefect settings before Prefect loads)

logger = logging.getLogger("talent_signals.cli")

DEFAULT_DB = "talent-signals.duckdb"


class CliError(Exception):
    """A user-facing error: printed as one line, exit code 2."""


# --- commands ----------------------------------------------------------------
def cmd_run(args: argparse.Namespace) -> int:
    from flows.config import load_config
    from flows.nightly import nightly
    from flows.progress import ProgressBars
    from flows.report import summary_text

    load_config(args.config, db=args.db)  # fail fast, before Prefect starts
    with ProgressBars(enabled=not args.quiet) as bars:
        summary = nightly(str(args.config), db=args.db, progress=bars.update)
    print(summary_text(summary))
    return 0 if summary.status in ("success", "partial") else 1


def cmd_demo(args: argparse.Namespace) -> int:
    from flows.demo import run_demo

    return run_demo(db=args.db, out_dir=args.out, top=args.top, quiet=args.quiet)


def cmd_sql(args: argparse.Namespace) -> int:
    from flows.table import RENDERERS
    from warehouse import connect

    con = _read_only(args.db, connect)
    try:
        query = args.query if args.query != "-" else sys.stdin.read()
        cursor = con.execute(query)
        columns = [d[0] for d in cursor.description or []]
        rows = cursor.fetchall() if columns else []
    except Exception as exc:  # duckdb errors are user errors here
        raise CliError(f"query failed: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()
    print(RENDERERS[args.format](columns, rows).rstrip("\n"))
    return 0


def _read_only(db: str, connect: Callable):
    try:
        return connect(db, read_only=True)
    except FileNotFoundError as exc:
        raise CliError(str(exc)) from None


# --- parser ------------------------------------------------------------------
COMMANDS = {
    "run": (cmd_run, "Run the nightly flow for the sources in a config file.",
            "example:\n  talent-signals run --config config/example.toml --db talent.duckdb"),
    "demo": (cmd_demo, "Serve the bundled sample world locally, run the nightly flow on it, print and export shortlists.",
             "example:\n  talent-signals demo --db out/demo.duckdb --out out/shortlists"),
    "sql": (cmd_sql, "Run a read-only SQL query on the warehouse (leads, shortlist(role, n), people, evidence ...).",
            "examples:\n  talent-signals sql --db talent.duckdb \"SELECT * FROM shortlist('mlops_engineer', 25)\"\n"
            "  talent-signals sql --db talent.duckdb --format csv \"SELECT name, score FROM leads WHERE role = 'ml_engineer'\""),
}


def _add_arguments(name: str, parser: argparse.ArgumentParser) -> None:
    if name == "run":
        parser.add_argument("--config", required=True, type=Path, help="TOML config file (see config/example.toml)")
        parser.add_argument("--db", help="warehouse path (overrides [warehouse] path)")
    if name == "demo":
        parser.add_argument("--db", default="out/demo.duckdb", help="warehouse path (default: %(default)s)")
        parser.add_argument("--out", default="out/shortlists", help="where shortlists are written (default: %(default)s)")
        parser.add_argument("--top", type=int, default=5, help="leads shown per role (default: %(default)s)")
    if name == "sql":
        parser.add_argument("query", help="SQL to run, or - to read it from stdin")
        parser.add_argument("--db", default=DEFAULT_DB, help="warehouse path (default: %(default)s)")
        parser.add_argument("--format", choices=["table", "csv", "json"], default="table")
    if name in ("run", "demo"):
        parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars, warnings only")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="talent-signals",
        description="Find AI talent from public talks, papers and open-source work.",
        epilog="example:\n  talent-signals demo", formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (func, help_text, example) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text, epilog=example,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
        _add_arguments(name, command)
        command.set_defaults(func=func)
    return parser


def _configure_logging(verbose: bool, quiet: bool) -> None:
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s", stream=sys.stderr)
    for noisy in ("httpx", "httpcore", "urllib3", "github", "arxiv", "prefect.server", "docket", "uvicorn"):
        logging.getLogger(noisy).setLevel(logging.WARNING if not verbose else logging.DEBUG)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose, getattr(args, "quiet", False))
    from flows.config import ConfigError

    try:
        return args.func(args)
    except (CliError, ConfigError) as exc:
        print(f"talent-signals: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("talent-signals: interrupted; the published warehouse is unchanged", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
