"""Exports of output tables (data contract, section 4): CSV, UTF-8, comma, ISO dates, NULL empty.

Exports read the database read-only, in the grain's order so two exports of the
same snapshot are byte-identical. Text cells that a spreadsheet would run as a
formula (starting with ``=``, ``+``, ``-``, ``@``) get a leading apostrophe.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.compute import OUTPUT_GRAIN
from pipelines.errors import LoadError

# export name -> (table, order)
EXPORTS: dict[str, tuple[str, list[str]]] = {
    "metrics": ("metric_values", OUTPUT_GRAIN["metric_values"]),
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
FORMULA_START = "^[=+\\-@\t\r]"


def open_readonly(db: Path) -> duckdb.DuckDBPyConnection:
    if not Path(db).is_file():
        raise LoadError(str(db), "the database does not exist yet", expected="run 'steering load SOURCE_DIR' first")
    try:
        return duckdb.connect(str(db), read_only=True)
    except duckdb.Error as exc:
        raise LoadError(str(db), f"cannot be opened ({exc})",
                        expected="a database written by 'steering load'") from None


def _safe_select(con: duckdb.DuckDBPyConnection, table: str, order: list[str]) -> str:
    cols = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'main'"
        " AND table_name = ? ORDER BY ordinal_position", [table]).fetchall()
    exprs = []
    for name, dtype in cols:
        q = '"' + name + '"'
        if dtype == "VARCHAR":
            exprs.append(f"CASE WHEN regexp_matches({q}, '{FORMULA_START}') THEN '''' || {q} ELSE {q} END AS {q}")
        else:
            exprs.append(q)
    order_by = f" ORDER BY {', '.join(order)}" if order else ""
    return f"SELECT {', '.join(exprs)} FROM {table}{order_by}"


def export(what: str, db: Path, out: Path, team: str | None = None) -> int:
    """Write one export; returns the number of data rows written."""
    if what not in EXPORTS:
        raise LoadError(what, "unknown export", expected=", ".join(sorted(EXPORTS)))
    con = open_readonly(db)
    try:
        if what == "fixlist":
            from pipelines.fixlist import write_fixlist

            if not team:
                raise LoadError("--team", "the fix list is per team", expected="--team TEAM_ID")
            return write_fixlist(con, team, Path(out))
        if team:
            raise LoadError("--team", f"only the fixlist export takes a team, not {what}")
        table, order = EXPORTS[what]
        exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main'"
                             " AND table_name = ?", [table]).fetchall()[0][0]
        if not exists:
            raise LoadError(str(db), f"has no table {table} yet", expected="a database loaded by this version")
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        if Path(out).suffix.lower() != ".csv":
            raise LoadError(str(out), "unsupported export format", expected="a .csv file")
        query = _safe_select(con, table, order)
        con.execute(f"COPY ({query}) TO ? (FORMAT csv, HEADER true, DELIMITER ',', DATEFORMAT '%Y-%m-%d',"
                    " TIMESTAMPFORMAT '%Y-%m-%d %H:%M:%S')", [str(out)])
        return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    finally:
        con.close()
