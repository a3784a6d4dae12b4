"""Kaplan–Meier estimate of the time to integration, checked against a product-limit worked out by hand.

Team T1 of the hand-built history (tests/sql/test_case_events.py): five cases,
durations in days, "e" = integration observed, "c" = censored:

    S3 75 c (exit, moved)   S8 87 c (exit, other)   S1 103 e   S4 303 e   S2 537 c (running at the Datenstand)

    day   at risk  events  S(t)
      0      5       0     1
     75      5       0     1            censored cases do not change S, they leave the risk set
     87      4       0     1
    103      3       1     1 × (1 - 1/3) = 2/3
    303      2       1     2/3 × (1 - 1/2) = 1/3
    537      1       0     1/3
"""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pytest

from pipelines.survival import GRAIN, kaplan_meier
from tests.sql.test_case_events import build_hand_db

T1_DURATIONS = [75, 87, 103, 303, 537]
T1_OBSERVED = [False, False, True, True, False]
Z = 1.959963984540054  # the 97.5 % quantile of the standard normal distribution (95 % interval)


def exp_greenwood(s: float, terms: list[tuple[int, int]]) -> tuple[float, float]:
    """The 95 % interval of S(t) on the log(-log) scale: S ** exp(±z·σ), σ² = Σ d/(n(n-d)) / log(S)²."""
    sigma = math.sqrt(sum(d / (n * (n - d)) for n, d in terms) / math.log(s) ** 2)
    return s ** math.exp(Z * sigma), s ** math.exp(-Z * sigma)


def test_product_limit_by_hand():
    curve, summary = kaplan_meier(T1_DURATIONS, T1_OBSERVED)
    assert curve["day"].tolist() == [0, 75, 87, 103, 303, 537]          # 0 and every observed duration
    assert curve["at_risk"].tolist() == [5, 5, 4, 3, 2, 1]               # cases with duration >= day
    assert curve["events"].tolist() == [0, 0, 0, 1, 1, 0]                # S1 at 103, S4 at 303
    assert curve["censored"].tolist() == [0, 1, 1, 0, 0, 1]              # S3, S8, S2
    assert curve["survival"].tolist() == pytest.approx([1, 1, 1, 2 / 3, 1 / 3, 1 / 3])  # table above
    assert summary["cases"] == 5 and summary["integrations"] == 2
    assert summary["median_days"] == 303                                 # first day with S <= 1/2
    assert summary["share_6m"] == pytest.approx(100 / 3)                 # 1 - S(183) = 1 - 2/3
    assert summary["share_12m"] == pytest.approx(200 / 3)                # 1 - S(365) = 1 - 1/3
    assert summary["share_24m"] is None                                  # nobody observed for 730 days


def test_confidence_interval_is_exponential_greenwood():
    curve, summary = kaplan_meier(T1_DURATIONS, T1_OBSERVED)
    at = curve.set_index("day")
    low_103, high_103 = exp_greenwood(2 / 3, [(3, 1)])                   # one event among 3 at risk
    low_303, high_303 = exp_greenwood(1 / 3, [(3, 1), (2, 1)])           # ... and one among 2
    assert (at.loc[103, "ci_low"], at.loc[103, "ci_high"]) == pytest.approx((low_103, high_103))
    assert (at.loc[303, "ci_low"], at.loc[303, "ci_high"]) == pytest.approx((low_303, high_303))
    assert (at.loc[75, "ci_low"], at.loc[75, "ci_high"]) == (1.0, 1.0)  # nothing happened yet: no spread
    # median interval: where the lower band first reaches 1/2 (103: (2/3)^exp(zσ) ≈ 0.05), and the upper
    # band never does (at 303 it is still (1/3)^exp(-zσ) ≈ 0.77): open upwards
    assert high_303 > 0.5 > low_103
    assert summary["median_low"] == 103 and summary["median_high"] is None
    # share after 6 months with its interval: 1 - S and 1 - the bands, at day 103's step
    assert (summary["share_6m_low"], summary["share_6m_high"]) == pytest.approx(
        (100 * (1 - high_103), 100 * (1 - low_103)))


def test_no_event_no_median():
    curve, summary = kaplan_meier([10, 20], [False, False])
    assert curve["survival"].tolist() == [1.0, 1.0, 1.0]
    assert summary["median_days"] is None and summary["median_low"] is None
    assert summary["share_6m"] is None                                   # 183 days were never observed


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory):
    db: Path = build_hand_db(tmp_path_factory.mktemp("survival"))  # the load runs compute_all and its hook
    connection = duckdb.connect(str(db), read_only=True)
    yield connection
    connection.close()


def test_load_writes_curves_and_summary_per_team_and_period(con):
    summary = {(t, p): (n, k, med) for t, p, n, k, med in con.execute(
        "SELECT team_id, period, cases, integrations, median_days FROM survival_summary").fetchall()}
    assert summary == {
        ("T1", "all"): (5, 2, 303.0), ("T1", "2023"): (5, 2, 303.0),     # the table in the docstring
        # T2: S7 101 e, S6 527 c (2023), S5 55 c (2024): at 101 one of two at risk -> S = 1/2, the median
        ("T2", "all"): (3, 1, 101.0), ("T2", "2023"): (2, 1, 101.0), ("T2", "2024"): (1, 0, None),
        # all eight: 55 c, 75 c, 87 c, 101 e (5 at risk) 4/5, 103 e (4) 3/5, 303 e (3) 2/5, 527 c, 537 c
        ("__all__", "all"): (8, 3, 303.0), ("__all__", "2023"): (7, 3, 303.0), ("__all__", "2024"): (1, 0, None),
    }
    curve = dict(con.execute("SELECT day, survival FROM survival_curves WHERE team_id = '__all__'"
                             " AND period = 'all' AND day IN (101, 103, 303)").fetchall())
    assert curve == pytest.approx({101: 4 / 5, 103: 3 / 5, 303: 2 / 5})
    shares = con.execute("SELECT share_6m, share_12m, share_24m FROM survival_summary"
                         " WHERE team_id = '__all__' AND period = 'all'").fetchall()[0]
    assert shares[:2] == pytest.approx((40.0, 60.0)) and shares[2] is None  # 1 - S(183), 1 - S(365); 730 unseen
    for table, grain in GRAIN.items():
        assert con.execute(f"SELECT count(*) FROM (SELECT {', '.join(grain)} FROM {table}"
                           " GROUP BY ALL HAVING count(*) > 1)").fetchall() == [(0,)]


def test_no_cases_gives_empty_tables():
    from pipelines.survival import build_survival

    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE TABLE marts.case_durations (team_id VARCHAR, entry_year INTEGER, duration_days INTEGER,"
                " event_observed BOOLEAN)")
    build_survival(con)
    assert con.execute("SELECT (SELECT count(*) FROM survival_curves), (SELECT count(*) FROM survival_summary)"
                       ).fetchall() == [(0, 0)]
    con.close()
