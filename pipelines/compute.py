"""Build core tables and marts from the staging layer.

Order: core tables (``sql/core``) -> quality rules (``sql/rules``, giving
``dq_findings``/``dq_results``/``dq_rules``) -> metrics (``sql/metrics``, giving
``metric_values``/``metric_catalog``; ``dq_score`` reads ``dq_results``) ->
marts that read metric_values (``sql/marts``, e.g. goal status).
Every step is one set-based SQL statement; Python only orders and collects.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.sqlmodels import SQL_DIR, SqlModel, SqlModelError, build_table, discover

Progress = Callable[[str], None]

METRIC_COLUMNS = "team_id, month, metric_id, value, numerator, denominator"
# The columns every rule returns, cast as a typed table would store them.
RULE_COLUMNS = ("table_name::VARCHAR AS table_name, record_id::VARCHAR AS record_id,"
                " person_id::VARCHAR AS person_id, team_id::VARCHAR AS team_id, month::DATE AS month,"
                " failed::BOOLEAN AS failed")

# Grain of every output table: the columns that make a row unique.
OUTPUT_GRAIN: dict[str, list[str]] = {
    "metric_values": ["team_id", "month", "metric_id"],
    "metric_catalog": ["metric_id"],
    "dq_results": ["team_id", "month", "rule_id"],
    "dq_findings": ["rule_id", "table_name", "record_id", "month"],
    "dq_rules": ["rule_id"],
    "goal_status": ["year", "team_id", "metric_id"],
    "goal_backtest": ["metric_id", "team_id", "month_position"],
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
    for model in tables:
        progress(f"core: {model.name}")
        build_table(con, model)
    build_rules(con, rules, progress)
    build_metrics(con, metrics, progress)
    for model in marts:
        progress(f"marts: {model.name}")
        build_table(con, model)
    from pipelines.survival import build_survival  # Kaplan–Meier (lifelines) on marts.case_durations

    build_survival(con, progress)


def build_rules(con: duckdb.DuckDBPyConnection, rules: list[SqlModel], progress: Progress = _noop) -> None:
    """Evaluate every rule; keep failing rows as findings and counts as results.

    Each rule is evaluated once and reduced on the fly to one row per (team_id, month)
    holding its checked/failed counts and, as a list, its failing rows: the millions of
    passing rows are never stored, and the final tables read only these small rows.
    """
    con.execute(
        "CREATE OR REPLACE TABLE dq_rules (rule_id VARCHAR, dimension VARCHAR, table_name VARCHAR,"
        " label_de VARCHAR, description_de VARCHAR)"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _rule_counts (rule_id VARCHAR, team_id VARCHAR, month DATE,"
        " checked BIGINT, failed BIGINT,"
        " findings STRUCT(table_name VARCHAR, record_id VARCHAR, person_id VARCHAR)[])"
    )
    for rule in rules:
        progress(f"rules: {rule.meta['rule_id']}")
        meta = rule.meta
        con.execute(
            "INSERT INTO dq_rules VALUES (?, ?, ?, ?, ?)",
            [meta["rule_id"], meta["dimension"], meta["table_name"], meta["label_de"], meta["description_de"]],
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


def build_metrics(con: duckdb.DuckDBPyConnection, metrics: list[SqlModel], progress: Progress = _noop) -> None:
    """Append every metric file's rows to ``metric_values`` and its fact sheets to the catalogue."""
    con.execute(
        "CREATE OR REPLACE TABLE metric_catalog (metric_id VARCHAR, label_de VARCHAR, label_en VARCHAR,"
        " unit VARCHAR, direction VARCHAR, definition_de VARCHAR)"
    )
    con.execute(
        "CREATE OR REPLACE TABLE metric_values (team_id VARCHAR, month DATE, metric_id VARCHAR,"
        " value DOUBLE, numerator DOUBLE, denominator DOUBLE)"
    )
    for model in metrics:
        ids = []
        for sheet in model.meta["metrics"]:
            ids.append(sheet["id"])
            con.execute(
                "INSERT INTO metric_catalog VALUES (?, ?, ?, ?, ?, ?)",
                [sheet["id"], sheet["label_de"], sheet["label_en"], sheet["unit"], sheet["direction"],
                 str(sheet["definition_de"]).strip()],
            )
        progress(f"metrics: {', '.join(ids)}")
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
