"""The same data as a German-style export, canonical CSV, XLSX and Parquet loads identically."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.contract import load_contract
from pipelines.load import load_folder
from tests.conftest import tiny_job_center, write_canonical
from tests.pipelines.german_export import write_german


def staging_tables(db: Path) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {name: con.execute(f"SELECT * EXCLUDE (_line) FROM staging.{name} ORDER BY ALL").df()
                for name in load_contract()}
    finally:
        con.close()


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, pd.DataFrame]]:
    base = tmp_path_factory.mktemp("formats")
    tables = tiny_job_center()
    sources = {
        "german": write_german(base / "german", tables),
        "csv": write_canonical(base / "csv", tables, "csv"),
        "xlsx": write_canonical(base / "xlsx", tables, "xlsx"),
        "parquet": write_canonical(base / "parquet", tables, "parquet"),
    }
    result = {}
    for kind, folder in sources.items():
        db = base / f"{kind}.duckdb"
        load_folder(folder, db)
        result[kind] = staging_tables(db)
    return result


@pytest.mark.parametrize("kind", ["csv", "xlsx", "parquet"])
def test_formats_give_identical_staging_tables(loaded: dict, kind: str) -> None:
    for name, frame in loaded["german"].items():
        pd.testing.assert_frame_equal(frame, loaded[kind][name], check_dtype=True, obj=f"{kind}:{name}")


def test_windows_1252_characters_survive(loaded: dict) -> None:
    names = set(loaded["german"]["teams"]["team_name"])
    assert names == {"Ü25 Süd – Oelde", "U25 „Junge Menschen“ (€-Coaching)"}


def test_german_codes_and_values_are_mapped(loaded: dict) -> None:
    persons = loaded["german"]["persons"].set_index("person_id")
    assert persons.loc["P1", "sex"] == "m" and persons.loc["P2", "sex"] == "w"
    assert bool(persons.loc["P2", "single_parent"]) is True
    assert str(persons.loc["P1", "birth_date"])[:10] == "1980-01-05"
    assert loaded["german"]["targets"]["target_value"].tolist() == [12.5]
    assert set(loaded["german"]["contacts"]["contact_type"]) == {"first_interview", "phone"}


def test_utf8_bom_and_semicolon_are_detected(tmp_path: Path, loaded: dict) -> None:
    source = write_canonical(tmp_path / "bom", tiny_job_center())
    for path in source.glob("*.csv"):  # no value of the tiny job center holds a ','
        text = path.read_text(encoding="utf-8").replace(",", ";")
        path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    targets = "\ufeffyear;team_id;metric_id;target_value\r\n2023;__all__;integrations;12,5\r\n"
    (source / "targets.csv").write_bytes(targets.encode("utf-8"))
    db = tmp_path / "bom.duckdb"
    report = load_folder(source, db)
    teams = next(t for t in report.tables if t.table == "teams")
    assert (teams.encoding, teams.delimiter) == ("utf-8-sig", ";")
    for name, frame in staging_tables(db).items():
        pd.testing.assert_frame_equal(frame, loaded["csv"][name], obj=f"bom:{name}")
