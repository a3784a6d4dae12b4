"""Hostile files: each gives a clear error or is stored as plain data; nothing is executed."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import pytest
from openpyxl import Workbook

from pipelines.errors import LoadError
from pipelines.load import load_folder
from pipelines.publish.exports import export
from tests.conftest import ROOT, tiny_job_center, write_canonical


def _rows(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_quotes_and_newlines_inside_fields_are_data(tmp_path: Path) -> None:
    tables = tiny_job_center()
    tables["teams"][0]["team_name"] = 'Team "Nord"; zweite\nZeile, mit Komma'
    db = tmp_path / "x.duckdb"
    load_folder(write_canonical(tmp_path / "src", tables), db)
    assert _rows(db, "SELECT team_name FROM staging.teams WHERE team_id = 'T1'") == \
        [('Team "Nord"; zweite\nZeile, mit Komma',)]


def test_sql_looking_values_are_stored_as_plain_data(tmp_path: Path) -> None:
    tables = tiny_job_center()
    evil = "T9'; DROP TABLE staging.persons; --"
    tables["teams"].append({"team_id": evil, "team_name": "Robert'); DROP TABLE metric_values;--", "unit": "U25"})
    tables["assignments"][0]["team_id"] = evil
    db = tmp_path / "x.duckdb"
    load_folder(write_canonical(tmp_path / "src", tables), db)
    assert _rows(db, "SELECT count(*) FROM staging.persons") == [(4,)]
    assert _rows(db, "SELECT count(*) FROM metric_values WHERE team_id = ?".replace("?", "'" + evil.replace("'", "''")
                                                                                    + "'"))[0][0] > 0


def test_unicode_lookalikes_and_rtl_marks_are_kept_as_they_are(tmp_path: Path) -> None:
    tables = tiny_job_center()
    cyrillic_t = "\u0422" + "1"  # looks like T1, is another team id
    tables["teams"].append({"team_id": cyrillic_t, "team_name": "Team \u202eNORD\u202c", "unit": "U25"})
    db = tmp_path / "x.duckdb"
    load_folder(write_canonical(tmp_path / "src", tables), db)
    names = dict(_rows(db, "SELECT team_id, team_name FROM staging.teams"))
    assert names[cyrillic_t] == "Team \u202eNORD\u202c" and names["T1"] == "Ü25 Süd – Oelde"


def test_formulas_in_xlsx_cells_are_text_and_exports_neutralise_them(tmp_path: Path) -> None:
    source = write_canonical(tmp_path / "src", tiny_job_center())
    (source / "teams.csv").unlink()
    wb = Workbook()
    ws = wb.active
    ws.title = "teams"
    ws.append(["team_id", "team_name", "unit"])
    ws.append(["T1", '=HYPERLINK("http://example.invalid","klick")', "Ü25"])
    ws.append(["T2", "@SUM(1+1)", "U25"])
    wb.save(source / "teams.xlsx")
    db = tmp_path / "x.duckdb"
    load_folder(source, db)
    assert _rows(db, "SELECT team_name FROM staging.teams ORDER BY team_id") == \
        [('=HYPERLINK("http://example.invalid","klick")',), ("@SUM(1+1)",)]
    out = tmp_path / "rejects.csv"
    con = duckdb.connect(str(db))
    con.execute("INSERT INTO load_rejects VALUES (1, 'teams', 'teams.xlsx', 2, 'team_name', '=1+1', 'x', '-T1', 'x')")
    con.close()
    export("rejects", db, out)
    text = out.read_text(encoding="utf-8")
    assert "'=1+1" in text and "'-T1" in text and ",=1+1" not in text


def test_zip_bomb_disguised_as_xlsx_is_refused(tmp_path: Path) -> None:
    source = write_canonical(tmp_path / "src", tiny_job_center())
    (source / "measures.csv").unlink()
    with zipfile.ZipFile(source / "measures.xlsx", "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("xl/worksheets/sheet1.xml", "w") as fh:
            chunk = b"\0" * (1 << 20)
            for _ in range(300):  # 300 MB of zeros compress to well under 1 MB
                fh.write(chunk)
    assert (source / "measures.xlsx").stat().st_size < 2 * 2**20
    with pytest.raises(LoadError, match="ZIP-Bombe"):
        load_folder(source, tmp_path / "x.duckdb")


def test_a_2_gb_line_gives_a_clear_error_without_reading_it_into_memory(tmp_path: Path) -> None:
    """A literal 2 GiB line (the issue's case): a clear error naming file and line, the old
    snapshot untouched, and the loader's memory flat (it streams; DuckDB alone dropped such
    a last line silently, so the loader checks line lengths itself)."""
    if shutil.disk_usage(tmp_path).free < 3 * 2**30:
        pytest.skip("needs 3 GB of free disk for the 2 GB line")
    if not Path("/proc/self/status").is_file():
        pytest.skip("measures the loader's peak memory through Linux's /proc")
    db = tmp_path / "x.duckdb"
    good = write_canonical(tmp_path / "good", tiny_job_center())
    load_folder(good, db)
    before = db.read_bytes()
    source = write_canonical(tmp_path / "src", tiny_job_center())
    with (source / "contacts.csv").open("a", encoding="utf-8") as fh:
        fh.write("C9,P1,2023-02-01,phone,")
        block = "9" * (1 << 20)
        for _ in range(2048):  # 2 GiB in one field
            fh.write(block)
        fh.write("\r\n")
    assert (source / "contacts.csv").stat().st_size > 2**31
    # The real CLI in its own process. Its peak is VmHWM of its own address space:
    # ru_maxrss would carry over the forking pytest process's size across exec.
    cli = ("import re, sys\nfrom pathlib import Path\nfrom pipelines.cli import main\ncode = main(sys.argv[1:])\n"
           "hwm = re.search(r'VmHWM:\\s+(\\d+)', Path('/proc/self/status').read_text()).group(1)\n"
           "print('peak_kb', hwm, file=sys.stderr)\nsys.exit(code)")
    result = subprocess.run([sys.executable, "-c", cli, "load", str(source), "--db", str(db)],
                            capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert result.returncode != 0
    assert "contacts.csv" in result.stderr and "Zeile 5" in result.stderr and "länger als" in result.stderr
    assert "Traceback" not in result.stderr
    peak_mb = int(result.stderr.split("peak_kb")[-1].split()[0]) / 1024
    assert peak_mb < 512, f"the loader's peak memory was {peak_mb:.0f} MB on a 2 GB line: {result.stderr}"
    assert db.read_bytes() == before
