"""Open DuckDB connections the same way everywhere.

Why a helper: DuckDB 2.0 would otherwise try to download extensions on first
use (there is no network at night-time in most deployments), and read-only
connections are how recruiters' sessions coexist with the nightly writer.
The connection is always passed in to the code that uses it; there is no
global connection anywhere in the project.
"""
from __future__ import annotations

from pathlib import Path

import duckdb

_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": True}


def connect(path: str | Path = ":memory:", *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Connect to a warehouse file (or ``:memory:``) without extension downloads."""
    if read_only and str(path) != ":memory:" and not Path(path).exists():
        raise FileNotFoundError(f"warehouse not found: {path} (run `talent-signals run` or `demo` first)")
    return duckdb.connect(str(path), read_only=read_only, config=dict(_CONFIG))


def quote_ident(name: str) -> str:
    """Quote an SQL identifier (sqlite-utils style: always quoted)."""
    return '"' + name.replace('"', '""') + '"'
