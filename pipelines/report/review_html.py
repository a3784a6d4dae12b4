"""The team review (Teamreflexion) in words, tables and one self-contained HTML file.

Pure functions from a ``pipelines.review.Review`` to German sentences, display
tables and HTML (no ``st.`` calls): the page ``app_pages/team_review.py`` and
``steering review`` show the same text. The HTML embeds plotly.js inline
(``include_plotlyjs=True`` once, every chart after that reuses it), so the file
opens offline and Chromium prints it to PDF without fetching anything.
"""

from __future__ import annotations

import datetime as dt
import html

import pandas as pd

from pipelines.agreements import STATUSES
from pipelines.publish import explanation
from pipelines.report import charts
from pipelines.report.focus import NOTHING, change_sentence, count_noun, focus_lines
from pipelines.report.focus import TITLE as FOCUS_TITLE
from pipelines.report.formats import (
    DIRECTION_DE,
    EMPTY_LEGEND,
    STATUS_DE,
    attainment_text,
    empty_mark,
    format_change,
    format_date,
    format_number,
    format_value,
    goal_actual_label,
    missing,
    month_label,
    ready_on,
)
from pipelines.review import PAGE_MARGIN_MM, TODO_RULES, Point, Review

INTRO = ("Ein Blick auf den Monat – zuerst auf das, was gelungen ist. Verglichen wird das Team mit sich selbst: "
         "mit demselben Monat des Vorjahres. Genannt wird eine Veränderung nur, wenn sie größer ist, als es bei "
         "der Größe des Teams der Zufall allein oft ergibt (95-%-Grenze).")
WATCH_INTRO = ("Hier lohnt ein gemeinsamer Blick. Oft gibt es Gründe, die die Zahlen nicht zeigen – die kennt "
               "das Team am besten.")
NO_WELL = "In diesem Monat hat sich keine Kennzahl deutlich verändert – die Werte liegen im gewohnten Bereich."
NO_WATCH = "Keine Kennzahl hat sich deutlich in die andere Richtung bewegt."
CHART_CONFIG = {"displaylogo": False, "displayModeBar": False, "locale": "de", "responsive": True}


def _previous_month(month: dt.date) -> dt.date:
    return month.replace(year=month.year - 1)


def point_sentence(point: Point, month: dt.date, catalog: pd.DataFrame | None = None) -> str:
    """A change as a whole sentence (``focus.change_sentence``): "LZB-Bestand: 26 Personen, 2 weniger als im
    Oktober 2025 (28)." – with the count's noun from the catalogue."""
    return change_sentence(point, month, count_noun(catalog, point.metric_id) if catalog is not None else "")


def review_focus(review: Review) -> list[str]:
    """„Worauf es diesen Monat ankommt“ for the team: the same lines on the page and in the file."""
    return focus_lines(goals=review.goals, catalog=review.catalog, team_id=review.team_id, month=review.month,
                       well=review.went_well, watch=review.watch, todo=review.todo,
                       open_findings=review.open_findings)


def shown_value(review: Review, metric_id: str, month: dt.date, team: bool = True) -> str:
    """A figure of the review, or the mark of why it is missing: hidden, open until a day, or no data."""
    frame = review.team_values if team else review.center_values
    meta = review.meta(metric_id)
    hit = frame[(frame["metric_id"] == metric_id) & (frame["month"] == pd.Timestamp(month))]
    if not hit.empty and not missing(hit["value"].iloc[0]):
        return format_value(float(hit["value"].iloc[0]), meta["unit"])
    suppressed = bool(hit["suppressed"].iloc[0]) if not hit.empty and "suppressed" in hit else False
    return empty_mark(suppressed=suppressed, ready=ready_on(meta.get("ready_after"), month), as_of=review.as_of)


def has_empty_marks(frame: pd.DataFrame) -> bool:
    """Whether a table of shown figures holds one of the three marks of a missing figure (then: the legend)."""
    cells = frame.drop(columns=[c for c in ("Kennzahl", "Veränderung") if c in frame]).astype(str)
    return bool(cells.map(lambda c: c in ("–", "keine Daten") or c.startswith("offen (ab")).to_numpy().any())


