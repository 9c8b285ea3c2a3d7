"""The one TOML file that configures a night: warehouse path and sources.

A source absent from the file is not run.  Every problem is reported as a
``ConfigError`` whose one-line message names the key, *before* any work
starts (no half-run nights because of a typo).
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

SOURCE_KINDS = ("arxiv", "github", "conferences", "internal", "huggingface")


class ConfigError(ValueError):
    """Bad configuration; the message names the offending key."""


@dataclass(frozen=True)
class SourceSpec:
    """One configured source: its name (as stored in the warehouse), kind and settings."""

    name: str
    kind: str  # arxiv | github | conference | internal | huggingface
    settings: Any


DEFAULT_MEMORY_LIMIT = "4GB"   # the night's DuckDB buffer cap; above it DuckDB spills to disk


@dataclass(frozen=True)
class AppConfig:
    path: Path | None
    warehouse_path: Path
    sources: tuple[SourceSpec, ...]
    roles_path: Path | None = None
    export_dir: Path | None = None
    options: dict[str, Any] = field(default_factory=dict)
    memory_limit: str | None = DEFAULT_MEMORY_LIMIT

    def source(self, name: str) -> SourceSpec:
        for spec in self.sources:
            if spec.name == name:
                return spec
        raise KeyError(name)


def _settings_factory(kind: str) -> Callable[[str, dict], Any]:
    """Imported lazily, per configured kind, so unused clients are never loaded."""
    if kind == "arxiv":
        from sources.arxiv.settings import ArxivSettings as settings
    elif kind == "github":
        from sources.github.settings import GithubSettings as settings
    elif kind == "conference":
        from sources.conferences.settings import ConferenceSettings as settings
    elif kind == "huggingface":
        from sources.huggingface.settings import HuggingfaceSettings as settings
    else:
        from sources.internal.settings import InternalSettings as settings
    return settings.from_dict


def _resolve(base: Path | None, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() or base is None else (base / path)


def _with_local_paths(table: dict, base: Path | None, keys: tuple[str, ...]) -> dict:
    """Make relative file paths in a source table relative to the config file."""
    out = dict(table)
    for key in keys:
        value = out.get(key)
        if isinstance(value, str) and "://" not in value:
            out[key] = str(_resolve(base, value))
    return out


def _build(factory: Callable[[str, dict], Any], name: str, table: Any, key: str) -> Any:
    if not isinstance(table, dict):
        raise ConfigError(f"{key}: expected a table, got {type(table).__name__}")
    try:
        return factory(name, table)
    except ConfigError:
        raise
    except (ValueError, TypeError, KeyError) as exc:
        message = str(exc).strip("'\"")
        raise ConfigError(message if message.startswith(key.split("[")[0]) else f"{key}: {message}") from None


def _conference_specs(items: Any, base: Path | None, factory) -> list[SourceSpec]:
    if not isinstance(items, list):
        raise ConfigError("sources.conferences: expected an array of tables ([[sources.conferences]])")
    specs, seen = [], set()
    for index, table in enumerate(items):
        name = table.get("name") if isinstance(table, dict) else None
        key = f"sources.conferences[{name or index}]"
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{key}.name: required (a short identifier like 'pycon_2025')")
        if name in seen or name in ("arxiv", "github", "internal", "huggingface"):
            raise ConfigError(f"{key}.name: duplicate or reserved source name '{name}'")
        seen.add(name)
        table = _with_local_paths(table, base, ("url", "talks_url", "speakers_url"))
        specs.append(SourceSpec(name, "conference", _build(factory, name, table, key)))
    return specs


def _source_specs(sources: dict, base: Path | None) -> tuple[SourceSpec, ...]:
    unknown = sorted(set(sources) - set(SOURCE_KINDS))
    if unknown:
        raise ConfigError(f"sources.{unknown[0]}: unknown source (expected one of {', '.join(SOURCE_KINDS)})")
    specs: list[SourceSpec] = []
    for kind in ("arxiv", "github", "huggingface"):
        if kind in sources:
            specs.append(SourceSpec(kind, kind, _build(_settings_factory(kind), kind, sources[kind], f"sources.{kind}")))
    if "conferences" in sources:
        specs += _conference_specs(sources["conferences"], base, _settings_factory("conference"))
    if "internal" in sources:
        table = _with_local_paths(sources["internal"], base, ("path",))
        specs.append(SourceSpec("internal", "internal", _build(_settings_factory("internal"), "internal", table, "sources.internal")))
    return tuple(specs)


def parse_config(data: dict, *, path: Path | None = None, db: str | Path | None = None) -> AppConfig:
    """Validate a parsed TOML document into an `AppConfig`."""
    base = path.parent if path else None
    warehouse = data.get("warehouse", {})
    if not isinstance(warehouse, dict):
        raise ConfigError("warehouse: expected a table")
    db_path = db or warehouse.get("path")
    if not db_path:
        raise ConfigError("warehouse.path: required (or pass --db PATH)")
    sources = data.get("sources", {})
    if not isinstance(sources, dict) or not sources:
        raise ConfigError("sources: at least one source table is required ([sources.arxiv], [[sources.conferences]], ...)")
    memory_limit = _memory_limit(warehouse.get("memory_limit", DEFAULT_MEMORY_LIMIT))
    if not isinstance(data.get("flow", {}), dict):
        raise ConfigError("flow: expected a table")
    load_batch_records(data)   # checked before any work, like every other key
    _own_process(data)
    ranking = data.get("ranking", {})
    roles = ranking.get("roles_file") if isinstance(ranking, dict) else None
    export_dir = data.get("export", {}).get("dir") if isinstance(data.get("export"), dict) else None
    return AppConfig(
        path=path,
        warehouse_path=_resolve(base, str(db_path)) if not db else Path(db),
        sources=_source_specs(sources, base),
        roles_path=_resolve(base, roles) if roles else None,
        export_dir=_resolve(base, export_dir) if export_dir else None,
        options={k: v for k, v in data.items() if k not in ("warehouse", "sources")},
        memory_limit=memory_limit,
    )


DEFAULT_LOAD_BATCH_RECORDS = 5_000
MAX_LOAD_BATCH_RECORDS = 200_000


def load_batch_records(options: dict[str, Any]) -> int:
    """``[flow] load_batch_records``: how many records of consecutive pages one load coalesces.

    Why: every ``load_page`` pays a fixed cost (one transaction and one
    ``MERGE`` per raw table, ≈ 20–100 ms here) and the GitHub crawl yields
    one small page per repository; 1 loads page by page.  Capped so the
    buffer's memory stays bounded.
    """
    value = options.get("flow", {}).get("load_batch_records", DEFAULT_LOAD_BATCH_RECORDS)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_LOAD_BATCH_RECORDS:
        raise ConfigError(f"flow.load_batch_records: must be 1..{MAX_LOAD_BATCH_RECORDS}, got {value!r}")
    return value


def _own_process(options: dict[str, Any]) -> tuple[str, ...]:
    """``[flow] own_process``: source kinds pulled in a process of their own (flows.isolation)."""
    from flows.isolation import own_process_kinds

    try:
        return own_process_kinds(options)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _memory_limit(value: Any) -> str:
    """`warehouse.memory_limit`: a DuckDB size such as "4GB" or "512MB"."""
    from warehouse.connection import MEMORY_LIMIT_PATTERN

    if not isinstance(value, str) or not MEMORY_LIMIT_PATTERN.match(value):
        raise ConfigError(f"warehouse.memory_limit: expected a size such as \"4GB\" or \"512MB\", got {value!r}")
    return value.replace(" ", "")


def load_config(path: str | Path, *, db: str | Path | None = None) -> AppConfig:
    """Read and validate a config file; raises ConfigError with a one-line message."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    return parse_config(data, path=path.resolve(), db=db)
