"""``python -m sampleworld write DIR [--people N] [--seed S] [--base-url URL] [--hostile]``
``python -m sampleworld serve [--port P] [--people N] [--seed S] [--night N] [--world world.json]``
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
import threading
from pathlib import Path

from sampleworld.files import BASE_URL_PLACEHOLDER, write_world
from sampleworld.generate import generate_world
from sampleworld.model import World, load_world
from sampleworld.server import SampleWorldServer

logger = logging.getLogger("sampleworld")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sampleworld", description="The synthetic sample world.")
    sub = parser.add_subparsers(dest="command", required=True)
    write = sub.add_parser("write", help="write world.json, truth CSVs, internal_people.csv and a config")
    write.add_argument("directory")
    write.add_argument("--base-url", default=BASE_URL_PLACEHOLDER, help="server base URL to put in the config")
    write.add_argument("--hostile", action="store_true", help="plant CSV/SQL-injection strings in a few records")
    serve = sub.add_parser("serve", help="run the local server until Ctrl-C")
    serve.add_argument("--port", type=int, default=0)
    serve.add_argument("--night", type=int, choices=(1, 2), default=1)
    serve.add_argument("--world", help="serve this world.json instead of generating one")
    for command in (write, serve):
        command.add_argument("--people", type=int, default=120)
        command.add_argument("--seed", type=int, default=7)
    return parser


class _LazyRecords(list):
    """A list the JSON encoder walks one record at a time: each record becomes a
    dict only when it is written, so a 10^6-people world is never held twice
    (``World.to_json`` builds the whole dict tree and one multi-GB string)."""

    def __init__(self, records: list) -> None:
        super().__init__()
        self.records = records

    def __iter__(self):
        return (dataclasses.asdict(record) for record in self.records)

    def __len__(self) -> int:
        return len(self.records)


def write_world_json(world: World, path: str | Path) -> Path:
    """Stream ``world.json``: the same bytes as ``world.to_json() + "\n"``, written in chunks."""
    top = {f.name: getattr(world, f.name) for f in dataclasses.fields(world)}
    for name, value in top.items():
        if isinstance(value, list) and value and dataclasses.is_dataclass(value[0]):
            top[name] = _LazyRecords(value)
    path = Path(path)
    with path.open("w", encoding="utf-8") as handle:
        json.dump(top, handle, ensure_ascii=False, indent=1, sort_keys=True)
        handle.write("\n")
    return path


def _write(args: argparse.Namespace) -> int:
    world = generate_world(args.people, args.seed, hostile=args.hostile)
    logger.info("generated %d people, %d papers, %d GitHub users", len(world.people), len(world.papers),
                len(world.users))
    written = write_world(args.directory, world, base_url=args.base_url, include_world_json=False)
    for path in sorted([*written, write_world_json(world, Path(args.directory) / "world.json")]):
        logger.info("wrote %s", path)
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = _parser().parse_args(argv)
    if args.people < 1:
        logger.error("--people must be >= 1")
        return 2
    if args.command == "write":
        return _write(args)
    world = load_world(args.world) if args.world else generate_world(args.people, args.seed)
    try:
        server = SampleWorldServer(world, port=args.port, night=args.night).start()
    except OSError as exc:
        logger.error("cannot listen on 127.0.0.1:%s: %s", args.port, exc)
        return 1
    logger.info("base URL: %s  (config: replace %s with it; Ctrl-C stops)", server.base_url, BASE_URL_PLACEHOLDER)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        logger.info("stopping")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
