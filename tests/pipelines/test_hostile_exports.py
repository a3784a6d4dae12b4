"""Hostile input (issue 15): no CSV export for people holds a cell a spreadsheet would run as a formula,
whichever separator it splits at.

Before: a value ``x;=2+2;y`` was written as one field, and German Excel, splitting at ``;``, made the middle a
formula (864 such cells in ``export metrics`` of the sample). Each export is parsed here with ``,`` and with
``;``. A cell may start with ``-`` only as a plain number (a negative figure in a numeric column).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from pipelines.goals import write_targets_template
from pipelines.load import load_folder
from pipelines.publish.exports import EXPORTS, export, open_readonly
from pipelines.settings import load_settings
from pipelines.spreadsheet import neutralise
from tests.conftest import tiny_job_center, write_canonical

EVIL = "x;=2+2;y,+3|@4\t-5"
NUMBER = re.compile(r"^-?\d+([.,]\d+)?([eE][-+]?\d+)?$")


def _unsafe_cells(path: Path) -> list[tuple[str, str]]:
    text = path.read_text(encoding="utf-8-sig")
    found = []
    for delimiter in (",", ";"):
        for row in csv.reader(text.splitlines(keepends=True), delimiter=delimiter):
            for cell in row:
                if cell[:1] in ("=", "+", "-", "@", "\t", "\r") and not NUMBER.match(cell):
                    found.append((delimiter, cell))
    return found


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("exports")
    tables = tiny_job_center()
    tables["teams"][0]["team_name"] = EVIL
    tables["teams"][1]["team_id"] = "T;=2"
    for row in tables["assignments"]:
        row["team_id"] = row["team_id"].replace("T2", "T;=2")
    tables["contacts"][0]["contact_date"] = EVIL  # rejected: its raw value is in the rejects export
    tables["contacts"][1]["contact_type"] = EVIL  # an unknown code: kept as text
    db = tmp / "steering.duckdb"
    load_folder(write_canonical(tmp / "source", tables), db)
    return db


@pytest.mark.parametrize("what", sorted(EXPORTS))
def test_no_export_holds_a_formula(hostile_db: Path, tmp_path: Path, what: str,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEERING_PSEUDONYM_KEY", "k" * 32)
    out = tmp_path / f"{what}.csv"
    export(what, hostile_db, out, team="T1" if what == "fixlist" else None, settings=load_settings(),
           suppress=False)
    text = out.read_text(encoding="utf-8-sig")
    assert _unsafe_cells(out) == [], what
    if what in ("metrics", "rejects", "findings"):
        assert "'=2+2" in text or "T;'=2" in text, what  # the data is there, neutralised


def test_the_targets_template_holds_no_formula(hostile_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "targets.csv"
    con = open_readonly(hostile_db)
    try:
        assert write_targets_template(con, 2024, out) > 0
    finally:
        con.close()
    assert _unsafe_cells(out) == []
    assert "x;'=2+2;y,'+3|'@4\t'-5" in out.read_text(encoding="utf-8-sig")


@pytest.mark.parametrize("text, expected", [
    ("x;=2+2;y", "x;'=2+2;y"), ("=1", "'=1"), ("-2", "'-2"), ("\t=1", "'\t'=1"), ("Nord-Süd, Team", "Nord-Süd, Team"),
    ("a|@b", "a|'@b"), ("a\n+1", "a\n'+1"), ("", ""),
])
def test_neutralise(text: str, expected: str) -> None:
    assert neutralise(text) == expected
