"""Goals (Zielsteuerung): check the loaded targets and write a template for next year's.

The goal figures themselves are SQL (``sql/marts/goal_*.sql``): ``goal_status``
per target, the December forecast in ``marts.goal_forecast`` and its backtest in
``goal_backtest``; docs/goals.md explains them. This module holds the two steps
around them that talk to the analyst:

* ``validate_targets`` stops a load whose targets name a metric or team that does
  not exist: such a target is almost always a typo, and it would otherwise never
  show up anywhere.
* ``write_targets_template`` writes a targets file for a year with every team and
  goal-capable metric filled in and last year's figures beside them, so nobody
  has to guess column names or metric ids.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import duckdb

from pipelines.errors import LoadError
from pipelines.spreadsheet import neutralise

ALL_TEAMS = "__all__"
UNASSIGNED = "__unassigned__"
FIRST_YEAR, LAST_YEAR = 2000, 2099  # a year outside is a typo (26, 20226), not a target
TEMPLATE_DELIMITER = ";"  # German Excel opens ';' files with a double click; the loader sniffs it


def _header(columns: dict[str, str] | None, column: str) -> str:
    """The column as the analyst's file calls it, e.g. ``Kennzahl (metric_id)``."""
    source = (columns or {}).get(column)
    return f"{source} ({column})" if source and source != column else column


def _bad_rows(con: duckdb.DuckDBPyConnection, where: str, column: str,
              params: list | None = None) -> list[tuple[int, object]]:
    """(line, value) of the targets rows matching ``where``, in file order."""
    return con.execute(f"SELECT _line, {column} FROM staging.targets WHERE {where} ORDER BY _line",
                       params or []).fetchall()


def _raise(file_name: str, column: str, what: str, rows: list[tuple[int, object]], expected: str) -> None:
    line, value = rows[0]
    problem = f"{what} „{value}“"
    if len(rows) > 1:
        more = ", ".join(f"Zeile {ln}: „{v}“" for ln, v in rows[1:6])
        problem += f"; außerdem {more}" + (f" und {len(rows) - 6} weitere" if len(rows) > 6 else "")
    raise LoadError(file_name, problem, line=line, column=column, expected=expected)


def _recoded_labels(con: duckdb.DuckDBPyConnection, column: str) -> list[str]:
    """Labels the mapping file recodes for this targets column (German exports use those)."""
    exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE 'raw' IN (table_catalog,"
                         " table_schema) AND table_name = 'value_map'").fetchall()[0][0]
    if not exists:
        return []
    return [r[0] for r in con.execute(
        "SELECT source_value FROM raw.value_map WHERE table_name = 'targets' AND column_name = ?"
        " ORDER BY source_value", [column]).fetchall()]


def validate_targets(con: duckdb.DuckDBPyConnection, file_name: str = "targets.csv",
                     columns: dict[str, str] | None = None) -> None:
    """Raise LoadError if a target names an unknown metric or team, or an impossible year.

    Runs after the metrics are built (it needs ``metric_catalog`` and
    ``core.team_list``). ``file_name`` and ``columns`` (canonical -> the file's
    header) only make the message point at what the analyst sees.
    """
    metrics = [r[0] for r in con.execute("SELECT metric_id FROM metric_catalog ORDER BY metric_id").fetchall()]
    teams = [r[0] for r in con.execute(
        "SELECT team_id FROM core.team_list WHERE team_id <> ? ORDER BY team_id = ? DESC, team_id",
        [UNASSIGNED, ALL_TEAMS]).fetchall()]

    rows = _bad_rows(con, "metric_id NOT IN (SELECT metric_id FROM metric_catalog)", "metric_id")
    if rows:
        expected = "eine der Kennzahl-IDs " + ", ".join(metrics)
        labels = _recoded_labels(con, "metric_id")
        if labels:
            expected += "; oder eine Bezeichnung, die mapping.yaml umschlüsselt: " + ", ".join(labels)
        _raise(file_name, _header(columns, "metric_id"), "unbekannte Kennzahl", rows, expected)

    rows = _bad_rows(con, "team_id = ? OR team_id NOT IN (SELECT team_id FROM core.team_list)", "team_id",
                     [UNASSIGNED])
    if rows:
        expected = f"eine Team-ID der Tabelle teams oder {ALL_TEAMS} für das ganze Jobcenter: " + ", ".join(teams)
        labels = _recoded_labels(con, "team_id")
        if labels:
            expected += "; oder eine Bezeichnung, die mapping.yaml umschlüsselt: " + ", ".join(labels)
        _raise(file_name, _header(columns, "team_id"), "unbekanntes Team", rows, expected)

    rows = _bad_rows(con, "year NOT BETWEEN ? AND ?", "year", [FIRST_YEAR, LAST_YEAR])
    if rows:
        _raise(file_name, _header(columns, "year"), "unbekanntes Jahr", rows,
               f"ein Jahr mit vier Ziffern, {FIRST_YEAR} bis {LAST_YEAR}")


