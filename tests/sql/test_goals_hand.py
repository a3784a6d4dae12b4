"""Goal status, forecast and backtest (metrics.md, Goals; docs/goals.md) on hand-computed cases.

The job center: two teams, six persons, all eLb from 2022-12-01 with open
spells (so every stock is constant: T1 = 4, T2 = 2, __all__ = 6), as-of
2024-03-10. Complete months: December 2022 .. February 2024, so 2023 is the
only complete year: a 2023 target has no earlier history (seasonal = linear),
and a 2024 target (A = February, n = 2) has 2023 as its history.

Integrations (every person stays in benefit, so each one counts):
  T1: January, April, July, October 2023 (4 in the year); January, February 2024
  T2: February, August 2023 (2 in the year); none in 2024
  __all__ 2023: January 1, February 2, ... December 6.
Seasonal share of January..February in 2023: T1 1/4, T2 1/2, __all__ 2/6.

Part one goes end to end through the loader (counts, the Integrationsquote via
its Jahresfortschrittswert, a neutral cumulative and a neutral level metric).
Part two replaces metric_values in a copy of that database with hand-made rows
for the LZB average and a higher-better and a lower-better level metric, and
re-runs the goal SQL: that puts the status boundaries at exactly 90 and 100.
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.compute import OUTPUT_GRAIN
from pipelines.contract import load_contract
from pipelines.load import load_folder
from pipelines.sqlmodels import build_table, discover, duplicate_grain_rows
from tests.conftest import write_canonical

AS_OF = dt.date(2024, 3, 10)
ALL = "__all__"
FALLBACK_FEB_COUNT = 0.40 * 10 / 11  # fallback half-width of counts and progress at month 2
FALLBACK_FEB_LEVEL = 0.30 * math.sqrt(10 / 11)  # ... of level metrics
FALLBACK_FEB_AVERAGE = 0.15 * 10 / 11  # ... of the LZB average

_PERSONS = ["P1", "P2", "P3", "P4", "P5", "P6"]
_TEAM = {"P1": "T1", "P2": "T1", "P3": "T1", "P4": "T1", "P5": "T2", "P6": "T2"}
_INTEGRATIONS = [  # (id, person, date)
    ("I1", "P1", "2023-01-15"), ("I2", "P2", "2023-04-15"), ("I3", "P3", "2023-07-15"),
    ("I4", "P4", "2023-10-15"), ("I5", "P1", "2024-01-15"), ("I6", "P2", "2024-02-15"),
    ("I7", "P5", "2023-02-15"), ("I8", "P6", "2023-08-15"),
]

# year, team_id, metric_id, target_value
TARGETS = [
    ("2023", "T1", "integrations", "4"),
    ("2024", "T1", "integrations", "10"),
    ("2024", ALL, "integrations", "6"),
    ("2024", "T2", "integrations", "3"),
    ("2023", "T1", "integration_rate_12m", "100"),
    ("2024", "T1", "integration_rate_12m", "210"),
    ("2024", "T1", "entries", "5"),
    ("2024", "T1", "elb_stock", "4"),
    ("2025", "T1", "integrations", "12"),  # no complete month in 2025: no row
    ("2024", "T2", "integration_rate_12m", ""),  # empty target value: not a target, no row
]


def goal_scenario() -> dict[str, list[dict]]:
    """The job center above as canonical rows (shared with tests/pipelines/test_goals.py)."""
    rows: dict[str, list[tuple]] = {
        "teams": [("T1", "Team Nord", "Ü25"), ("T2", "Team Süd", "U25")],
        "persons": [(p, "", "1980-01-01", "w", "false", "false", "school", "2022-12-01 09:00:00")
                    for p in _PERSONS],
        "benefit_spells": [(f"S{p}", p, "2022-12-01", "", "true", "") for p in _PERSONS],
        "assignments": [(p, _TEAM[p], "2022-12-01", "") for p in _PERSONS],
        "contacts": [],
        "cooperation_plans": [],
        "measures": [],
        "integrations": [(i, p, d, "employment_full", f"{d} 12:00:00") for i, p, d in _INTEGRATIONS],
        "targets": TARGETS,
    }
    contract = load_contract()
    return {name: [dict(zip(contract[name].column_names, r, strict=True)) for r in table]
            for name, table in rows.items()}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("goals_hand")
    path = root / "hand.duckdb"
    load_folder(write_canonical(root / "source", goal_scenario()), path, as_of=AS_OF)
    return path


@pytest.fixture(scope="module")
def con(db: Path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(db), read_only=True)
    yield connection
    connection.close()


def _goal(con: duckdb.DuckDBPyConnection, year: int, team: str, metric: str) -> dict:
    cur = con.execute("SELECT * FROM goal_status WHERE year = ? AND team_id = ? AND metric_id = ?",
                      [year, team, metric])
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    assert len(rows) == 1, (year, team, metric, rows)
    return dict(zip(names, rows[0], strict=True))


def _check(row: dict, expected: dict) -> None:
    for column, value in expected.items():
        if value is None or isinstance(value, str | dt.date):
            assert row[column] == value, (column, row)
        else:
            assert row[column] == pytest.approx(value, abs=1e-9), (column, row)


# --- part one: end to end ---------------------------------------------------------------------------

def test_columns_and_one_row_per_target_with_a_complete_month(con):
    cols = [r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE table_name ="
                                      " 'goal_status' ORDER BY ordinal_position").fetchall()]
    assert cols == ["year", "team_id", "metric_id", "as_of_month", "target_value", "actual", "expected_linear",
                    "expected_seasonal", "attainment_pct", "forecast_year_end", "forecast_low", "forecast_high",
                    "status"]
    keys = set(con.execute("SELECT year, team_id, metric_id FROM goal_status").fetchall())
    # every target except the 2025 one (no complete month) and the one without a value
    assert keys == {(int(y), t, m) for y, t, m, v in TARGETS if y != "2025" and v}


def test_grains_hold(con):
    for table, grain in [("goal_status", OUTPUT_GRAIN["goal_status"]),
                         ("goal_backtest", OUTPUT_GRAIN["goal_backtest"]),
                         ("marts.goal_forecast", ["team_id", "metric_id", "month"]),
                         ("marts.goal_kind", ["metric_id"])]:
        assert duplicate_grain_rows(con, table, grain) == 0, table
    # the SQL headers declare the same grains
    declared = {m.name: m.grain for m in discover(layers=("marts",))}
    assert declared["main.goal_status"] == OUTPUT_GRAIN["goal_status"]
    assert declared["main.goal_backtest"] == OUTPUT_GRAIN["goal_backtest"]


def test_count_in_a_year_without_history_is_linear_and_exactly_on_track(con):
    _check(_goal(con, 2023, "T1", "integrations"), {
        "as_of_month": dt.date(2023, 12, 1),  # 2023 is complete: A = December, n = 12
        "actual": 4,  # January, April, July, October
        "expected_linear": 4,  # 4 x 12/12
        "expected_seasonal": 4,  # no complete year before 2023 (2022 has only December): linear
        "attainment_pct": 100,  # 100 x 4 / 4: the on_track boundary
        "status": "on_track",
        "forecast_year_end": 4, "forecast_low": 4, "forecast_high": 4,  # December is known: no spread
    })


def test_count_with_seasonal_history(con):
    _check(_goal(con, 2024, "T1", "integrations"), {
        "as_of_month": dt.date(2024, 2, 1),  # last complete month of 2024 (as-of 10 March)
        "actual": 2,  # January and February 2024
        "expected_linear": 10 * 2 / 12,  # target x n/12
        "expected_seasonal": 2.5,  # 10 x 1/4: T1 had 1 of its 4 integrations of 2023 by February
        "attainment_pct": 80,  # 100 x 2 / 2.5
        "status": "behind",
        # forecast: 2 / (the job center's 2023 share 2/6) = 6; only 3 earlier errors (T1, T2, __all__
        # in 2023) < 5, so the fallback width 40 % x 10/11
        "forecast_year_end": 6,
        "forecast_low": 6 * (1 - FALLBACK_FEB_COUNT),
        "forecast_high": 6 * (1 + FALLBACK_FEB_COUNT),
    })
    _check(_goal(con, 2024, ALL, "integrations"), {
        "actual": 2,  # T1's two; T2 has none in 2024
        "expected_linear": 1,  # 6 x 2/12
        "expected_seasonal": 2,  # 6 x 2/6: 2 of the 6 integrations of 2023 by February
        "attainment_pct": 100,
        "status": "on_track",
        "forecast_year_end": 6,  # 2 / (2/6)
    })
    _check(_goal(con, 2024, "T2", "integrations"), {
        "actual": 0,  # none in 2024
        "expected_seasonal": 1.5,  # 3 x 1/2: T2 had 1 of its 2 by February 2023
        "attainment_pct": 0,
        "status": "behind",
        "forecast_year_end": 0, "forecast_low": 0, "forecast_high": 0,  # 0 / share, and 0 +- 0
    })


def test_integration_rate_tracked_by_its_progress_value(con):
    _check(_goal(con, 2023, "T1", "integration_rate_12m"), {
        "actual": 100,  # JFW(Dec 2023) = 100 x 4 integrations / mean stock Dec 2022..Nov 2023 (4)
        "expected_linear": 100,  # 100 x 12/12
        "expected_seasonal": 100,  # no earlier complete year: linear
        "attainment_pct": 100,
        "status": "on_track",
    })
    _check(_goal(con, 2024, "T1", "integration_rate_12m"), {
        "actual": 50,  # JFW(Feb 2024) = 100 x 2 / mean stock Dec 2023..Jan 2024 (4)
        "expected_linear": 35,  # 210 x 2/12
        "expected_seasonal": 52.5,  # 210 x 1/4, the seasonal share of T1's integrations
        "attainment_pct": 100 * 50 / 52.5,  # 95.24
        "status": "watch",
        # forecast: 50 / (the job center's integration share 2/6) = 150; fallback width 40 % x 10/11
        "forecast_year_end": 150,
        "forecast_low": 150 * (1 - FALLBACK_FEB_COUNT),
        "forecast_high": 150 * (1 + FALLBACK_FEB_COUNT),
    })


def test_neutral_count_gets_a_status_and_neutral_level_does_not(con):
    _check(_goal(con, 2024, "T1", "entries"), {
        "actual": 0,  # every spell started in December 2022
        "expected_seasonal": 5 * 2 / 12,  # 2023 had no entries (total 0): no share, so linear
        "attainment_pct": 0,  # a neutral *cumulative* metric still gets an attainment
        "status": "behind",
    })
    _check(_goal(con, 2024, "T1", "elb_stock"), {
        "actual": 4,  # stock in February 2024
        "expected_linear": 4, "expected_seasonal": 4,  # level: the target itself
        "attainment_pct": None, "status": None,  # neutral and not cumulative
        "forecast_year_end": 4,  # level: the value of A
        "forecast_low": 4 * (1 - FALLBACK_FEB_LEVEL),  # 3 earlier errors < 5: level fallback
        "forecast_high": 4 * (1 + FALLBACK_FEB_LEVEL),
    })


def test_backtest_of_the_first_year_by_hand(con):
    # T1's integrations in 2023, forecast from each month without history (linear, A/12) and with
    # the fallback width: cumulative 1,1,1,2,2,2,3,3,3,4,4 -> forecasts 12, 6, 4, 6, 4.8, 4, 5.14,
    # 4.5, 4, 4.8, 4.36 against December's 4: APE 200, 50, 0, 50, 20, 0, 28.57, 12.5, 0, 20, 9.09.
    row = con.execute("SELECT n_forecasts, n_years, first_year, mape, coverage_80_pct, fallback_pct"
                      " FROM goal_backtest WHERE metric_id = 'integrations' AND team_id = 'T1'"
                      " AND month_position = 0").fetchall()[0]
    assert row[:3] == (11, 1, 2023)
    assert row[3] == pytest.approx((200 + 50 + 50 + 20 + 200 / 7 + 12.5 + 20 + 100 / 11) / 11)
    # inside [f -+ f x 40 % x (12-m)/11]: February (6 - 2.18 = 3.82), March (4), May (4.8 - 1.22),
    # June (4), August (4.5 - 0.65) and September (4); April misses narrowly (6 - 1.75 = 4.25 > 4)
    assert row[4] == pytest.approx(100 * 6 / 11)
    assert row[5] == 100  # no earlier year: every interval is the fallback
    months = dict(con.execute("SELECT month_position, n_forecasts FROM goal_backtest WHERE metric_id = '*'"
                              " AND team_id = '*' AND month_position > 0").fetchall())
    assert sorted(months) == list(range(1, 12))  # January..November; December is no forecast


# --- part two: hand-made metric values ----------------------------------------------------------------

FEB, JAN, DEC = dt.date(2024, 2, 1), dt.date(2024, 1, 1), dt.date(2023, 12, 1)
VALUES = [  # team, month, metric, value
    ("T1", DEC, "coop_plan_coverage", 99.99),
    ("T1", FEB, "coop_plan_coverage", 90.0),
    ("T2", FEB, "coop_plan_coverage", 89.99),
    (ALL, FEB, "coop_plan_coverage", 100.0),
    ("T1", FEB, "no_contact_90d_rate", 20.0),
    ("T2", FEB, "no_contact_90d_rate", 18.0),
    (ALL, FEB, "no_contact_90d_rate", 0.0),
    ("T1", FEB, "contacts_per_100", 20.0),  # a lower-better level only in this hand case (see the fixture)
    ("T2", FEB, "contacts_per_100", 20.01),
    (ALL, FEB, "contacts_per_100", -5.0),
    ("T1", JAN, "ltb_stock", 3.0), ("T1", FEB, "ltb_stock", 4.0),
    ("T2", JAN, "ltb_stock", 2.0), ("T2", FEB, "ltb_stock", None),
    (ALL, JAN, "ltb_stock", 5.0), (ALL, FEB, "ltb_stock", 5.0),
]
HAND_TARGETS = [
    (2023, "T1", "coop_plan_coverage", 100.0),
    (2024, "T1", "coop_plan_coverage", 100.0),
    (2024, "T2", "coop_plan_coverage", 100.0),
    (2024, ALL, "coop_plan_coverage", 100.0),
    (2024, "T1", "no_contact_90d_rate", 18.0),
    (2024, "T2", "no_contact_90d_rate", 18.0),
    (2024, ALL, "no_contact_90d_rate", 18.0),
    (2024, "T1", "contacts_per_100", 0.0),
    (2024, "T2", "contacts_per_100", 18.0),
    (2024, ALL, "contacts_per_100", -2.0),
    (2024, "T1", "ltb_stock", 3.15),
    (2024, "T2", "ltb_stock", 3.0),
    (2024, ALL, "ltb_stock", 5.0),
]


@pytest.fixture(scope="module")
def hand(db: Path, tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    copy = tmp_path_factory.mktemp("goals_hand_values") / "values.duckdb"
    shutil.copy(db, copy)
    connection = duckdb.connect(str(copy))
    metrics = sorted({v[2] for v in VALUES})
    connection.execute("DELETE FROM metric_values WHERE metric_id IN (SELECT unnest(?))", [metrics])
    connection.executemany("INSERT INTO metric_values VALUES (?, ?, ?, ?, ?, NULL)",
                           [[t, m, k, v, v] for t, m, k, v in VALUES])
    # contacts_per_100 stands in for a lower-better level metric whose actual can be negative (as a change
    # against the year before is): its direction is set to lower_better in this copy only
    connection.execute("UPDATE metric_catalog SET direction = 'lower_better' WHERE metric_id = 'contacts_per_100'")
    connection.execute("DELETE FROM staging.targets")
    connection.executemany("INSERT INTO staging.targets VALUES (?, ?, ?, ?, ?)",
                           [[i + 2, *t] for i, t in enumerate(HAND_TARGETS)])
    for model in discover(layers=("marts",)):
        build_table(connection, model)
    yield connection
    connection.close()


def test_directions_of_the_hand_metrics(hand):
    directions = dict(hand.execute("SELECT metric_id, direction FROM metric_catalog").fetchall())
    assert directions["coop_plan_coverage"] == "higher_better"
    assert directions["no_contact_90d_rate"] == "lower_better"
    assert directions["ltb_stock"] == "lower_better"


def test_higher_better_level_and_the_status_boundaries(hand):
    _check(_goal(hand, 2024, "T1", "coop_plan_coverage"), {
        "actual": 90,  # value in February
        "expected_linear": 100, "expected_seasonal": 100,  # level: the target
        "attainment_pct": 90,  # 100 x 90 / 100: exactly the watch boundary
        "status": "watch",
        "forecast_year_end": 90,  # the value of A; no earlier errors: fallback 30 % x sqrt(10/11)
        "forecast_low": 90 * (1 - FALLBACK_FEB_LEVEL),
        "forecast_high": 90 * (1 + FALLBACK_FEB_LEVEL),
    })
    _check(_goal(hand, 2024, "T2", "coop_plan_coverage"), {"attainment_pct": 89.99, "status": "behind"})
    _check(_goal(hand, 2024, ALL, "coop_plan_coverage"), {"attainment_pct": 100, "status": "on_track"})
    _check(_goal(hand, 2023, "T1", "coop_plan_coverage"), {
        "as_of_month": DEC,  # 2023 is complete: the December value
        "attainment_pct": 99.99, "status": "watch",  # just below 100
        "forecast_year_end": 99.99, "forecast_low": 99.99, "forecast_high": 99.99,
    })


def test_lower_better_level(hand):
    _check(_goal(hand, 2024, "T1", "no_contact_90d_rate"), {
        "actual": 20,
        "attainment_pct": 90,  # 100 x target 18 / actual 20
        "status": "watch",
    })
    _check(_goal(hand, 2024, "T2", "no_contact_90d_rate"), {"attainment_pct": 100, "status": "on_track"})
    # actual 0 (spec v2): 100 x 18 / 0 would divide by 0, so no attainment; the status compares directly,
    # 0 <= 18: the goal is met ("Ziel erreicht")
    _check(_goal(hand, 2024, ALL, "no_contact_90d_rate"), {"actual": 0, "attainment_pct": None,
                                                          "status": "on_track"})


def test_lower_better_status_compares_directly(hand):
    """Spec v2: on_track when actual <= target, watch when actual <= target / 0.9, else behind."""
    # target 0, actual 20: 20 <= 0 / 0.9 = 0 is false -> behind; attainment 100 x 0 / 20 = 0
    _check(_goal(hand, 2024, "T1", "contacts_per_100"), {"actual": 20, "attainment_pct": 0, "status": "behind"})
    # target 18: watch up to 18 / 0.9 = 20; 20.01 is beyond it
    _check(_goal(hand, 2024, "T2", "contacts_per_100"), {"actual": 20.01, "attainment_pct": 100 * 18 / 20.01,
                                                          "status": "behind"})
    # negative values: -5 <= -2, on track; the quotient 100 x -2 / -5 = 40 would have said "behind"
    _check(_goal(hand, 2024, ALL, "contacts_per_100"), {"actual": -5, "attainment_pct": 40, "status": "on_track"})


def test_ltb_stock_as_a_running_annual_average(hand):
    _check(_goal(hand, 2024, "T1", "ltb_stock"), {
        "actual": 3.5,  # mean of January 3 and February 4
        "expected_linear": 3.15, "expected_seasonal": 3.15,  # average: the target
        "attainment_pct": 90,  # 100 x 3.15 / 3.5
        "status": "watch",
        # the rest of the year stays at February's 4: (2 x 3.5 + 10 x 4) / 12
        "forecast_year_end": 47 / 12,
        "forecast_low": 47 / 12 * (1 - FALLBACK_FEB_AVERAGE),  # fallback 15 % x 10/11
        "forecast_high": 47 / 12 * (1 + FALLBACK_FEB_AVERAGE),
    })
    # February undefined: the mean January..February cannot be formed, nothing is guessed
    _check(_goal(hand, 2024, "T2", "ltb_stock"), {"actual": None, "attainment_pct": None, "status": None,
                                                  "forecast_year_end": None})
    _check(_goal(hand, 2024, ALL, "ltb_stock"), {"actual": 5, "attainment_pct": 100, "status": "on_track",
                                                 "forecast_year_end": 5})
