"""A reader that opens the database during a load sees the old snapshot or the new one."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb

from pipelines.load import load_folder
from tests.conftest import tiny_job_center, write_canonical

BIG_CONTACTS = 600_000


def _big_source(folder: Path) -> Path:
    """The tiny job center plus many contacts, so the load takes long enough to be watched."""
    write_canonical(folder, tiny_job_center())
    con = duckdb.connect()
    con.execute(
        "COPY (SELECT 'X' || i AS contact_id, 'P1' AS person_id,"
        " strftime(DATE '2023-01-01' + CAST(i % 240 AS INTEGER), '%d.%m.%Y') AS contact_date,"
        " 'phone' AS contact_type, '2023-09-01 10:00' AS recorded_at FROM range(?) t(i))"
        " TO ? (HEADER, DELIMITER ',')", [BIG_CONTACTS, str(folder / "contacts.csv")])
    con.close()
    return folder


def _observe(db: Path) -> tuple[int, int] | None:
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error:
        return None  # only acceptable if the file cannot be opened at all, asserted below
    try:
        return con.execute("SELECT (SELECT max(run_id) FROM load_runs WHERE status = 'success'),"
                           " (SELECT count(*) FROM staging.contacts)").fetchall()[0]
    finally:
        con.close()


def test_reader_sees_old_or_new_snapshot_never_a_mix(tmp_path: Path) -> None:
    db = tmp_path / "steering.duckdb"
    load_folder(write_canonical(tmp_path / "small", tiny_job_center()), db)
    big = _big_source(tmp_path / "big")
    exe = Path(sys.executable).with_name("steering")
    loader = subprocess.Popen([str(exe), "load", str(big), "--db", str(db)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen: list[tuple[int, int] | None] = []
    while loader.poll() is None:
        seen.append(_observe(db))
        time.sleep(0.02)
    out, err = loader.communicate()
    assert loader.returncode == 0, err
    seen.append(_observe(db))
    assert None not in seen, "the database must stay readable during a load"
    assert set(seen) <= {(1, 3), (2, BIG_CONTACTS)}, set(seen)
    assert seen[0] == (1, 3), "the first reads happen while the load runs and see the old snapshot"
    assert seen[-1] == (2, BIG_CONTACTS)
    leftovers = [p.name for p in tmp_path.iterdir()
                 if p.name.startswith(".steering") and p.name != ".steering.duckdb.lock"]
    assert leftovers == [], leftovers
