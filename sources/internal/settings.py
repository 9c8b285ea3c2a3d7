"""Settings of the internal-mobility import, validated from ``[sources.internal]``.

Why a file and not an HR API: the company's own people are exported once by
HR as a CSV (name, email, team, skills, optional GitHub); reading a file
keeps HR credentials out of this pipeline entirely.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sources.settings_common import check_table, table_path

_KEYS = ("path",)


@dataclass(frozen=True, slots=True)
class InternalSettings:
    """Where the internal people CSV lives (relative paths are resolved by flows/config.py)."""

    path: Path

    @classmethod
    def from_dict(cls, name: str, d: dict[str, Any]) -> "InternalSettings":
        """Build from a TOML table; raise ValueError ``"sources.internal.<key>: ..."``."""
        key = table_path(name)
        check_table(key, d, _KEYS)
        path = d.get("path")
        if not isinstance(path, str) or not path.strip():
            raise ValueError(f"{key}.path: required, the path of the internal people CSV, got {path!r}")
        if "://" in path:
            raise ValueError(f"{key}.path: must be a local file path, got {path!r}")
        return cls(path=Path(path.strip()).expanduser())
