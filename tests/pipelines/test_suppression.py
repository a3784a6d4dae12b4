"""Small-cell suppression on hand cases (pipelines/suppression.py)."""

from __future__ import annotations

import math

import pandas as pd

from pipelines.suppression import (
    cohort_mask,
    explanation,
    primary,
    protect_goals,
    protect_metric_values,
    protect_pass_rates,
    suppression_mask,
)


def rows(*cells: tuple[str, float | None]) -> pd.DataFrame:
    return pd.DataFrame({"team_id": [c[0] for c in cells], "g": "x", "n": [c[1] for c in cells]})


def hidden(frame: pd.DataFrame, mask: pd.Series) -> list[str]:
    return list(frame.loc[mask.to_numpy(), "team_id"])


def test_primary_hides_groups_of_one_to_four_but_not_zero_or_unknown() -> None:
    assert primary([0, 1, 4, 5, 4.9, None, float("nan"), 120], 5).tolist() == [
        False, True, True, False, True, False, False, False]
    assert primary([2, 3], 3).tolist() == [True, False]


def test_no_small_cell_nothing_hidden() -> None:
    frame = rows(("A", 10), ("B", 7), ("C", 0), ("__all__", 17))
    assert hidden(frame, suppression_mask(frame, "n", [["g"]], 5, frame["team_id"] == "__all__")) == []


def test_a_lone_small_cell_takes_the_next_smallest_with_it() -> None:
    # A=3 could be recovered as 60 - 40 - 9 - 8: the next-smallest non-empty cell (D=8) goes too; C=0 is no help
    frame = rows(("A", 3), ("B", 40), ("C", 0), ("D", 8), ("E", 9), ("__all__", 60))
    assert hidden(frame, suppression_mask(frame, "n", [["g"]], 5, frame["team_id"] == "__all__")) == ["A", "D"]


def test_two_small_cells_protect_each_other() -> None:
    frame = rows(("A", 3), ("B", 40), ("C", 2), ("__all__", 45))
    assert hidden(frame, suppression_mask(frame, "n", [["g"]], 5, frame["team_id"] == "__all__")) == ["A", "C"]


def test_no_second_cell_then_the_total_is_hidden() -> None:
    frame = rows(("A", 3), ("B", 0), ("__all__", 3))
    assert hidden(frame, suppression_mask(frame, "n", [["g"]], 5, frame["team_id"] == "__all__")) == [
        "A", "__all__"]


def test_ties_take_the_first_in_order() -> None:
    frame = rows(("A", 1), ("B", 6), ("C", 6), ("__all__", 13))
    assert hidden(frame, suppression_mask(frame, "n", [["g"]], 5, frame["team_id"] == "__all__")) == ["A", "B"]


def test_two_groupings_repeat_until_no_lone_cell() -> None:
    # rows: teams; columns: months. T1/m1 = 2 is primary. Column m1: lone -> T2/m1 (10) goes too. Then row T2
    # has a lone hidden cell -> T2/m2 (20, its smallest other) goes; column m2 now lone -> T1/m2 (30) goes.
    frame = pd.DataFrame({"team_id": ["T1", "T1", "T2", "T2"], "month": ["m1", "m2", "m1", "m2"],
                          "n": [2, 30, 10, 20]})
    mask = suppression_mask(frame, "n", [["month"], ["team_id"]], 5)
    assert mask.tolist() == [True, True, True, True]


def test_exempt_rows_are_never_hidden() -> None:
    frame = rows(("A", 3), ("B", 40), ("__all__", 43))
    mask = suppression_mask(frame, "n", [["g"]], 5, frame["team_id"] == "__all__", exempt=frame["team_id"] == "A")
    assert hidden(frame, mask) == []


