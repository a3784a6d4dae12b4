"""The load log: ``load_runs`` and ``load_run_tables`` (history of every run) and failed loads.

A failed load must not touch the database, so it is written to a file beside
it and becomes a ``failed`` row of ``load_runs`` at the next successful load.
"""

from __future__ import annotations

import datetime as dt
import json
import traceback
from pathlib import Path

import duckdb

from pipelines import synthetic
from pipelines.errors import LoadError
from pipelines.mapping import Mapping
from pipelines.readers import SourceFile
from pipelines.rejects import TableReport

LOAD_RUNS_DDL = """
CREATE TABLE IF NOT EXISTS load_runs (
    run_id BIGINT, started_at TIMESTAMP, finished_at TIMESTAMP, status VARCHAR, source_path VARCHAR,
    mapping_path VARCHAR, as_of DATE, rows_read BIGINT, rows_loaded BIGINT, rows_rejected BIGINT,
    values_blanked BIGINT, files VARCHAR, message VARCHAR, synthetic BOOLEAN);
CREATE TABLE IF NOT EXISTS load_run_tables (
    run_id BIGINT, table_name VARCHAR, file_name VARCHAR, format VARCHAR, encoding VARCHAR,
    delimiter VARCHAR, sha256 VARCHAR, rows_read BIGINT, rows_loaded BIGINT, rows_rejected BIGINT,
    values_blanked BIGINT, dropped_columns VARCHAR);
CREATE TABLE IF NOT EXISTS load_rejects (
    run_id BIGINT, table_name VARCHAR, file_name VARCHAR, line BIGINT, column_name VARCHAR,
    raw_value VARCHAR, reason VARCHAR, record_id VARCHAR, action VARCHAR);
"""



def failures_log(db: Path) -> Path:
    """Failed loads are logged beside the database (the database itself must stay untouched)."""
    return db.with_name(db.name + ".failed-loads.jsonl")


def log_failure(db: Path, source: Path, started: dt.datetime, exc: Exception) -> None:
    message = str(exc) if isinstance(exc, LoadError) else f"{type(exc).__name__}: {exc}"
    entry = {"started_at": started.isoformat(), "finished_at": dt.datetime.now().isoformat(timespec="seconds"),
             "source_path": str(source), "message": message}
    if not isinstance(exc, LoadError):
        entry["traceback"] = traceback.format_exc(limit=5)
    try:
        db.parent.mkdir(parents=True, exist_ok=True)
        with failures_log(db).open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
    except OSError:
        pass  # the log is a courtesy; the error itself still reaches the caller


def copy_history(con: duckdb.DuckDBPyConnection, db: Path) -> int:
    """Keep earlier runs' log rows (load_runs, load_run_tables) and return the next run id."""
    if db.exists():
        con.execute("ATTACH ? AS previous (READ_ONLY)", [str(db)])
        try:
            old = {r[0] for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'previous'"
                " AND table_schema = 'main'").fetchall()}
            for table in ("load_runs", "load_run_tables"):
                if table in old:
                    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM previous.main.{table}")
        finally:
            con.execute("DETACH previous")
    failures = failures_log(db)
    if failures.exists():
        for line in failures.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            next_id = con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM load_runs").fetchall()[0][0]
            con.execute("INSERT INTO load_runs (run_id, started_at, finished_at, status, source_path, message)"
                        " VALUES (?, ?, ?, 'failed', ?, ?)",
                        [next_id, entry.get("started_at"), entry.get("finished_at"), entry.get("source_path"),
                         entry.get("message")])
    return con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM load_runs").fetchall()[0][0]


def record_run(con: duckdb.DuckDBPyConnection, run_id: int, source: Path, mapping: Mapping, as_of: dt.date,
                reports: list[TableReport], files: dict[str, SourceFile | None], started: dt.datetime,
                finished: dt.datetime) -> None:
    file_info = [{"table": s.table, "file": s.path.name, "format": s.format, "encoding": s.encoding,
                  "delimiter": s.delimiter, "sha256": s.sha256, "size_bytes": s.size}
                 for s in files.values() if s]
    con.execute(
        "INSERT INTO load_runs VALUES (?, ?, ?, 'success', ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)",
        [run_id, started, finished, str(source.resolve()), mapping.source, as_of,
         sum(r.rows_read for r in reports), sum(r.rows_loaded for r in reports),
         sum(r.rows_rejected for r in reports), sum(r.values_blanked for r in reports),
         json.dumps(file_info, ensure_ascii=False),
         # demo mode shows only snapshots of invented persons (pipelines/synthetic.py)
         synthetic.is_synthetic(source, {s.path.name: s.sha256 for s in files.values() if s},
                                Path(mapping.source) if mapping.source else None)],
    )
    for r in reports:
        src = files[r.table]
        con.execute("INSERT INTO load_run_tables VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [run_id, r.table, r.file, r.format, r.encoding, r.delimiter, src.sha256 if src else None,
                     r.rows_read, r.rows_loaded, r.rows_rejected, r.values_blanked,
                     json.dumps(r.dropped_columns, ensure_ascii=False)])
