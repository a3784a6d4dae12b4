"""Build core tables and marts from the staging layer.

Order: the contract's column labels (``core.contract_columns``) and core tables
(``sql/core``) -> quality rules (``sql/rules``, giving ``dq_findings``/``dq_results``/
``dq_rules``) -> metrics (``sql/metrics``, giving ``metric_values``/``metric_catalog``;
``dq_score`` reads ``dq_results``) -> marts that read those tables (``sql/marts``, e.g.
goal status, which reads ``metric_values`` and ``metric_catalog``, and the fix list,
which reads ``dq_findings``, ``dq_rules`` and the loader's ``load_rejects``).
Every step is one set-based SQL statement; Python only orders and collects.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.contract import CONTRACT_FILE, load_contract, load_type_labels
from pipelines.sqlmodels import SQL_DIR, SqlModel, SqlModelError, build_table, discover

Progress = Callable[[str], None]

METRIC_COLUMNS = "team_id, month, metric_id, value, numerator, denominator"
# The columns every rule returns, cast as a typed table would store them.
RULE_COLUMNS = ("table_name::VARCHAR AS table_name, record_id::VARCHAR AS record_id,"
                " person_id::VARCHAR AS person_id, team_id::VARCHAR AS team_id, month::DATE AS month,"
                " failed::BOOLEAN AS failed")
# metric_catalog: column -> type; the header key of the same name (``id`` for metric_id) fills it.
CATALOG_COLUMNS: dict[str, str] = {
    "metric_id": "VARCHAR", "label_de": "VARCHAR", "label_en": "VARCHAR", "unit": "VARCHAR",
    "direction": "VARCHAR", "definition_de": "VARCHAR", "theme_de": "VARCHAR", "display_order": "INTEGER",
    "key_figure": "BOOLEAN", "team_table": "BOOLEAN", "goal_kind": "VARCHAR", "goal_capable": "BOOLEAN",
    "tracked_metric_id": "VARCHAR", "signed": "BOOLEAN", "protected_by": "VARCHAR", "protect": "VARCHAR",
    "ready_after": "VARCHAR", "count_noun_de": "VARCHAR",
    "stands_in_for": "VARCHAR",
}
# The columns of load_rejects the fix list reads (the loader writes the table, pipelines/runlog.py).
LOAD_REJECTS_READ = ("run_id BIGINT, table_name VARCHAR, record_id VARCHAR, column_name VARCHAR,"
                     " raw_value VARCHAR, action VARCHAR")

# Grain of every output table: the columns that make a row unique.
OUTPUT_GRAIN: dict[str, list[str]] = {
    "metric_values": ["team_id", "month", "metric_id"],
    "unit_values": ["unit", "month", "metric_id"],
    "metric_catalog": ["metric_id"],
    "dq_results": ["team_id", "month", "rule_id"],
    "dq_findings": ["rule_id", "table_name", "record_id", "month"],
    "dq_rules": ["rule_id"],
    "goal_status": ["year", "team_id", "metric_id"],
    "goal_backtest": ["metric_id", "team_id", "month_position"],
    "fix_list": ["rule_id", "table_name", "record_id", "month"],
    "load_runs": ["run_id"],
}


def _noop(_: str) -> None:
    return None


def compute_all(
    con: duckdb.DuckDBPyConnection, sql_dir: Path = SQL_DIR, progress: Progress = _noop
) -> None:
    """Run core, rules, metrics and marts on a database whose staging layer is loaded."""
    models = discover(sql_dir, layers=("core", "rules", "metrics", "marts"))
    tables = [m for m in models if m.kind == "table" and m.layer == "core"]
    rules = [m for m in models if m.kind == "rule"]
    metrics = [m for m in models if m.kind == "metric"]
    marts = [m for m in models if m.kind == "table" and m.layer != "core"]
    contract = sql_dir / "staging" / "contract.yaml"
    build_contract_columns(con, contract if contract.is_file() else CONTRACT_FILE)
    for model in tables:
        progress(f"Kern: {model.name}")
        build_table(con, model)
    build_rules(con, rules, progress)
    build_metrics(con, metrics, progress)
    # load_rejects is written by the loader before compute_all; a database computed without one has
    # no blanked values: the marts then read an empty stand-in that lives only as long as the connection.
    stand_in = not _has_table(con, "main", "load_rejects")
    if stand_in:
        con.execute(f"CREATE OR REPLACE TEMP TABLE load_rejects ({LOAD_REJECTS_READ})")
    try:
        for model in marts:
            progress(f"Auswertungen: {model.name}")
            build_table(con, model)
    finally:
        if stand_in:
            con.execute("DROP TABLE IF EXISTS temp.load_rejects")
    from pipelines.survival import build_survival  # Kaplan–Meier (lifelines) on marts.case_durations

    build_survival(con, progress)


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_catalog = current_database()"
                            " AND table_schema = ? AND table_name = ?", [schema, table]).fetchall()[0][0])


def build_contract_columns(con: duckdb.DuckDBPyConnection, path: Path = CONTRACT_FILE) -> None:
    """``core.contract_columns``: every column of the data contract with its type and German labels.

    Data from ``sql/staging/contract.yaml`` (``label_de`` per column, ``types:`` for the type
    labels), so SQL can name a field in German (the fix list) without a Python dict.
    """
    type_labels = load_type_labels(path)
    con.execute("CREATE SCHEMA IF NOT EXISTS core")
    con.execute("CREATE OR REPLACE TABLE core.contract_columns (table_name VARCHAR, column_name VARCHAR,"
                " type VARCHAR, label_de VARCHAR, type_label_de VARCHAR)")
    con.executemany("INSERT INTO core.contract_columns VALUES (?, ?, ?, ?, ?)",
                    [[t.name, c.name, c.type, c.label_de, type_labels.get(c.type)]
                     for t in load_contract(path).values() for c in t.columns])


def build_rules(con: duckdb.DuckDBPyConnection, rules: list[SqlModel], progress: Progress = _noop) -> None:
    """Evaluate every rule; keep failing rows as findings and counts as results.

    Each rule is evaluated once and reduced on the fly to one row per (team_id, month)
    holding its checked/failed counts and, as a list, its failing rows: the millions of
    passing rows are never stored, and the final tables read only these small rows.
    """
    con.execute(
        "CREATE OR REPLACE TABLE dq_rules (rule_id VARCHAR, dimension VARCHAR, table_name VARCHAR,"
        " label_de VARCHAR, description_de VARCHAR, population VARCHAR, fields VARCHAR[])"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _rule_counts (rule_id VARCHAR, team_id VARCHAR, month DATE,"
        " checked BIGINT, failed BIGINT,"
        " findings STRUCT(table_name VARCHAR, record_id VARCHAR, person_id VARCHAR)[])"
    )
    for rule in rules:
        progress(f"Regeln: {rule.meta['rule_id']}")
        meta = rule.meta
        con.execute(
            "INSERT INTO dq_rules VALUES (?, ?, ?, ?, ?, ?, ?::VARCHAR[])",
            [meta["rule_id"], meta["dimension"], meta["table_name"], meta["label_de"], meta["description_de"],
             meta["population"], meta["fields"]],
        )
        con.execute(
            f"""
            INSERT INTO _rule_counts
            SELECT ?, team_id, month, count(*), count(*) FILTER (WHERE failed),
                   list({{'table_name': table_name, 'record_id': record_id, 'person_id': person_id}})
                       FILTER (WHERE failed)
            FROM (SELECT {RULE_COLUMNS} FROM ({rule.body}))
            GROUP BY team_id, month
            """,
            [meta["rule_id"]],
        )
    con.execute(
        """
        CREATE OR REPLACE TABLE dq_findings AS
        SELECT rule_id, f.table_name AS table_name, f.record_id AS record_id, f.person_id AS person_id, team_id, month
        FROM (SELECT rule_id, team_id, month, unnest(findings) AS f FROM _rule_counts)
        ORDER BY rule_id, month, team_id, table_name, record_id
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TABLE dq_results AS
        WITH grid AS (
            SELECT t.team_id, c.month, r.rule_id
            FROM (SELECT team_id FROM core.team_list) t, core.calendar c, dq_rules r
        ),
        per_team AS (
            SELECT team_id, month, rule_id, checked, failed FROM _rule_counts
        ),
        whole AS (
            SELECT '__all__' AS team_id, month, rule_id, sum(checked) AS checked, sum(failed) AS failed
            FROM _rule_counts GROUP BY ALL
        ),
        counted AS (SELECT * FROM per_team UNION ALL SELECT * FROM whole)
        SELECT g.team_id, g.month, g.rule_id,
               coalesce(c.checked, 0)::BIGINT AS checked, coalesce(c.failed, 0)::BIGINT AS failed
        FROM grid g LEFT JOIN counted c USING (team_id, month, rule_id)
        ORDER BY g.rule_id, g.month, g.team_id
        """
    )
    con.execute("DROP TABLE _rule_counts")


def check_catalog(metrics: list[SqlModel]) -> None:
    """What no single header can check: ids and display orders unique, tracked metrics known, themes in one block.

    Each entry itself is checked when its file is parsed (``sqlmodels._metric_sheet``).
    """
    sheets = [(model.path, sheet) for model in metrics for sheet in model.meta["metrics"]]
    for key in ("id", "display_order"):
        seen: dict[object, Path] = {}
        for path, sheet in sheets:
            if sheet[key] in seen:
                raise SqlModelError(f"{path}: {key} {sheet[key]!r} is used twice (also in {seen[sheet[key]]})")
            seen[sheet[key]] = path
    ids = {sheet["id"] for _, sheet in sheets}
    for path, sheet in sheets:
        if sheet["tracked_metric_id"] not in ids:
            raise SqlModelError(f"{path}: metric {sheet['id']!r}: tracked_metric_id {sheet['tracked_metric_id']!r}"
                                " is not a metric")
    themes: list[str] = []  # in display order, each once
    previous: dict = {}
    for path, sheet in sorted(sheets, key=lambda ps: ps[1]["display_order"]):
        theme = sheet["theme_de"]
        if not themes or theme != themes[-1]:
            if theme in themes:
                raise SqlModelError(
                    f"{path}: metric {sheet['id']!r}: theme {theme!r} is split by display_order; its metrics must"
                    f" follow one another, but {previous['id']!r} (theme {previous['theme_de']!r}, display_order"
                    f" {previous['display_order']}) comes between")
            themes.append(theme)
        previous = sheet


def build_metrics(con: duckdb.DuckDBPyConnection, metrics: list[SqlModel], progress: Progress = _noop) -> None:
    """Append every metric file's rows to ``metric_values`` and its fact sheets to the catalogue."""
    check_catalog(metrics)
    columns = ", ".join(f"{name} {kind}" for name, kind in CATALOG_COLUMNS.items())
    con.execute(f"CREATE OR REPLACE TABLE metric_catalog ({columns})")
    con.execute(
        "CREATE OR REPLACE TABLE metric_values (team_id VARCHAR, month DATE, metric_id VARCHAR,"
        " value DOUBLE, numerator DOUBLE, denominator DOUBLE)"
    )
    for model in metrics:
        ids = []
        for sheet in model.meta["metrics"]:
            ids.append(sheet["id"])
            con.execute(
                f"INSERT INTO metric_catalog VALUES ({', '.join('?' for _ in CATALOG_COLUMNS)})",
                [json.dumps(sheet[name], sort_keys=True) if name == "protect" else sheet["id" if name == "metric_id"
                 else name] for name in CATALOG_COLUMNS],
            )
        progress(f"Kennzahlen: {', '.join(ids)}")
        con.execute(f"INSERT INTO metric_values SELECT {METRIC_COLUMNS} FROM ({model.body})")
        produced = {r[0] for r in con.execute(
            "SELECT DISTINCT metric_id FROM metric_values WHERE metric_id IN (SELECT unnest(?))", [ids]
        ).fetchall()}
        if produced != set(ids) and con.execute("SELECT count(*) FROM core.calendar").fetchall()[0][0]:
            raise SqlModelError(f"{model.path}: declared {sorted(ids)} but produced {sorted(produced)}")
    con.execute(
        "CREATE OR REPLACE TABLE metric_values AS SELECT * FROM metric_values ORDER BY metric_id, month, team_id"
    )


def catalog_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The metric catalogue as a DataFrame (used by exports and the dashboard builder)."""
    return con.execute("SELECT * FROM metric_catalog ORDER BY metric_id").df()
