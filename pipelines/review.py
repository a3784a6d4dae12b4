"""The team review (Teamreflexion): one team and month, for the screen in a review meeting.

What the review holds (docs/team-review.md):

* **Was gut lief**: the metrics that improved most against the team's own past.
  Each metric with a direction is compared with the same month a year earlier
  (no seasonal effects, the same yardstick as the rest of the dashboard); the
  change is scaled by how much the team's value usually moves (the standard
  deviation of its monthly values over the 24 months before), so a rate and a
  count can be ranked together (``ltb_change_yoy``, itself a change against the
  year before, is not ranked). The three largest improvements above
  ``WELL_SCORE`` are shown, with their numbers.
* **Im Blick behalten**: up to three metrics that moved the other way by more
  than ``WATCH_SCORE`` of that usual movement, in the same plain words.
* **Beyond chance** (``beyond_chance``): either list names a change only when chance alone would rarely give
  it for the team's size, at the 95 % level: a count (Poisson) when |x₁ − x₀| > 1.96 √(x₁ + x₀), a share of
  persons when the two-proportion z-test on numerators and denominators gives |z| > 1.96, events per 100
  persons when the Poisson rate test |r₁ − r₀| / √(n₁/d₁² + n₀/d₀²) > 1.96. A change of 2 in
  an LZB stock of 26, or a rate that jumps between 0 and 8 % in a small team, is then not praised or flagged.
  Figures without counts (means over rules, changes against the year before) keep the spread rule alone.
* **Datenqualität**: the team's open findings (``pipelines.fixlist``) as a short
  to-do list per rule, counts only, no record ids.
* **Ziele**: the team's targets of the year (``goal_status``).
* **Vereinbarungen**: the last meeting's agreements beside the key figures then
  and now, and this meeting's agreements (``pipelines.agreements``).

Comparisons with other teams appear only when asked for (``compare``): then the
job center's value stands beside the team's, and for roles that see every team
(``others``) the teams of the unit too, in fixed order. Every figure goes through
small-cell protection first: it reads through ``pipelines.publish``.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.errors import LoadError
from pipelines.publish import ALL, Snapshot, Viewer
from pipelines.settings import Settings, load_settings

NOT_RANKED = frozenset({"ltb_change_yoy"})  # already a change against the year before: no double difference
WELL_SCORE = 0.25
WATCH_SCORE = 0.5
MAX_POINTS = 3
TODO_RULES = 5
HISTORY = 24

# The printed page (A4). Chromium lays the HTML out at its window width before it prints, and plotly draws each
# chart at the width it finds then: a window as wide as the printed column keeps the charts at 1:1 instead of
# Chromium shrinking the whole page to fit a wider chart (small type and a third of page 1 left empty).
PAGE_MM = (210, 297)
PAGE_MARGIN_MM = (14, 12, 16, 12)  # top, right, bottom, left; the bottom one holds the page number
PRINT_WIDTH_PX = round((PAGE_MM[0] - PAGE_MARGIN_MM[1] - PAGE_MARGIN_MM[3]) * 96 / 25.4)


@dataclass
class Point:
    """One metric in "Was gut lief" or "Im Blick behalten"."""

    metric_id: str
    label: str
    unit: str
    value: float
    previous: float
    score: float
    beyond_chance: bool = True  # the change passes the 95 % chance test for its counts (module docstring)


@dataclass
class Review:
    team_id: str
    team_name: str
    month: dt.date
    as_of: dt.date | None
    min_cell_size: int
    catalog: pd.DataFrame  # metric_id -> label_de, unit, direction, definition_de
    team_values: pd.DataFrame  # the team's protected metric_values (all months)
    center_values: pd.DataFrame  # the job center's
    went_well: list[Point]
    watch: list[Point]
    todo: pd.DataFrame  # rule_id, label_de, description_de, findings
    open_findings: int | None  # None: some rules' counts are hidden for this viewer
    goals: pd.DataFrame  # goal_status rows of the team and year
    compare: bool = False
    others: pd.DataFrame | None = None  # month_values of the unit's teams (compare, all-team roles only)
    other_names: dict[str, str] = field(default_factory=dict)
    since: dt.date | None = None  # the month of the previous meeting
    previous_agreements: pd.DataFrame | None = None
    agreements: pd.DataFrame | None = None
    exact: bool = False  # unprotected figures (an analyst's own view); the HTML says so

    def meta(self, metric_id: str) -> pd.Series:
        return self.catalog.loc[metric_id]

    def value(self, metric_id: str, month: dt.date, team: bool = True) -> float | None:
        frame = self.team_values if team else self.center_values
        hit = frame[(frame["metric_id"] == metric_id) & (frame["month"] == pd.Timestamp(month))]
        if hit.empty or pd.isna(hit["value"].iloc[0]):
            return None
        return float(hit["value"].iloc[0])

    def key_metrics(self) -> list[str]:
        """The catalogue's key figures (``key_figure``), in its display order."""
        frame = self.catalog.reset_index()
        if "key_figure" not in frame:
            return []
        frame = frame[frame["key_figure"].astype(bool)].sort_values("display_order")
        return list(frame["metric_id"])


