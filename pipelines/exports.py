"""Exports of output tables (data contract, section 4): CSV, UTF-8, comma, ISO dates, NULL empty.

Exports read the database read-only, in the grain's order so two exports of the
same snapshot are byte-identical. Text cells that a spreadsheet would run as a
formula (starting with ``=``, ``+``, ``-``, ``@``) get a leading apostrophe.

Privacy (docs/datenschutz.md): ``metrics``, ``dq`` and ``goals`` leave cells about fewer
than ``privacy.min_cell_size`` persons empty (``pipelines/suppression.py``;
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


PSEUDONYMISED = {  # export -> {column: kind of id}
    "events": {"case_id": "case", "person_id": "person", "record_id": "record"},
    "findings": {"person_id": "person", "record_id": "record"},
}
SUPPRESSED = {  # export -> (grouping of the cells that add up to __all__, size column or None for metrics)
    "metrics": (["month", "metric_id"], None),
    "dq": (["month", "rule_id"], "checked"),
}
SUPPRESSIBLE = frozenset({*SUPPRESSED, "goals"})  # goals: pipelines.goals.protected_goal_status


def _private_view(con: duckdb.DuckDBPyConnection, what: str, table: str, settings: Settings,
                  suppress: bool) -> str:
    """A temporary view of ``table`` with pseudonyms or suppressed cells, or ``table`` itself."""
    if what in PSEUDONYMISED:
        from pipelines.pseudonyms import pseudonym, read_key

        key = read_key(settings)
        con.create_function("steering_pseudonym", lambda kind, value: pseudonym(key, kind, value),
                            ["VARCHAR", "VARCHAR"], "VARCHAR")
        replaced = ", ".join(f"steering_pseudonym('{kind}', {col}) AS {col}"
                             for col, kind in PSEUDONYMISED[what].items())
        con.execute(f"CREATE TEMP VIEW private_{table} AS SELECT * REPLACE ({replaced}) FROM {table}")
        return f"private_{table}"
    if what == "goals" and suppress:
        from pipelines.goals import protected_goal_status

        frame = protected_goal_status(con, settings.privacy.min_cell_size).drop(columns="suppressed")
        con.register("protected_goals", frame)
        con.execute(f"CREATE TEMP VIEW private_{table} AS SELECT * FROM protected_goals")
        return f"private_{table}"
    if what in SUPPRESSED and suppress:
        from pipelines import suppression

        grouping, size = SUPPRESSED[what]
        keys = ["team_id", *grouping]
        frame = con.execute(f"SELECT * FROM {table}").df()
        if size is None:  # metric_values: the group size depends on the metric's unit
            units = dict(con.execute("SELECT metric_id, unit FROM metric_catalog").fetchall())
            frame = frame.assign(_size=suppression.metric_group_size(frame, units))
            size = "_size"
        mask = suppression.suppression_mask(frame, size, [grouping], settings.privacy.min_cell_size,
                                            is_total=frame["team_id"] == suppression.ALL)
        flags = frame.loc[mask.to_numpy(), keys]
        con.register("suppressed_cells", flags)
        blank = {"metrics": ["value", "numerator", "denominator"], "dq": ["checked", "failed"]}[what]
        on = " AND ".join(f"f.{k} = t.{k}" if k != "month" else "CAST(f.month AS DATE) = t.month" for k in keys)
        replaced = ", ".join(f"CASE WHEN f.team_id IS NULL THEN t.{c} END AS {c}" for c in blank)
        con.execute(f"CREATE TEMP VIEW private_{table} AS SELECT t.* REPLACE ({replaced}) FROM {table} t"
                    f" LEFT JOIN suppressed_cells f ON {on}")
        return f"private_{table}"
    return table


def export(what: str, db: Path, out: Path, team: str | None = None, *, settings: Settings | None = None,
           suppress: bool = True, fmt: str = "csv") -> int:
    """Write one export; returns the number of data rows written.

    ``suppress=False`` (``--no-suppression``) writes ``metrics``, ``dq`` and ``goals`` with small cells, for an
    analyst's own work; such a file must not be passed on.
    """
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
        if fmt == "csv" and Path(out).suffix.lower() != ".csv":
            raise LoadError(str(out), "unsupported export format", expected="a .csv file (or --format parquet)")
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
        raise LoadError(str(out), "the target folder is not empty", expected="a new or empty folder for Parquet")
    out.mkdir(parents=True, exist_ok=True)
    columns = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
    if "month" in columns:
        con.execute(f"COPY ({query}) TO ? (FORMAT parquet, PARTITION_BY (month), OVERWRITE_OR_IGNORE)", [str(out)])
    else:
        con.execute(f"COPY ({query}) TO ? (FORMAT parquet)", [str(out / f"{table}.parquet")])
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
