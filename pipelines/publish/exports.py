"""Exports of output tables (data contract, section 4): CSV, UTF-8, comma, ISO dates, NULL empty.

Exports read the database read-only, in the grain's order so two exports of the
same snapshot are byte-identical. Text cells that a spreadsheet would run as a
formula, also after a separator German Excel splits at, get an apostrophe (pipelines/spreadsheet.py).

Privacy (docs/datenschutz.md): ``metrics``, ``units``, ``dq`` and ``goals`` come from the read side
(``pipelines/publish/``) and leave the cells its protection hides empty (
``--no-suppression`` turns that off for an analyst's own work); ``events`` and
``findings`` carry keyed pseudonyms instead of person, case and record ids
(``pipelines/pseudonyms.py``) and refuse to run without a key.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.compute import OUTPUT_GRAIN
from pipelines.errors import LoadError
from pipelines.settings import Settings, load_settings
from pipelines.spreadsheet import UNSAFE_SQL, neutralise

# export name -> (table, order)
EXPORTS: dict[str, tuple[str, list[str]]] = {
    "metrics": ("metric_values", OUTPUT_GRAIN["metric_values"]),
    "units": ("unit_values", OUTPUT_GRAIN["unit_values"]),  # subtotals of the units (Bereiche)
    "dq": ("dq_results", OUTPUT_GRAIN["dq_results"]),
    "goals": ("goal_status", OUTPUT_GRAIN["goal_status"]),
    "backtest": ("goal_backtest", OUTPUT_GRAIN["goal_backtest"]),
    "catalog": ("metric_catalog", OUTPUT_GRAIN["metric_catalog"]),
    "rules": ("dq_rules", OUTPUT_GRAIN["dq_rules"]),
    "findings": ("dq_findings", OUTPUT_GRAIN["dq_findings"]),
    "runs": ("load_runs", OUTPUT_GRAIN["load_runs"]),
    "rejects": ("load_rejects", ["run_id", "table_name", "line", "column_name"]),
    "fixlist": ("dq_findings", []),
    "events": ("case_events", ["case_id", "event_index"]),  # process-mining event log (docs/case-progress.md)
}


def open_readonly(db: Path) -> duckdb.DuckDBPyConnection:
    if not Path(db).is_file():
        raise LoadError(str(db), "die Datenbank gibt es noch nicht", expected="zuerst 'steering load QUELLORDNER'")
    try:
        return duckdb.connect(str(db), read_only=True)
    except duckdb.Error as exc:
        raise LoadError(str(db), f"lässt sich nicht öffnen ({exc})",
                        expected="eine von 'steering load' geschriebene Datenbank") from None


def _safe_select(con: duckdb.DuckDBPyConnection, table: str, order: list[str]) -> str:
    """The table's rows in order, text that a spreadsheet would run as a formula neutralised
    (pipelines/spreadsheet.py; the Python function runs only on the rare values that need it)."""
    con.create_function("steering_neutralise", neutralise, ["VARCHAR"], "VARCHAR")
    cols = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'main'"
        " AND table_name = ? ORDER BY ordinal_position", [table]).fetchall()
    exprs = []
    for name, dtype in cols:
        q = '"' + name + '"'
        if dtype == "VARCHAR":
            exprs.append(f"CASE WHEN regexp_matches({q}, '{UNSAFE_SQL}') THEN steering_neutralise({q}) ELSE {q} END"
                         f" AS {q}")
        else:
            exprs.append(q)
    order_by = f" ORDER BY {', '.join(order)}" if order else ""
    return f"SELECT {', '.join(exprs)} FROM {table}{order_by}"


PSEUDONYMISED = {  # export -> {column: kind of id}
    "events": {"case_id": "case", "person_id": "person", "record_id": "record"},
    "findings": {"person_id": "person", "record_id": "record"},
}
PROTECTED = frozenset({"metrics", "units", "dq", "goals"})  # cells about fewer than k persons left empty (publish.py)



def _private_view(con: duckdb.DuckDBPyConnection, what: str, table: str, settings: Settings,
                  suppress: bool) -> str:
    """A temporary view of ``table`` with pseudonyms or with small cells left empty, or ``table`` itself."""
    if what in PSEUDONYMISED:
        from pipelines.pseudonyms import pseudonym, read_key

        key = read_key(settings)
        con.create_function("steering_pseudonym", lambda kind, value: pseudonym(key, kind, value),
                            ["VARCHAR", "VARCHAR"], "VARCHAR")
        replaced = ", ".join(f"steering_pseudonym('{kind}', {col}) AS {col}"
                             for col, kind in PSEUDONYMISED[what].items())
        con.execute(f"CREATE TEMP VIEW private_{table} AS SELECT * REPLACE ({replaced}) FROM {table}")
        return f"private_{table}"
    if what in PROTECTED and suppress:
        from pipelines.publish import Snapshot, Viewer

        snapshot = Snapshot(con.cursor, settings.privacy.min_cell_size)
        viewer = Viewer.cli(frozenset(snapshot.teams()["team_id"]) | {"__unassigned__"})
        if what == "metrics":
            frame = snapshot.all_metric_values(viewer)
        elif what == "units":
            frame = snapshot.all_unit_values(viewer)
        elif what == "dq":
            frame = snapshot.dq_results(viewer)
        else:
            frame = snapshot.goal_status(viewer)
        columns = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
        con.register("protected_frame", frame[columns])
        casts = ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, t in con.execute(
            f"SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '{table}'"
            " AND table_schema = 'main' ORDER BY ordinal_position").fetchall())
        con.execute(f"CREATE TEMP TABLE private_{table} AS SELECT {casts} FROM protected_frame")
        return f"private_{table}"
    return table


def export(what: str, db: Path, out: Path, team: str | None = None, *, settings: Settings | None = None,
           suppress: bool = True, fmt: str = "csv") -> int:
    """Write one export; returns the number of data rows written.

    ``suppress=False`` (``--no-suppression``) writes ``metrics``, ``dq`` and ``goals`` with small cells, for an
    analyst's own work; such a file must not be passed on.
    """
    if what not in EXPORTS:
        raise LoadError(what, "unbekannter Export", expected=", ".join(sorted(EXPORTS)))
    con = open_readonly(db)
    try:
        if what == "fixlist":
            from pipelines.publish import Snapshot, Viewer

            if not team:
                raise LoadError("--team", "die Korrekturliste gibt es je Team", expected="--team TEAM_ID")
            snapshot = Snapshot(con.cursor, (settings or load_settings()).privacy.min_cell_size)
            teams = frozenset(snapshot.teams()["team_id"]) | {"__unassigned__"}
            return snapshot.write_fix_list(Viewer.cli(teams), team, Path(out))
        if team:
            raise LoadError("--team", f"nur der Export fixlist nimmt ein Team, nicht {what}")
        table, order = EXPORTS[what]
        exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main'"
                             " AND table_name = ?", [table]).fetchall()[0][0]
        if not exists:
            raise LoadError(str(db), f"hat noch keine Tabelle {table}",
                            expected="eine mit dieser Version geladene Datenbank")
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        if fmt == "csv" and Path(out).suffix.lower() != ".csv":
            raise LoadError(str(out), "dieses Exportformat wird nicht unterstützt",
                            expected="eine .csv-Datei (oder --format parquet)")
        table = _private_view(con, what, table, settings or load_settings(), suppress)
        query = _safe_select(con, table, order)
        if fmt == "parquet":
            return _write_parquet(con, table, query, Path(out))
        con.execute(f"COPY ({query}) TO ? (FORMAT csv, HEADER true, DELIMITER ',', DATEFORMAT '%Y-%m-%d',"
                    " TIMESTAMPFORMAT '%Y-%m-%d %H:%M:%S')", [str(out)])
        return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    finally:
        con.close()


def _write_parquet(con: duckdb.DuckDBPyConnection, table: str, query: str, out: Path) -> int:
    """A folder of Parquet files, Hive-partitioned by month where the table has months.

    Why partitioned: bigger analyses (a federal state's job centers) read only the
    months they need, with DuckDB, Spark or pandas, straight from the folder.
    """
    if out.exists() and any(out.iterdir()):
        raise LoadError(str(out), "der Zielordner ist nicht leer",
                        expected="einen neuen oder leeren Ordner für Parquet")
    out.mkdir(parents=True, exist_ok=True)
    columns = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
    if "month" in columns:
        con.execute(f"COPY ({query}) TO ? (FORMAT parquet, PARTITION_BY (month), OVERWRITE_OR_IGNORE)", [str(out)])
    else:
        con.execute(f"COPY ({query}) TO ? (FORMAT parquet)", [str(out / f"{table}.parquet")])
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
