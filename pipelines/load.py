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
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from pipelines import archive
from pipelines.agreements import backup_after_load
from pipelines.compute import compute_all
from pipelines.contract import Table, load_contract
from pipelines.dateranges import DateRanges, blank_implausible, derive_as_of
from pipelines.errors import LoadError, german_count, is_write_failure
from pipelines.goals import validate_targets
from pipelines.mapping import Mapping, read_mapping
from pipelines.publish import store_protection
from pipelines.readers import FORMATS, SourceFile, find_source_file, inside, read_into_raw
from pipelines.rejects import TableReport, refuse_all_rejected, reject_and_count
from pipelines.runlog import LOAD_RUNS_DDL, copy_history, failures_log, log_failure, record_run
from pipelines.settings import Settings, load_settings
from pipelines.sqlmodels import SQL_DIR, build_table, discover

Progress = Callable[[str], None]

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


def load_folder(source: Path, db: Path, as_of: dt.date | None = None, mapping: Path | None = None,
                settings: Settings | None = None, progress: Progress = _noop) -> LoadReport:
    """Validate, load and compute a source folder into ``db``; raise LoadError on bad input."""
    settings = settings or load_settings()
    source, db = Path(source), Path(db)
    started = dt.datetime.now().replace(microsecond=0)
    try:
        return _load(source, db, as_of, mapping, settings, progress, started)
    except Exception as exc:
        log_failure(db, source, started, exc)
        raise


def _check_target(db: Path) -> None:
    """Refuse to replace a file that is not one of our databases."""
    if not db.exists():
        return
    if db.is_dir():
        raise LoadError(str(db), "der Pfad der Datenbank ist ein Ordner", expected="den Pfad einer .duckdb-Datei")
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error as exc:
        raise LoadError(str(db), f"die Datei gibt es, sie lässt sich aber nicht als DuckDB-Datenbank öffnen "
                        f"({exc}); sie wird nicht überschrieben",
                        expected="eine von 'steering load' geschriebene Datenbank") from None
    try:
        tables = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
    finally:
        con.close()
    if tables and "load_runs" not in tables:
        raise LoadError(str(db), "die Datei gibt es und sie enthält andere Tabellen, sie ist keine Datenbank des "
                        "Steuerungsdashboards; sie wird nicht überschrieben",
                        expected="eine von 'steering load' geschriebene Datenbank")


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
            raise LoadError(f"{name}.csv", f"die Pflichttabelle {name} fehlt im Quellordner",
                            expected=f"eine Datei {name}.csv, {name}.xlsx oder {name}.parquet "
                            "(oder einen Eintrag 'file:' in mapping.yaml)")
        files[name] = SourceFile(table=name, path=path, format=FORMATS[path.suffix.lower()])
    return files


def _load(source: Path, db: Path, as_of: dt.date | None, mapping_path: Path | None, settings: Settings,
          progress: Progress, started: dt.datetime) -> LoadReport:
    if not source.is_dir():
        raise LoadError(str(source), "den Quellordner gibt es nicht", expected="einen Ordner mit den Exportdateien")
    contract = load_contract()
    if mapping_path is None and (source / "mapping.yaml").is_file():
        mapping_path = inside(source, source / "mapping.yaml")  # the folder's own mapping, not a link out of it
    if mapping_path is not None and not Path(mapping_path).is_file():
        raise LoadError(str(mapping_path), "die Zuordnungsdatei gibt es nicht", expected="eine mapping.yaml")
    mapping = read_mapping(Path(mapping_path) if mapping_path else None, contract)
    files = _locate_files(source, contract, mapping)
    max_bytes = settings.load.max_file_mb * 1024 * 1024
    for src in files.values():
        if src and src.path.stat().st_size > max_bytes:
            raise LoadError(src.path.name, f"die Datei ist größer als load.max_file_mb = {settings.load.max_file_mb}",
                            expected="einen kleineren Export oder eine höhere Grenze in der Konfiguration")
    try:
        db.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LoadError(str(db), f"der Ordner der Datenbank lässt sich nicht anlegen ({exc.strerror})",
                        expected="einen beschreibbaren Ordner") from None
    _check_target(db)
    with _exclusive(db):
        _clean_stale(db, settings)
        return _build_and_swap(source, db, files, contract, mapping, as_of, settings, progress, started)


@contextlib.contextmanager
def _exclusive(db: Path) -> Iterator[None]:
    """One load per database at a time: a second one would race the first to the swap."""
    lock = db.with_name(f".{db.name}.lock")
    with lock.open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LoadError(str(db), "in diese Datenbank wird gerade schon geladen",
                            expected="einen Ladelauf zur Zeit; erneut versuchen, wenn er fertig ist") from None
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


