"""Hostile input (issue 15): every record of a CSV file is loaded or rejected, counted by our own reader.

A block of blank lines in the middle of ``contacts.csv`` made DuckDB's reader lose thousands of rows with exit 0
(10 MB of them) or fail with a wrong "line too long" (1-2 million). The counts here come from Python's csv
module, a third reader independent of both DuckDB's and our vectorised one.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.conftest import query, run_cli, tiny_job_center, write_canonical


def _source(tmp_path: Path, n_contacts: int = 3000) -> Path:
    tables = tiny_job_center()
    tables["contacts"] = [
        {"contact_id": f"C{i}", "person_id": "P1", "contact_date": f"2023-{1 + i % 12:02d}-{1 + i % 28:02d}",
         "contact_type": "counselling", "recorded_at": ""} for i in range(n_contacts)]
    return write_canonical(tmp_path / "source", tables)


def _records(path: Path) -> int:
    """Non-empty data records as Python's csv module reads them."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return sum(1 for row in rows[1:] if row)


def _insert(path: Path, after_record: int, text: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[: after_record + 1]) + text + "".join(lines[after_record + 1:]),
                    encoding="utf-8", newline="")


@pytest.mark.parametrize("blank_lines", [10_000_000, 1_500_000])
def test_a_block_of_blank_lines_loses_no_record(tmp_path: Path, blank_lines: int) -> None:
    """10 MB of blank lines used to lose 3,825 of 6,872 rows with exit 0; 1.5 million gave "line too long"."""
    source = _source(tmp_path)
    contacts = source / "contacts.csv"
    _insert(contacts, 1000, "\n" * blank_lines)
    # a bad date after the block: its reject must name the line it is on in the file
    text = contacts.read_text(encoding="utf-8")
    contacts.write_text(text.replace("C2500,P1,2023-05-09", "C2500,P1,2023-13-09", 1), encoding="utf-8", newline="")
    bad_line = 1 + text[: text.index("C2500,")].count("\n")
    db = tmp_path / "steering.duckdb"
    result = run_cli("load", str(source), "--db", str(db))
    assert result.returncode == 0, result.stderr
    expected = _records(contacts)
    assert expected == 3000
    assert query(db, "SELECT rows_read, rows_loaded + rows_rejected FROM load_run_tables"
                      " WHERE table_name = 'contacts'") == [(expected, expected)]
    assert query(db, "SELECT count(*) FROM staging.contacts") == [(expected,)]
    assert query(db, "SELECT line FROM load_rejects WHERE table_name = 'contacts' AND column_name = 'contact_date'"
                  ) == [(bad_line,)]


def test_lines_after_a_value_with_line_breaks_are_the_files_lines(tmp_path: Path) -> None:
    """A quoted value spanning three lines used to shift every reject after it by two lines."""
    tables = tiny_job_center()
    tables["contacts"][0]["contact_type"] = "Beratung\nüber\ndrei Zeilen"
    tables["contacts"][-1]["contact_date"] = "kein Datum"
    source = write_canonical(tmp_path / "source", tables)
    db = tmp_path / "steering.duckdb"
    assert run_cli("load", str(source), "--db", str(db)).returncode == 0
    text = (source / "contacts.csv").read_text(encoding="utf-8")
    line = 1 + text[: text.index("kein Datum")].count("\n")
    assert query(db, "SELECT line FROM load_rejects WHERE raw_value = 'kein Datum'") == [(line,)]


def test_a_quote_inside_an_unquoted_value_is_data(tmp_path: Path) -> None:
    """``12" Zoll``: DuckDB and Python read the quote as a literal; the fast count is overruled, nothing lost."""
    source = _source(tmp_path, 50)
    contacts = source / "contacts.csv"
    contacts.write_text(contacts.read_text(encoding="utf-8").replace("C7,", 'C7"x,', 1), encoding="utf-8",
                        newline="")
    db = tmp_path / "steering.duckdb"
    result = run_cli("load", str(source), "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert query(db, "SELECT rows_read FROM load_run_tables WHERE table_name = 'contacts'") == [(50,)]
    text = contacts.read_text(encoding="utf-8")
    line = 1 + text[: text.index('C7"x')].count("\n")
    assert query(db, """SELECT _line FROM staging.contacts WHERE contact_id = 'C7"x'""") == [(line,)]


def test_readers_that_disagree_stop_the_load_with_the_line(tmp_path: Path) -> None:
    """When DuckDB's reader and Python's read another number of records, the load stops and changes nothing."""
    source = _source(tmp_path, 50)
    db = tmp_path / "steering.duckdb"
    assert run_cli("load", str(source), "--db", str(db)).returncode == 0
    before = db.read_bytes()
    contacts = source / "contacts.csv"
    _insert(contacts, 20, ' "1\r1",1" \n')
    with contacts.open(encoding="utf-8", newline="") as fh:
        assert sum(1 for row in csv.reader(fh) if row) - 1 == 52  # Python reads two records from the one line
    result = run_cli("load", str(source), "--db", str(db))
    assert result.returncode == 1, result.stdout
    assert "contacts.csv" in result.stderr and "Zeile 22" in result.stderr and "Traceback" not in result.stderr
    assert db.read_bytes() == before
