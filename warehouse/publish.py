"""Atomic nightly publication: build in a side file, checkpoint, swap.

DuckDB lets one writer *or* many readers hold a file, and an open read-only
reader makes a writer fail at once.  So the night never writes the
published file: it copies it to ``<db>.building``, writes there, runs
``CHECKPOINT`` (all data in the main file, no WAL), closes, and
``os.replace``-s it over the published path.  Readers that were open keep
reading the old, complete file; new connections see the new night.  A run
killed at any point leaves the published file untouched; the next run starts
from a fresh copy.
"""
from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import duckdb

from warehouse.connection import connect
from warehouse.migrate import migrate

logger = logging.getLogger(__name__)


class NightlyBuild:
    """Owns the one read-write connection of a night, on the staging file."""

    def __init__(self, published: str | Path, *, memory_limit: str | None = None):
        self.published = Path(published)
        self.memory_limit = memory_limit
        self.staging = self.published.with_name(self.published.name + ".building")
        self.con: duckdb.DuckDBPyConnection | None = None

    def open(self) -> duckdb.DuckDBPyConnection:
        """Start from a copy of the published warehouse (or an empty one)."""
        self.published.parent.mkdir(parents=True, exist_ok=True)
        self._remove_staging()
        if self.published.exists():
            shutil.copyfile(self.published, self.staging)
        self.con = connect(self.staging, memory_limit=self.memory_limit)
        migrate(self.con)
        return self.con

    def publish(self) -> Path:
        """Checkpoint, close and atomically swap the staging file into place."""
        if self.con is None:
            raise RuntimeError("NightlyBuild.publish() called before open()")
        self.con.execute("CHECKPOINT")
        self.con.close()
        self.con = None
        os.replace(self.staging, self.published)
        logger.info("published warehouse %s", self.published)
        return self.published

    def abort(self) -> None:
        """Drop the staging file; the published warehouse stays as it was."""
        if self.con is not None:
            self.con.close()
            self.con = None
        self._remove_staging()

    def _remove_staging(self) -> None:
        for leftover in (self.staging, Path(str(self.staging) + ".wal")):
            if leftover.exists():
                leftover.unlink()

    def __enter__(self) -> duckdb.DuckDBPyConnection:
        return self.open()

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.publish()
        else:
            self.abort()
