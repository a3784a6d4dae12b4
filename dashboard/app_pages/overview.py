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
               "desselben Teams. Die Teams stehen in fester Reihenfolge (nach Team-ID), nicht als Rangliste.")
    values = data.month_values(key, month)
    by_theme = table_themes(catalog)
    # one theme at a time: all team-table metrics at once needed horizontal scrolling at 1400 px
    theme = url_radio("Kennzahlen", list(by_theme), PARAMS["table"], next(iter(by_theme)), horizontal=True,
                      label_visibility="collapsed") if len(by_theme) > 1 else next(iter(by_theme), None)
    metric_ids = by_theme.get(theme, [])
    table = team_table(values, catalog, filters.team_ids, filters.team_names, metric_ids, month, as_of)
    st.dataframe(table, hide_index=True, width="stretch")
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
               as_of=None) -> pd.DataFrame:  # noqa: ANN001
    """Teams (fixed order, then the job center) × metrics (default: every team-table metric), as German text;
    a figure not shown says why: hidden, not measurable yet, or nothing to measure."""
    metrics = flagged(catalog, "team_table") if metrics is None else metrics
    indexed = values.set_index(["team_id", "metric_id"])
    rows = []
    for team_id in [*team_ids, data.ALL]:
        row = {"Team": team_label(team_id, names)}
        for metric_id in metrics:
            unit = catalog.loc[metric_id, "unit"]
            label = catalog.loc[metric_id, "label_de"]
            cell = indexed.loc[(team_id, metric_id)] if (team_id, metric_id) in indexed.index else None
            if cell is not None and not missing(cell["value"]):
                row[label] = charts.change_text(cell["value"], cell["prev_value"], unit)
            else:
                ready = ready_on(catalog.loc[metric_id].get("ready_after"), month) if month else None
                row[label] = empty_mark(suppressed=bool(cell["suppressed"]) if cell is not None and
                                        "suppressed" in cell else False, ready=ready, as_of=as_of)
        rows.append(row)
    return pd.DataFrame(rows)


if __name__ == "__main__":  # run by st.navigation as a page script
    render()
