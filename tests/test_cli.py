"""The CLI: every command documents itself with an example; errors are one line."""
from __future__ import annotations

import pytest

from flows import cli


@pytest.mark.parametrize("command", sorted(cli.COMMANDS))
def test_every_command_has_help_with_an_example(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main([command, "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert "example" in text and f"talent-signals {command}" in text


def test_sql_on_a_missing_warehouse_is_a_one_line_error(tmp_path, capsys):
    code = cli.main(["sql", "--db", str(tmp_path / "nope.duckdb"), "SELECT 1"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "warehouse not found" in err


def test_sql_is_read_only(tmp_path, capsys):
    from warehouse import NightlyBuild

    db = tmp_path / "wh.duckdb"
    with NightlyBuild(db):
        pass
    code = cli.main(["sql", "--db", str(db), "DELETE FROM runs"])
    assert code == 2 and "read-only" in capsys.readouterr().err.lower()


def test_sql_formats(tmp_path, capsys):
    from warehouse import NightlyBuild

    db = tmp_path / "wh.duckdb"
    with NightlyBuild(db):
        pass
    assert cli.main(["sql", "--db", str(db), "--format", "csv", "SELECT 1 AS a, 'x,y' AS b"]) == 0
    assert capsys.readouterr().out.splitlines() == ["a,b", '1,"x,y"']
    assert cli.main(["sql", "--db", str(db), "--format", "json", "SELECT 2 AS a"]) == 0
    assert '"a": 2' in capsys.readouterr().out


def test_bad_config_stops_before_any_work_naming_the_key(tmp_path, capsys):
    config = tmp_path / "bad.toml"
    config.write_text('[warehouse]\npath = "x.duckdb"\n[sources.arxiv]\nqueries = ["cat:cs.LG"]\npage_size = 5000\n')
    code = cli.main(["run", "--config", str(config)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "sources.arxiv.page_size" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "x.duckdb").exists()
