"""`talent-signals` command line: run the night, query leads, export shortlists.

Every command has help with a real example (`talent-signals COMMAND --help`);
a test checks that each one does.
"""
from __future__ import annotations

import argparse
import logging
import os
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

    from flows.nightly import NightFailed

    from flows.privacy import PrivacySettings

    PrivacySettings.from_options(load_config(args.config, db=args.db).options)  # fail fast, before Prefect
    try:
        with ProgressBars(enabled=not args.quiet) as bars:
            summary = nightly(str(args.config), db=args.db, progress=bars.update, full=args.full)
    except NightFailed as failed:
        summary = failed.summary
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


def cmd_shortlist(args: argparse.Namespace) -> int:
    from flows.export import export_from_warehouse

    result = export_from_warehouse(args.db, args.role, top=args.top, fmt=args.format, out=args.out,
                                   new_since=args.new_since, include_all_statuses=args.include_all)
    print(result.message())
    return 0


def cmd_mark(args: argparse.Namespace) -> int:
    from flows.feedback import mark_in_warehouse

    result = mark_in_warehouse(args.db, args.person, args.role, args.status, args.note, args.by)
    print(result.message())
    return 0


def cmd_forget(args: argparse.Namespace) -> int:
    from flows.privacy import cmd_forget as forget

    return forget(args)


def cmd_notice(args: argparse.Namespace) -> int:
    from flows.privacy import cmd_notice as notice

    return notice(args)


def cmd_deploy(args: argparse.Namespace) -> int:
    from flows.deploy import deploy

    deploy(args.config, db=args.db, cron=args.cron, timezone=args.timezone, name=args.name,
           serve=not args.no_serve)
    return 0


def _read_only(db: str, connect: Callable):
    try:
        return connect(db, read_only=True)
    except FileNotFoundError as exc:
        raise CliError(str(exc)) from None


# --- parser ------------------------------------------------------------------
COMMANDS = {
    "run": (cmd_run, "Run the nightly flow for the sources in a config file.",
            "example:\n  talent-signals run --config config/example.toml --db talent.duckdb\n"
            "  talent-signals run --config config/example.toml --full   # after tuning roles or resolution"),
    "demo": (cmd_demo, "Serve the bundled sample world locally, run the nightly flow on it, print and export shortlists.",
             "example:\n  talent-signals demo --db out/demo.duckdb --out out/shortlists"),
    "sql": (cmd_sql, "Run a read-only SQL query on the warehouse (leads, shortlist(role, n), people, evidence ...).",
            "examples:\n  talent-signals sql --db talent.duckdb \"SELECT * FROM shortlist('mlops_engineer', 25)\"\n"
            "  talent-signals sql --db talent.duckdb --format csv \"SELECT name, score FROM leads WHERE role = 'ml_engineer'\""),
    "deploy": (cmd_deploy, "Schedule the nightly flow on a Prefect server and serve it (runs until Ctrl-C).",
               "example:\n  prefect server start --host 127.0.0.1 &\n  export PREFECT_API_URL=http://127.0.0.1:4200/api\n"
               "  talent-signals deploy --config config/nightly.toml --db talent.duckdb --cron \"0 2 * * *\" --timezone Europe/Berlin"),
    "shortlist": (cmd_shortlist, "Export a role's ranked leads for an applicant-tracking system (csv, xlsx, parquet, json).",
                  "examples:\n  talent-signals shortlist mlops_engineer --top 25 --format xlsx --out mlops.xlsx\n"
                  "  talent-signals shortlist ai_product_manager --new-since 2026-11-01 --format csv"),
    "forget": (cmd_forget, "Erase a person everywhere and stop every later night from collecting them again (GDPR Art. 17/21).",
               "examples:\n  talent-signals forget p_3f2a9c01d4e5 --reason \"Art. 17 request of 2026-12-01\"\n"
               "  talent-signals forget email:priya@example.org"),
    "notice": (cmd_notice, "Print the GDPR Art. 14 notice for a person you are about to contact.",
               "example:\n  talent-signals notice \"Priya Raman\" --controller \"ACME GmbH, privacy@acme.example\""),
    "mark": (cmd_mark, "Record a recruiter's decision about a lead; it survives later nights and identity merges.",
             "example:\n  talent-signals mark p_3f2a9c01d4e5 --role mlops_engineer --status contacted --note \"emailed 2026-11-30\""),
}


