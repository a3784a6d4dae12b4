"""Bad input: the load stops with one clear message and the database stays as it was."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.errors import LoadError
from pipelines.load import load_folder
from tests.conftest import run_cli, tiny_job_center, write_canonical


def snapshot(db: Path) -> dict[str, list]:
    """Every table of every schema, as sorted rows: what 'unchanged' means."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = con.execute("SELECT table_schema, table_name FROM information_schema.tables"
                            " ORDER BY ALL").fetchall()
        return {f"{s}.{t}": con.execute(f'SELECT * FROM "{s}"."{t}" ORDER BY ALL').fetchall() for s, t in names}
    finally:
        con.close()


@pytest.fixture(scope="module")
def good_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("good")
    db = base / "steering.duckdb"
    load_folder(write_canonical(base / "src", tiny_job_center()), db)
    return db


@pytest.fixture
def broken(tmp_path: Path, good_db: Path) -> tuple[Path, Path, dict]:
    """A copy of the good database and a fresh good source folder to break."""
    db = tmp_path / "db" / "steering.duckdb"
    db.parent.mkdir()
    shutil.copy(good_db, db)
    return write_canonical(tmp_path / "src", tiny_job_center()), db, snapshot(db)


def expect_clean_failure(source: Path, db: Path, before: dict, *needles: str) -> str:
    before_bytes = db.read_bytes()
    with pytest.raises(LoadError) as info:
        load_folder(source, db)
    message = str(info.value)
    for needle in needles:
        assert needle in message, message
    assert snapshot(db) == before, "a failed load must leave the database unchanged"
    assert db.read_bytes() == before_bytes, "... byte for byte"
    return message


def test_missing_required_file(broken: tuple) -> None:
    source, db, before = broken
    (source / "contacts.csv").unlink()
    expect_clean_failure(source, db, before, "contacts.csv", "die Pflichttabelle contacts fehlt", "erwartet: ")


def test_missing_required_column(broken: tuple) -> None:
    source, db, before = broken
    path = source / "persons.csv"
    path.write_text(path.read_text().replace("birth_date", "geburtstag"), encoding="utf-8")
    expect_clean_failure(source, db, before, "persons.csv", "Zeile 1", "Spalte „birth_date“",
                         "erwartet: die Spalten")


def test_undecodable_bytes(broken: tuple) -> None:
    source, db, before = broken
    path = source / "teams.csv"
    path.write_bytes(path.read_bytes() + b"T3,Team \x81 Ost,U25\n")  # 0x81: neither UTF-8 nor cp1252
    expect_clean_failure(source, db, before, "teams.csv", "Zeile 4", "Byte 0x81",
                         "erwartet: Text in UTF-8 oder Windows-1252")


def test_zero_byte_file(broken: tuple) -> None:
    source, db, before = broken
    (source / "measures.csv").write_bytes(b"")
    expect_clean_failure(source, db, before, "measures.csv", "leer (0 Bytes)",
                         "erwartet: mindestens die Kopfzeile")


def test_binary_file_is_not_a_table(broken: tuple) -> None:
    source, db, before = broken
    (source / "contacts.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    expect_clean_failure(source, db, before, "contacts.csv", "Binärdaten", "erwartet: einen CSV-Textexport")


def test_prose_is_not_a_table(broken: tuple) -> None:
    source, db, before = broken
    (source / "contacts.csv").write_text("Dies ist ein Brief und keine Tabelle\nMit freundlichen Grüßen\n")
    expect_clean_failure(source, db, before, "contacts.csv", "nicht nach einer Tabelle aus", "Zeile 1")


def test_ragged_row(broken: tuple) -> None:
    source, db, before = broken
    with (source / "contacts.csv").open("a", encoding="utf-8") as fh:
        fh.write("C9,P1,2023-02-01\n")
    expect_clean_failure(source, db, before, "contacts.csv", "Zeile 5", "3 Felder, die Kopfzeile aber 5")


def test_unreadable_path(broken: tuple) -> None:
    source, db, before = broken
    (source / "integrations.csv").unlink()
    (source / "integrations.csv").mkdir()  # a folder where a file should be
    expect_clean_failure(source, db, before, "integrations", "die Pflichttabelle integrations fehlt")


def test_broken_xlsx(broken: tuple) -> None:
    source, db, before = broken
    (source / "measures.csv").unlink()
    (source / "measures.xlsx").write_bytes(b"this is not a zip archive")
    expect_clean_failure(source, db, before, "measures.xlsx", "keine Excel-Arbeitsmappe")


def test_mapping_cannot_escape_the_source_folder(broken: tuple) -> None:
    source, db, before = broken
    (source / "mapping.yaml").write_text("tables:\n  persons:\n    file: ../../etc/passwd\n", encoding="utf-8")
    expect_clean_failure(source, db, before, "mapping.yaml", "schlichter Dateiname")


def test_header_only_file_is_a_valid_empty_table(tmp_path: Path) -> None:
    tables = tiny_job_center()
    tables["measures"] = []
    db = tmp_path / "x.duckdb"
    report = load_folder(write_canonical(tmp_path / "src", tables), db)
    measures = next(t for t in report.tables if t.table == "measures")
    assert (measures.rows_read, measures.rows_loaded) == (0, 0)


def test_refuses_to_overwrite_a_foreign_file(tmp_path: Path) -> None:
    db = tmp_path / "notes.duckdb"
    db.write_text("my precious notes")
    with pytest.raises(LoadError, match="wird nicht überschrieben"):
        load_folder(write_canonical(tmp_path / "src", tiny_job_center()), db)
    assert db.read_text() == "my precious notes"


def test_cli_reports_error_without_traceback(broken: tuple) -> None:
    source, db, before = broken
    (source / "assignments.csv").unlink()
    result = run_cli("load", str(source), "--db", str(db))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert "assignments.csv" in result.stderr and "die Datenbank ist unverändert" in result.stderr
    assert snapshot(db) == before