def _sign(direction: str) -> int:
    return {"higher_better": 1, "lower_better": -1}.get(direction, 0)


def score_metrics(values: pd.DataFrame, catalog: pd.DataFrame, month: dt.date) -> list[Point]:
    """Every metric with a direction, scored by its change against the same month a year earlier.

    ``values``: one team's metric_values (``month`` as timestamps, suppressed
    values NaN). Score = direction × (value − value a year earlier) / the
    standard deviation of the team's values over the 24 months before ``month``
    (at least 1 % of their mean magnitude, and above zero). Positive = better.
    """
    now, before = pd.Timestamp(month), pd.Timestamp(month) - pd.DateOffset(months=12)
    points = []
    for metric_id, meta in catalog.iterrows():
        sign = _sign(meta["direction"])
        series = values[values["metric_id"] == metric_id]
        if not sign or series.empty or metric_id in NOT_RANKED:
            continue
        current = series.loc[series["month"] == now, "value"]
        previous = series.loc[series["month"] == before, "value"]
        if current.empty or previous.empty or pd.isna(current.iloc[0]) or pd.isna(previous.iloc[0]):
            continue
        history = series[(series["month"] < now) & (series["month"] >= now - pd.DateOffset(months=HISTORY))]
        history = history["value"].dropna()
        spread = float(history.std()) if len(history) >= 3 else np.nan
        floor = max(0.01 * float(history.abs().mean()) if len(history) else 0.0, 1e-6)
        spread = max(spread if not np.isnan(spread) else floor, floor)
        diff = float(current.iloc[0]) - float(previous.iloc[0])
        now_row = series.loc[series["month"] == now].iloc[0]
        before_row = series.loc[series["month"] == before].iloc[0]
        points.append(Point(metric_id, meta["label_de"], meta["unit"], float(current.iloc[0]),
                            float(previous.iloc[0]), sign * diff / spread,
                            beyond_chance(meta, now_row, before_row)))
    return points


Z_95 = 1.96


