"""Plotly chart builders: pure functions from DataFrames to figures (no ``st.`` calls here).

One calm palette for the whole dashboard: the team in a muted blue, its own
previous year in a light blue, the job center in sand, targets in slate. No red
and no green: the dashboard compares a team first with its own past and never
ranks. Every figure has a title that says what it shows, German axis labels, and
German numbers (``separators=",."``; hover texts are preformatted German strings).
"""

from __future__ import annotations

import datetime as dt
import html

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

from pipelines.report.formats import (
    format_change,
    format_number,
    format_value,
    goal_actual_label,
    month_label,
    month_short,
)

PALETTE = {
    "team": "#34627F",
    "previous": "#A7BFD0",
    "center": "#B39B72",
    "target": "#5E6B78",
    "expected": "#C9D3DC",
    "band": "rgba(52, 98, 127, 0.18)",
    "neutral": "#8A9099",  # sparklines: no judgement in the line, only in the change beside it
}
HEAT_SCALE = [[0.0, "#F5F0E6"], [0.5, "#BFD0DC"], [1.0, "#34627F"]]
UNIT_AXIS = {"percent": "Prozent", "count": "Anzahl", "per_100": "je 100 eLb"}
SUPPRESSED_HOVER = "weniger als die Mindestzahl an Personen – zum Schutz der Sozialdaten nicht ausgewiesen"


# The theme is plotly's "plotly_white", set once as the default: passing a template to
# every figure made building the 18 charts of the Team page three times slower.
pio.templates.default = "plotly_white"


def _layout(fig: go.Figure, title: str, *, height: int = 320, y_title: str | None = None) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "y": 0.96, "yanchor": "top", "font": {"size": 15}},
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


def text_of(value: object) -> str:
    """Text from data (a team name) as plotly shows it literally: its labels understand a few HTML tags, so
    ``<a href=...>`` in a team name would become a link."""
    return html.escape(str(value), quote=False)


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


