"""Small-cell suppression: breakdowns never show a figure about fewer than ``min_size`` persons.

Pure functions on DataFrames, used by the dashboard (``dashboard/data.py``: team
tables, trend lines, heat maps, entry cohorts), the team review and
``steering export metrics``. Decided in docs/datenschutz.md, section
"Kleine Fallzahlen":

* **The group of a cell** is the set of persons the figure is about: for a count
  (unit ``count``) the counted persons, so the count itself; for a rate the
  persons it is a share of, its denominator. ``dq_score`` has no persons behind
  its denominator (it averages rules) and is never suppressed; the data-quality
  heat map uses the records a rule checked instead.
* **Primary suppression:** a cell whose group has ``0 < size < min_size``
  persons. Zero is shown: an empty group says nothing about anybody.
* **Secondary suppression:** cells that add up to a total that is shown (the
  teams and ``__unassigned__`` of one month and metric add up to ``__all__``)
  form a group. If exactly one cell of a group is suppressed, it could be
  recovered by subtraction, so the next-smallest cell of that group (the one
  with the fewest persons, above zero) is suppressed too; if there is none, the
  total is. Several groupings can apply to one table (teams of a month, months
  of a team); the rule repeats until no grouping has a lone suppressed cell.

A suppressed cell shows "–" and the explanation below, never its value,
numerator or denominator.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

DEFAULT_MIN_SIZE = 5
SUPPRESSED_TEXT = "–"
ALL = "__all__"
UNSUPPRESSED_METRICS = frozenset({"dq_score"})  # its denominator counts rules, not persons


def explanation(min_size: int) -> str:
    """The sentence shown beside a table or chart with suppressed cells."""
    return (f"„{SUPPRESSED_TEXT}“ steht für eine Gruppe von weniger als {min_size} Personen: Solche Werte werden "
            "zum Schutz der Sozialdaten nicht ausgewiesen, ebenso ein zweiter kleiner Wert derselben Zeile, "
            "wenn sich der erste sonst aus der Summe errechnen ließe.")


def primary(sizes: pd.Series | Sequence[float | None], min_size: int = DEFAULT_MIN_SIZE) -> np.ndarray:
    """True where a group has more than zero but fewer than ``min_size`` persons (unknown size: False)."""
    s = pd.to_numeric(pd.Series(sizes, dtype="float64"), errors="coerce")
    return (s.notna() & (s > 0) & (s < min_size)).to_numpy()


def suppression_mask(frame: pd.DataFrame, size: str, groupings: Sequence[Sequence[str]],
                     min_size: int = DEFAULT_MIN_SIZE, is_total: pd.Series | None = None,
                     exempt: pd.Series | None = None) -> pd.Series:
    """Which rows of ``frame`` to suppress: primary, then secondary until stable.

    ``size`` names the column with each cell's group size (persons); NaN where
    unknown. ``groupings`` lists the column sets whose cells add up to a total
    (e.g. ``[["month", "metric_id"]]``: the teams of a month and metric).
    ``is_total`` marks the total rows (``__all__``); they are not part of a
    group's cells but are suppressed when a group has no other cell to hide.
    ``exempt`` marks rows never suppressed (and never used as a complement).
    """
    frame = frame.reset_index(drop=True)
    n = len(frame)
    sizes = pd.to_numeric(frame[size], errors="coerce").astype("float64")
    total = np.zeros(n, bool) if is_total is None else np.asarray(is_total, bool)
    free = np.ones(n, bool) if exempt is None else ~np.asarray(exempt, bool)
    mask = primary(sizes, min_size) & free
    cells = ~total & free
    changed = True
    while changed:
        changed = False
        for cols in groupings:
            cols = list(cols)
            part = frame.loc[cells, cols].assign(_size=sizes[cells], _mask=mask[cells])
            lone = part.groupby(cols, dropna=False, sort=False)["_mask"].transform("sum") == 1
            if not lone.any():
                continue
            candidates = part[lone & ~part["_mask"] & (part["_size"] > 0)]
            picked = candidates.sort_values("_size", kind="stable").groupby(cols, dropna=False, sort=False).head(1)
            mask[picked.index.to_numpy()] = True
            without = part.loc[lone & part["_mask"], cols].drop_duplicates()
            without = without[~pd.MultiIndex.from_frame(without).isin(pd.MultiIndex.from_frame(picked[cols]))]
            if not without.empty and total.any():  # no other cell to hide: hide the total instead
                totals = frame.loc[total, cols]
                hit = totals.index[pd.MultiIndex.from_frame(totals).isin(pd.MultiIndex.from_frame(without))]
                new = [i for i in hit if not mask[i]]
                mask[new] = True
                changed = changed or bool(new)
            changed = changed or not picked.empty
    return pd.Series(mask, index=range(n))


def metric_group_size(frame: pd.DataFrame, units: dict[str, str]) -> pd.Series:
    """The group size of each ``metric_values`` row: the count for counts, the denominator for rates."""
    unit = frame["metric_id"].map(units)
    size = np.where(unit == "count", frame["value"], frame["denominator"])
    size = pd.Series(size, index=frame.index, dtype="float64")
    return size.where(~frame["metric_id"].isin(UNSUPPRESSED_METRICS))


def protect_metric_values(values: pd.DataFrame, units: dict[str, str],
                          min_size: int = DEFAULT_MIN_SIZE) -> pd.DataFrame:
    """``metric_values`` rows (every team of the months given) with suppressed cells blanked.

    Adds ``suppressed`` (bool); ``value``, ``numerator`` and ``denominator`` of a
    suppressed row become NaN. Groups: the teams of one month and metric, total
    ``__all__``. Pass every team of a month, not a selection: the pattern must be
    the same whoever looks.
    """
    out = values.reset_index(drop=True).copy()
    out["_size"] = metric_group_size(out, units)
    mask = suppression_mask(out, "_size", [["month", "metric_id"]], min_size, is_total=out["team_id"] == ALL)
    out = out.drop(columns="_size")
    for col in ("value", "numerator", "denominator"):
        out[col] = out[col].astype("float64").mask(mask.to_numpy())
    out["suppressed"] = mask.to_numpy()
    return out


def protect_pass_rates(rates: pd.DataFrame, min_size: int = DEFAULT_MIN_SIZE) -> pd.DataFrame:
    """Data-quality pass rates per team and rule (``team_id, rule_id, checked, failed, pass_rate``) of one
    month: a rule that checked fewer than ``min_size`` records of a team is blanked (group: the teams of a
    rule, total ``__all__``)."""
    out = rates.reset_index(drop=True).copy()
    mask = suppression_mask(out, "checked", [["rule_id"]], min_size, is_total=out["team_id"] == ALL)
    for col in ("checked", "failed", "pass_rate"):
        out[col] = out[col].astype("float64").mask(mask.to_numpy())
    out["suppressed"] = mask.to_numpy()
    return out


def cohort_mask(cohorts: pd.DataFrame, min_size: int = DEFAULT_MIN_SIZE) -> pd.Series:
    """Entry cohorts (``team_id, cohort_month, step, cases, ...``): cells of fewer than ``min_size`` cases.

    Groupings: the teams of a cohort month and step (total ``__all__``) and the
    cohort months of a team and step (their pooled value is the funnel). Cohorts
    still open for a step (``is_open``) show no figure and take no part.
    """
    frame = cohorts.reset_index(drop=True)
    exempt = frame["is_open"].astype(bool) if "is_open" in frame else None
    return suppression_mask(frame, "cases", [["cohort_month", "step"], ["team_id", "step"]], min_size,
                            is_total=frame["team_id"] == ALL, exempt=exempt)


GOAL_FIGURES = ("actual", "expected_linear", "expected_seasonal", "attainment_pct", "forecast_year_end",
                "forecast_low", "forecast_high")


def goal_group_size(goals: pd.DataFrame, values: pd.DataFrame, units: dict[str, str]) -> pd.Series:
    """The persons behind each ``goal_status`` row: for a count (integrations, stock) the actual itself
    (the year's sum, or mean stock), for a rate the metric's denominator in the goal's as-of month."""
    unit = goals["metric_id"].map(units)
    denominators = values.assign(month=pd.to_datetime(values["month"])).set_index(
        ["team_id", "month", "metric_id"])["denominator"]
    wanted = pd.MultiIndex.from_arrays([goals["team_id"], pd.to_datetime(goals["as_of_month"]), goals["metric_id"]])
    denominator = denominators[~denominators.index.duplicated()].reindex(wanted).to_numpy(dtype="float64")
    size = np.where(unit == "count", pd.to_numeric(goals["actual"], errors="coerce"), denominator)
    return pd.Series(size, index=goals.index, dtype="float64").where(~goals["metric_id"].isin(UNSUPPRESSED_METRICS))


def protect_goals(goals: pd.DataFrame, values: pd.DataFrame, units: dict[str, str],
                  min_size: int = DEFAULT_MIN_SIZE) -> pd.DataFrame:
    """``goal_status`` rows with the figures of small groups blanked (column ``suppressed``).

    A team's goal about fewer than ``min_size`` persons keeps its target but shows
    no actual, expectation, forecast or status. Groups: the teams of one year and
    metric (a lone hidden goal takes the next-smallest with it). The job center's
    own goal (``__all__``) is never hidden: only teams with a target have a row, so
    it is not the sum of the rows beside it, and its figure is the job center's
    total that every page shows. ``values`` are the unprotected ``metric_values``
    of the goals' as-of months.
    """
    out = goals.reset_index(drop=True).copy()
    out["_size"] = goal_group_size(out, values, units)
    mask = suppression_mask(out, "_size", [["year", "metric_id"]], min_size, exempt=out["team_id"] == ALL)
    out = out.drop(columns="_size")
    hidden = mask.to_numpy()
    for col in GOAL_FIGURES:
        if col in out:
            out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64").mask(hidden)
    if "status" in out:
        out["status"] = out["status"].astype(object).where(~hidden, None)
    out["suppressed"] = hidden
    return out