def beyond_chance(meta: pd.Series, now: pd.Series, before: pd.Series) -> bool:
    """Whether a change is larger than chance would give at the 95 % level (module docstring).

    Counts (``protected_by: count``) as Poisson counts; shares of persons (a numerator out of a denominator)
    by the two-proportion z-test; anything else (no counts behind it) passes.
    """
    def number(row: pd.Series, column: str) -> float | None:
        value = row.get(column)
        return None if value is None or pd.isna(value) else float(value)

    if meta.get("protected_by") == "count":
        x1, x0 = number(now, "value"), number(before, "value")
        if x1 is None or x0 is None or x1 + x0 <= 0:
            return False
        return abs(x1 - x0) > Z_95 * float(np.sqrt(x1 + x0))
    n1, d1, n0, d0 = (number(now, "numerator"), number(now, "denominator"), number(before, "numerator"),
                      number(before, "denominator"))
    if meta.get("protected_by") != "denominator" or None in (n1, d1, n0, d0):
        return True
    if meta.get("unit") == "per_100":  # events per 100 persons: the events as Poisson counts
        if d1 <= 0 or d0 <= 0 or n1 + n0 <= 0:
            return False
        return abs(n1 / d1 - n0 / d0) / float(np.sqrt(n1 / d1 ** 2 + n0 / d0 ** 2)) > Z_95
    if meta.get("unit") != "percent":
        return True
    if d1 <= 0 or d0 <= 0 or not (0 <= n1 <= d1 and 0 <= n0 <= d0):
        return True  # not a share of persons (e.g. a rate over a mean stock): the spread rule alone
    pooled = (n1 + n0) / (d1 + d0)
    se = float(np.sqrt(pooled * (1 - pooled) * (1 / d1 + 1 / d0)))
    if se == 0:
        return False
    return abs(n1 / d1 - n0 / d0) / se > Z_95


def pick(points: list[Point]) -> tuple[list[Point], list[Point]]:
    """The largest improvements ("Was gut lief") and the clearest movements the other way ("Im Blick")."""
    well = sorted((p for p in points if p.score > WELL_SCORE and p.beyond_chance),
                  key=lambda p: (-p.score, p.metric_id))
    watch = sorted((p for p in points if p.score < -WATCH_SCORE and p.beyond_chance),
                   key=lambda p: (p.score, p.metric_id))
    return well[:MAX_POINTS], watch[:MAX_POINTS]


def todo_list(findings: pd.DataFrame) -> pd.DataFrame:
    """Open findings per rule, most first: ``rule_id, label_de, description_de, findings``."""
    if findings.empty:
        return pd.DataFrame(columns=["rule_id", "label_de", "description_de", "findings"])
    grouped = (findings.groupby(["rule_id", "label_de", "description_de"], as_index=False)
               .size().rename(columns={"size": "findings"}))
    return grouped.sort_values(["findings", "rule_id"], ascending=[False, True]).reset_index(drop=True)


# --- gathering through the read side -----------------------------------------------------------------------

def gather(snapshot: Snapshot, viewer: Viewer, team_id: str, month: dt.date, *, compare: bool = False,
           other_teams: tuple[str, ...] = ()) -> Review:
    """Everything the review shows except the agreements, from the read side (already protected for ``viewer``)."""
    month = month.replace(day=1)
    teams = snapshot.teams()
    names = {t: n if isinstance(n, str) and n else t for t, n in zip(teams["team_id"], teams["team_name"],
                                                                     strict=True)}
    if team_id not in names:
        raise LoadError("--team", f"das Team {team_id} gibt es in diesem Datenstand nicht",
                        expected=", ".join(names))
    viewer.check(team_id)
    catalog = snapshot.catalog.set_index("metric_id")
    months = snapshot.months()
    if month not in months:
        latest = f"{max(months):%Y-%m}" if months else "–"
        raise LoadError("--month", f"{month:%Y-%m} ist kein vollständiger Monat dieses Datenstands",
                        expected=f"einen Monat bis {latest}")
    team_values = snapshot.metric_values(viewer, team_id)
    center_values = snapshot.metric_values(viewer, ALL)
    well, watch = pick(score_metrics(team_values, catalog, month))
    todo, open_findings = snapshot.todo(viewer, team_id)
    goals = pd.DataFrame()
    protected = snapshot.goal_status(viewer)
    if protected is not None:
        goals = protected[(protected["team_id"] == team_id) & (protected["year"] == month.year)]
        goals = goals.sort_values("metric_id").reset_index(drop=True)
    others = None
    if compare and other_teams:
        values = snapshot.month_values(viewer, month)
        others = values[values["team_id"].isin([t for t in other_teams if viewer.may_see(t)])]
    return Review(team_id=team_id, team_name=names[team_id], month=month, as_of=snapshot.as_of(),
                  min_cell_size=snapshot.k, catalog=catalog, team_values=team_values, center_values=center_values,
                  went_well=well, watch=watch, todo=todo, open_findings=open_findings, goals=goals,
                  compare=compare, others=others, other_names=names, exact=viewer.exact)


