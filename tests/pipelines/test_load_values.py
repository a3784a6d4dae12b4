"""Bad single values, duplicate keys, unknown columns, idempotence and the load log."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.load import load_folder
from tests.conftest import run_cli, tiny_job_center, write_canonical
from tests.pipelines.test_load_errors import snapshot


@pytest.fixture(scope="module")
def messy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    base = tmp_path_factory.mktemp("messy")
    tables = tiny_job_center()
    tables["persons"][1]["birth_date"] = "31.02.2024"            # line 3: impossible date
    tables["persons"][2]["single_parent"] = "vielleicht"         # line 4: not a boolean
    tables["persons"].append(dict(tables["persons"][0], sex="q"))  # line 6: duplicate key P1
    tables["persons"].append(dict(tables["persons"][0], person_id=""))  # line 7: empty key
    tables["contacts"][0]["contact_type"] = "Hausbesuch"         # unknown code: kept for DQ rules
    tables["targets"][0]["target_value"] = "zwölf"               # not a number
    source = write_canonical(base / "src", tables)
    path = source / "persons.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = [lines[0] + ",Name,Freitext"] + [line + ",Erika Muster,sensibel" for line in lines[1:]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = base / "steering.duckdb"
    report = load_folder(source, db, as_of=None)
    return db, report


def rows(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_bad_values_are_blanked_and_recorded(messy: tuple) -> None:
    db, _ = messy
    assert rows(db, "SELECT birth_date FROM staging.persons WHERE person_id = 'P2'") == [(None,)]
    assert rows(db, "SELECT single_parent FROM staging.persons WHERE person_id = 'P3'") == [(None,)]
    rejects = rows(db, "SELECT table_name, line, column_name, raw_value, record_id FROM load_rejects"
                       " WHERE action = 'value_blanked' ORDER BY table_name, line")
    assert rejects == [("persons", 3, "birth_date", "31.02.2024", "P2"),
                       ("persons", 4, "single_parent", "vielleicht", "P3"),
                       ("targets", 2, "target_value", "zwölf", "2023|__all__|integrations")]
    reasons = rows(db, "SELECT column_name, reason FROM load_rejects WHERE action = 'value_blanked' ORDER BY line")
    assert dict(reasons) == {
        "birth_date": "kein Datum (JJJJ-MM-TT oder TT.MM.JJJJ); Wert leer gelassen, Zeile behalten",
        "single_parent": "kein Ja/Nein-Wert (true/false, 1/0, ja/nein, j/n, x); Wert leer gelassen, Zeile behalten",
        "target_value": "keine Zahl (mit Dezimalkomma oder -punkt); Wert leer gelassen, Zeile behalten"}


def test_duplicate_and_empty_keys_are_rejected_first_occurrence_wins(messy: tuple) -> None:
    db, _ = messy
    assert rows(db, "SELECT sex FROM staging.persons WHERE person_id = 'P1'") == [("m",)]
    rejected = rows(db, "SELECT line, reason FROM load_rejects WHERE action = 'row_rejected' ORDER BY line")
    assert [r[0] for r in rejected] == [6, 7]
    assert rejected[0][1] == "doppelter Schlüssel P1, das erste Vorkommen in Zeile 2 wurde geladen; diese Zeile " \
                             "nicht geladen"
    assert rejected[1][1] == "der Schlüssel (person_id) ist leer oder nicht lesbar; Zeile nicht geladen"


def test_the_pipeline_page_does_not_show_a_rejected_persons_id(messy: tuple) -> None:
    """The read side hides a rejected row's person id in the raw value and in the reason; file and line stay."""
    from pipelines.publish import Snapshot, Viewer

    db, _ = messy
    con = duckdb.connect(str(db), read_only=True)
    try:
        rejects = Snapshot(con.cursor, 5).load_rejects(Viewer("analyst", frozenset()))
    finally:
        con.close()
    duplicate = rejects[(rejects["action"] == "row_rejected") & (rejects["line"] == 6)].iloc[0]
    assert (duplicate["file_name"], duplicate["raw_value"]) == ("persons.csv", "(Personenkennung ausgeblendet)")
    assert duplicate["reason"] == "doppelter Schlüssel, das erste Vorkommen in Zeile 2 wurde geladen; diese Zeile " \
                                  "nicht geladen"


def test_unknown_codes_are_kept(messy: tuple) -> None:
    db, _ = messy
    assert rows(db, "SELECT contact_type FROM staging.contacts WHERE contact_id = 'C1'") == [("Hausbesuch",)]


def test_unknown_columns_are_dropped_reported_and_never_stored(messy: tuple) -> None:
    db, report = messy
    persons = next(t for t in report.tables if t.table == "persons")
    assert persons.dropped_columns == ["Name", "Freitext"]
    assert rows(db, "SELECT count(*) FROM information_schema.columns"
                    " WHERE column_name IN ('Name', 'Freitext')") == [(0,)]
    for schema, table in rows(db, "SELECT table_schema, table_name FROM information_schema.tables"):
        found = rows(db, f'SELECT count(*) FROM "{schema}"."{table}" t WHERE CAST(t AS VARCHAR) LIKE \'%Erika%\'')
        assert found == [(0,)], f"{schema}.{table} stores a dropped value"


