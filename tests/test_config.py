"""Config validation: one-line errors naming the key, before any work."""
from __future__ import annotations

import pytest

from flows.config import ConfigError, load_config, parse_config


def write(tmp_path, text: str):
    path = tmp_path / "c.toml"
    path.write_text(text)
    return path


def test_minimal_config_resolves_paths_relative_to_the_file(tmp_path):
    path = write(tmp_path, '[warehouse]\npath = "wh.duckdb"\n[sources.arxiv]\nqueries = ["cat:cs.HC"]\n')
    config = load_config(path)
    assert config.warehouse_path == tmp_path / "wh.duckdb"
    assert [s.name for s in config.sources] == ["arxiv"]
    assert config.sources[0].settings.queries == ("cat:cs.HC",)


def test_db_override_wins(tmp_path):
    path = write(tmp_path, '[warehouse]\npath = "wh.duckdb"\n[sources.arxiv]\nqueries = ["a"]\n')
    assert str(load_config(path, db="/tmp/other.duckdb").warehouse_path) == "/tmp/other.duckdb"


@pytest.mark.parametrize("text, key", [
    ('[sources.arxiv]\nqueries=["a"]\n', "warehouse.path"),
    ('[warehouse]\npath="x"\n', "sources"),
    ('[warehouse]\npath="x"\n[sources.twitter]\nx=1\n', "sources.twitter"),
    ('[warehouse]\npath="x"\n[sources.arxiv]\nqueries=[]\n', "sources.arxiv.queries"),
    ('[warehouse]\npath="x"\n[sources.arxiv]\nqueries=["a"]\nbase_url="ftp://x"\n', "sources.arxiv.base_url"),
    ('[warehouse]\npath="x"\nmemory_limit="lots"\n[sources.arxiv]\nqueries=["a"]\n', "warehouse.memory_limit"),
    ('[warehouse]\npath="x"\nmemory_limit=4\n[sources.arxiv]\nqueries=["a"]\n', "warehouse.memory_limit"),
    ('[warehouse]\npath="x"\n[flow]\nload_batch_records=0\n[sources.arxiv]\nqueries=["a"]\n', "flow.load_batch_records"),
])
def test_bad_config_names_the_key(tmp_path, text, key):
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    message = str(info.value)
    assert key in message and "\n" not in message


def test_not_toml_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[warehouse\npath="))


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")


def test_the_shipped_example_config_is_valid():
    from pathlib import Path

    config = load_config(Path(__file__).resolve().parents[1] / "config" / "example.toml")
    kinds = {s.kind for s in config.sources}
    assert kinds == {"arxiv", "github", "conference", "internal"}
    formats = {s.settings.format for s in config.sources if s.kind == "conference"}
    assert formats == {"pretalx", "sessionize", "pyvideo", "html"}


def test_the_night_caps_duckdb_memory_at_4gb_unless_configured(tmp_path):
    from warehouse.connection import connect

    default = load_config(write(tmp_path, '[warehouse]\npath = "wh.duckdb"\n[sources.arxiv]\nqueries = ["a"]\n'))
    assert default.memory_limit == "4GB"
    chosen = load_config(write(tmp_path, '[warehouse]\npath = "wh.duckdb"\nmemory_limit = "1.5GB"\n'
                                         '[sources.arxiv]\nqueries = ["a"]\n'))
    con = connect(tmp_path / "m.duckdb", memory_limit=chosen.memory_limit)
    try:
        assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] in ("1.3 GiB", "1.4 GiB")
    finally:
        con.close()