def attach_agreements(review: Review, store: Path) -> Review:
    """Add the previous meeting's agreements and this meeting's (``pipelines.agreements``)."""
    from pipelines import agreements

    review.since = agreements.previous_meeting(store, review.team_id, review.month)
    review.previous_agreements = (agreements.for_meeting(store, review.team_id, review.since)
                                  if review.since else None)
    review.agreements = agreements.for_meeting(store, review.team_id, review.month)
    return review


# --- files ----------------------------------------------------------------------------------------------------

def chromium() -> str:
    """The headless browser that prints the PDF: ``STEERING_CHROMIUM``, else chromium on the PATH."""
    for candidate in (os.environ.get("STEERING_CHROMIUM"), shutil.which("chromium"),
                      shutil.which("chromium-browser"), shutil.which("google-chrome"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file():
            return candidate
    raise LoadError("PDF", "kein Chromium gefunden, das die PDF-Datei drucken könnte",
                    expected="Debians Paket chromium (apt-get install chromium) oder STEERING_CHROMIUM=/pfad; "
                    "die HTML-Datei geht auch ohne")


def html_to_pdf(html: str, out: Path, timeout: int = 120) -> Path:
    """Print self-contained HTML to PDF with headless Chromium (``--print-to-pdf``); nothing is fetched.

    The window is as wide as the printed column (``PRINT_WIDTH_PX``) so the charts are drawn at the width they
    are printed at. Chromium's own header and footer stay off: the page numbers come from the HTML's
    ``@page`` margin boxes (German, with the team and month)."""
    exe = chromium()
    out = Path(out).resolve()
    with tempfile.TemporaryDirectory(prefix="steering-pdf-") as tmp:
        page = Path(tmp) / "review.html"
        page.write_text(html, encoding="utf-8")
        target = Path(tmp) / "review.pdf"
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={Path(tmp) / 'profile'}", "--no-pdf-header-footer",
               f"--window-size={PRINT_WIDTH_PX},1000",
               "--run-all-compositor-stages-before-draw", "--virtual-time-budget=20000",
               f"--print-to-pdf={target}", page.as_uri()]
        try:
            result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise LoadError(str(out), f"Chromium hat die PDF-Datei nicht innerhalb von {timeout} s fertiggestellt"
                            ) from None
        if not target.is_file() or target.stat().st_size == 0:
            detail = (result.stderr or "").strip().splitlines()[-1:] or ["keine Ausgabe"]
            raise LoadError(str(out), f"Chromium konnte die PDF-Datei nicht drucken ({detail[0]})")
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(target), out)
    return out


def write_review(db: Path, team_id: str, month: dt.date, out: Path, *, settings: Settings | None = None,
                 compare: bool = False, exact: bool = False) -> Path:
    """``steering review``: the review as one self-contained HTML file, or as PDF (by the suffix of ``out``).

    Protected like every page (``exact`` only with ``--no-suppression``, marked in the file)."""
    from pipelines.agreements import store_path
    from pipelines.publish.exports import open_readonly
    from pipelines.report.review_html import review_html

    settings = settings or load_settings()
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".html", ".pdf"):
        raise LoadError(str(out), "dieses Format wird für die Teamreflexion nicht unterstützt",
                        expected="eine .html- oder .pdf-Datei")
    con = open_readonly(Path(db))
    try:
        snapshot = Snapshot(con.cursor, settings.privacy.min_cell_size)
        viewer = Viewer.cli(frozenset(snapshot.teams()["team_id"]) | {"__unassigned__"}, exact)
        review = gather(snapshot, viewer, team_id, month, compare=compare)
    finally:
        con.close()
    attach_agreements(review, store_path(settings, db))
    html = review_html(review)
    if suffix == ".pdf":
        return html_to_pdf(html, out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out
