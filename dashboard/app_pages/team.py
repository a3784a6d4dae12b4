"""Team: one team over time.

Every metric as a line against the team's own previous year and against the job
center, one theme at a time; the fact sheet (``metric_catalog.definition_de``) is
one click away under each chart, numerator and denominator on hover. Where most of a
small team's monthly counts are hidden (fewer than the minimum number of persons), the
chart shows the count's quarterly sums instead (``metric_catalog.stands_in_for``, issue 16
item 6) where they cover more of the period: three months together are often large enough.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.widgets import PARAMS, current_filters, no_metrics_yet, team_label, url_radio
from pipelines.report import charts
from pipelines.report.formats import gap_note, inline, month_label

WINDOW = 24
MOSTLY_HIDDEN = 0.5  # more than this share of the window's monthly values hidden: show the quarter sums


def themes(catalog: pd.DataFrame) -> dict[str, list[str]]:
    """Theme (``metric_catalog.theme_de``) -> its charts' metric ids, both in the catalogue's display order.

    A quarter sum (``stands_in_for``) is no chart of its own: it stands in for its monthly count."""
    frame = catalog.reset_index().sort_values("display_order")
    frame = frame[frame["metric_id"].map(lambda m: not stands_in_for(catalog, m))]
    out: dict[str, list[str]] = {}
    for theme, metric_id in zip(frame["theme_de"], frame["metric_id"], strict=True):
        out.setdefault(theme, []).append(metric_id)
    return out


def stands_in_for(catalog: pd.DataFrame, metric_id: str) -> str:
    """The monthly count a quarter sum stands in for ("" for every other metric, and in a database
    loaded before the catalogue had the column)."""
    value = catalog.loc[metric_id].get("stands_in_for") if metric_id in catalog.index else None
    return value if isinstance(value, str) else ""


def quarter_stand_in(catalog: pd.DataFrame, metric_id: str) -> str | None:
    """The quarter sum that stands in for ``metric_id``, if the catalogue has one."""
    for other in catalog.index:
        if stands_in_for(catalog, other) == metric_id:
            return other
    return None


def _window(series: pd.DataFrame, end, months: int) -> pd.DataFrame:  # noqa: ANN001
    month, last = pd.to_datetime(series["month"]), pd.Timestamp(end)
    return series[(month > last - pd.DateOffset(months=months)) & (month <= last)]


def mostly_hidden(series: pd.DataFrame, end, months: int) -> bool:  # noqa: ANN001
    """Whether more than half of the window's monthly values are hidden for privacy (``suppressed``)."""
    if "suppressed" not in series or series.empty:
        return False
    window = _window(series, end, months)
    return bool(len(window)) and window["suppressed"].fillna(False).astype(bool).mean() > MOSTLY_HIDDEN


def months_shown(series: pd.DataFrame, end, months: int, per_point: int = 1) -> int:  # noqa: ANN001
    """How many months of the window the shown values cover (a quarter's value covers three)."""
    window = _window(series, end, months)
    return per_point * int(window["value"].notna().sum())


def quarters_help(monthly: pd.DataFrame, quarters: pd.DataFrame, end) -> bool:  # noqa: ANN001
    """Quarters instead of months: where most months are hidden and the shown quarters cover more months.

    A quarter can be hidden too: beside a small count, by differencing with a running sum that is
    published every month (the Jahresfortschrittswert's integrations since January give Q1 in March, and
    any later month minus a quarter would give that month). Then the months stay."""
    return mostly_hidden(monthly, end, WINDOW) and \
        months_shown(quarters, end, WINDOW, per_point=3) > months_shown(monthly, end, WINDOW)


def fact_sheet(text: str | None) -> str:
    """The catalogue's fact sheet as Markdown (its lines kept as lines)."""
    return (text or "Für diese Kennzahl ist noch kein Steckbrief hinterlegt.").strip().replace("\n", "  \n")