def _add_arguments(name: str, parser: argparse.ArgumentParser) -> None:
    if name == "run":
        parser.add_argument("--config", required=True, type=Path, help="TOML config file (see config/example.toml)")
        parser.add_argument("--db", help="warehouse path (overrides [warehouse] path)")
        parser.add_argument("--full", action="store_true",
                            help="resolve identities and rank everyone again, not only what changed since "
                                 "the last night (automatic on the first night, after a settings change and weekly)")
    if name == "demo":
        parser.add_argument("--db", default="out/demo.duckdb", help="warehouse path (default: %(default)s)")
        parser.add_argument("--out", default="out/shortlists", help="where shortlists are written (default: %(default)s)")
        parser.add_argument("--top", type=int, default=5, help="leads shown per role (default: %(default)s)")
    if name == "sql":
        parser.add_argument("query", help="SQL to run, or - to read it from stdin")
        parser.add_argument("--db", default=DEFAULT_DB, help="warehouse path (default: %(default)s)")
        parser.add_argument("--format", choices=["table", "csv", "json"], default="table")
    if name == "deploy":
        parser.add_argument("--config", required=True, type=Path, help="TOML config file (see config/example.toml)")
        parser.add_argument("--db", help="warehouse path (overrides [warehouse] path)")
        parser.add_argument("--cron", default="0 2 * * *", help="when to run, cron syntax (default: %(default)s)")
        parser.add_argument("--timezone", default="UTC", help="IANA time zone of --cron, e.g. Europe/Berlin (default: %(default)s)")
        parser.add_argument("--name", default="nightly", help="deployment name: talent-signals-nightly/NAME (default: %(default)s)")
        parser.add_argument("--no-serve", action="store_true", help="only register the deployment (for a prefect worker)")
    if name == "forget":
        from flows.privacy import add_forget_arguments

        add_forget_arguments(parser, DEFAULT_DB)
    if name == "notice":
        from flows.privacy import add_notice_arguments

        add_notice_arguments(parser, DEFAULT_DB)
    if name == "shortlist":
        from flows.export import FORMATS, iso_date

        parser.add_argument("role", help="role name, e.g. mlops_engineer")
        parser.add_argument("--top", type=int, default=25, help="number of leads (default: %(default)s)")
        parser.add_argument("--format", choices=FORMATS, default="csv")
        parser.add_argument("--out", type=Path, default=Path("out"), help="file or directory (default: %(default)s)")
        parser.add_argument("--new-since", type=iso_date, help="only leads first seen on or after DATE (YYYY-MM-DD)")
        parser.add_argument("--all", dest="include_all", action="store_true",
                            help="include people marked contacted or not_a_fit")
        parser.add_argument("--db", default=DEFAULT_DB, help="warehouse path (default: %(default)s)")
    if name == "mark":
        import getpass

        from flows.feedback import STATUSES

        parser.add_argument("person", help="person_id or exact name")
        parser.add_argument("--role", required=True, help="role name, e.g. mlops_engineer")
        parser.add_argument("--status", required=True, choices=STATUSES)
        parser.add_argument("--note", help="free text kept with the decision")
        parser.add_argument("--by", default=getpass.getuser(), help="who decided (default: %(default)s)")
        parser.add_argument("--db", default=DEFAULT_DB, help="warehouse path (default: %(default)s)")
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


def _configure_logging(verbose: bool, quiet: bool, command: str | None = None) -> None:
    if quiet or (command == "demo" and not verbose):
        # Prefect reads this when it is first imported (lazily, inside the commands)
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    level = logging.DEBUG if verbose else logging.WARNING if quiet or command == "demo" else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s", stream=sys.stderr)
    for noisy in ("httpx", "httpcore", "urllib3", "github", "arxiv", "prefect.server", "docket", "uvicorn"):
        logging.getLogger(noisy).setLevel(logging.WARNING if not verbose else logging.DEBUG)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose, getattr(args, "quiet", False), args.command)
    from flows.config import ConfigError

    try:
        return args.func(args)
    except (CliError, ConfigError) as exc:
        print(f"talent-signals: error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # FeedbackError / ExportError: user input problems
        if type(exc).__name__ not in ("FeedbackError", "ExportError", "PrivacyError"):
            raise
        print(f"talent-signals: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("talent-signals: interrupted; the published warehouse is unchanged", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
