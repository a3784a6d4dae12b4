"""Hostile input (issue 15): implausible dates are blanked and listed; no single value moves the Datenstand or
makes a load run away.

Before: one ``spell_start`` of 01.01.0001 took 4.5 GB and ended in an internal error, 01.01.1000 gave 12,322
months of metrics, and one ``Erfasst am`` of 31.12.9999 became the as-of date.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipelines.dateranges import Bound, DateRangeError, DateRanges
from tests.conftest import query, run_cli, tiny_job_center, write_canonical

AS_OF = dt.date(2023, 9, 20)  # the latest recorded_at of the tiny job center


def _load(tmp_path: Path, tables: dict, *extra: str) -> Path:
    db = tmp_path / "steering.duckdb"
    result = run_cli(*extra, "load", str(write_canonical(tmp_path / "source", tables)), "--db", str(db))
    assert result.returncode == 0, result.stderr
    return db


@pytest.mark.parametrize("value", ["01.01.0001", "01.01.1000", "1989-12-31"])
def test_an_implausible_spell_start_is_blanked_and_listed(tmp_path: Path, value: str) -> None:
    tables = tiny_job_center()
    tables["benefit_spells"][0]["spell_start"] = value
    db = _load(tmp_path, tables)
    assert query(db, "SELECT line, raw_value, reason, action FROM load_rejects WHERE column_name = 'spell_start'") \
        == [(2, value, "Datum außerhalb des plausiblen Bereichs 01.01.1990 bis 20.09.2024 (Einstellung "
             "load.date_ranges); Wert leer gelassen, Zeile behalten", "value_blanked")]
    assert query(db, "SELECT spell_start FROM staging.benefit_spells WHERE spell_id = 'S1'") == [(None,)]
    # the calendar starts with the earliest plausible spell (S4 in January 2023), not in the year 1
    assert query(db, "SELECT min(month), count(DISTINCT month) FROM metric_values") == [(dt.date(2023, 1, 1), 8)]
    assert query(db, "SELECT rows_read, rows_loaded, rows_rejected, values_blanked FROM load_run_tables"
                      " WHERE table_name = 'benefit_spells'") == [(4, 4, 0, 1)]


def test_an_entry_time_in_year_9999_neither_moves_the_as_of_nor_stays(tmp_path: Path) -> None:
    tables = tiny_job_center()
    tables["contacts"][0]["recorded_at"] = "31.12.9999 23:59"
    db = _load(tmp_path, tables)
    assert query(db, "SELECT as_of FROM load_runs") == [(AS_OF,)]
    assert query(db, "SELECT raw_value, action FROM load_rejects WHERE column_name = 'recorded_at'") == [
        ("31.12.9999 23:59", "value_blanked")]


def test_an_entry_time_after_the_day_of_the_load_is_ignored_for_the_as_of(tmp_path: Path) -> None:
    """Within as_of + 1 year it is kept (a clock error of days is no reason to blank), but it is not the
    Datenstand: nothing can be entered after the export was made."""
    tables = tiny_job_center()
    tomorrow = dt.date.today() + dt.timedelta(days=2)
    tables["persons"][0]["recorded_at"] = f"{tomorrow.isoformat()} 08:00:00"
    db = _load(tmp_path, tables)
    assert query(db, "SELECT as_of FROM load_runs") == [(AS_OF,)]


def test_birth_dates_have_their_own_range(tmp_path: Path) -> None:
    tables = tiny_job_center()
    tables["persons"][0]["birth_date"] = "1899-12-31"
    tables["persons"][1]["birth_date"] = "1900-01-01"
    tables["persons"][3]["birth_date"] = "2023-09-21"  # the day after the as-of
    db = _load(tmp_path, tables)
    assert query(db, "SELECT raw_value FROM load_rejects WHERE column_name = 'birth_date' ORDER BY line") == [
        ("1899-12-31",), ("2023-09-21",)]
    assert query(db, "SELECT person_id, birth_date FROM staging.persons WHERE person_id IN ('P1', 'P2')"
                      " ORDER BY 1") == [("P1", None), ("P2", dt.date(1900, 1, 1))]


def test_an_implausible_date_in_a_key_rejects_its_row(tmp_path: Path) -> None:
    tables = tiny_job_center()
    tables["assignments"][2]["valid_from"] = "0001-01-01"
    db = _load(tmp_path, tables)
    assert query(db, "SELECT rows_read, rows_loaded, rows_rejected FROM load_run_tables"
                      " WHERE table_name = 'assignments'") == [(3, 2, 1)]
    assert query(db, "SELECT line, action, reason LIKE '%; Zeile nicht geladen' FROM load_rejects"
                      " WHERE column_name = 'valid_from'") == [(4, "row_rejected", True)]


def test_the_ranges_are_settings(tmp_path: Path) -> None:
    """A job center can tighten a range: SGB II benefits began on 1 January 2005."""
    config = tmp_path / "steering.toml"
    config.write_text('[load]\ndate_ranges = ["*=1990-01-01..as_of+1y", "persons.birth_date=1900-01-01..as_of",'
                      ' "benefit_spells.spell_start=2005-01-01..as_of"]\n', encoding="utf-8")
    tables = tiny_job_center()
    tables["benefit_spells"][0]["spell_start"] = "2004-12-31"
    tables["benefit_spells"][1]["spell_start"] = "2005-01-01"
    db = _load(tmp_path, tables, "--config", str(config))
    assert query(db, "SELECT line, raw_value FROM load_rejects WHERE reason LIKE 'Datum außerhalb%'") == [
        (2, "2004-12-31")]


def test_a_broken_range_setting_stops_before_anything_changes(tmp_path: Path, tiny_source: Path) -> None:
    db = tmp_path / "steering.duckdb"
    assert run_cli("load", str(tiny_source), "--db", str(db)).returncode == 0
    before = db.read_bytes()
    config = tmp_path / "steering.toml"
    config.write_text('[load]\ndate_ranges = ["benefit_spells.spell_start=gestern..as_of"]\n', encoding="utf-8")
    result = run_cli("--config", str(config), "load", str(tiny_source), "--db", str(db))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "load.date_ranges" in result.stderr and "'gestern'" in result.stderr
    assert db.read_bytes() == before


@pytest.mark.parametrize("text, as_of, expected", [
    ("as_of+1y", dt.date(2024, 2, 29), dt.date(2025, 2, 28)),
    ("as_of-6m", dt.date(2023, 8, 31), dt.date(2023, 2, 28)),
    ("as_of + 30d", dt.date(2023, 12, 15), dt.date(2024, 1, 14)),
    ("as_of", dt.date(2023, 1, 1), dt.date(2023, 1, 1)),
    ("2005-01-01", dt.date(2023, 1, 1), dt.date(2005, 1, 1)),
])
def test_bounds(text: str, as_of: dt.date, expected: dt.date) -> None:
    ranges = DateRanges.parse([f"*=1990-01-01..{text}"])
    assert ranges.of("contacts", "contact_date")[1].at(as_of) == expected
    assert ranges.of("x", "y")[0] == Bound(fixed=dt.date(1990, 1, 1))


@pytest.mark.parametrize("lines, words", [
    (["persons.birth_date=1900-01-01..as_of"], "'*=VON..BIS'"),
    (["*=1990-02-30..as_of"], "kein Kalenderdatum"),
    (["*=1990-01-01..morgen"], "'morgen'"),
    (["*:1990-01-01..as_of"], "die Form"),
])
def test_broken_entries_are_named(lines: list[str], words: str) -> None:
    with pytest.raises(DateRangeError, match=words):
        DateRanges.parse(lines)