def render() -> None:
    key = data.current_key()
    filters = current_filters()
    catalog = data.metric_catalog(key).set_index("metric_id")
    if filters is None or catalog.empty:
        st.title("Team")
        no_metrics_yet()
        return
    name = team_label(filters.team_id, filters.team_names)
    st.title(f"Team {inline(name)}")
    st.caption(f"{WINDOW} Monate bis {month_label(filters.month)} · durchgezogen: das Team, gestrichelt: dasselbe "
               "Team ein Jahr zuvor, gepunktet: Jobcenter gesamt. Zähler und Nenner zeigt der Mauszeiger. "
               "Unter einem Diagramm mit Lücken steht, warum ein Monat fehlt: weniger als "
               f"{data.min_cell_size()} Personen (zum Schutz der Sozialdaten nicht ausgewiesen), noch nicht "
               "messbar oder nichts zu messen.")
    own = data.metric_values(key, filters.team_id)
    center = data.metric_values(key, data.ALL)
    goals = data.goal_status(key)
    grouped = themes(catalog)
    # One theme at a time: building all 18 plotly charts made a team switch take ~0.8 s at
    # 200,000 persons; a theme's handful keeps it well under half a second.
    theme = url_radio("Themenbereich", list(grouped), PARAMS["theme"], next(iter(grouped)), horizontal=True)
    ids = grouped[theme]
    for start in range(0, len(ids), 2):
        for col, metric_id in zip(st.columns(2), ids[start:start + 2], strict=False):
            with col:
                _metric_block(metric_id, catalog, own, center, filters, name, goals, data.as_of(key))


def _metric_block(metric_id: str, catalog: pd.DataFrame, own: pd.DataFrame, center: pd.DataFrame, filters,  # noqa: ANN001
                  name: str, goals: pd.DataFrame | None, as_of) -> None:  # noqa: ANN001
    series, whole_series = own[own["metric_id"] == metric_id], center[center["metric_id"] == metric_id]
    stand_in = quarter_stand_in(catalog, metric_id)
    quarters, whole_quarters = ((frame[(frame["metric_id"] == stand_in) & (frame["month"].dt.month % 3 == 0)]
                                 for frame in (own, center)) if stand_in else (None, None))
    quarterly = stand_in is not None and quarters_help(series, quarters, filters.month)
    if quarterly:  # a quarter's sum, drawn in the quarter's last month
        monthly_label = catalog.loc[metric_id, "label_de"]
        metric_id, series, whole_series = stand_in, quarters, whole_quarters
    meta = catalog.loc[metric_id]
    team = charts.trend_frame(series, filters.month, WINDOW)
    whole = charts.trend_frame(whole_series, filters.month, WINDOW)
    target = charts.target_line(goals, catalog, metric_id, filters.team_id, team["month"])
    detail = "Team, Vorjahr und Jobcenter" + (" · mit Ziel" if target else "")
    fig = charts.metric_trend(team, whole, title=charts.two_line_title(meta["label_de"], detail),
                              unit=meta["unit"], team_name=name, target=target)
    st.plotly_chart(fig, key=f"trend_{metric_id}", config={"displaylogo": False, "locale": "de"})
    if quarterly:
        st.caption(f"Die Monatswerte „{monthly_label}“ liegen in diesem Team meist unter "
                   f"{data.min_cell_size()} und werden deshalb nicht ausgewiesen. Gezeigt wird die Summe je "
                   "Kalenderquartal, im letzten Monat des Quartals (März, Juni, September, Dezember).")
    note = gap_note(series, filters.month, WINDOW, meta.get("ready_after"), as_of, data.min_cell_size(),
                    quarters=quarterly)
    if note:
        st.caption(note)
    with st.expander(f"Steckbrief: {meta['label_de']}"):
        st.markdown(fact_sheet(meta["definition_de"]))


if __name__ == "__main__":  # run by st.navigation as a page script
    render()