def _clean_stale(db: Path, settings: Settings) -> None:
    """Remove what a killed load left behind (its temporary snapshot, work folder and staged archive figures).

    Runs under the load's exclusive lock on ``db``: no other load of this database is running, so a staged
    archive folder still there was left by one that died between staging and publishing.
    """
    archived = archive.archive_dir(db, settings)
    if archived.is_dir():
        for path in archived.glob(".staging-*"):
            shutil.rmtree(path, ignore_errors=True)
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
        con.execute("DETACH raw")  # the in-memory raw text (see _build); nothing after the load needs it
        con.execute("CHECKPOINT")
        con.close()
        progress(f"der neue Datenstand ersetzt {db}")
        db.with_name(db.name + ".wal").unlink(missing_ok=True)
        os.replace(tmp, db)
        failures_log(db).unlink(missing_ok=True)
        try:
            progress(f"archiviert als Datenstand {archive.publish(staged, settings).name}")
            staged = None
        except OSError as exc:  # the new snapshot is live; only its archive copy is missing
            progress(f"Warnung: das Archiv des Datenstands ließ sich nicht schreiben ({exc})")
        backup_after_load(db, settings, progress)  # the agreements store, never rebuilt (pipelines/agreements.py)
        return report
    except (OSError, duckdb.Error) as exc:
        if not (is_write_failure(exc) or isinstance(exc, duckdb.OutOfMemoryException)):
            raise
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise LoadError(str(db), f"das Laden ließ sich nicht abschließen ({first}); der bisherige Datenstand ist "
                        "unverändert", expected="genug freien Plattenplatz und Arbeitsspeicher und einen "
                        "beschreibbaren Ordner neben der Datenbank (siehe database.memory_limit und "
                        "database.temp_directory)") from None
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
    custom = f"try_strptime(clean(v), '{mapping.date_format}')" if mapping.date_format else "NULL"
    sql = sql.replace("{custom_date}", custom).replace("{custom_datetime}", custom)
    con.execute(sql)


def _build(con: duckdb.DuckDBPyConnection, source: Path, db: Path, files: dict[str, SourceFile | None],
           contract: dict[str, Table], mapping: Mapping, as_of: dt.date | None, settings: Settings,
           progress: Progress, started: dt.datetime, work_dir: Path) -> LoadReport:
    # The raw text lives in an in-memory catalog named `raw` (spilling to the temp directory
    # under a memory limit): only staging and the reject report read it, and writing all input
    # text into the snapshot file cost as much as reading it (1.2 s of 2.4 s for 2.7 M contacts).
    con.execute("ATTACH ':memory:' AS raw; CREATE SCHEMA staging;")
    con.execute(LOAD_RUNS_DDL)
    run_id = copy_history(con, db)
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
            progress(f"{name}: keine Datei (optional), leere Tabelle")
            continue
        progress(f"lese {src.path.name} ...")
        read_into_raw(con, src, table, mapping, settings.load.encodings, work_dir, settings.load.max_line_kb,
                      settings.load.time_zone)
        detail = ", ".join(x for x in (src.format, src.encoding, f"'{src.delimiter}'" if src.delimiter else None) if x)
        progress(f"{src.path.name}: {german_count(src.rows_read)} Zeilen gelesen ({detail})")
    progress("Aufbereitung: Werte typisieren, Schlüssel prüfen")
    for model in discover(layers=("staging",)):
        build_table(con, model)
    reports = [reject_and_count(con, run_id, contract[name], src) for name, src in files.items()]
    ranges = DateRanges.parse(settings.load.date_ranges)
    as_of = as_of or _derive_as_of(con, contract, ranges)
    loaded_tables = [contract[name] for name, src in files.items() if src is not None]
    blank_implausible(con, run_id, loaded_tables, {r.table: r for r in reports}, ranges, as_of)
    refuse_all_rejected(con, loaded_tables, files)
    for name in files:  # the raw text has served; free its memory before the compute
        con.execute(f'DROP TABLE raw."{name}"')
    con.execute("CREATE TABLE staging.params AS SELECT CAST(? AS DATE) AS as_of", [as_of])
    progress(f"Datenstand: {as_of:%d.%m.%Y}")
    compute_all(con, progress=progress)
    if files.get("targets"):  # a target on an unknown metric or team stops the load (docs/goals.md)
        validate_targets(con, files["targets"].path.name, files["targets"].columns)
    progress("Datenschutz: kleine Fallzahlen über verknüpfte Zahlen hinweg ausblenden")
    store_protection(con, settings.privacy.min_cell_size)
    finished = dt.datetime.now().replace(microsecond=0)
    record_run(con, run_id, source, mapping, as_of, reports, files, started, finished)
    return LoadReport(run_id=run_id, db=str(db), as_of=as_of, tables=reports, started_at=started,
                      finished_at=finished)


def _derive_as_of(con: duckdb.DuckDBPyConnection, contract: dict[str, Table], ranges: DateRanges) -> dt.date:
    """The Datenstand: the latest plausible ``recorded_at`` in the export (pipelines/dateranges.py)."""
    latest = derive_as_of(con, contract, ranges, dt.date.today())
    if latest is None:
        raise LoadError("(alle Dateien)", "kein Wert in recorded_at, aus dem sich der Datenstand ableiten ließe",
                        expected="Werte in recorded_at oder die Option --as-of JJJJ-MM-TT")
    return latest.date()


def report_dict(report: LoadReport) -> dict:
    """A JSON-friendly form of the report (for ``--json`` and tests)."""
    data = asdict(report)
    data["as_of"] = report.as_of.isoformat()
    data["started_at"] = report.started_at.isoformat()
    data["finished_at"] = report.finished_at.isoformat()
    return data