def key_figures(review: Review) -> pd.DataFrame:
    """The key metrics: this month, the same month a year earlier, the change; the job center if compared."""
    rows = []
    for metric_id in review.key_metrics():
        meta = review.meta(metric_id)
        now = review.value(metric_id, review.month)
        before = review.value(metric_id, _previous_month(review.month))
        row = {"Kennzahl": meta["label_de"], month_label(review.month): shown_value(review, metric_id, review.month),
               "Vorjahresmonat": shown_value(review, metric_id, _previous_month(review.month)),
               "Veränderung": format_change(now, before, meta["unit"], short=True) or "–"}
        if review.compare:
            row["Jobcenter gesamt"] = shown_value(review, metric_id, review.month, team=False)
        rows.append(row)
    return pd.DataFrame(rows)


def changes_since(review: Review) -> pd.DataFrame | None:
    """Key metrics in the month of the previous meeting and now."""
    if review.since is None:
        return None
    rows = []
    for metric_id in review.key_metrics():
        meta = review.meta(metric_id)
        then, now = review.value(metric_id, review.since), review.value(metric_id, review.month)
        rows.append({"Kennzahl": meta["label_de"], f"damals ({month_label(review.since)})": format_value(
            then, meta["unit"]), f"jetzt ({month_label(review.month)})": format_value(now, meta["unit"]),
                     "Veränderung": format_change(now, then, meta["unit"], short=True) or "–"})
    return pd.DataFrame(rows)


def others_table(review: Review) -> pd.DataFrame | None:
    """The unit's teams (fixed order by id, never ranked) in the month, when compared and allowed."""
    if not review.compare or review.others is None or review.others.empty:
        return None
    rows = []
    for team_id in sorted(set(review.others["team_id"])):
        part = review.others[review.others["team_id"] == team_id].set_index("metric_id")
        row = {"Team": f"{review.other_names.get(team_id, team_id)} ({team_id})"}
        for metric_id in review.key_metrics():
            meta = review.meta(metric_id)
            row[meta["label_de"]] = format_value(part["value"].get(metric_id), meta["unit"])
        rows.append(row)
    return pd.DataFrame(rows)


def goals_table(review: Review) -> pd.DataFrame | None:
    if review.goals is None or review.goals.empty:
        return None
    rows = []
    for _, goal in review.goals.iterrows():
        unit = review.catalog["unit"].get(goal["metric_id"])
        label = review.catalog["label_de"].get(goal["metric_id"], goal["metric_id"])
        attainment = goal.get("attainment_pct")
        rows.append({
            "Ziel": label + (f" ({DIRECTION_DE[direction]})" if (direction := review.catalog["direction"].get(
                goal["metric_id"])) in DIRECTION_DE else ""),
            "Jahresziel": format_value(goal["target_value"], unit),
            "Ist-Wert": format_value(goal["actual"], unit) + " (" + goal_actual_label(
                review.catalog["goal_kind"].get(goal["metric_id"]) if "goal_kind" in review.catalog else None,
                pd.Timestamp(goal["as_of_month"]).date()) + ")",
            "Erwartet (saisonal)": format_value(goal["expected_seasonal"], unit),
            "Erreichung": attainment_text(attainment, goal.get("status")),
            "Stand": "–" if bool(goal.get("suppressed", False))
            else STATUS_DE.get(goal.get("status"), "noch offen") if isinstance(goal.get("status"), str)
            else "noch offen",
        })
    return pd.DataFrame(rows)


def todo_intro(review: Review) -> str:
    """The sentence above the to-do list (no total where some rules' counts are hidden for the viewer)."""
    if review.open_findings is None:
        return "Offene Hinweise in der Korrekturliste, die häufigsten Regeln:"
    return f"{format_number(review.open_findings)} offene Hinweise in der Korrekturliste; die häufigsten:"


