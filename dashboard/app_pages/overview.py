"""Überblick: the job center at a glance for the chosen month.

A tile per key metric (value, change against the same month last year, 24
months as a neutral grey sparkline; only the change is coloured, by the metric's direction), then the teams of
the chosen unit, in fixed order by team id, each with its change against its own
previous year: a table to read along a row, not a league table.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.widgets import PARAMS, current_filters, focus_box, no_metrics_yet, team_label, url_radio
from pipelines.report import charts
from pipelines.report.focus import focus_lines
from pipelines.report.formats import (
    EMPTY_LEGEND,
    HIDDEN_MARK,
    NO_DATA_MARK,
    STATUS_DE,
    delta_color,
    empty_mark,
    format_change,
    format_value,
    metric_delta,
    missing,
    month_label,
    month_short,
    ready_on,
)
from pipelines.review import pick, score_metrics

SPARK_MONTHS = 24
TOTAL_ROW_CSS = "background-color: #EEF0F3"


def flagged(catalog: pd.DataFrame, column: str) -> list[str]:
    """The metric ids the catalogue marks with ``column`` (key_figure, team_table), in its display order."""
    if column not in catalog:
        return []
    frame = catalog.reset_index()
    return list(frame.loc[frame[column].astype(bool)].sort_values("display_order")["metric_id"])


def render() -> None:
    key = data.current_key()
    st.title("Überblick")
    filters = current_filters()
    catalog = data.metric_catalog(key).set_index("metric_id")
    if filters is None or catalog.empty:
        no_metrics_yet()
        return
    month = filters.month
    st.caption(f"Jobcenter gesamt · {month_label(month)} · Veränderung jeweils gegenüber dem Vorjahresmonat")

    center = data.metric_values(key, data.ALL)
    center["month"] = pd.to_datetime(center["month"])
    now = center[center["month"] == pd.Timestamp(month)].set_index("metric_id")
    prev = center[center["month"] == pd.Timestamp(month) - pd.DateOffset(months=12)].set_index("metric_id")
    window = center[(center["month"] <= pd.Timestamp(month))
                    & (center["month"] > pd.Timestamp(month) - pd.DateOffset(months=SPARK_MONTHS))]
    metrics = flagged(catalog, "key_figure")
    goals = data.goal_status(key)
    as_of = data.as_of(key)
    well, watch = pick(score_metrics(center, catalog, month))
    todo, open_findings = data.todo(key, data.ALL)
    focus_box(focus_lines(goals=goals, catalog=catalog, team_id=data.ALL, month=month, well=well, watch=watch,
                          todo=todo, open_findings=open_findings, teams=filters.team_ids))
    # three tiles a row at 1400 px, each titled by a wrapping line of its own: st.metric cuts its label to one
    # line ("Integrationsquote (12 Mon…", "Abdeckung mit aktuellem Kooperations…")
    per_row = 3
    cols = st.columns(per_row)
    for i, metric_id in enumerate(metrics):
        meta = catalog.loc[metric_id]
        value = now["value"].get(metric_id)
        spark = window[window["metric_id"] == metric_id].sort_values("month").dropna(subset=["value"])
        if i and i % per_row == 0:
            cols = st.columns(per_row)
        with cols[i % per_row], st.container(border=True, height="stretch"):
            change = format_change(value, prev["value"].get(metric_id), meta["unit"])
            st.markdown(f"**{meta['label_de']}**", help=meta["definition_de"])  # our catalogue's text, not data
            shown = format_value(value, meta["unit"]) if not missing(value) else empty_mark(
                suppressed=bool(now["suppressed"].get(metric_id, False)) if "suppressed" in now else False,
                ready=ready_on(meta.get("ready_after"), month), as_of=as_of)
            st.metric(
                meta["label_de"], shown,
                delta=metric_delta(change), delta_color=delta_color(meta["direction"], change),
                delta_description="ggü. Vorjahr", label_visibility="collapsed",
                help=meta["definition_de"],
            )
            if len(spark) > 1:  # neutral grey; only the change above is coloured (st.metric colours both)
                st.plotly_chart(charts.sparkline(spark["month"], spark["value"], meta["unit"]),
                                key=f"spark_{metric_id}", config={"displayModeBar": False, "staticPlot": False})
            note = goal_note(goals, catalog, metric_id, month)
            if note:
                st.caption(note)

    st.subheader("Teams im Vergleich mit ihrem eigenen Vorjahr")
    st.caption("Je Team der Wert im Monat und in Klammern die Veränderung gegenüber dem Vorjahresmonat "
               "desselben Teams. Die Teams stehen nach Bereich und Team-ID in fester Reihenfolge, nicht als "
               "Rangliste; „Bereich … gesamt“ ist die Summe seiner Teams (Zähler und Nenner zusammengezählt).")
    values = data.month_values(key, month)
    by_theme = table_themes(catalog)
    # one theme at a time: all team-table metrics at once needed horizontal scrolling at 1400 px
    theme = url_radio("Kennzahlen", list(by_theme), PARAMS["table"], next(iter(by_theme)), horizontal=True,
                      label_visibility="collapsed") if len(by_theme) > 1 else next(iter(by_theme), None)
    metric_ids = by_theme.get(theme, [])
    teams = data.teams(key)
    table = team_table(values, catalog, filters.team_ids, filters.team_names, metric_ids, month, as_of,
                       units=dict(zip(teams["team_id"], teams["unit"], strict=True)),
                       subtotals=data.unit_month_values(key, month))
    # every row in sight ("content"): the default height of ten rows hid the job center below the subtotals
    st.dataframe(shaded_totals(table), hide_index=True, width="stretch", height="content")
    marks = {HIDDEN_MARK, NO_DATA_MARK}
    if table.drop(columns="Team").map(lambda c: c in marks or c.startswith("offen")).to_numpy().any():
        st.caption(EMPTY_LEGEND.format(k=data.min_cell_size()))


GOAL_FIGURE_DE = {"cumulative": "im Jahr", "progress": "als Jahresfortschrittswert", "average": "im Jahresmittel"}


def goal_note(goals: pd.DataFrame | None, catalog: pd.DataFrame, metric_id: str, month) -> str | None:  # noqa: ANN001
    """The job center's goal of the month's year under its tile: target, which figure it is about, status.

    The tile shows the month's value; a goal may be about another figure of the same metric (the year's sum,
    the Jahresfortschrittswert, the year's mean), so the note names it rather than put a second number under
    the same label.
    """
    if goals is None or goals.empty:
        return None
    rows = goals[(goals["team_id"] == data.ALL) & (goals["metric_id"] == metric_id) & (goals["year"] == month.year)]
    if rows.empty:
        return None
    goal = rows.iloc[0]
    kind = catalog.loc[metric_id, "goal_kind"] if "goal_kind" in catalog else None
    unit = catalog.loc[metric_id, "unit"]
    figure = GOAL_FIGURE_DE.get(kind, "")
    status = STATUS_DE.get(goal.get("status")) if isinstance(goal.get("status"), str) else None
    stand = f"Stand {month_short(pd.Timestamp(goal['as_of_month']).date())}"
    return (f"Ziel {month.year}: {format_value(goal['target_value'], unit)}" + (f" {figure}" if figure else "")
            + (f" · {status} ({stand})" if status else ""))


def table_themes(catalog: pd.DataFrame) -> dict[str, list[str]]:
    """The team table's metrics (``team_table``) by theme, both in the catalogue's display order."""
    out: dict[str, list[str]] = {}
    for metric_id in flagged(catalog, "team_table"):
        out.setdefault(catalog.loc[metric_id, "theme_de"], []).append(metric_id)
    return out


def team_table(values: pd.DataFrame, catalog: pd.DataFrame, team_ids: tuple[str, ...],
               names: dict[str, str], metrics: list[str] | None = None, month=None,  # noqa: ANN001
               as_of=None, units: dict[str, str] | None = None,  # noqa: ANN001
               subtotals: pd.DataFrame | None = None) -> pd.DataFrame:
    """Teams (fixed order, grouped by unit, each unit followed by its subtotal where there is one, then the job
    center) × metrics (default: every team-table metric), as German text; a figure not shown says why: hidden,
    not measurable yet, or nothing to measure."""
    metrics = flagged(catalog, "team_table") if metrics is None else metrics
    indexed = values.set_index(["team_id", "metric_id"])
    sums = (subtotals if subtotals is not None else pd.DataFrame(columns=["unit", "metric_id"])
            ).set_index(["unit", "metric_id"])

    def row(label: str, cells: pd.DataFrame, key: str) -> dict:
        out = {"Team": label}
        for metric_id in metrics:
            unit = catalog.loc[metric_id, "unit"]
            cell = cells.loc[(key, metric_id)] if (key, metric_id) in cells.index else None
            if cell is not None and not missing(cell["value"]):
                out[catalog.loc[metric_id, "label_de"]] = charts.change_text(cell["value"], cell["prev_value"], unit)
            else:
                ready = ready_on(catalog.loc[metric_id].get("ready_after"), month) if month else None
                out[catalog.loc[metric_id, "label_de"]] = empty_mark(
                    suppressed=bool(cell["suppressed"]) if cell is not None and "suppressed" in cell else False,
                    ready=ready, as_of=as_of)
        return out

    rows, totals = [], []
    for unit, members in unit_groups(team_ids, units or {}):
        rows += [row(team_label(t, names), indexed, t) for t in members]
        if unit is not None and any((unit, m) in sums.index for m in metrics):  # the DQ score: no subtotal
            totals.append(len(rows))
            rows.append(row(f"Bereich {unit} gesamt", sums, unit))
    totals.append(len(rows))
    rows.append(row(team_label(data.ALL, names), indexed, data.ALL))
    frame = pd.DataFrame(rows)
    frame.attrs["totals"] = totals  # positions of the sum rows (subtotals, job center), set off in the table
    return frame


def shaded_totals(table: pd.DataFrame):  # noqa: ANN201 (a pandas Styler)
    """The table with its sum rows on a grey ground, so a subtotal does not read as one more team."""
    totals = set(table.attrs.get("totals", []))
    return table.style.apply(lambda r: [TOTAL_ROW_CSS if r.name in totals else ""] * len(r), axis=1)


def unit_groups(team_ids: tuple[str, ...], units: dict[str, str]) -> list[tuple[str | None, list[str]]]:
    """The teams by unit, units in the order of their first team id, teams by id; teams without a unit last."""
    groups: dict[str | None, list[str]] = {}
    for team_id in sorted(team_ids):
        unit = units.get(team_id)
        groups.setdefault(unit if isinstance(unit, str) and unit.strip() else None, []).append(team_id)
    return sorted(groups.items(), key=lambda item: (item[0] is None, item[1][0]))


if __name__ == "__main__":  # run by st.navigation as a page script
    render()
