"""Internal-mobility CSV import."""
from __future__ import annotations

import logging

import pytest

from sources.errors import SourceError
from sources.internal import pull
from sources.internal.settings import InternalSettings
from sources.records import InternalPerson

CSV = """\ufeffName,Email,Team,Skills,github_login,salary
Zoë Müller,Zoe.Mueller@Example.com,ML Platform,"PyTorch; Kubernetes ;pytorch",https://github.com/ZoeM/,99
Wei Zhang,wei@example.com,Design,"Figma, user research",@wei-z,
No Mail,,Data,SQL,nomail,
Ana Costa,ana@example.com,,,not a login!,
"Ruth
Berg",ruth@example.com,"Research, AI",,,
Dup Entry,zoe.mueller@example.com,Other,,,
"""


def people_from(tmp_path, text: str) -> list[InternalPerson]:
    path = tmp_path / "people.csv"
    path.write_text(text, encoding="utf-8")
    settings = InternalSettings.from_dict("internal", {"path": str(path)})
    return [r for page in pull(settings, {}) for r in page.records]


def test_rows_become_internal_people(tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    people = {p.email: p for p in people_from(tmp_path, CSV)}
    assert list(people) == ["zoe.mueller@example.com", "wei@example.com", "ana@example.com", "ruth@example.com"]
    zoe = people["zoe.mueller@example.com"]
    assert (zoe.name, zoe.team, zoe.skills, zoe.github_login) == (
        "Zoë Müller", "ML Platform", ("PyTorch", "Kubernetes"), "zoem")
    assert people["wei@example.com"].skills == ("Figma", "user research")
    assert people["wei@example.com"].github_login == "wei-z"
    ana = people["ana@example.com"]
    assert (ana.team, ana.skills, ana.github_login) == (None, (), None)
    assert people["ruth@example.com"].name == "Ruth\nBerg" and people["ruth@example.com"].team == "Research, AI"
    assert not any(hasattr(p, "salary") for p in people.values())  # only work fields kept
    # the email-less row is named by its line number; bad logins and duplicates are reported
    assert "line 4: skipped, no valid email" in caplog.text
    assert "'not a login!'" in caplog.text
    assert "already seen" in caplog.text


def test_missing_file_and_missing_column(tmp_path):
    settings = InternalSettings.from_dict("internal", {"path": str(tmp_path / "absent.csv")})
    with pytest.raises(SourceError, match="absent.csv"):
        list(pull(settings, {}))
    with pytest.raises(SourceError, match="missing required column 'email'"):
        people_from(tmp_path, "name,team\nAna,Data\n")
    with pytest.raises(SourceError, match="missing required column 'name'"):
        people_from(tmp_path, "")


def test_header_only_yields_one_empty_page(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("name,email\n", encoding="utf-8")
    pages = list(pull(InternalSettings.from_dict("internal", {"path": str(path)}), {}))
    assert len(pages) == 1 and pages[0].records == []


def test_not_utf8_is_parse_error(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("name,email\nZoë,z@example.com\n".encode("latin-1"))
    with pytest.raises(SourceError, match="not UTF-8"):
        list(pull(InternalSettings.from_dict("internal", {"path": str(path)}), {}))


@pytest.mark.parametrize("table,message", [
    ({}, "sources.internal.path: required"),
    ({"path": "https://hr.example.com/x.csv"}, "sources.internal.path: must be a local file path"),
    ({"path": "a.csv", "delimiter": ";"}, "sources.internal.delimiter: unknown key"),
])
def test_settings_errors(table, message):
    with pytest.raises(ValueError, match=message):
        InternalSettings.from_dict("internal", table)