EXACT_NOTE = ("Ungeschützte Zahlen (Controlling): Kleine Fallzahlen sind nicht ausgeblendet. Diese Fassung nicht "
              "weitergeben.")


def todo_lines(review: Review) -> list[str]:
    """``12 × Geburtsdatum fehlt (DQ01): hint``, most findings first, at most five rules."""
    return [f"{format_number(r['findings'])} × {r['label_de']} ({r['rule_id']}): {r['description_de']}"
            for _, r in review.todo.head(TODO_RULES).iterrows()]


def agreements_table(frame: pd.DataFrame | None) -> pd.DataFrame:
    """Agreements as German columns (no names: an owner is a role)."""
    columns = ["Nr.", "Vereinbarung", "Wer (Rolle)", "Bis", "Status"]
    if frame is None or frame.empty:
        return pd.DataFrame(columns=columns)
    return pd.DataFrame({
        "Nr.": frame["agreement_id"].map(lambda v: format_number(v, 0)),
        "Vereinbarung": frame["text"],
        "Wer (Rolle)": frame["owner_role"].fillna("–"),
        "Bis": frame["due_date"].map(format_date),
        "Status": frame["status"].map(lambda s: STATUSES.get(s, s)),
    })[columns]


LABEL_GAP = 8  # px between the axes and their tick labels: the y axis' 0 stays clear of the first month label


def _point_frames(review: Review, point: Point) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    team = charts.trend_frame(review.team_values[review.team_values["metric_id"] == point.metric_id],
                              review.month, 24)
    center = (charts.trend_frame(review.center_values[review.center_values["metric_id"] == point.metric_id],
                                 review.month, 24) if review.compare else None)
    return team, center


def _point_zoom(review: Review, point: Point) -> tuple[float, float] | None:
    """The zoomed y range of a score near 100 % (the DQ score), as on the Datenqualität page; else None."""
    return charts.zoomed_range(*_point_frames(review, point)) if point.metric_id in charts.ZOOMED else None


def chart_detail(review: Review, point: Point) -> str:
    """What a point's chart draws, the second line of its title (or its caption in the file), with the axis
    range where the axis is zoomed."""
    drawn = "Team, Vorjahr und Jobcenter" if review.compare else "Team und Vorjahr"
    return drawn + charts.zoom_note(_point_zoom(review, point))


def point_chart(review: Review, point: Point):
    """The point's metric over 24 months: the team, its previous year, and the job center when compared."""
    team, center = _point_frames(review, point)
    title = charts.two_line_title(point.label, chart_detail(review, point))
    return charts.metric_trend(team, center, title=title, unit=point.unit, team_name=review.team_name,
                               label_gap=LABEL_GAP, y_range=_point_zoom(review, point))


# --- HTML -----------------------------------------------------------------------------------------------------