def test_nothing_is_lost(messy: tuple) -> None:
    db, report = messy
    for t in report.tables:
        assert t.rows_read == t.rows_loaded + t.rows_rejected, t
    persons = next(t for t in report.tables if t.table == "persons")
    assert (persons.rows_read, persons.rows_loaded, persons.rows_rejected) == (6, 4, 2)
    logged = rows(db, "SELECT rows_read, rows_loaded, rows_rejected FROM load_run_tables WHERE table_name = 'persons'")
    assert logged == [(6, 4, 2)]


def test_as_of_defaults_to_latest_recorded_at(messy: tuple) -> None:
    _, report = messy
    assert report.as_of.isoformat() == "2023-09-20"


def test_loading_twice_gives_identical_output(tmp_path: Path) -> None:
    source = write_canonical(tmp_path / "src", tiny_job_center())
    db = tmp_path / "x.duckdb"
    load_folder(source, db)
    first = snapshot(db)
    load_folder(source, db)
    second = snapshot(db)
    log_tables = {"main.load_runs", "main.load_run_tables", "main.load_rejects"}
    assert {k: v for k, v in first.items() if k not in log_tables} == \
           {k: v for k, v in second.items() if k not in log_tables}
    assert rows(db, "SELECT run_id, status FROM load_runs ORDER BY run_id") == [(1, "success"), (2, "success")]


def test_failed_load_is_logged_at_the_next_success(tmp_path: Path) -> None:
    source = write_canonical(tmp_path / "src", tiny_job_center())
    db = tmp_path / "x.duckdb"
    load_folder(source, db)
    (source / "teams.csv").write_bytes(b"")
    with pytest.raises(Exception, match="teams.csv"):
        load_folder(source, db)
    write_canonical(source, {"teams": tiny_job_center()["teams"]})
    load_folder(source, db)
    logged = rows(db, "SELECT run_id, status, message LIKE '%teams.csv%' FROM load_runs ORDER BY run_id")
    assert logged == [(1, "success", None), (2, "failed", True), (3, "success", None)]


def test_cli_load_and_export(tmp_path: Path) -> None:
    source = write_canonical(tmp_path / "src", tiny_job_center())
    db = tmp_path / "x.duckdb"
    result = run_cli("load", str(source), "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert "Zeilen gelesen = " in result.stdout and "teams.csv" in result.stderr
    out = tmp_path / "metrics.csv"
    result = run_cli("export", "metrics", "--db", str(db), "--out", str(out))
    assert result.returncode == 0, result.stderr
    header = out.read_text(encoding="utf-8").splitlines()[0]
    assert header == "team_id,month,metric_id,value,numerator,denominator"
    result = run_cli("export", "goals", "--db", str(tmp_path / "missing.duckdb"), "--out", str(out))
    assert result.returncode == 1 and "die Datenbank gibt es noch nicht" in result.stderr


def test_date_and_time_spellings(tmp_path: Path) -> None:
    tables = tiny_job_center()
    spellings = ["2023-01-10 11:00:00", "10.01.2023 11:00", "2023-01-10T11:00:00", "10.01.2023 11:00:00",
                 "2023-01-10 11:00:00.000", "2023-01-10T11:00", "10.01.2023"]
    base = tables["contacts"][0]
    tables["contacts"] = [dict(base, contact_id=f"C{i}", recorded_at=s, contact_date="1.2.2023" if i else "2023-02-01")
                          for i, s in enumerate(spellings)]
    db = tmp_path / "x.duckdb"
    load_folder(write_canonical(tmp_path / "src", tables), db)
    got = rows(db, "SELECT DISTINCT contact_date, strftime(recorded_at, '%Y-%m-%d %H:%M') FROM staging.contacts"
                   " WHERE contact_id <> 'C6' ORDER BY ALL")
    assert [(str(d), t) for d, t in got] == [("2023-02-01", "2023-01-10 11:00")]
    assert rows(db, "SELECT strftime(recorded_at, '%H:%M') FROM staging.contacts WHERE contact_id = 'C6'") == \
        [("00:00",)]


def test_mapping_date_format(tmp_path: Path) -> None:
    tables = tiny_job_center()
    tables["persons"][0]["birth_date"] = "05/01/1980"
    source = write_canonical(tmp_path / "src", tables)
    (source / "mapping.yaml").write_text('date_format: "%d/%m/%Y"\n', encoding="utf-8")
    db = tmp_path / "x.duckdb"
    load_folder(source, db)
    assert [str(r[0]) for r in rows(db, "SELECT birth_date FROM staging.persons WHERE person_id = 'P1'")] == \
        ["1980-01-05"]
