"""The team review as printed (``steering review … .pdf``), measured on the PDF itself (issue 16, item 11).

Why measure the PDF: Chromium makes the page breaks, the CSS can only ask for them, and the charts are drawn by
plotly.js at print time. So each case is printed with Debian's chromium and read back with poppler:

* ``pdftotext -layout``, page by page: every page says "Seite N von M" (the CSS ``@page`` margin boxes), every
  section heading is on some page, and no page ends with a heading (``break-after: avoid``);
* ``pdftoppm``: PNGs to look at (folder ``$REVIEW_PDF_PNG`` or a temp folder, printed) and greyscale PGMs to
  measure: page 1 is not left a quarter empty because a chart did not fit (``break-inside: avoid``);
* ``pdftotext -bbox``: in every chart the y axis' "0" ends above the row of month labels (``label_gap``).

Two cases from the committed sample: the first team in the latest month as everybody sees it, and the first
team and month (latest first) whose unprotected view has at least three charts, with the job center compared
and agreements of two meetings – the case of the report (page 1 ended after two of three charts).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from pipelines import agreements
from pipelines.publish import Snapshot, Viewer
from pipelines.publish.exports import open_readonly
from pipelines.report.charts import ZOOMED
from pipelines.report.formats import MONTHS_SHORT_DE, month_label
from pipelines.review import PAGE_MARGIN_MM, PAGE_MM, gather, write_review
from pipelines.settings import load_settings
from tests.dashboard.demo_center import build_database

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.is_file(), reason="Debian's chromium (/usr/bin/chromium) is not installed"),
    pytest.mark.skipif(not (shutil.which("pdftotext") and shutil.which("pdftoppm")),
                       reason="poppler-utils (pdftotext, pdftoppm) is not installed"),
]

HEADINGS = ("Was gut lief", "Im Blick behalten", "Unsere Kennzahlen", "Datenqualität: unsere To-do-Liste",
            "Unsere Ziele", "Vereinbarungen")
SUBHEADINGS = ("Aus der letzten Teamreflexion (", "Was sich seitdem in den Zahlen verändert hat", "Vereinbart im ",
               "Teams des Bereichs")
MAX_BLANK_PAGE_1 = 0.25  # share of the text area's height left empty at the bottom of page 1
FOOTER = re.compile(r"Seite \d+ von \d+")
MONTH_WORD = re.compile("^(" + "|".join(re.escape(m) for m in MONTHS_SHORT_DE) + ")$")


@dataclass
class Printed:
    name: str
    team_id: str
    team_name: str
    month: dt.date
    charts: int
    zoomed: int  # charts on a zoomed axis (the DQ score), which do not start at 0
    pdf: Path
    pages: list[str]  # pdftotext -layout, one text per page


def _poppler(*args: str) -> str:
    return subprocess.run(list(args), capture_output=True, text=True, check=True, timeout=120).stdout


@pytest.fixture(scope="module")
def png_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("REVIEW_PDF_PNG") or tmp_path_factory.mktemp("review_pdf_png"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nPNGs of the printed reviews: {folder}")
    return folder


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Printed]]:
    root = tmp_path_factory.mktemp("review_pdf")
    db = build_database(root)
    settings = load_settings(env={})  # no config file, the agreements beside the database
    con = open_readonly(db)
    try:
        snapshot = Snapshot(con.cursor, settings.privacy.min_cell_size)
        teams = dict(zip(snapshot.teams()["team_id"], snapshot.teams()["team_name"], strict=True))
        everyone = frozenset(teams) | {"__unassigned__"}
        latest, first = snapshot.months()[0], min(teams)
        plain = gather(snapshot, Viewer.cli(everyone, False), first, latest)
        exact = Viewer.cli(everyone, True)
        busy = next(((t, m, r) for m in snapshot.months()[:12] for t in sorted(teams)
                     if len((r := gather(snapshot, exact, t, m)).went_well) + len(r.watch) >= 3), None)
    finally:
        con.close()
    assert busy, "no team and month of the sample with three charts in the unprotected view"
    team, month, busy_review = busy
    store = agreements.store_path(settings, db)
    agreements.add(store, team, month.replace(year=month.year - 1), "Kooperationspläne rechtzeitig fortschreiben",
                   "Integrationsfachkräfte")
    agreements.add(store, team, month, "Erstgespräche innerhalb von 14 Tagen anbieten", "Teamleitung")
    cases = {}
    for name, (team_id, when, review, options) in {
        "standard": (first, latest, plain, {}),
        "drei_diagramme": (team, month, busy_review, {"exact": True, "compare": True}),
    }.items():
        points = [*review.went_well, *review.watch]
        n, zoomed = len(points), sum(1 for p in points if p.metric_id in ZOOMED)
        pdf = write_review(db, team_id, when, root / f"{name}.pdf", settings=settings, **options)
        count = int(re.search(r"^Pages:\s+(\d+)", _poppler("pdfinfo", str(pdf)), re.M).group(1))
        pages = [_poppler("pdftotext", "-layout", "-f", str(i), "-l", str(i), str(pdf), "-")
                 for i in range(1, count + 1)]
        cases[name] = Printed(name, team_id, teams[team_id], when, n, zoomed, pdf, pages)
    yield cases


CASES = ["standard", "drei_diagramme"]


@pytest.mark.parametrize("case", CASES)
def test_every_page_says_seite_n_von_m_with_team_and_month(printed: dict[str, Printed], case: str) -> None:
    review = printed[case]
    total = len(review.pages)
    assert total >= 2, f"{case}: {total} page(s)"
    for number, text in enumerate(review.pages, start=1):
        footer = [line for line in text.splitlines() if FOOTER.search(line)]
        assert footer and f"Seite {number} von {total}" in footer[-1], (case, number, footer)
        assert f"Team {review.team_name} ({review.team_id})" in footer[-1], (case, number, footer)
        assert month_label(review.month) in footer[-1], (case, number, footer)


@pytest.mark.parametrize("case", CASES)
def test_no_page_ends_with_a_heading(printed: dict[str, Printed], case: str) -> None:
    review = printed[case]
    seen = set()
    for number, text in enumerate(review.pages, start=1):
        lines = [line.strip() for line in text.splitlines() if line.strip() and not FOOTER.search(line)]
        seen |= {line for line in lines if line in HEADINGS}
        last = lines[-1]
        assert last not in HEADINGS and not last.startswith(SUBHEADINGS), (case, number, last)
    assert seen == set(HEADINGS), (case, set(HEADINGS) - seen)
    if case == "drei_diagramme":  # the agreements of the last meeting are in, with their two subheadings
        document = "\n".join(review.pages)
        assert SUBHEADINGS[0] in document and SUBHEADINGS[1] in document


def _pgm(path: Path) -> np.ndarray:
    """A binary greyscale PGM (P5, 8 bit) as a height × width array."""
    magic, width, height, _maxval, pixels = path.read_bytes().split(maxsplit=4)
    assert magic == b"P5"
    return np.frombuffer(pixels, dtype=np.uint8)[: int(width) * int(height)].reshape(int(height), int(width))


def blank_at_bottom(page: np.ndarray) -> float:
    """The share of the text area's height (inside the page margins, so without the footer) that is empty below
    its last dark pixel."""
    height = page.shape[0]
    top = round(PAGE_MARGIN_MM[0] / PAGE_MM[1] * height)
    bottom = height - round(PAGE_MARGIN_MM[2] / PAGE_MM[1] * height)
    ink = np.flatnonzero((page[top:bottom] < 200).any(axis=1))
    return 1.0 if not len(ink) else 1 - (ink[-1] + 1) / (bottom - top)


@pytest.mark.parametrize("case", CASES)
def test_page_1_is_filled_and_every_page_renders(printed: dict[str, Printed], case: str, png_dir: Path) -> None:
    review = printed[case]
    _poppler("pdftoppm", "-r", "50", "-png", str(review.pdf), str(png_dir / case))
    pngs = sorted(png_dir.glob(f"{case}-*.png"))
    assert len(pngs) == len(review.pages) and all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    with tempfile.TemporaryDirectory() as tmp:
        _poppler("pdftoppm", "-r", "50", "-gray", str(review.pdf), f"{tmp}/p")
        blank = [blank_at_bottom(_pgm(p)) for p in sorted(Path(tmp).glob("p-*.pgm"))]
    print(f"{case}: {review.charts} chart(s), {len(blank)} pages, empty at the bottom: "
          + ", ".join(f"{b:.0%}" for b in blank) + f" – {', '.join(p.name for p in pngs)}")
    assert len(blank) == len(review.pages)
    assert all(b < 0.98 for b in blank), blank  # no empty page
    if len(blank) > 1:
        assert blank[0] <= MAX_BLANK_PAGE_1, f"{case}: page 1 is {blank[0]:.0%} empty at the bottom"


def words(pdf: Path) -> list[list[tuple[float, float, float, float, str]]]:
    """``pdftotext -bbox``: per page the words with xMin, yMin, xMax, yMax (points, y downwards)."""
    root = ET.fromstring(re.sub(r"<!DOCTYPE[^>]*>", "", _poppler("pdftotext", "-bbox", str(pdf), "-")))
    return [[(float(w.get("xMin")), float(w.get("yMin")), float(w.get("xMax")), float(w.get("yMax")), w.text or "")
             for w in page.iter() if w.tag.endswith("word")] for page in root.iter() if page.tag.endswith("page")]


@pytest.mark.parametrize("case", CASES)
def test_the_zero_of_the_y_axis_stays_above_the_month_labels(printed: dict[str, Printed], case: str) -> None:
    """A chart's "0" is the y label just left of and at most a line above the first month label ("Jan." with a
    year beside it); it must end above that row of labels, not reach into it."""
    review = printed[case]
    zeros = 0
    for page in words(review.pdf):
        months = [w for w in page if MONTH_WORD.match(w[4]) and any(
            re.fullmatch(r"\d{4}", v[4]) and abs(v[1] - w[1]) < 1 and 0 <= v[0] - w[2] < 8 for v in page)]
        for x0, _y0, x1, y1, text in page:
            if text != "0":
                continue
            below = [m for m in months if -15 < m[1] - y1 < 15 and 0 < m[0] - x1 < 120]
            if not below:
                continue  # a 0 in a table
            zeros += 1
            gap = min(m[1] for m in below) - y1
            assert gap >= 1.0, f"{case}: the 0 at x={x0:.0f} reaches {-gap:.1f} pt into the month labels"
    # every chart of the review but a zoomed one starts at 0 in the sample (shares and counts): one 0 each at least
    assert zeros >= review.charts - review.zoomed, (case, zeros, review.charts, review.zoomed)