# Printing (steering review … .pdf, the page's PDF button): no forced page breaks anywhere, so the text flows and
# page 1 fills up; a chart with its caption, a table row, a list item never split; a heading never last on a page.
# Each chart is at most about a quarter of the printed page high, so the gap a chart that no longer fits leaves
# at the bottom of a page stays small.
CSS = f"""
@page {{ size: A4; margin: {' '.join(f'{m}mm' for m in PAGE_MARGIN_MM)}; }}
body {{ font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #23313d; margin: 24px auto;
       max-width: 980px; line-height: 1.45; font-size: 14px; }}
h1 {{ font-size: 24px; line-height: 1.2; margin: 0 0 4px; color: #34627F; }}
h2 {{ font-size: 18px; margin: 18px 0 8px; color: #34627F; border-bottom: 1px solid #d5dde3; padding-bottom: 3px; }}
h3 {{ font-size: 15px; margin: 14px 0 6px; }}
h1, h2, h3 {{ break-after: avoid; page-break-after: avoid; break-inside: avoid; }}
.sub {{ color: #5E6B78; margin: 0 0 10px; }}
.note {{ color: #5E6B78; font-size: 12px; break-inside: avoid; }}
p.closing {{ break-before: avoid; }}  /* never a page of its own */
ul.good li {{ margin: 4px 0; }} ul.watch li {{ margin: 4px 0; }}
li, tr {{ break-inside: avoid; page-break-inside: avoid; }}
table {{ border-collapse: collapse; width: 100%; margin: 6px 0 10px; font-size: 12.5px; }}
thead {{ display: table-header-group; }}
th, td {{ border: 1px solid #d5dde3; padding: 4px 6px; text-align: left; vertical-align: top; }}
th {{ background: #eef3f6; }}
figure.chart {{ break-inside: avoid; page-break-inside: avoid; margin: 4px 0 8px; }}
figure.chart figcaption {{ margin: 0 0 2px; }}
figure.chart figcaption span {{ color: #5E6B78; font-size: 12px; }}
@media print {{ body {{ margin: 0; max-width: none; font-size: 12.5px; line-height: 1.4; }} h1 {{ font-size: 20px; }} }}
"""
CHART_HEIGHT = 210  # px: with its caption under a quarter of the printed page (about 1,000 px high)
COUNT_CHART_HEIGHT = 290  # a count beside the job center: its own small panel below, readable from here
FOOTER_STYLE = 'font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 8pt; color: #5E6B78;'


def _css_string(text: str) -> str:
    """Text as a CSS string: all but letters, digits and spaces as hex escapes, so that no team name can end the
    string or the style element (the footer shows it)."""
    return '"' + "".join(c if c.isalnum() or c == " " else f"\\{ord(c):06x} " for c in text) + '"'


def page_css(review: Review) -> str:
    """The printed page's footer: team and month on the left, "Seite 1 von 3" on the right (CSS margin boxes,
    Chromium 131 and later; ``html_to_pdf`` turns Chromium's own English header and footer off)."""
    left = f"Teamreflexion · Team {review.team_name} ({review.team_id}) · {month_label(review.month)}"
    return (f"@page {{ @bottom-left {{ content: {_css_string(left)}; {FOOTER_STYLE} }}\n"
            f'  @bottom-right {{ content: "Seite " counter(page) " von " counter(pages); {FOOTER_STYLE} }} }}')


def _e(text: object) -> str:
    return html.escape("" if text is None else str(text))