def month_axis(fig: go.Figure, months: pd.Series, **where: int) -> None:
    """German month ticks ("Jan. 2025"), at most eight of them: plotly's own month names are English, and its
    German locale file is not part of the offline bundle."""
    shown = sorted(pd.to_datetime(pd.Series(months)).dropna().unique())
    if not shown:
        return
    step = max(1, -(-len(shown) // 8))
    if step > 1:
        step = 3 if step <= 3 else 6 if step <= 6 else 12
    ticks = [m for m in shown if (pd.Timestamp(m).month - 1) % step == 0] if step > 1 else shown
    fig.update_xaxes(tickvals=ticks, ticktext=[month_short(pd.Timestamp(m).date()) for m in ticks], **where)


ZOOMED = frozenset({"dq_score"})  # scores near 100 %: drawn on a zoomed axis, its range stated (zoom_note)


def zoom_note(zoom: tuple[float, float] | None) -> str:
    """The axis range of a zoomed chart, to append to its title's second line ("" when not zoomed)."""
    return f" · Achse von {format_number(zoom[0], 0)} bis {format_number(zoom[1], 0)} %" if zoom else ""


def zoomed_range(*frames: pd.DataFrame, floor: float = 0, ceiling: float = 100) -> tuple[float, float] | None:
    """A y range around the values of ``frames`` (columns ``value``, ``prev_value``), in steps of 5 with room
    on both sides and within ``floor``..``ceiling``: a score between 88 and 96 % drawn on 0..100 is a flat
    line. None when there is nothing to draw."""
    values = pd.concat([f[c] for f in frames if f is not None for c in ("value", "prev_value") if c in f]).dropna()
    if values.empty:
        return None
    low = max(floor, 5 * ((float(values.min()) - 2) // 5))
    high = min(ceiling, 5 * -(-(float(values.max()) + 2) // 5))
    return (low, high) if high > low else None


def target_line(goals: pd.DataFrame | None, catalog: pd.DataFrame, metric_id: str, team_id: str,
                months: pd.Series) -> tuple[pd.DataFrame, str] | None:
    """The team's goal drawn on the chart of ``metric_id``: (month, value) points and their legend label.

    What a month of the chart can be compared with (metrics.md, Goals):
    - a level or average goal (value in A, mean of the year): the target itself, the months of its year;
    - a cumulative goal (integrations, entries, exits): the chart shows months, so the pro-rata share of one
      month, target / 12 ("Ziel anteilig je Monat");
    - a progress goal (the Integrationsquote by its Jahresfortschrittswert): the pro-rata path target × n / 12
      on the chart of the tracked value, where n is the month of the year.
    ``catalog`` is indexed by metric_id with ``goal_kind`` and ``tracked_metric_id``.
    """
    if goals is None or goals.empty or not len(months):
        return None
    shown = pd.to_datetime(pd.Series(months))
    tracked_by = {m: row["tracked_metric_id"] for m, row in catalog.iterrows()
                  if row.get("goal_kind") == "progress" and isinstance(row.get("tracked_metric_id"), str)}
    own = [m for m, t in tracked_by.items() if t == metric_id]
    goal_metric = own[0] if own else metric_id
    rows = goals[(goals["team_id"] == team_id) & (goals["metric_id"] == goal_metric)]
    if rows.empty or goal_metric not in catalog.index:
        return None
    kind = catalog.loc[goal_metric, "goal_kind"]
    if kind == "progress" and not own:
        return None  # a progress goal is drawn on its tracked value, not on the 12-month rate
    points = []
    for _, goal in rows.iterrows():
        target = float(goal["target_value"])
        for m in shown[shown.dt.year == int(goal["year"])]:
            value = target / 12 if kind == "cumulative" else target * m.month / 12 if kind == "progress" else target
            points.append((m, value))
    if not points:
        return None
    label = {"cumulative": "Ziel anteilig je Monat", "progress": "Zielpfad (anteilig)"}.get(kind, "Ziel")
    return pd.DataFrame(points, columns=["month", "value"]).sort_values("month"), label


def metric_trend(team: pd.DataFrame, center: pd.DataFrame | None, *, title: str, unit: str | None,
                 team_name: str, y_range: tuple[float, float] | None = None,
                 target: tuple[pd.DataFrame, str] | None = None, label_gap: int | None = None) -> go.Figure:
    """A metric of one team over time, against its own previous year and against the job center.

    ``team`` and ``center`` come from :func:`trend_frame`. For counts the job center has a small panel of
    its own below (a team's count and the job center's are of different size; a second y-axis over the
    same plot made both read wrong), for rates and shares it is a line on the same axis.
    ``label_gap``: pixels between the axes and their tick labels (the team review): by default the y axis'
    lowest label (the 0) reaches down into the row of month labels and meets the first of them in the corner.
    """
    counts = unit == "count" and center is not None and not center.empty
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.72, 0.28], vertical_spacing=0.08) \
        if counts else go.Figure()
    main = {"row": 1, "col": 1} if counts else {}
    fig.add_trace(go.Scatter(
        x=team["month"], y=team["prev_value"], name="Vorjahr (Team)", mode="lines",
        line={"color": PALETTE["previous"], "width": 2, "dash": "dash"},
        customdata=_hover(team["month"], team["prev_value"], team["prev_numerator"], team["prev_denominator"],
                          unit, shift_years=1),
        hovertemplate=HOVER), **main)
    fig.add_trace(go.Scatter(
        x=team["month"], y=team["value"], name=text_of(team_name), mode="lines+markers",
        line={"color": PALETTE["team"], "width": 3}, marker={"size": 5},
        customdata=_hover(team["month"], team["value"], team["numerator"], team["denominator"], unit),
        hovertemplate=HOVER), **main)
    if center is not None and not center.empty:
        fig.add_trace(go.Scatter(
            x=center["month"], y=center["value"], name="Jobcenter gesamt" + (" (unten)" if counts else ""),
            mode="lines", line={"color": PALETTE["center"], "width": 2, "dash": "dot"},
            customdata=_hover(center["month"], center["value"], center["numerator"], center["denominator"], unit),
            hovertemplate=HOVER), **({"row": 2, "col": 1} if counts else {}))
    if target is not None:
        points, label = target
        # one line per year (a goal of the next year starts afresh): a gap between the years
        years = points.assign(year=points["month"].dt.year)
        for i, (_, part) in enumerate(years.groupby("year")):
            fig.add_trace(go.Scatter(
                x=part["month"], y=part["value"], name=label, mode="lines", showlegend=i == 0, legendgroup="ziel",
                line={"color": PALETTE["target"], "width": 2, "dash": "longdash", "shape": "hv"
                      if label == "Ziel" else "linear"},
                hovertemplate=f"{label}: %{{y:,.1f}}<extra></extra>"), **main)
    _layout(fig, title, y_title=UNIT_AXIS.get(unit or ""), height=400 if counts else 360)
    if y_range:
        fig.update_yaxes(range=list(y_range))
    else:
        fig.update_yaxes(rangemode="tozero")
    if counts:
        fig.update_yaxes(title_text="Jobcenter", tickformat=",.0f", nticks=3, row=2, col=1)
        fig.update_yaxes(title_text=UNIT_AXIS.get(unit or ""), row=1, col=1)
    bottom = {"row": 2, "col": 1} if counts else {}
    month_axis(fig, team["month"], **bottom)
    fig.update_xaxes(title_text="Monat", **bottom)
    if label_gap is not None:
        fig.update_xaxes(ticklabelstandoff=label_gap)
        fig.update_yaxes(ticklabelstandoff=label_gap)
    if unit == "count":
        fig.update_yaxes(tickformat=",.0f", **main)
        top = pd.concat([team["value"], team["prev_value"]]).max()
        if pd.isna(top) or top < 5:
            fig.update_yaxes(dtick=1, range=[0, max(1.0, 0 if pd.isna(top) else float(top)) * 1.1], **main)
    return fig


def pass_rate_heatmap(rates: pd.DataFrame, rule_labels: dict[str, str], team_labels: dict[str, str], *,
                      title: str, click_hint: str | None = None) -> go.Figure:
    """Pass rate (percent) of every rule (columns) for every team (rows, in the given order).

    ``rates`` has ``team_id, rule_id, checked, failed, pass_rate``; a cell with
    nothing checked stays empty. A column is headed by the rule id and its German
    name, cut at a word (``rule_tick``) and slanted so that 16 columns stay
    readable at 1400 px; the full name is in the hover. Plotly heatmaps deliver
    no point selection to Streamlit (streamlit/streamlit#8760), so a second,
    invisible trace of markers sits at the cell centres, carrying ``[team_id,
    rule_id, hover]`` as customdata: a click on it selects that cell
    (``click_hint`` closes its hover text).
    """
    teams = list(dict.fromkeys(rates["team_id"]))
    rules = sorted(set(rates["rule_id"]))
    grid = rates.set_index(["team_id", "rule_id"])
    team_labels = {t: text_of(label) for t, label in team_labels.items()}
    columns = {rule: rule_tick(rule, rule_labels.get(rule, "")) for rule in rules}
    z, text, hover = [], [], []
    cells_x, cells_y, cells = [], [], []
    for team in teams:
        z_row, t_row, h_row = [], [], []
        for rule in rules:
            row = grid.loc[(team, rule)] if (team, rule) in grid.index else None
            rate = None if row is None or pd.isna(row["pass_rate"]) else float(row["pass_rate"])
            z_row.append(rate)
            hidden = row is not None and bool(row.get("suppressed", False))
            t_row.append("–" if hidden else "" if rate is None else format_number(rate, 1))
            head = f"{team_labels.get(team, team)}<br>{rule} {text_of(rule_labels.get(rule, ''))}".rstrip()
            if hidden:  # too few records checked to show (pipelines/publish/)
                h_row.append(f"{head}<br>{SUPPRESSED_HOVER}")
            elif rate is None:
                h_row.append(f"{head}<br>nichts geprüft")
            else:
                h_row.append(f"{head}<br>{format_number(rate, 1)} % in Ordnung ({format_number(row['failed'])} von "
                             f"{format_number(row['checked'])} auffällig)")
            cells_x.append(columns[rule])
            cells_y.append(team_labels.get(team, team))
            cells.append([team, rule, h_row[-1] + (f"<br><i>{click_hint}</i>" if click_hint else "")])
        z.append(z_row)
        text.append(t_row)
        hover.append(h_row)
    present = [v for r in z for v in r if v is not None]
    zmin = min(80.0, (min(present) // 10) * 10) if present else 0.0
    fig = go.Figure(go.Heatmap(
        z=z, x=[columns[r] for r in rules], y=[team_labels.get(t, t) for t in teams], text=text,
        texttemplate="%{text}", textfont={"size": 11}, customdata=hover, hoverinfo="skip", colorscale=HEAT_SCALE,
        zmin=zmin, zmax=100, xgap=2, ygap=2,
        colorbar={"title": {"text": "in Ordnung (%)"}, "ticksuffix": " %", "thickness": 14}))
    # the click targets: transparent squares with the cell's hover
    fig.add_trace(go.Scatter(
        x=cells_x, y=cells_y, mode="markers", customdata=cells, hovertemplate="%{customdata[2]}<extra></extra>",
        marker={"symbol": "square", "size": 30, "color": "rgba(0, 0, 0, 0)"}, showlegend=False, name="Auswahl"))
    _layout(fig, title, height=max(300, 150 + 34 * len(teams)))
    # hover and click go to the nearest cell centre anywhere in the plot, so no part of a wide cell is dead
    fig.update_layout(hovermode="closest", hoverdistance=-1)
    fig.update_xaxes(title_text=None, side="bottom", type="category", tickfont={"size": 11}, tickangle=-35,
                     showgrid=False, zeroline=False)
    fig.update_yaxes(title_text=None, autorange="reversed", type="category", showgrid=False, zeroline=False)
    return fig


def goal_chart(goal: pd.Series, *, title: str, unit: str | None, kind: str | None = None) -> go.Figure:
    """One target: actual against the linear and the seasonal expectation, and the year-end
    forecast with its 80 % band against the target.

    ``goal`` is one ``goal_status`` row.
    """
    as_of = pd.Timestamp(goal["as_of_month"]).date()
    labels = [goal_actual_label(kind, as_of), "Erwartung linear", "Erwartung saisonal", "Prognose Dezember",
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


# --- case progress (Fallverläufe) -----------------------------------------------------------------------------

DAYS_PER_MONTH = 30.4375
STAGE_COLORS = {
    "entry": "#5E6B78", "first_contact": "#7F9DB5", "coop_plan": "#A7BFD0", "measure_start": "#B39B72",
    "integration": "#34627F", "exit": "#9AA3AB", "open": "#D5DADF",
}
OPEN_TEXT = "noch offen"


def _band_rgba(hex_color: str, alpha: float) -> str:
    r, g, b = (int(hex_color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r}, {g}, {b}, {alpha})"


def pool_cohorts(cohorts: pd.DataFrame) -> pd.DataFrame:
    """One team's cohorts pooled per step over the cohorts whose window for the step has passed.

    ``cohorts`` has ``step, step_order, step_label_de, cases, is_open, reached``;
    the result has one row per step with ``cases`` (entries of the complete
    cohorts), ``reached``, ``share`` (NULL where no entry of a complete cohort
    is there to count), ``cohorts`` (how many complete cohort months went in)
    and ``open_cases`` (entries of the cohorts still open for the step).
    """
    rows = []
    for (order, step, label), part in cohorts.groupby(["step_order", "step", "step_label_de"], sort=True):
        is_open = part["is_open"].astype(bool)
        done = part[~is_open]
        cases, reached = float(done["cases"].sum()), float(done["reached"].fillna(0).sum())
        rows.append({"step_order": order, "step": step, "step_label_de": label, "cases": cases, "reached": reached,
                     "share": 100.0 * reached / cases if cases else None, "cohorts": len(done),
                     "open_cases": float(part.loc[is_open, "cases"].sum())})
    return pd.DataFrame(rows, columns=["step_order", "step", "step_label_de", "cases", "reached", "share", "cohorts",
                                       "open_cases"])


def cohort_funnel(series: list[tuple[str, pd.DataFrame, str]], *, title: str) -> go.Figure:
    """The steps of the funnel as horizontal bars, one bar per series (team, job center).

    ``series`` holds ``(name, pooled frame from pool_cohorts, colour)``. A step
    whose entries are all in cohorts still open for it shows "noch offen"
    instead of a bar; one without any entry shows "–".
    """
    fig = go.Figure()
    for name, pooled, color in series:
        texts, hover = [], []
        for _, row in pooled.iterrows():
            if row["share"] is None or pd.isna(row["share"]):
                still_open = row["open_cases"] > 0  # entries whose window has not passed yet: not a 0
                texts.append(OPEN_TEXT if still_open else "–")
                hover.append(f"{row['step_label_de']}: {OPEN_TEXT} ({format_number(row['open_cases'])} Zugänge, "
                             "deren Frist noch läuft)" if still_open else f"{row['step_label_de']}: keine Zugänge")
                continue
            share = format_number(row["share"], 1)
            texts.append(f"{share} %")
            hover.append(f"{row['step_label_de']}: {share} %<br>{format_number(row['reached'])} von "
                         f"{format_number(row['cases'])} Zugängen aus {format_number(row['cohorts'])} "
                         f"abgeschlossenen Zugangsmonaten")
        fig.add_trace(go.Bar(
            y=pooled["step_label_de"], x=[0 if s is None or pd.isna(s) else s for s in pooled["share"]],
            name=text_of(name), orientation="h", marker={"color": color}, text=texts, textposition="outside",
            cliponaxis=False, customdata=hover, hovertemplate="%{customdata}<extra>%{fullData.name}</extra>"))
    _layout(fig, title, height=320)
    fig.update_layout(barmode="group", bargap=0.25)
    fig.update_yaxes(autorange="reversed", title_text=None, type="category")
    fig.update_xaxes(title_text="Anteil der Zugänge (%)", range=[0, 112], ticksuffix=" %")
    return fig


def cohort_heatmap(cohorts: pd.DataFrame, *, title: str) -> go.Figure:
    """One team's cohorts: steps (rows) × entry months (columns), the share in each cell; "noch offen"
    where the window has not passed for the month yet, "–" where nobody entered."""
    steps = cohorts.drop_duplicates("step").sort_values("step_order")
    months = sorted(pd.to_datetime(cohorts["cohort_month"]).unique())
    grid = cohorts.assign(cohort_month=pd.to_datetime(cohorts["cohort_month"])).set_index(["step", "cohort_month"])
    show_text = len(months) <= 12  # wider grids get too narrow cells: then the hover says it, grey = open
    z, text, hover = [], [], []
    for _, step in steps.iterrows():
        z_row, t_row, h_row = [], [], []
        for month in months:
            cell = grid.loc[(step["step"], month)] if (step["step"], month) in grid.index else None
            label = f"{month_label(pd.Timestamp(month).date())}<br>{step['step_label_de']}"
            if cell is None or bool(cell["is_open"]):
                z_row.append(None)
                t_row.append(OPEN_TEXT if show_text else "")
                h_row.append(f"{label}: {OPEN_TEXT}")
            elif pd.isna(cell["share"]):
                z_row.append(None)
                t_row.append("–")
                h_row.append(f"{label}: keine Zugänge")
            elif bool(cell.get("suppressed", False)):  # too few entries to show (pipelines/publish/)
                z_row.append(None)
                t_row.append("–" if show_text else "")
                h_row.append(f"{label}: {SUPPRESSED_HOVER}")
            else:
                z_row.append(float(cell["share"]))
                t_row.append(format_number(cell["share"], 0) if show_text else "")
                h_row.append(f"{label}: {format_number(cell['share'], 1)} % ({format_number(cell['reached'])} von "
                             f"{format_number(cell['cases'])} Zugängen)")
        z.append(z_row)
        text.append(t_row)
        hover.append(h_row)
    fig = go.Figure(go.Heatmap(
        z=z, x=[month_short(pd.Timestamp(m).date()) for m in months], y=list(steps["step_label_de"]), text=text,
        texttemplate="%{text}", textfont={"size": 11}, customdata=hover,
        hovertemplate="%{customdata}<extra></extra>", colorscale=HEAT_SCALE, zmin=0, zmax=100, xgap=2, ygap=2,
        colorbar={"title": {"text": "Anteil (%)"}, "ticksuffix": " %"}))
    _layout(fig, title, height=300)
    fig.update_layout(plot_bgcolor="#F2F4F6")  # "noch offen" cells show this neutral grey
    fig.update_xaxes(title_text="Zugangsmonat", type="category")
    fig.update_yaxes(title_text=None, autorange="reversed", type="category")
    return fig


def survival_chart(curves: list[tuple[str, pd.DataFrame, str]], *, title: str) -> go.Figure:
    """Kaplan–Meier curves as the estimated share with integration, ``1 - S(t)``, over months since entry,
    each with its 95 % band. ``curves`` holds ``(name, survival_curves rows, colour)``."""
    fig = go.Figure()
    for name, curve, color in curves:
        if curve.empty:
            continue
        months = curve["day"] / DAYS_PER_MONTH
        share = 100 * (1 - curve["survival"])
        low, high = 100 * (1 - curve["ci_high"]), 100 * (1 - curve["ci_low"])
        fig.add_trace(go.Scatter(x=months, y=high, mode="lines", line={"width": 0, "shape": "hv"},
                                 hoverinfo="skip", showlegend=False, legendgroup=name))
        fig.add_trace(go.Scatter(x=months, y=low, mode="lines", line={"width": 0, "shape": "hv"}, fill="tonexty",
                                 fillcolor=_band_rgba(color, 0.18), hoverinfo="skip",
                                 name=f"{text_of(name)}: 95-%-Band", legendgroup=name, showlegend=False))
        hover = [f"nach {format_number(m, 1)} Monaten ({format_number(d)} Tagen): {format_number(s, 1)} % "
                 f"(95 %: {format_number(lo, 1)}–{format_number(hi, 1)} %)"
                 + ("" if pd.isna(r) else f"<br>{format_number(r)} Fälle noch ohne Integration und im Leistungsbezug")
                 for m, d, s, lo, hi, r in zip(months, curve["day"], share, low, high, curve["at_risk"], strict=True)]
        fig.add_trace(go.Scatter(x=months, y=share, mode="lines", name=text_of(name), legendgroup=name,
                                 line={"color": color, "width": 2.5, "shape": "hv"}, customdata=hover,
                                 hovertemplate="%{customdata}<extra>%{fullData.name}</extra>"))
    _layout(fig, title, height=380, y_title="geschätzter Anteil mit Integration (%)")
    fig.update_xaxes(title_text="Monate seit Zugang", rangemode="tozero", dtick=6)
    fig.update_yaxes(rangemode="tozero", ticksuffix=" %")
    return fig


def stage_sankey(transitions: pd.DataFrame, *, title: str, min_share: float = 1.0, unplaced: int = 0) -> go.Figure:
    """The cases' paths through the stages as a Sankey diagram, left to right by position in the path, with
    one node on the right for each outcome (``OUTCOME_STAGES``: Abgang, läuft noch) that the paths of every
    length flow into. Nodes and links carry their number of cases.

    ``transitions`` are the published ``case_transitions`` rows of one team and period. Privacy: a count is
    only ever a sum of published links. A row without ``cases`` (or with ``suppressed`` true) is a hidden
    link: its number is never read, and every node it flows into is labelled "mind." (at least), as is the
    entry node when it flows out of it. ``unplaced`` hidden links are not in the frame at all (their ends
    are unknown), so while there are any, every count is a lower bound. The ``share`` column is not used:
    it is relative to the unprotected number of cases and would give the hidden ones away.

    Links below ``min_share`` percent of the largest node are not drawn, so that the picture stays readable;
    they still count in the node numbers (the full sequences are in the variants and the event log). A step
    after an outcome (an integration recorded after the Abgang) is not drawn either; the outcome's hover
    says how many cases took one.
    """
    cases = pd.to_numeric(transitions["cases"], errors="coerce")
    hidden = cases.isna()
    if "suppressed" in transitions:
        hidden = hidden | transitions["suppressed"].fillna(False).astype(bool)
    names: dict[tuple, str] = {}

    def node_key(step: int, stage: str, label: object) -> tuple:
        key = ("end", stage) if stage in OUTCOME_STAGES else (step, stage)
        names.setdefault(key, text_of(label))
        return key

    visible: list[tuple[tuple, tuple, float, pd.Series]] = []
    after_end: dict[tuple, float] = {}
    lower: set[tuple] = set()  # nodes whose count may miss the cases of a hidden link
    for (_, row), n, is_hidden in zip(transitions.iterrows(), cases, hidden, strict=True):
        step = int(row["step"])
        if row["from_stage"] in OUTCOME_STAGES:  # after the outcome: not a path to it
            if not is_hidden:
                key = node_key(step, row["from_stage"], row["from_stage_de"])
                after_end[key] = after_end.get(key, 0.0) + float(n)
            continue
        source = node_key(step, row["from_stage"], row["from_stage_de"])
        target = node_key(step + 1, row["to_stage"], row["to_stage_de"])
        if is_hidden:
            lower.add(target)
            if step == 1:
                lower.add(source)
            continue
        visible.append((source, target, float(n), row))
    ins: dict[tuple, float] = {}
    outs: dict[tuple, float] = {}
    for source, target, n, _ in visible:
        outs[source] = outs.get(source, 0.0) + n
        ins[target] = ins.get(target, 0.0) + n
    # a node's cases: those that reached it (or left it, for the entry); max() of two published sums
    totals = {k: max(ins.get(k, 0.0), outs.get(k, 0.0)) for k in {*ins, *outs}}
    if unplaced:
        lower = set(totals)
    base = max(totals.values(), default=0.0)
    drawn, undrawn_in = [], {}
    for link in visible:
        if base and 100.0 * link[2] / base >= min_share:
            drawn.append(link)
        else:
            undrawn_in[link[1]] = undrawn_in.get(link[1], 0.0) + link[2]
    entry = next((k for k in totals if k[0] == 1), None)
    entries = totals[entry] if entry is not None and entry not in lower else None

    index: dict[tuple, int] = {}
    labels, colors, node_hover = [], [], []

    def node(key: tuple) -> int:
        if key not in index:
            index[key] = len(labels)
            count = ("mind. " if key in lower else "") + format_number(totals[key])
            labels.append(f"{names[key]}: {count}")
            colors.append(STAGE_COLORS.get(key[1], PALETTE["expected"]))
            hover = f"{names[key]}: {count} {cases_word(totals[key])}"
            if key[0] == "end":
                hover += "<br>aus allen Spalten zusammen"
            if undrawn_in.get(key):
                hover += (f"<br>darunter {format_number(undrawn_in[key])} auf seltenen Wegen "
                          f"(unter {format_number(min_share, 0)} %), nicht gezeichnet")
            if after_end.get(key):
                hover += (f"<br>{format_number(after_end[key])} davon mit einem weiteren Schritt danach "
                          "(nicht gezeichnet)")
            if key in lower:
                hover += f"<br>{LOWER_BOUND_HOVER}"
            node_hover.append(hover)
        return index[key]

    source, target, value, link_labels, link_hover = [], [], [], [], []
    for s, t, n, row in drawn:
        source.append(node(s))
        target.append(node(t))
        value.append(n)
        link_labels.append(f"{format_number(n)} {cases_word(n)}")
        share = f" ({format_number(100.0 * n / entries, 1)} % der Zugänge)" if entries else ""
        days = "" if pd.isna(row["median_days"]) else f", im Median nach {format_number(row['median_days'])} Tagen"
        link_hover.append(f"{names[s]} → {names[t]}: {format_number(n)} {cases_word(n)}{share}{days}")
    fig = go.Figure(go.Sankey(
        arrangement="snap",
        node={"label": labels, "color": colors, "pad": 14, "thickness": 14, "line": {"width": 0},
              "align": "justify", "customdata": node_hover, "hovertemplate": "%{customdata}<extra></extra>"},
        link={"source": source, "target": target, "value": value, "label": link_labels, "customdata": link_hover,
              "color": "rgba(94, 107, 120, 0.18)", "hovertemplate": "%{customdata}<extra></extra>"},
        valueformat=",.0f"))
    _layout(fig, title, height=440)
    return fig


# --- helpers of pass_rate_heatmap and stage_sankey ----------------------------------------------------------

OUTCOME_STAGES = ("exit", "open")  # where a case's path ends: one node each on the right of the Sankey
LOWER_BOUND_HOVER = ("„mind.“: Übergänge mit sehr wenigen Fällen sind zum Schutz der Sozialdaten ausgeblendet "
                     "und hier nicht mitgezählt")
RULE_TICK_WIDTH = 34  # characters of a rule's heading under its (slanted) column: 16 columns fit at 1400 px


def rule_tick(rule_id: str, label: str) -> str:
    """A heat map column's heading: the rule id and its German name, cut at a word with "…" where the two are
    longer than ``RULE_TICK_WIDTH`` ("DQ05 Alter unplausibel (unter …"); the hover shows the whole name."""
    text = f"{rule_id} {' '.join(str(label or '').split())}".strip()
    if len(text) > RULE_TICK_WIDTH:
        cut = text[:RULE_TICK_WIDTH - 1]
        cut = cut[:cut.rindex(" ")] if " " in cut[len(rule_id) + 1:] else cut
        text = cut.rstrip(" (,–-") + " …"
    return text_of(text)


def cases_word(n: float) -> str:
    """The noun for a count: "1 Fall", "2 Fälle"."""
    return "Fall" if n == 1 else "Fälle"


def sparkline(months: pd.Series, values: pd.Series, unit: str | None) -> go.Figure:
    """A tile's 24 months in neutral grey: the tile's change is the only coloured thing on it (a green or
    orange line next to the coloured change said the same twice, and a flat grey series reads calmer)."""
    fig = go.Figure(go.Scatter(
        x=list(months), y=list(values), mode="lines", line={"color": PALETTE["neutral"], "width": 1.6},
        hovertext=[f"{month_short(pd.Timestamp(m).date())}: {text_of(format_value(v, unit))}"
                   for m, v in zip(months, values, strict=True)], hoverinfo="text"))
    fig.update_layout(height=56, margin={"l": 0, "r": 0, "t": 2, "b": 2}, showlegend=False,
                      xaxis={"visible": False}, yaxis={"visible": False}, plot_bgcolor="rgba(0,0,0,0)",
                      paper_bgcolor="rgba(0,0,0,0)")
    return fig
