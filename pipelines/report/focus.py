"""„Worauf es diesen Monat ankommt“: a few sentences at the top of the Überblick and the Teamreflexion.

Built only from figures the viewer may already see (the read side's protected frames), in a fixed order
that says what to talk about first: goals where support makes sense (then those to keep an eye on), changes
against the same month a year earlier that lie beyond chance (``pipelines.review.beyond_chance``), and the
open data-quality findings. No line names a person; a line about teams counts them and never ranks them.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pipelines.report.formats import (
    STATUS_DE,
    format_number,
    format_value,
    goal_actual_label,
    missing,
    month_label,
)
from pipelines.review import Point

MAX_GOALS = 3
STATUS_ORDER = {"behind": 0, "watch": 1}
TITLE = "Worauf es diesen Monat ankommt"
NOTHING = ("Keine Auffälligkeiten: die Ziele sind auf Kurs, keine Kennzahl hat sich über den Zufall hinaus "
           "verändert, und es gibt keine offenen Hinweise zur Datenqualität.")


def count_noun(catalog: pd.DataFrame, metric_id: str) -> str:
    """" Personen" for a count of persons (catalog ``count_noun_de``), else nothing."""
    noun = catalog.loc[metric_id].get("count_noun_de") if metric_id in catalog.index else None
    return f" {noun}" if isinstance(noun, str) and noun.strip() else ""


def amount(value: float, unit: str, noun: str = "") -> str:
    """A figure in a sentence: "26 Personen", "78,4 %", "12,3"."""
    if unit == "count":
        return f"{format_number(value, 0)}{noun}"
    return format_value(value, unit)


def change_sentence(point: Point, month: dt.date, noun: str = "") -> str:
    """A change as a whole sentence: "LZB-Bestand: 26 Personen, 2 weniger als im Oktober 2025 (28)."

    A comma, not a dash, between the value and the change: "26 – 2 weniger" reads as a range."""
    diff = point.value - point.previous
    if point.unit == "percent":
        size = f"{format_number(abs(diff), 1)} Prozentpunkte"
    elif point.unit == "count":
        size = format_number(abs(diff), 0)
    else:
        size = format_number(abs(diff), 1)
    more = "mehr" if diff > 0 else "weniger"
    before = month.replace(year=month.year - 1)
    return (f"{point.label}: {amount(point.value, point.unit, noun)}, {size} {more} als im "
            f"{month_label(before)} ({amount(point.previous, point.unit)}).")


def goal_lines(goals: pd.DataFrame | None, catalog: pd.DataFrame, team_id: str, year: int) -> list[str]:
    """The unit's goals of ``year`` that need support, then those to keep an eye on (at most ``MAX_GOALS``)."""
    if goals is None or goals.empty:
        return []
    rows = goals[(goals["team_id"] == team_id) & (goals["year"] == year) & goals["status"].isin(list(STATUS_ORDER))]
    rows = rows.assign(_order=rows["status"].map(STATUS_ORDER)).sort_values(["_order", "metric_id"])
    lines = []
    for goal in rows.head(MAX_GOALS).itertuples(index=False):
        if goal.metric_id not in catalog.index:
            continue
        meta = catalog.loc[goal.metric_id]
        as_of = pd.Timestamp(goal.as_of_month).date()
        figure = goal_actual_label(meta.get("goal_kind"), as_of)
        actual = "" if missing(goal.actual) else f" {figure}: {format_value(goal.actual, meta['unit'])},"
        lines.append(f"Ziel „{meta['label_de']}“: {STATUS_DE[goal.status]}.{actual} "
                     f"Ziel {year}: {format_value(goal.target_value, meta['unit'])}.")
    return lines


def team_goal_line(goals: pd.DataFrame | None, team_ids: tuple[str, ...], year: int) -> str | None:
    """How many of the shown teams have at least one goal where support makes sense: a count, no names."""
    if goals is None or goals.empty or not team_ids:
        return None
    behind = goals[goals["team_id"].isin(team_ids) & (goals["year"] == year) & (goals["status"] == "behind")]
    teams = behind["team_id"].nunique()
    if not teams:
        return None
    many = "einem Team" if teams == 1 else f"{teams} Teams"
    return (f"Bei {many} ist für mindestens ein Ziel Unterstützung sinnvoll; die Seite Zielerreichung zeigt, "
            "wo und in welchem Umfang.")


def change_lines(well: list[Point], watch: list[Point], catalog: pd.DataFrame, month: dt.date) -> list[str]:
    """At most one improvement and one movement the other way, both beyond chance."""
    lines = []
    if well:
        lines.append("Gelungen: " + change_sentence(well[0], month, count_noun(catalog, well[0].metric_id)))
    if watch:
        lines.append("Genauer ansehen: " + change_sentence(watch[0], month, count_noun(catalog, watch[0].metric_id)))
    return lines


def findings_line(todo: pd.DataFrame, total: int | None) -> str | None:
    """The open data-quality findings: how many, and the rule with the most."""
    if todo is None or todo.empty:
        return None
    known = todo.dropna(subset=["findings"])
    top = known.iloc[0] if not known.empty else None
    most = f", die meisten zu „{top['label_de']}“ ({top['rule_id']})" if top is not None else ""
    if total is None:
        return f"Datenqualität: offene Hinweise zu {len(todo)} Regeln{most}."
    if total == 0:
        return None
    count = "ein offener Hinweis" if total == 1 else f"{format_number(total, 0)} offene Hinweise"
    return f"Datenqualität: {count}{most}."


def focus_lines(*, goals: pd.DataFrame | None, catalog: pd.DataFrame, team_id: str, month: dt.date,
                well: list[Point], watch: list[Point], todo: pd.DataFrame, open_findings: int | None,
                teams: tuple[str, ...] = ()) -> list[str]:
    """Every line of the box, in the order to talk about them; ``teams``: the shown teams (Überblick only)."""
    lines = goal_lines(goals, catalog, team_id, month.year)
    line = team_goal_line(goals, teams, month.year)
    if line:
        lines.append(line)
    lines += change_lines(well, watch, catalog, month)
    line = findings_line(todo, open_findings)
    if line:
        lines.append(line)
    return lines
