"""Shared test helpers: one small canonical job center, written in any format.

Why here and not as a committed file: tests build a fresh database per module
from these rows (or from ``sample_data/``), never from a shared on-disk database.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pipelines import synthetic
from pipelines.contract import load_contract

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = ROOT / "sample_data"


def tiny_job_center() -> dict[str, list[dict]]:
    """Two teams, four persons, a few events; includes € „“ – in a team name."""
    return {
        "teams": [
            {"team_id": "T1", "team_name": "Ü25 Süd – Oelde", "unit": "Ü25"},
            {"team_id": "T2", "team_name": "U25 „Junge Menschen“ (€-Coaching)", "unit": "U25"},
        ],
        "persons": [
            {"person_id": "P1", "bg_id": "B1", "birth_date": "1980-01-05", "sex": "m", "single_parent": "false",
             "severely_disabled": "false", "highest_qualification": "school", "recorded_at": "2023-01-02 09:00:00"},
            {"person_id": "P2", "bg_id": "B2", "birth_date": "2003-07-30", "sex": "w", "single_parent": "true",
             "severely_disabled": "", "highest_qualification": "none", "recorded_at": "2023-03-01 10:30:00"},
            {"person_id": "P3", "bg_id": "", "birth_date": "", "sex": "d", "single_parent": "",
             "severely_disabled": "true", "highest_qualification": "", "recorded_at": "2023-05-01 08:00:00"},
            {"person_id": "P4", "bg_id": "B4", "birth_date": "1975-12-31", "sex": "x", "single_parent": "false",
             "severely_disabled": "false", "highest_qualification": "academic", "recorded_at": "2023-01-02 09:00:00"},
        ],
        "benefit_spells": [
            {"spell_id": "S1", "person_id": "P1", "spell_start": "2023-01-01", "spell_end": "",
             "employable": "true", "exit_reason": ""},
            {"spell_id": "S2", "person_id": "P2", "spell_start": "2023-03-01", "spell_end": "2023-09-30",
             "employable": "true", "exit_reason": "integration"},
            {"spell_id": "S3", "person_id": "P3", "spell_start": "2023-05-01", "spell_end": "",
             "employable": "true", "exit_reason": ""},
            {"spell_id": "S4", "person_id": "P4", "spell_start": "2023-01-01", "spell_end": "2023-06-30",
             "employable": "false", "exit_reason": "other"},
        ],
        "assignments": [
            {"person_id": "P1", "team_id": "T1", "valid_from": "2023-01-01", "valid_to": ""},
            {"person_id": "P2", "team_id": "T2", "valid_from": "2023-03-01", "valid_to": "2023-09-30"},
            {"person_id": "P3", "team_id": "T1", "valid_from": "2023-05-15", "valid_to": ""},
        ],
        "contacts": [
            {"contact_id": "C1", "person_id": "P1", "contact_date": "2023-01-10", "contact_type": "first_interview",
             "recorded_at": "2023-01-10 11:00:00"},
            {"contact_id": "C2", "person_id": "P2", "contact_date": "2023-03-05", "contact_type": "first_interview",
             "recorded_at": "2023-03-20 09:15:00"},
            {"contact_id": "C3", "person_id": "P1", "contact_date": "2023-06-01", "contact_type": "phone",
             "recorded_at": "2023-06-01 14:00:00"},
        ],
        "cooperation_plans": [
            {"plan_id": "K1", "person_id": "P1", "plan_date": "2023-02-01", "next_review_date": "2023-08-01",
             "recorded_at": "2023-02-01 10:00:00"},
        ],
        "measures": [
            {"measure_id": "M1", "person_id": "P1", "measure_type": "agh", "start_date": "2023-04-01",
             "end_date": "2023-09-30", "recorded_at": "2023-04-02 10:00:00"},
        ],
        "integrations": [
            {"integration_id": "I1", "person_id": "P2", "integration_date": "2023-09-15",
             "integration_type": "employment_full", "recorded_at": "2023-09-20 10:00:00"},
        ],
        "targets": [
            {"year": "2023", "team_id": "__all__", "metric_id": "integrations", "target_value": "12.5"},
        ],
    }


def write_canonical(folder: Path, tables: dict[str, list[dict]], fmt: str = "csv") -> Path:
    """Write tables with canonical headers as UTF-8 CSV, XLSX or Parquet (typed columns)."""
    folder.mkdir(parents=True, exist_ok=True)
    contract = load_contract()
    for name, rows in tables.items():
        columns = contract[name].column_names
        frame = pd.DataFrame(rows, columns=columns).astype("string")
        if fmt == "csv":
            with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow(columns)
                writer.writerows([[r.get(c, "") for c in columns] for r in rows])
            continue
        typed = _typed(frame, name)
        if fmt == "xlsx":
            typed.to_excel(folder / f"{name}.xlsx", index=False, sheet_name=name)
        else:
            typed.to_parquet(folder / f"{name}.parquet", index=False)
    synthetic.mark(folder, generator="tests")  # invented persons: demo mode may show them
    return folder


def _typed(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Give XLSX/Parquet files real types, as a database export would."""
    out = pd.DataFrame(index=frame.index)
    for col in load_contract()[table].columns:
        text = frame[col.name].replace("", pd.NA)
        if col.type == "date":
            out[col.name] = pd.to_datetime(text).dt.date
        elif col.type == "datetime":
            out[col.name] = pd.to_datetime(text)
        elif col.type == "bool":
            out[col.name] = text.map({"true": True, "false": False}).astype("boolean")
        elif col.type == "int":
            out[col.name] = pd.to_numeric(text).astype("Int64")
        elif col.type == "float":
            out[col.name] = pd.to_numeric(text)
        else:
            out[col.name] = text.astype(object).where(text.notna(), None)
    return out


GERMAN_HEADERS = {
    "teams": {"team_id": "Team-ID", "team_name": "Teamname", "unit": "Bereich"},
    "persons": {"person_id": "Personen-ID", "bg_id": "BG-Nummer", "birth_date": "Geburtsdatum",
                "sex": "Geschlecht", "single_parent": "Alleinerziehend", "severely_disabled": "Schwerbehindert",
                "highest_qualification": "Höchster Abschluss", "recorded_at": "Erfasst am"},
}


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Rows of ``sql`` on a read-only connection to the database file ``db`` (closed again)."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The real `steering` console script as a subprocess."""
    exe = Path(sys.executable).with_name("steering")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, cwd=cwd or ROOT, timeout=600)


@pytest.fixture
def tiny_source(tmp_path: Path) -> Path:
    return write_canonical(tmp_path / "source", tiny_job_center())


def page_faults(at) -> list[str]:  # noqa: ANN001
    """Every fault of an AppTest run: uncaught exceptions, and the ones the app's frame caught and turned
    into its German message (``dashboard/app.py``), with their tracebacks."""
    faults = [str(e.value) for e in at.exception]
    if "_page_fault" in at.session_state:
        faults.append(at.session_state["_page_fault"])
    return faults
