"""Goals on the committed sample export (German cp1252 CSV + mapping.yaml, data until October 2026).

The sample has three complete years (2023-2025) before the targets' year 2026:
the backtest forecasts each of them from January..November, 2023 without
history (linear, fallback width), 2024 with 2023's errors, 2025 with both.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.compute import OUTPUT_GRAIN
from pipelines.load import load_folder
from pipelines.sqlmodels import build_table, discover, duplicate_grain_rows
from tests.conftest import SAMPLE_DIR

STATUSES = {"on_track", "watch", "behind"}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert (SAMPLE_DIR / "targets.csv").is_file() and (SAMPLE_DIR / "mapping.yaml").is_file(), (
        f"the committed sample export is missing in {SAMPLE_DIR}")
    path = tmp_path_factory.mktemp("goals_sample") / "sample.duckdb"
    load_folder(SAMPLE_DIR, path)
    return path


@pytest.fixture(scope="module")
def con(db: Path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(db), read_only=True)
    yield connection
    connection.close()


def test_backtest_interval_holds_about_80_percent(con):
    overall = con.execute("SELECT n_forecasts, n_years, coverage_80_pct, mape FROM goal_backtest"
                          " WHERE metric_id = '*' AND team_id = '*' AND month_position = 0").fetchall()
    assert len(overall) == 1
    n, years, coverage, mape = overall[0]
    assert years >= 3 and n > 1000
    assert 60 <= coverage <= 95, coverage
    assert 0 < mape < 50
    # every metric that carries a target is backtested
    targeted = {r[0] for r in con.execute("SELECT DISTINCT metric_id FROM goal_status").fetchall()}
    tested = {r[0] for r in con.execute("SELECT metric_id FROM goal_backtest WHERE team_id = '*'"
                                        " AND month_position = 0").fetchall()}
    assert targeted <= tested
    assert duplicate_grain_rows(con, "goal_backtest", OUTPUT_GRAIN["goal_backtest"]) == 0


def test_one_goal_row_per_target_with_a_valid_status(con):
    targets = set(con.execute("SELECT year, team_id, metric_id FROM staging.targets WHERE target_value IS NOT NULL"
                              " AND year IN (SELECT DISTINCT year(month) FROM core.calendar)").fetchall())
    goals = con.execute("SELECT year, team_id, metric_id, status, as_of_month FROM goal_status").fetchall()
    assert len(targets) > 0
    assert len(goals) == len(targets) and {g[:3] for g in goals} == targets
    assert {g[3] for g in goals} <= STATUSES | {None}
    # no status exactly where metrics.md says so: no actual, or a division by 0 (e.g. a share of 0 %)
    unexplained = con.execute("SELECT count(*) FROM goal_status WHERE status IS NULL AND actual <> 0").fetchall()
    assert unexplained[0][0] == 0
    assert con.execute("SELECT count(status) FROM goal_status").fetchall()[0][0] > len(goals) / 2
    assert {g[4] for g in goals} == {con.execute("SELECT max(month) FROM core.calendar").fetchall()[0][0]}
    assert duplicate_grain_rows(con, "goal_status", OUTPUT_GRAIN["goal_status"]) == 0


def test_forecast_lies_inside_its_interval(con):
    bad = con.execute("SELECT count(*) FROM marts.goal_forecast WHERE NOT (forecast_low <= forecast_year_end"
                      " AND forecast_year_end <= forecast_high)").fetchall()[0][0]
    assert bad == 0
    below = con.execute("SELECT count(*) FROM marts.goal_forecast WHERE kind = 'cumulative'"
                        " AND forecast_low < actual").fetchall()[0][0]
    assert below == 0  # a count cannot end the year below what it already has
    negative = con.execute("SELECT count(*) FROM marts.goal_forecast JOIN marts.goal_kind USING (metric_id)"
                           " WHERE NOT signed AND forecast_low < 0").fetchall()[0][0]
    assert negative == 0  # nor any value that cannot be negative below 0


def test_first_year_uses_the_fallback_and_later_years_their_history(con):
    rows = dict(con.execute("SELECT year, avg(fallback_interval::int) FROM marts.goal_forecast"
                            " WHERE month_no < 12 AND metric_id = 'integrations' GROUP BY year").fetchall())
    complete = [r[0] for r in con.execute("SELECT year(month) FROM core.calendar GROUP BY 1"
                                          " HAVING count(*) = 12 ORDER BY 1").fetchall()]
    assert len(complete) >= 3
    assert rows[complete[0]] == 1  # no complete year before: fixed width
    assert all(rows[y] == 0 for y in rows if y > complete[0])  # from then on: errors of earlier years


def test_backtest_is_out_of_sample(db, tmp_path):
    """Changing a later year's figures must not change any forecast or interval of earlier years."""
    copy = tmp_path / "changed.duckdb"
    shutil.copy(db, copy)
    con = duckdb.connect(str(copy))
    try:
        cols = "team_id, metric_id, month, forecast_year_end, forecast_low, forecast_high"
        before = con.execute(f"SELECT {cols} FROM marts.goal_forecast ORDER BY ALL").fetchall()
        con.execute("UPDATE metric_values SET value = value * 1.5 + 1 WHERE year(month) = 2025")
        for model in discover(layers=("marts",)):
            build_table(con, model)
        after = con.execute(f"SELECT {cols} FROM marts.goal_forecast ORDER BY ALL").fetchall()
    finally:
        con.close()
    assert len(before) == len(after)
    unchanged = [b == a for b, a in zip(before, after, strict=True) if b[2].year <= 2024]
    changed_2026 = [b != a for b, a in zip(before, after, strict=True) if b[2].year == 2026]
    assert unchanged and all(unchanged)
    assert any(changed_2026)  # 2026 learns from 2025's shares and errors
