"""Load a source folder into a new DuckDB snapshot and swap it in atomically.

One load = one full snapshot of a job center's export. The new database is
built in a temporary file beside the target and only replaces the target with
``os.replace`` once everything (staging, core, rules, metrics) succeeded, so a
reader sees the old snapshot or the new one, and a failed load changes nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import shutil
import tempfile
import traceback
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from pipelines import archive
from pipelines.agreements import backup_after_load
from pipelines.compute import compute_all
from pipelines.contract import TYPE_EXPECTATION, Table, load_contract
from pipelines.errors import LoadError, is_write_failure
from pipelines.goals import validate_targets
from pipelines.mapping import Mapping, read_mapping
from pipelines.readers import FORMATS, SourceFile, find_source_file, read_into_raw
from pipelines.settings import Settings, load_settings
from pipelines.sqlmodels import SQL_DIR, build_table, discover

Progress = Callable[[str], None]

LOAD_RUNS_DDL = """
CREATE TABLE IF NOT EXISTS load_runs (
    run_id BIGINT, started_at TIMESTAMP, finished_at TIMESTAMP, status VARCHAR, source_path VARCHAR,
    mapping_path VARCHAR, as_of DATE, rows_read BIGINT, rows_loaded BIGINT, rows_rejected BIGINT,
    values_blanked BIGINT, files VARCHAR, message VARCHAR);
CREATE TABLE IF NOT EXISTS load_run_tables (
    run_id BIGINT, table_name VARCHAR, file_name VARCHAR, format VARCHAR, encoding VARCHAR,
    delimiter VARCHAR, sha256 VARCHAR, rows_read BIGINT, rows_loaded BIGINT, rows_rejected BIGINT,
    values_blanked BIGINT, dropped_columns VARCHAR);
CREATE TABLE IF NOT EXISTS load_rejects (
    run_id BIGINT, table_name VARCHAR, file_name VARCHAR, line BIGINT, column_name VARCHAR,
    raw_value VARCHAR, reason VARCHAR, record_id VARCHAR, action VARCHAR);