def test_metric_values_counts_by_count_rates_by_denominator() -> None:
    month = pd.Timestamp("2024-06-01")
    values = pd.DataFrame([
        # integrations (count): T1 = 3 is small, T2 = 0 is shown, T3 = 12 is the next-smallest -> hidden too
        ("T1", month, "integrations", 3.0, 3.0, None),
        ("T2", month, "integrations", 0.0, 0.0, None),
        ("T3", month, "integrations", 12.0, 12.0, None),
        ("T4", month, "integrations", 20.0, 20.0, None),
        ("__unassigned__", month, "integrations", 0.0, 0.0, None),
        ("__all__", month, "integrations", 35.0, 35.0, None),
        # a rate: the denominator is the group. T1 of 4 persons is hidden, T2 of 3 as well: no secondary needed
        ("T1", month, "activation_rate", 50.0, 2.0, 4.0),
        ("T2", month, "activation_rate", 0.0, 0.0, 3.0),
        ("T3", month, "activation_rate", 10.0, 10.0, 100.0),
        ("__all__", month, "activation_rate", 10.7, 12.0, 107.0),
        # dq_score averages rules: never hidden
        ("T1", month, "dq_score", 90.0, 12.6, 14.0),
    ], columns=["team_id", "month", "metric_id", "value", "numerator", "denominator"])
    units = {"integrations": "count", "activation_rate": "percent", "dq_score": "percent"}
    out = protect_metric_values(values, units, 5)
    hid = out[out["suppressed"]]
    assert list(zip(hid["team_id"], hid["metric_id"], strict=True)) == [
        ("T1", "integrations"), ("T3", "integrations"), ("T1", "activation_rate"), ("T2", "activation_rate")]
    assert hid[["value", "numerator", "denominator"]].isna().all().all()
    kept = out[~out["suppressed"]]
    assert kept.loc[kept["team_id"] == "__all__", "value"].tolist() == [35.0, 10.7]
    assert out.loc[(out["team_id"] == "T2") & (out["metric_id"] == "integrations"), "value"].item() == 0.0
    # the rule is per month and metric: a different month is a different group
    other = values.assign(month=pd.Timestamp("2024-05-01"), value=values["value"] * 10,
                          numerator=values["numerator"] * 10, denominator=values["denominator"] * 10)
    both = protect_metric_values(pd.concat([values, other]), units, 5)
    assert both.loc[both["month"] == pd.Timestamp("2024-05-01"), "suppressed"].sum() == 0


def test_pass_rates_by_records_checked() -> None:
    rates = pd.DataFrame({"team_id": ["T1", "T2", "T3", "__all__"], "rule_id": "DQ11",
                          "checked": [4, 50, 60, 114], "failed": [1, 5, 0, 6],
                          "pass_rate": [75.0, 90.0, 100.0, 94.7]})
    out = protect_pass_rates(rates, 5)
    assert out["suppressed"].tolist() == [True, True, False, False]
    assert math.isnan(out.loc[0, "failed"]) and math.isnan(out.loc[1, "pass_rate"])


def test_cohorts_across_teams_and_across_months() -> None:
    cohorts = pd.DataFrame({
        "team_id": ["T1", "T1", "T2", "T2", "__all__", "__all__"],
        "cohort_month": ["2024-01", "2024-02"] * 3, "step": "first_contact_14d",
        "cases": [3, 12, 20, 25, 23, 37]})
    # T1/Jan = 3 (primary); month Jan: lone -> T2/Jan; team T1: lone -> T1/Feb; month Feb then lone -> T2/Feb
    assert cohort_mask(cohorts, 5).tolist() == [True, True, True, True, False, False]


def test_explanation_names_the_threshold() -> None:
    assert "weniger als 7 Personen" in explanation(7)


def test_goals_counts_by_actual_rates_by_denominator_targets_stay() -> None:
    # integrations (count): A's year so far is 3 persons -> hidden, and B (12, the next smallest team)
    # with it, so that A is not the one gap beside the job center's figure. C stays.
    # integration_rate_12m (share): B's denominator in the as-of month is 4 -> hidden; A (40) is the
    # only other team, so it goes too.
    # __all__ is the job center's own figure (shown on every page): never hidden.
    # dq_score counts rules, not persons: never hidden.
    oct_ = pd.Timestamp("2025-10-01")
    goals = pd.DataFrame({
        "year": 2025, "as_of_month": oct_,
        "team_id": ["A", "B", "C", "__all__", "A", "B", "__all__", "A"],
        "metric_id": ["integrations"] * 4 + ["integration_rate_12m"] * 3 + ["dq_score"],
        "target_value": [10, 30, 40, 80, 20.0, 25.0, 22.0, 90.0],
        "actual": [3, 12, 20, 35, 15.0, 25.0, 16.0, 2.0],
        "forecast_year_end": [4, 15, 24, 43, 18.0, 30.0, 19.0, 88.0],
        "status": ["at_risk", "on_track", "on_track", "on_track", "on_track", "on_track", "on_track", "at_risk"],
    })
    values = pd.DataFrame({"team_id": ["A", "B", "__all__", "A"], "month": oct_,
                           "metric_id": ["integration_rate_12m"] * 3 + ["dq_score"],
                           "denominator": [40.0, 4.0, 44.0, 16.0]})
    units = {"integrations": "count", "integration_rate_12m": "percent", "dq_score": "percent"}
    out = protect_goals(goals, values, units, 5)
    assert out["suppressed"].tolist() == [True, True, False, False, True, True, False, False]
    hidden_rows = out[out["suppressed"]]
    assert hidden_rows["actual"].isna().all() and hidden_rows["forecast_year_end"].isna().all()
    assert hidden_rows["status"].isna().all()
    assert out["target_value"].tolist() == goals["target_value"].tolist()  # the goal itself is no person data
    assert out.loc[2, "actual"] == 20 and out.loc[7, "status"] == "at_risk"