def _number(value: float | None) -> str:
    """German spreadsheet style: decimal comma, at most two decimals, empty for NULL."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if text != "-0" else "0"


def _text(value: str | None) -> str:
    """Label cells a spreadsheet would run as a formula get a leading apostrophe."""
    if not value:
        return ""
    return neutralise(value)


def write_targets_template(con: duckdb.DuckDBPyConnection, year: int, out: Path) -> int:
    """Write a targets file for ``year``: every team (and __all__) x goal-capable metric.

    ``target_value`` is left empty for the analyst; beside it stand the team
    name, the metric's label, kind and direction, and last year's figures as
    ``goal_status`` would show them (actual as of the latest complete month of
    ``year - 1``, and its December forecast). The loader drops those extra
    columns and lists them in the load report. A row whose target_value stays
    empty is not a target. Returns the number of rows written.
    """
    needed = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'marts'"
                         " AND table_name IN ('goal_kind', 'goal_forecast')").fetchall()[0][0]
    if needed < 2:
        raise LoadError("--db", "die Datenbank hat noch keine Zieltabellen",
                        expected="eine mit dieser Version geladene Datenbank ('steering load QUELLORDNER')")
    last = year - 1
    rows = con.execute(
        """
        WITH teams AS (
            SELECT l.team_id, CASE WHEN l.team_id = ? THEN 'Jobcenter gesamt' ELSE t.team_name END AS team_name
            FROM core.team_list l
            LEFT JOIN staging.teams t USING (team_id)
            WHERE l.team_id <> ?
        ),
        metrics AS (
            SELECT k.metric_id, k.kind, k.direction, c.label_de, c.unit
            FROM marts.goal_kind k JOIN metric_catalog c USING (metric_id)
            WHERE k.goal_capable
        ),
        reference AS (
            SELECT f.team_id, f.metric_id, f.month AS as_of_month, f.actual, f.forecast_year_end
            FROM marts.goal_forecast f
            WHERE f.month = (SELECT max(month) FROM core.calendar WHERE year(month) = ?)
        )
        SELECT t.team_id, m.metric_id, t.team_name, m.label_de, m.kind, m.direction, m.unit,
               strftime(r.as_of_month, '%Y-%m') AS as_of, r.actual, r.forecast_year_end
        FROM teams t CROSS JOIN metrics m
        LEFT JOIN reference r ON r.team_id = t.team_id AND r.metric_id = m.metric_id
        ORDER BY t.team_id <> ?, t.team_id,
                 CASE m.kind WHEN 'progress' THEN 1 WHEN 'average' THEN 2 WHEN 'cumulative' THEN 3 ELSE 4 END,
                 m.metric_id
        """,
        [ALL_TEAMS, UNASSIGNED, last, ALL_TEAMS],
    ).fetchall()
    header = ["year", "team_id", "metric_id", "target_value", "team_name", "metric_label_de", "goal_kind",
              "direction", "unit", f"actual_{last}_as_of", f"actual_{last}", f"forecast_{last}_year_end"]
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    # UTF-8 with BOM: Excel reads the umlauts, and the loader prefers a BOM over any encoding
    # a folder's mapping.yaml declares, so the file also loads beside a cp1252 export.
    with out.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, delimiter=TEMPLATE_DELIMITER, lineterminator="\r\n")
        writer.writerow(header)
        for team_id, metric_id, team_name, label, kind, direction, unit, as_of, actual, forecast in rows:
            writer.writerow([year, _text(team_id), metric_id, "", _text(team_name), _text(label), kind, direction, unit,
                             as_of or "", _number(actual), _number(forecast)])
    return len(rows)