"""


@dataclass
class TableReport:
    table: str
    file: str | None
    format: str | None
    encoding: str | None
    delimiter: str | None
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    values_blanked: int
    dropped_columns: list[str] = field(default_factory=list)


@dataclass
class LoadReport:
    run_id: int
    db: str
    as_of: dt.date
    tables: list[TableReport]
    started_at: dt.datetime
    finished_at: dt.datetime

    @property
    def rows_read(self) -> int:
        return sum(t.rows_read for t in self.tables)

    @property
    def rows_loaded(self) -> int:
        return sum(t.rows_loaded for t in self.tables)

    @property
    def rows_rejected(self) -> int:
        return sum(t.rows_rejected for t in self.tables)


def _noop(_: str) -> None:
    return None


def failures_log(db: Path) -> Path:
    """Failed loads are logged beside the database (the database itself must stay untouched)."""
    return db.with_name(db.name + ".failed-loads.jsonl")


def load_folder(source: Path, db: Path, as_of: dt.date | None = None, mapping: Path | None = None,
                settings: Settings | None = None, progress: Progress = _noop) -> LoadReport:
    """Validate, load and compute a source folder into ``db``; raise LoadError on bad input."""
    settings = settings or load_settings()
    source, db = Path(source), Path(db)
    started = dt.datetime.now().replace(microsecond=0)
    try:
        return _load(source, db, as_of, mapping, settings, progress, started)
    except Exception as exc:
        _log_failure(db, source, started, exc)
        raise


def _log_failure(db: Path, source: Path, started: dt.datetime, exc: Exception) -> None:
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


def _check_target(db: Path) -> None:
    """Refuse to replace a file that is not one of our databases."""
    if not db.exists():
        return
    if db.is_dir():
        raise LoadError(str(db), "the database path is a folder", expected="a .duckdb file path")
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error as exc:
        raise LoadError(str(db), f"exists but cannot be opened as a DuckDB database ({exc}); "
                        "refusing to overwrite it", expected="a database written by 'steering load'") from None
    try:
        tables = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
    finally:
        con.close()
    if tables and "load_runs" not in tables:
        raise LoadError(str(db), "exists and holds other tables, it is not a steering database; "
                        "refusing to overwrite it", expected="a database written by 'steering load'")


def _connect(path: Path, settings: Settings) -> duckdb.DuckDBPyConnection:
    config: dict[str, str | int] = {}
    if settings.database.memory_limit:
        config["memory_limit"] = settings.database.memory_limit
    if settings.database.threads:
        config["threads"] = settings.database.threads
    config["temp_directory"] = settings.database.temp_directory or str(path.parent / ".duckdb-tmp")
    return duckdb.connect(str(path), config=config)


def _locate_files(source: Path, contract: dict[str, Table], mapping: Mapping) -> dict[str, SourceFile | None]:
    files: dict[str, SourceFile | None] = {}
    for name, table in contract.items():
        path = find_source_file(source, table, mapping.for_table(name))
        if path is None:
            if table.optional:
                files[name] = None
                continue
            raise LoadError(f"{name}.csv", f"required table {name} is missing from the source folder",
                            expected=f"a file {name}.csv, {name}.xlsx or {name}.parquet "
                            "(or a 'file:' entry in mapping.yaml)")
        files[name] = SourceFile(table=name, path=path, format=FORMATS[path.suffix.lower()])
    return files


def _load(source: Path, db: Path, as_of: dt.date | None, mapping_path: Path | None, settings: Settings,
          progress: Progress, started: dt.datetime) -> LoadReport:
    if not source.is_dir():
        raise LoadError(str(source), "the source folder does not exist", expected="a folder with the export files")
    contract = load_contract()
    if mapping_path is None and (source / "mapping.yaml").is_file():
        mapping_path = source / "mapping.yaml"
    if mapping_path is not None and not Path(mapping_path).is_file():
        raise LoadError(str(mapping_path), "the mapping file does not exist", expected="a mapping.yaml")
    mapping = read_mapping(Path(mapping_path) if mapping_path else None, contract)
    files = _locate_files(source, contract, mapping)
    max_bytes = settings.load.max_file_mb * 1024 * 1024
    for src in files.values():
        if src and src.path.stat().st_size > max_bytes:
            raise LoadError(src.path.name, f"the file is larger than load.max_file_mb = {settings.load.max_file_mb}",
                            expected="a smaller export or a higher limit in the configuration")
    try:
        db.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LoadError(str(db), f"the folder of the database cannot be created ({exc.strerror})",
                        expected="a writable folder") from None
    _check_target(db)
    with _exclusive(db):
        _clean_stale(db)
        return _build_and_swap(source, db, files, contract, mapping, as_of, settings, progress, started)


@contextlib.contextmanager
def _exclusive(db: Path) -> Iterator[None]:
    """One load per database at a time: a second one would race the first to the swap."""
    lock = db.with_name(f".{db.name}.lock")
    with lock.open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LoadError(str(db), "another load into this database is running",
                            expected="one load at a time; try again when it has finished") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _clean_stale(db: Path) -> None:
    """Remove what a killed load left behind (its temporary snapshot and work folder)."""
    for path in db.parent.glob(f".{db.name}.building-*"):
        pid = path.name.rsplit("-", 1)[-1].removesuffix(".wal")
        if pid.isdigit() and not _pid_alive(int(pid)):
            path.unlink(missing_ok=True)
    for path in db.parent.glob(".steering-load-*"):
        pid = path.name.split("-")[2]
        if pid.isdigit() and not _pid_alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def _build_and_swap(source: Path, db: Path, files: dict[str, SourceFile | None], contract: dict[str, Table],
                    mapping: Mapping, as_of: dt.date | None, settings: Settings, progress: Progress,
                    started: dt.datetime) -> LoadReport:
    tmp = db.with_name(f".{db.name}.building-{os.getpid()}")
    work_dir = Path(tempfile.mkdtemp(prefix=f".steering-load-{os.getpid()}-", dir=db.parent))
    con = None
    staged: Path | None = None
    try:
        con = _connect(tmp, settings)
        report = _build(con, source, db, files, contract, mapping, as_of, settings, progress, started, work_dir)
        staged = archive.stage(con, db, settings, report.as_of, report.run_id)
        con.execute("CHECKPOINT")
        con.close()
        progress(f"swapping the new snapshot into {db}")
        db.with_name(db.name + ".wal").unlink(missing_ok=True)
        os.replace(tmp, db)
        failures_log(db).unlink(missing_ok=True)
        try:
            progress(f"archived as Datenstand {archive.publish(staged, settings).name}")
            staged = None
        except OSError as exc:  # the new snapshot is live; only its archive copy is missing
            progress(f"warning: the Datenstand archive could not be written ({exc})")
        backup_after_load(db, settings, progress)  # the agreements store, never rebuilt (pipelines/agreements.py)
        return report
    except (OSError, duckdb.Error) as exc:
        if not (is_write_failure(exc) or isinstance(exc, duckdb.OutOfMemoryException)):
            raise
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise LoadError(str(db), f"the load could not finish ({first}); the old snapshot is unchanged",
                        expected="enough free disk space and memory, and a writable folder beside the database"
                        " (see database.memory_limit and database.temp_directory)") from None
    finally:
        archive.discard(staged)
        if con is not None:
            try:
                con.close()
            except duckdb.Error:
                pass
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            leftover.unlink(missing_ok=True)
        shutil.rmtree(work_dir, ignore_errors=True)


def _create_macros(con: duckdb.DuckDBPyConnection, mapping: Mapping) -> None:
    sql = (SQL_DIR / "macros" / "parsing.sql").read_text(encoding="utf-8")
    # The only value put into SQL text: the mapping's date_format, checked against a strict
    # pattern of strftime codes in pipelines/mapping.py.
    custom = mapping.date_format
    sql = sql.replace("{custom_date}", f"try_strptime(clean(v), '{custom}')" if custom else "NULL")
    sql = sql.replace("{custom_datetime}", f"try_strptime(clean(v), '{custom}')" if custom else "NULL")
    con.execute(sql)


def _build(con: duckdb.DuckDBPyConnection, source: Path, db: Path, files: dict[str, SourceFile | None],
           contract: dict[str, Table], mapping: Mapping, as_of: dt.date | None, settings: Settings,
           progress: Progress, started: dt.datetime, work_dir: Path) -> LoadReport:
    con.execute("CREATE SCHEMA raw; CREATE SCHEMA staging;")
    con.execute(LOAD_RUNS_DDL)
    run_id = _copy_history(con, db)
    con.execute("CREATE TABLE raw.value_map (table_name VARCHAR, column_name VARCHAR,"
                " source_value VARCHAR, target_value VARCHAR)")
    for tname, tmap in mapping.tables.items():
        for column, recode in tmap.values.items():
            if recode:
                con.executemany("INSERT INTO raw.value_map VALUES (?, ?, ?, ?)",
                                [[tname, column, k, v] for k, v in recode.items()])
    con.execute("CREATE TABLE raw.value_maps AS SELECT table_name, column_name,"
                " map(list(source_value), list(target_value)) AS codes FROM raw.value_map GROUP BY ALL")
    _create_macros(con, mapping)
    for name, src in files.items():
        table = contract[name]
        if src is None:
            cols = ", ".join(f'"{c}" VARCHAR' for c in table.column_names)
            con.execute(f'CREATE TABLE raw."{name}" (_line BIGINT, {cols})')
            progress(f"{name}: no file (optional), empty table")
            continue
        progress(f"reading {src.path.name} ...")
        read_into_raw(con, src, table, mapping, settings.load.encodings, work_dir, settings.load.max_line_kb)
        detail = ", ".join(x for x in (src.format, src.encoding, f"'{src.delimiter}'" if src.delimiter else None) if x)
        progress(f"{src.path.name}: {src.rows_read:,} rows read ({detail})")
    progress("staging: typing values, checking keys")
    for model in discover(layers=("staging",)):
        build_table(con, model)
    reports = [_reject_and_count(con, run_id, contract[name], src) for name, src in files.items()]
    as_of = as_of or _derive_as_of(con, contract)
    con.execute("CREATE TABLE staging.params AS SELECT CAST(? AS DATE) AS as_of", [as_of])
    progress(f"as-of date (Datenstand): {as_of.isoformat()}")
    compute_all(con, progress=progress)
    if files.get("targets"):  # a target on an unknown metric or team stops the load (docs/goals.md)
        validate_targets(con, files["targets"].path.name, files["targets"].columns)
    finished = dt.datetime.now().replace(microsecond=0)
    _record_run(con, run_id, source, mapping, as_of, reports, files, started, finished)
    return LoadReport(run_id=run_id, db=str(db), as_of=as_of, tables=reports, started_at=started,
                      finished_at=finished)


def _copy_history(con: duckdb.DuckDBPyConnection, db: Path) -> int:
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


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _reject_and_count(con: duckdb.DuckDBPyConnection, run_id: int, table: Table,
                      src: SourceFile | None) -> TableReport:
    """Record blanked values, reject rows with an empty or duplicate key, and count."""
    t = _q(table.name)
    file_name = src.path.name if src else None
    key_raw = " || '|' || ".join(f"coalesce(clean(r.{_q(k)}), '')" for k in table.key)
    for col in table.columns:
        if col.type == "str":
            continue
        c = _q(col.name)
        con.execute(
            f"INSERT INTO load_rejects SELECT ?, ?, ?, r._line, ?, r.{c}, ?, {key_raw}, 'value_blanked'"
            f" FROM raw.{t} r JOIN staging.{t} s USING (_line) WHERE clean(r.{c}) IS NOT NULL AND s.{c} IS NULL",
            [run_id, table.name, file_name, col.name,
             f"not {TYPE_EXPECTATION[col.type]}; value left empty, row kept"])
    blanked = con.execute("SELECT count(*) FROM load_rejects WHERE run_id = ? AND table_name = ?"
                          " AND action = 'value_blanked'", [run_id, table.name]).fetchall()[0][0]
    key_typed = ", ".join(f"s.{_q(k)}" for k in table.key)
    any_null = " OR ".join(f"s.{_q(k)} IS NULL" for k in table.key)
    key_text = " || '|' || ".join(f"coalesce(CAST(s.{_q(k)} AS VARCHAR), '')" for k in table.key)
    key_names = ", ".join(table.key)
    con.execute(
        f"""
        INSERT INTO load_rejects
        WITH ranked AS (
            SELECT s._line, {key_raw} AS record_id, ({any_null}) AS key_missing, {key_text} AS key_text,
                   row_number() OVER (PARTITION BY {key_typed} ORDER BY s._line) AS nth,
                   min(s._line) OVER (PARTITION BY {key_typed}) AS first_line
            FROM staging.{t} s JOIN raw.{t} r USING (_line)
        )
        SELECT ?, ?, ?, _line, ?, record_id,
               CASE WHEN key_missing THEN 'the key (' || ? || ') is empty or unreadable; row not loaded'
                    ELSE 'duplicate key ' || key_text || ', first occurrence on line ' || first_line
                         || ' was loaded; this row not loaded' END,
               record_id, 'row_rejected'
        FROM ranked WHERE key_missing OR nth > 1
        """,
        [run_id, table.name, file_name, key_names, key_names],
    )
    con.execute(f"DELETE FROM staging.{t} WHERE _line IN (SELECT line FROM load_rejects WHERE run_id = ?"
                " AND table_name = ? AND action = 'row_rejected')", [run_id, table.name])
    if src and src.dropped_columns:
        con.executemany(
            "INSERT INTO load_rejects VALUES (?, ?, ?, NULL, ?, NULL, ?, NULL, 'column_dropped')",
            [[run_id, table.name, file_name, c, "column not in the data contract; dropped, never stored"]
             for c in src.dropped_columns])
    read = con.execute(f"SELECT count(*) FROM raw.{t}").fetchall()[0][0]
    loaded = con.execute(f"SELECT count(*) FROM staging.{t}").fetchall()[0][0]
    rejected = con.execute("SELECT count(*) FROM load_rejects WHERE run_id = ? AND table_name = ?"
                           " AND action = 'row_rejected'", [run_id, table.name]).fetchall()[0][0]
    if read != loaded + rejected:  # the promise "nothing is lost", checked on every load
        raise RuntimeError(f"{table.name}: {read} rows read but {loaded} loaded + {rejected} rejected")
    return TableReport(table=table.name, file=file_name, format=src.format if src else None,
                       encoding=src.encoding if src else None, delimiter=src.delimiter if src else None,
                       rows_read=read, rows_loaded=loaded, rows_rejected=rejected, values_blanked=blanked,
                       dropped_columns=list(src.dropped_columns) if src else [])


def _derive_as_of(con: duckdb.DuckDBPyConnection, contract: dict[str, Table]) -> dt.date:
    """The Datenstand: the latest ``recorded_at`` in the export."""
    parts = [f"SELECT max(recorded_at) AS m FROM staging.{_q(t.name)}"
             for t in contract.values() if "recorded_at" in t.column_names]
    latest = con.execute(f"SELECT max(m) FROM ({' UNION ALL '.join(parts)})").fetchall()[0][0]
    if latest is None:
        raise LoadError("(all files)", "no recorded_at value to derive the as-of date from",
                        expected="recorded_at values, or the option --as-of YYYY-MM-DD")
    return latest.date()


def _record_run(con: duckdb.DuckDBPyConnection, run_id: int, source: Path, mapping: Mapping, as_of: dt.date,
                reports: list[TableReport], files: dict[str, SourceFile | None], started: dt.datetime,
                finished: dt.datetime) -> None:
    file_info = [{"table": s.table, "file": s.path.name, "format": s.format, "encoding": s.encoding,
                  "delimiter": s.delimiter, "sha256": s.sha256, "size_bytes": s.size}
                 for s in files.values() if s]
    con.execute(
        "INSERT INTO load_runs VALUES (?, ?, ?, 'success', ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
        [run_id, started, finished, str(source.resolve()), mapping.source, as_of,
         sum(r.rows_read for r in reports), sum(r.rows_loaded for r in reports),
         sum(r.rows_rejected for r in reports), sum(r.values_blanked for r in reports),
         json.dumps(file_info, ensure_ascii=False)],
    )
    for r in reports:
        src = files[r.table]
        con.execute("INSERT INTO load_run_tables VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [run_id, r.table, r.file, r.format, r.encoding, r.delimiter, src.sha256 if src else None,
                     r.rows_read, r.rows_loaded, r.rows_rejected, r.values_blanked,
                     json.dumps(r.dropped_columns, ensure_ascii=False)])


def report_dict(report: LoadReport) -> dict:
    """A JSON-friendly form of the report (for ``--json`` and tests)."""
    data = asdict(report)
    data["as_of"] = report.as_of.isoformat()
    data["started_at"] = report.started_at.isoformat()
    data["finished_at"] = report.finished_at.isoformat()
    return data
