"""Time to integration: Kaplan–Meier estimates per team and entry period, computed at load time.

Why at load time: the dashboard is a read-only reader of output tables, so the
estimate is computed once per load (hook at the end of ``compute.compute_all``)
and stored; the page only draws it. The input is the SQL table
``marts.case_durations`` (one row per case: team at entry, entry year,
``duration_days`` to the first integration or to the end of observation, and
``event_observed``); the estimator is lifelines' ``KaplanMeierFitter`` with its
default 95 % confidence interval (exponential Greenwood, "log(-log)").

Censoring: a case that ended without integration is censored at its exit, a
running case at the Datenstand (``as_of``). Competing risk: an exit for another
reason is treated like a censoring, so ``1 - S(t)`` is the integration share
*among cases still in benefit*, higher than the share of all entries that
integrate (see docs/case-progress.md).

Output tables (grain in ``GRAIN``):

* ``survival_curves``: the estimate at every day where it can change, per
  ``team_id`` (team at entry, plus ``__all__``) and ``period`` (entry year
  ``'YYYY'``, plus ``'all'``): ``at_risk``, ``events``, ``censored``,
  ``survival`` = S(t) (share still without integration) and its interval.
* ``survival_summary``: per team and period, the number of cases and of
  integrations, the median time to integration with its interval (NULL = not
  reached during the observed time), and the estimated share with integration
  after 6, 12 and 24 months (183, 365, 730 days) in percent with its interval
  (NULL where no case was observed that long).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import duckdb
import pandas as pd

Progress = Callable[[str], None]

ALPHA = 0.05
ALL_TEAMS = "__all__"
ALL_PERIODS = "all"
MILESTONES: dict[str, int] = {"6m": 183, "12m": 365, "24m": 730}
GRAIN: dict[str, list[str]] = {
    "survival_curves": ["team_id", "period", "day"],
    "survival_summary": ["team_id", "period"],
}
CURVE_COLUMNS: dict[str, str] = {
    "team_id": "VARCHAR", "period": "VARCHAR", "day": "INTEGER", "at_risk": "BIGINT", "events": "BIGINT",
    "censored": "BIGINT", "survival": "DOUBLE", "ci_low": "DOUBLE", "ci_high": "DOUBLE",
}
SUMMARY_COLUMNS: dict[str, str] = {
    "team_id": "VARCHAR", "period": "VARCHAR", "cases": "BIGINT", "integrations": "BIGINT",
    "median_days": "DOUBLE", "median_low": "DOUBLE", "median_high": "DOUBLE",
    **{f"share_{m}{s}": "DOUBLE" for m in MILESTONES for s in ("", "_low", "_high")},
}


def _noop(_: str) -> None:
    return None


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def kaplan_meier(durations: pd.Series, observed: pd.Series) -> tuple[pd.DataFrame, dict[str, float | int | None]]:
    """The Kaplan–Meier estimate of one group: its curve and its summary (pure: no database).

    ``durations`` in days (>= 0), ``observed`` true where the integration was
    seen. The curve has one row per day of lifelines' timeline (0 and every
    observed duration) with ``day, at_risk, events, censored, survival, ci_low,
    ci_high``; the summary holds the keys of ``SUMMARY_COLUMNS`` except team and
    period.
    """
    from lifelines import KaplanMeierFitter  # heavy import, only at load time
    from lifelines.utils import median_survival_times

    durations = pd.Series(durations, dtype="float64").reset_index(drop=True)
    observed = pd.Series(observed, dtype="bool").reset_index(drop=True)
    kmf = KaplanMeierFitter(alpha=ALPHA).fit(durations, event_observed=observed)
    table = kmf.event_table
    ci = kmf.confidence_interval_
    curve = pd.DataFrame({
        "day": table.index.to_numpy().astype("int64"),
        "at_risk": table["at_risk"].to_numpy().astype("int64"),
        "events": table["observed"].to_numpy().astype("int64"),
        "censored": table["censored"].to_numpy().astype("int64"),
        "survival": kmf.survival_function_.iloc[:, 0].to_numpy(),
        "ci_low": ci.iloc[:, 0].to_numpy(),
        "ci_high": ci.iloc[:, 1].to_numpy(),
    })
    # Where nothing has happened yet the interval collapses onto the estimate (lifelines leaves it
    # as it is or NaN, depending on the version).
    curve["ci_low"] = curve["ci_low"].fillna(curve["survival"])
    curve["ci_high"] = curve["ci_high"].fillna(curve["survival"])

    median_ci = median_survival_times(ci)
    summary: dict[str, float | int | None] = {
        "cases": len(durations),
        "integrations": int(observed.sum()),
        "median_days": _finite(kmf.median_survival_time_),
        "median_low": _finite(median_ci.iloc[0, 0]),
        "median_high": _finite(median_ci.iloc[0, 1]),
    }
    longest = durations.max() if len(durations) else -1
    for name, day in MILESTONES.items():
        if day > longest:
            summary.update({f"share_{name}": None, f"share_{name}_low": None, f"share_{name}_high": None})
            continue
        row = curve[curve["day"] <= day].iloc[-1]  # the step function at `day`
        summary[f"share_{name}"] = 100.0 * (1.0 - row["survival"])
        summary[f"share_{name}_low"] = 100.0 * (1.0 - row["ci_high"])
        summary[f"share_{name}_high"] = 100.0 * (1.0 - row["ci_low"])
    return curve, summary


def groups(cases: pd.DataFrame) -> Iterator[tuple[str, str, pd.DataFrame]]:
    """Every (team, period) with at least one case: each team and ``__all__``, each entry year and ``all``."""
    if cases.empty:
        return
    teams = [(team, part) for team, part in cases.groupby("team_id", sort=True)] + [(ALL_TEAMS, cases)]
    for team, part in teams:
        yield team, ALL_PERIODS, part
        for year, sub in part.groupby("entry_year", sort=True):
            yield team, str(int(year)), sub


def _create(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str], frame: pd.DataFrame) -> None:
    con.execute(f"CREATE OR REPLACE TABLE {table} ({', '.join(f'{c} {t}' for c, t in columns.items())})")
    if frame.empty:
        return
    name = f"_{table}_frame"
    con.register(name, frame[list(columns)])
    try:
        con.execute(f"INSERT INTO {table} SELECT * FROM {name} ORDER BY {', '.join(GRAIN[table])}")
    finally:
        con.unregister(name)


def build_survival(con: duckdb.DuckDBPyConnection, progress: Progress = _noop) -> None:
    """Read ``marts.case_durations``; write ``survival_curves`` and ``survival_summary``."""
    present = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'marts'"
                          " AND table_name = 'case_durations'").fetchall()[0][0]
    if not present:  # a SQL folder without the case-progress marts
        return
    progress("Verbleib: Kaplan-Meier-Schätzung je Team und Zugangsjahr")
    cases = con.execute(
        "SELECT team_id, entry_year, duration_days, event_observed FROM marts.case_durations"
    ).df()
    curves, summaries = [], []
    for team, period, part in groups(cases):
        curve, summary = kaplan_meier(part["duration_days"], part["event_observed"])
        curve.insert(0, "period", period)
        curve.insert(0, "team_id", team)
        curves.append(curve)
        summaries.append({"team_id": team, "period": period, **summary})
    curve_frame = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(columns=list(CURVE_COLUMNS))
    summary_frame = pd.DataFrame(summaries, columns=list(SUMMARY_COLUMNS))
    summary_frame = summary_frame.astype({c: "float64" for c, t in SUMMARY_COLUMNS.items() if t == "DOUBLE"})
    _create(con, "survival_curves", CURVE_COLUMNS, curve_frame)
    _create(con, "survival_summary", SUMMARY_COLUMNS, summary_frame)  # NaN arrives as NULL
