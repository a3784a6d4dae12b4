"""Plotly chart builders: pure functions from DataFrames to figures (no ``st.`` calls here).

One calm palette for the whole dashboard: the team in a muted blue, its own
previous year in a light blue, the job center in sand, targets in slate. No red
and no green: the dashboard compares a team first with its own past and never
ranks. Every figure has a title that says what it shows, German axis labels, and
German numbers (``separators=",."``; hover texts are preformatted German strings).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go

from dashboard.formats import format_change, format_number, format_value, month_label

PALETTE = {
    "team": "#34627F",
    "previous": "#A7BFD0",
    "center": "#B39B72",
    "target": "#5E6B78",
    "expected": "#C9D3DC",
    "band": "rgba(52, 98, 127, 0.18)",
}
HEAT_SCALE = [[0.0, "#F5F0E6"], [0.5, "#BFD0DC"], [1.0, "#34627F"]]
UNIT_AXIS = {"percent": "Prozent", "count": "Anzahl", "per_100": "je 100 eLb"}
MONTH_TICKS = "%m.%Y"


def _layout(fig: go.Figure, title: str, *, height: int = 320, y_title: str | None = None) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "y": 0.96, "yanchor": "top", "font": {"size": 15}},
        template="plotly_white",
        separators=",.",
        height=height,
        margin={"l": 10, "r": 10, "t": 96, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0, "font": {"size": 11}},
        hoverlabel={"bgcolor": "white"},
        font={"size": 12},
    )
    fig.update_yaxes(separatethousands=True, gridcolor="#E8ECEF")
    fig.update_layout(yaxis_title_text=y_title)
    return fig


def two_line_title(what: str, detail: str) -> str:
    """A chart title: the metric on the first line, what is drawn in smaller type below."""
    return f"{what}<br><span style='font-size:12px;font-weight:normal'>{detail}</span>"


def trend_frame(series: pd.DataFrame, end: dt.date, months: int = 24) -> pd.DataFrame:
    """One metric of one team: the ``months`` months up to ``end``, each with the value 12 months earlier.

    ``series`` has ``month, value, numerator, denominator``; the result adds
    ``prev_value, prev_numerator, prev_denominator``.
    """
    cols = ["month", "value", "numerator", "denominator"]
    frame = series[cols].copy()
    frame["month"] = pd.to_datetime(frame["month"])
    previous = frame.copy()
    previous["month"] = previous["month"] + pd.DateOffset(months=12)
    previous.columns = ["month", "prev_value", "prev_numerator", "prev_denominator"]
    merged = frame.merge(previous, on="month", how="left")
    last = pd.Timestamp(end)
    first = last - pd.DateOffset(months=months - 1)
    return merged[(merged["month"] >= first) & (merged["month"] <= last)].sort_values("month").reset_index(drop=True)


def _hover(months: pd.Series, values: pd.Series, nums: pd.Series, dens: pd.Series, unit: str | None,
           shift_years: int = 0) -> list[list[str]]:
    rows = []
    for m, v, n, d in zip(months, values, nums, dens, strict=True):
        shown = (pd.Timestamp(m) - pd.DateOffset(years=shift_years)).date()
        rows.append([f"{month_label(shown)}: {format_value(v, unit)}",
                     format_number(n), format_number(d) if unit != "count" else "–"])
    return rows


HOVER = "%{customdata[0]}<br>Zähler: %{customdata[1]}<br>Nenner: %{customdata[2]}<extra>%{fullData.name}</extra>"


def metric_trend(team: pd.DataFrame, center: pd.DataFrame | None, *, title: str, unit: str | None,
                 team_name: str) -> go.Figure:
    """A metric of one team over time, against its own previous year and against the job center.

    ``team`` and ``center`` come from :func:`trend_frame`. For counts the job
    center sits on a right-hand axis (a team's count and the job center's are of
    different size; the shape is what compares).
    """
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=team["month"], y=team["prev_value"], name="Vorjahr (Team)", mode="lines",
        line={"color": PALETTE["previous"], "width": 2, "dash": "dash"},
        customdata=_hover(team["month"], team["prev_value"], team["prev_numerator"], team["prev_denominator"],
                          unit, shift_years=1),
        hovertemplate=HOVER))
    fig.add_trace(go.Scatter(
        x=team["month"], y=team["value"], name=team_name, mode="lines+markers",
        line={"color": PALETTE["team"], "width": 3}, marker={"size": 5},
        customdata=_hover(team["month"], team["value"], team["numerator"], team["denominator"], unit),
        hovertemplate=HOVER))
    if center is not None and not center.empty:
        secondary = unit == "count"
        fig.add_trace(go.Scatter(
            x=center["month"], y=center["value"],
            name="Jobcenter gesamt" + (" (rechte Achse)" if secondary else ""), mode="lines",
            line={"color": PALETTE["center"], "width": 2, "dash": "dot"}, yaxis="y2" if secondary else "y",
            customdata=_hover(center["month"], center["value"], center["numerator"], center["denominator"], unit),
            hovertemplate=HOVER))
        if secondary:
            fig.update_layout(yaxis2={"overlaying": "y", "side": "right", "showgrid": False,
                                      "title": {"text": "Jobcenter gesamt"}, "rangemode": "tozero",
                                      "tickformat": ",.0f"})
    _layout(fig, title, y_title=UNIT_AXIS.get(unit or ""), height=360)
    fig.update_xaxes(tickformat=MONTH_TICKS, title_text="Monat")
    fig.update_yaxes(rangemode="tozero")
    if unit == "count":
        fig.update_yaxes(tickformat=",.0f")
        top = pd.concat([team["value"], team["prev_value"]]).max()
        if pd.isna(top) or top < 5:
            fig.update_layout(yaxis={"dtick": 1, "range": [0, max(1.0, 0 if pd.isna(top) else float(top)) * 1.1]})
    return fig


def pass_rate_heatmap(rates: pd.DataFrame, rule_labels: dict[str, str], team_labels: dict[str, str], *,
                      title: str) -> go.Figure:
    """Pass rate (percent) of every rule (columns) for every team (rows, in the given order).

    ``rates`` has ``team_id, rule_id, checked, failed, pass_rate``; a cell with
    nothing checked stays empty.
    """
    teams = list(dict.fromkeys(rates["team_id"]))
    rules = sorted(set(rates["rule_id"]))
    grid = rates.set_index(["team_id", "rule_id"])
    z, text, hover = [], [], []
    for team in teams:
        z_row, t_row, h_row = [], [], []
        for rule in rules:
            row = grid.loc[(team, rule)] if (team, rule) in grid.index else None
            rate = None if row is None or pd.isna(row["pass_rate"]) else float(row["pass_rate"])
            z_row.append(rate)
            t_row.append("" if rate is None else format_number(rate, 1))
            if rate is None:
                h_row.append(f"{team_labels.get(team, team)}<br>{rule} {rule_labels.get(rule, '')}<br>nichts geprüft")
            else:
                h_row.append(f"{team_labels.get(team, team)}<br>{rule} {rule_labels.get(rule, '')}<br>"
                             f"{format_number(rate, 1)} % in Ordnung ({format_number(row['failed'])} von "
                             f"{format_number(row['checked'])} auffällig)")
        z.append(z_row)
        text.append(t_row)
        hover.append(h_row)
    present = [v for r in z for v in r if v is not None]
    zmin = min(80.0, (min(present) // 10) * 10) if present else 0.0
    fig = go.Figure(go.Heatmap(
        z=z, x=rules, y=[team_labels.get(t, t) for t in teams], text=text, texttemplate="%{text}",
        customdata=hover, hovertemplate="%{customdata}<extra></extra>", colorscale=HEAT_SCALE,
        zmin=zmin, zmax=100, xgap=2, ygap=2,
        colorbar={"title": {"text": "in Ordnung (%)"}, "ticksuffix": " %"}))
    _layout(fig, title, height=max(260, 60 + 34 * len(teams)))
    fig.update_xaxes(title_text="Regel", side="bottom", type="category")
    fig.update_yaxes(title_text=None, autorange="reversed", type="category")
    return fig


def goal_chart(goal: pd.Series, *, title: str, unit: str | None) -> go.Figure:
    """One target: actual against the linear and the seasonal expectation, and the year-end
    forecast with its 80 % band against the target.

    ``goal`` is one ``goal_status`` row.
    """
    as_of = pd.Timestamp(goal["as_of_month"]).date()
    labels = [f"Ist bis {as_of:%m.%Y}", "Erwartung linear", "Erwartung saisonal", "Prognose Dezember",
              "Jahresziel"]
    values = [goal.get("actual"), goal.get("expected_linear"), goal.get("expected_seasonal"),
              goal.get("forecast_year_end"), goal.get("target_value")]
    values = [None if v is None or pd.isna(v) else float(v) for v in values]
    colors = [PALETTE["team"], PALETTE["expected"], PALETTE["expected"], PALETTE["previous"], PALETTE["target"]]
    low, high = goal.get("forecast_low"), goal.get("forecast_high")
    has_band = values[3] is not None and not (low is None or pd.isna(low) or high is None or pd.isna(high))
    error = {"type": "data", "symmetric": False, "color": PALETTE["team"], "thickness": 1.5, "width": 6,
             "array": [0, 0, 0, (float(high) - values[3]) if has_band else 0, 0],
             "arrayminus": [0, 0, 0, (values[3] - float(low)) if has_band else 0, 0]}
    hover = [f"{label}: {format_value(v, unit)}" for label, v in zip(labels, values, strict=True)]
    if has_band:
        hover[3] += f"<br>80-%-Band: {format_value(low, unit)} bis {format_value(high, unit)}"
    fig = go.Figure(go.Bar(
        y=labels, x=values, orientation="h", marker={"color": colors}, error_x=error,
        text=[format_value(v, unit) for v in values], textposition="outside", textangle=0, cliponaxis=False,
        customdata=hover, hovertemplate="%{customdata}<extra></extra>", showlegend=False))
    _layout(fig, title, height=260)
    fig.update_yaxes(autorange="reversed", title_text=None)
    fig.update_xaxes(title_text=UNIT_AXIS.get(unit or ""), rangemode="tozero")
    return fig


def change_text(current: float | None, previous: float | None, unit: str | None) -> str:
    """A value with its change against the same month a year earlier, for tables."""
    change = format_change(current, previous, unit, short=True)
    return format_value(current, unit) + (f" ({change})" if change else "")