def _table(frame: pd.DataFrame | None, empty: str) -> str:
    if frame is None or frame.empty:
        return f"<p>{_e(empty)}</p>"
    head = "".join(f"<th>{_e(c)}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in row) + "</tr>"
                   for row in frame.itertuples(index=False, name=None))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def review_html(review: Review) -> str:
    """The whole review as one HTML document that needs nothing from the network."""
    parts: list[str] = []
    first_chart = [True]

    def chart(point: Point) -> str:
        # the title as an HTML caption in the same unbreakable figure (more room for the plot); the chart as
        # wide as the column: on screen, and in print through html_to_pdf's window width
        height = COUNT_CHART_HEIGHT if point.unit == "count" and review.compare else CHART_HEIGHT
        fig = point_chart(review, point)
        fig.update_layout(title={"text": ""}, width=None, height=height, autosize=True,
                          margin={"l": 10, "r": 10, "t": 30, "b": 6})
        html_chart = fig.to_html(full_html=False, include_plotlyjs=first_chart[0], config=CHART_CONFIG,
                                 default_width="100%", default_height=f"{height}px")
        first_chart[0] = False
        caption = (f"<figcaption><strong>{_e(point.label)}</strong> <span>· {_e(chart_detail(review, point))}</span>"
                   "</figcaption>")
        return f'<figure class="chart">{caption}{html_chart}</figure>'

    as_of = f" · Datenstand {format_date(review.as_of)}" if review.as_of else ""
    parts.append(f"<h1>Teamreflexion – Team {_e(review.team_name)} ({_e(review.team_id)})</h1>")
    parts.append(f'<p class="sub">{_e(month_label(review.month))}{_e(as_of)}</p>')
    if review.exact:
        parts.append(f'<p class="note"><strong>{_e(EXACT_NOTE)}</strong></p>')
    parts.append(f"<p>{_e(INTRO)}</p>")
    focus = review_focus(review)
    parts.append(f'<section class="focus"><h2>{_e(FOCUS_TITLE)}</h2>'
                 + ("<ul>" + "".join(f"<li>{_e(line)}</li>" for line in focus) + "</ul>" if focus
                    else f"<p>{_e(NOTHING)}</p>") + "</section>")

    parts.append("<section><h2>Was gut lief</h2>")
    if review.went_well:
        parts.append('<ul class="good">' + "".join(f"<li>{_e(point_sentence(p, review.month, review.catalog))}</li>"
                                                    for p in review.went_well) + "</ul>")
        parts.extend(chart(p) for p in review.went_well)
    else:
        parts.append(f"<p>{_e(NO_WELL)}</p>")
    parts.append("</section><section><h2>Im Blick behalten</h2>")
    if review.watch:
        parts.append(f"<p>{_e(WATCH_INTRO)}</p>")
        parts.append('<ul class="watch">' + "".join(f"<li>{_e(point_sentence(p, review.month, review.catalog))}</li>"
                                                     for p in review.watch) + "</ul>")
        parts.extend(chart(p) for p in review.watch)
    else:
        parts.append(f"<p>{_e(NO_WATCH)}</p>")

    parts.append("</section><section><h2>Unsere Kennzahlen</h2>")
    figures = key_figures(review)
    parts.append(_table(figures, "Für diesen Monat liegen keine Kennzahlen vor."))
    if has_empty_marks(figures):
        parts.append(f'<p class="note">{_e(EMPTY_LEGEND.format(k=review.min_cell_size))}</p>')
    others = others_table(review)
    if others is not None:
        parts.append("<h3>Teams des Bereichs (feste Reihenfolge, keine Rangliste)</h3>")
        parts.append(_table(others, ""))

    parts.append("</section><section><h2>Datenqualität: unsere To-do-Liste</h2>")
    lines = todo_lines(review)
    if lines:
        parts.append(f"<p>{_e(todo_intro(review))}</p>")
        parts.append("<ol>" + "".join(f"<li>{_e(line)}</li>" for line in lines) + "</ol>")
    else:
        parts.append("<p>Keine offenen Hinweise – vielen Dank für die sorgfältige Erfassung!</p>")

    parts.append("</section><section><h2>Unsere Ziele</h2>")
    parts.append(_table(goals_table(review), f"Für {review.month.year} ist für das Team kein Ziel hinterlegt."))

    parts.append("</section><section><h2>Vereinbarungen</h2>")
    if review.since is not None:
        parts.append(f"<h3>Aus der letzten Teamreflexion ({_e(month_label(review.since))})</h3>")
        parts.append(_table(agreements_table(review.previous_agreements), "Keine Vereinbarungen."))
        parts.append("<h3>Was sich seitdem in den Zahlen verändert hat</h3>")
        parts.append(_table(changes_since(review), ""))
    parts.append(f"<h3>Vereinbart im {_e(month_label(review.month))}</h3>")
    parts.append(_table(agreements_table(review.agreements), "Noch keine Vereinbarungen festgehalten."))
    parts.append("</section>")
    parts.append(f'<p class="note closing">{_e(explanation(review.min_cell_size))} Die Auswertung kennt nur Teams, '
                 "keine einzelnen Beschäftigten, und zeigt keine Angaben zu einzelnen Personen.</p>")
    body = "\n".join(parts)
    title = f"Teamreflexion {review.team_name} {month_label(review.month)}"
    return (f'<!DOCTYPE html>\n<html lang="de">\n<head>\n<meta charset="utf-8">\n<title>{_e(title)}</title>\n'
            f"<style>{CSS}{page_css(review)}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")
