"""The fix list of one team: which findings are open, what is shown beside them, CSV and Excel.

A small job center loaded through the real loader: spells start January 2023,
as-of 2023-05-10, so the complete months are January to April. Open are the
stock findings of April and the event findings of February to April. The load
builds the list (table ``fix_list``, sql/marts/fix_list.sql; compared with the
former per-request query in test_fix_list_mart.py); ``fixlist_frame`` reads it.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook

from pipelines.errors import LoadError
from pipelines.fixlist import COLUMNS
from pipelines.load import load_folder
from pipelines.publish import Snapshot, Viewer
from pipelines.publish import read_fix_list as fixlist_frame
from pipelines.publish.exports import export
from tests.conftest import write_canonical


def write_fixlist(con: duckdb.DuckDBPyConnection, team_id: str, out: Path) -> int:
    """The fix list as the read side writes it for whoever runs the CLI (an analyst with every team)."""
    snapshot = Snapshot(con.cursor, 5)
    return snapshot.write_fix_list(Viewer.cli(frozenset(snapshot.teams()["team_id"])), team_id, out)

APR, MAR, FEB = dt.date(2023, 4, 1), dt.date(2023, 3, 1), dt.date(2023, 2, 1)
FORMULA_ID = "=1+2"  # a person id a spreadsheet would run as a formula

TABLES = {
    "teams": [{"team_id": "T1", "team_name": "Team Nord"}, {"team_id": "T2", "team_name": "Team Süd"}],
    "persons": [
        # birth date unreadable: blanked by the loader, DQ01 with the raw value
        {"person_id": "A1", "birth_date": "1990-13-01", "sex": "w", "highest_qualification": "school"},
        {"person_id": FORMULA_ID, "birth_date": "", "sex": "m", "highest_qualification": "school"},  # DQ01
        # DQ01 in January and February only (leaves stock): not open in April
        {"person_id": "A2", "birth_date": "", "sex": "m", "highest_qualification": "school"},
        {"person_id": "B1", "birth_date": "1980-01-01", "sex": "u", "highest_qualification": "none"},  # DQ03
    ],
    "benefit_spells": [
        {"spell_id": "S1", "person_id": "A1", "spell_start": "2023-01-01", "employable": "true"},
        {"spell_id": "S2", "person_id": FORMULA_ID, "spell_start": "2023-01-01", "employable": "true"},
        {"spell_id": "S3", "person_id": "A2", "spell_start": "2023-01-01", "spell_end": "2023-03-15",
         "employable": "true"},
        {"spell_id": "S4", "person_id": "B1", "spell_start": "2023-01-01", "employable": "true"},
    ],
    "assignments": [
        {"person_id": p, "team_id": t, "valid_from": "2022-01-01"}
        for p, t in (("A1", "T1"), (FORMULA_ID, "T1"), ("A2", "T1"), ("B1", "T2"))
    ],
    "contacts": [
        # DQ11 (recorded late) in January: older than the three-month window
        {"contact_id": "+C1", "person_id": "A1", "contact_date": "2023-01-10", "contact_type": "phone",
         "recorded_at": "2023-01-30 10:00"},
        {"contact_id": "C2", "person_id": "A1", "contact_date": "2023-02-10", "contact_type": "phone",
         "recorded_at": "2023-02-25 10:00"},  # DQ11 in February: open
        {"contact_id": "C3", "person_id": "A1", "contact_date": "2023-04-03", "contact_type": "phone",
         "recorded_at": "2023-04-20 10:00"},  # DQ11 in April: open
        {"contact_id": "C4", "person_id": "A1", "contact_date": "2023-05-02", "contact_type": "phone",
         "recorded_at": "2023-05-10 10:00"},  # May is incomplete: not checked
        {"contact_id": "@C5", "person_id": "B1", "contact_date": "2023-03-01", "contact_type": "video",
         "recorded_at": "2023-03-20 10:00"},  # DQ11 in March, team T2
    ],
    "cooperation_plans": [],
    "measures": [],
    "integrations": [],
}

# (rule, record, month, raw value) open per team
EXPECTED = {
    "T1": [("DQ01", FORMULA_ID, APR, None), ("DQ01", "A1", APR, "1990-13-01"),
           ("DQ11", "C3", APR, "2023-04-20 10:00:00"), ("DQ11", "C2", FEB, "2023-02-25 10:00:00")],
    "T2": [("DQ03", "B1", APR, "u"), ("DQ11", "@C5", MAR, "2023-03-20 10:00:00")],
}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fixlist")
    path = root / "fix.duckdb"
    load_folder(write_canonical(root / "source", TABLES), path, as_of=dt.date(2023, 5, 10))
    return path


@pytest.fixture(scope="module")
def con(db: Path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(db), read_only=True)
    yield connection
    connection.close()


def _open(frame) -> list[tuple]:
    return [(r.rule_id, r.record_id, r.month, None if r.raw_value is None or r.raw_value != r.raw_value
             else r.raw_value) for r in frame.itertuples()]


@pytest.mark.parametrize("team", ["T1", "T2"])
def test_open_findings_per_team(con, team):
    frame = fixlist_frame(con, team)
    assert list(frame.columns) == list(COLUMNS)
    assert _open(frame) == EXPECTED[team]
    assert set(frame["team_id"]) == {team}
    assert frame["description_de"].str.len().min() > 60  # every row carries the rule's hint


def test_the_frame_is_a_plain_read_of_the_load_built_table(con, db, tmp_path):
    frame = fixlist_frame(con, "T1")
    assert all(isinstance(m, dt.date) and not isinstance(m, dt.datetime) for m in frame["month"])
    copy = shutil.copy(db, tmp_path / "copy.duckdb")
    with duckdb.connect(str(copy)) as writable:
        writable.execute("DELETE FROM fix_list WHERE rule_id = 'DQ11'")
        assert list(fixlist_frame(writable, "T1")["rule_id"]) == ["DQ01", "DQ01"]


def test_all_teams_and_empty_team(con):
    assert len(fixlist_frame(con, "__all__")) == len(EXPECTED["T1"]) + len(EXPECTED["T2"])
    assert fixlist_frame(con, "__unassigned__").empty


def test_blanked_value_shows_raw_value_and_reason(con):
    frame = fixlist_frame(con, "T1")
    row = frame[frame["record_id"] == "A1"].iloc[0]
    assert (row.rule_id, row.record_id, row.raw_value) == ("DQ01", "A1", "1990-13-01")
    assert "nicht lesbar" in row.reason and "Geburtsdatum" in row.reason


def test_unknown_team_and_format_are_clear_errors(con, tmp_path):
    with pytest.raises(LoadError, match="unbekanntes Team 'T9'"):
        fixlist_frame(con, "T9")
    with pytest.raises(LoadError, match=r"\.csv- oder \.xlsx-Datei"):
        write_fixlist(con, "T1", tmp_path / "list.pdf")


def test_csv_german_headers_iso_months_and_no_formulas(con, tmp_path):
    out = tmp_path / "t1.csv"
    assert write_fixlist(con, "T1", out) == 4
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["Regel", "Bezeichnung", "Hinweis", "Team", "Tabelle", "Datensatz-ID", "Personen-ID",
                       "Monat", "Rohwert", "Grund"]
    body = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert [r["Monat"] for r in body] == ["2023-04-01", "2023-04-01", "2023-04-01", "2023-02-01"]
    formula = next(r for r in body if r["Regel"] == "DQ01" and r["Rohwert"] == "")
    assert formula["Datensatz-ID"] == "'" + FORMULA_ID and formula["Personen-ID"] == "'" + FORMULA_ID
    assert {r["Tabelle"] for r in body} == {"Personen", "Kontakte"}
    assert all(not cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)


def test_xlsx_overview_and_one_sheet_per_rule(con, tmp_path):
    out = tmp_path / "t1.xlsx"
    assert write_fixlist(con, "T1", out) == 4
    wb = load_workbook(out)
    assert wb.sheetnames == ["Übersicht", "DQ01", "DQ11"]
    overview = {r[0]: r[2] for r in wb["Übersicht"].iter_rows(min_row=6, values_only=True) if r[0]}
    assert len(overview) == 16 and overview["DQ01"] == 2 and overview["DQ11"] == 2 and overview["DQ03"] == 0
    sheet = wb["DQ01"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["Regel", "Bezeichnung", "Hinweis"] and "Rohwert" in header and "Grund" in header
    rows = [dict(zip(header, (c.value for c in r), strict=True)) for r in sheet.iter_rows(min_row=2)]
    assert [r["Datensatz-ID"] for r in rows] == [FORMULA_ID, "A1"]
    assert rows[1]["Rohwert"] == "1990-13-01"
    assert rows[1]["Monat"].date() == APR
    for ws in wb.worksheets:  # text stays text: nothing a spreadsheet would evaluate
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    formula_cell = next(c for r in sheet.iter_rows(min_row=2) for c in r if c.value == FORMULA_ID)
    assert formula_cell.data_type == "s" and formula_cell.quotePrefix


def test_xlsx_speaks_german_and_has_room_for_the_teams_work(con, db, tmp_path):
    """(issue 16) Team name and Datenstand in the title, German dates, "erledigt" and "Kommentar" columns."""
    out = tmp_path / "t1.xlsx"
    write_fixlist(con, "T1", out)
    wb = load_workbook(out)
    overview = wb["Übersicht"]
    name = con.execute("SELECT team_name FROM staging.teams WHERE team_id = 'T1'").fetchall()[0][0]
    as_of = con.execute("SELECT max(as_of) FROM load_runs WHERE status = 'success'").fetchall()[0][0]
    assert overview["A1"].value == f"Korrekturliste Datenqualität – Team {name} (T1) – Datenstand {as_of:%d.%m.%Y}"
    assert "am 30.04.2023 (Ende April 2023)" in overview["A2"].value
    assert "von Februar bis April 2023" in overview["A2"].value
    sheet = wb["DQ11"]
    header = [c.value for c in sheet[1]]
    assert header[-2:] == ["erledigt", "Kommentar"]
    stored = [r[header.index("Rohwert")] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert stored and all(not re.search(r"\d{4}-\d{2}-\d{2}", v) for v in stored), stored
    assert any(re.search(r"\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}(?!:)", v) for v in stored), stored
    letter = sheet.cell(row=1, column=len(header) - 1).column_letter
    validation = sheet.data_validations.dataValidation[0]
    assert validation.formula1 == '"ja,nein"' and f"{letter}2" in str(validation.sqref)
    # a value the loader could not read stays as the export had it (the team looks for that text)
    assert next(r for r in wb["DQ01"].iter_rows(min_row=2, values_only=True) if r[5] == "A1")[8] == "1990-13-01"


def test_export_command_path_reads_the_database_read_only(db, tmp_path):
    out = tmp_path / "t2.xlsx"
    assert export("fixlist", db, out, team="T2") == 2
    assert load_workbook(out).sheetnames == ["Übersicht", "DQ03", "DQ11"]
