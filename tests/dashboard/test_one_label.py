"""One label, one number: across every page a team and a manager read, and the review file, a metric's name
stands beside one figure only (issue 16, item 1).

In headless Chromium (Debian's package through Playwright) the test opens the Überblick, every theme of the
Team page, Datenqualität, Zielerreichung and the Teamreflexion for one team and month, and writes the review
file with ``steering review``. It collects (label, who, number) wherever a metric's catalogue name is followed
directly by a figure: a tile (label and value), a sentence ("Datenqualitätswert: 98,9 %, …"), a row of the
review's key-figure table (the month's column). Any label with two different numbers for the same team (or
the job center) and month fails. A figure named otherwise ("Jahresfortschrittswert Jan.–Okt. 2026: 18,0 %")
is a different label, which is the point. Plotly charts and st.dataframe grids draw on a canvas and carry no
text to read; their figures come from the same frames as the tables of the review file.
"""

from __future__ import annotations

import html
import re
import subprocess
from collections import defaultdict
from pathlib import Path

import duckdb

from tests.dashboard.served import STEERING
from tests.dashboard.test_browser import browser, playwright_api, pytestmark, server  # noqa: F401

NUMBER = r"([−-]?\d[\d.]*(?:,\d+)?(?: %)?)(?!\d)"
THEMES_PARAM = "thema"


def _catalog(db: Path) -> tuple[list[str], dict[str, str], str, object]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        labels = [r[0] for r in con.execute("SELECT label_de FROM metric_catalog").fetchall()]
        themes = [r[0] for r in con.execute("SELECT DISTINCT theme_de FROM metric_catalog").fetchall()]
        team = con.execute("SELECT min(team_id) FROM staging.teams").fetchall()[0][0]
        month = con.execute("SELECT max(month) FROM metric_values").fetchall()[0][0]
    finally:
        con.close()
    return labels, themes, team, month


def pairs_in_text(text: str, labels: list[str]) -> list[tuple[str, str]]:
    """(label, number) wherever a catalogue label is followed by ": " and a figure."""
    found = []
    for label in sorted(labels, key=len, reverse=True):  # the longest name first: "… der LZB (12 Monate)"
        for match in re.finditer(r"(?<![\w„])" + re.escape(label) + r":\s+" + NUMBER, text):
            found.append((label, match.group(1)))
    return found


def conflicts(seen: dict[tuple[str, str], dict[str, set[str]]]) -> list[str]:
    """Every (label, who) shown with more than one number, with where each number stood."""
    out = []
    for (label, who), numbers in sorted(seen.items()):
        if len(numbers) > 1:
            out.append(f"{label} ({who}): " + "; ".join(f"{n} on {', '.join(sorted(w))}" for n, w in numbers.items()))
    return out


def test_the_collector_catches_two_numbers_under_one_label():
    text = "Integrationsquote (12 Monate): 20,6 % · Ist: Integrationsquote (12 Monate): 18,0 %"
    seen: dict = defaultdict(lambda: defaultdict(set))
    for label, number in pairs_in_text(text, ["Integrationsquote (12 Monate)", "Integrationen"]):
        seen[(label, "__all__")][number].add("Überblick")
    assert conflicts(seen) == ["Integrationsquote (12 Monate) (__all__): 18,0 % on Überblick; 20,6 % on Überblick"
                               ] or conflicts(seen) == ["Integrationsquote (12 Monate) (__all__): 20,6 % on "
                                                        "Überblick; 18,0 % on Überblick"]
    assert pairs_in_text("Jahresfortschrittswert Jan.–Okt. 2026: 18,0 %", ["Integrationsquote (12 Monate)"]) == []


def test_one_label_one_number_on_every_page_and_in_the_review(server, browser, tmp_path: Path):  # noqa: F811
    url, db = server
    labels, themes, team, month = _catalog(db)
    seen: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    expect = playwright_api.expect
    context = browser.new_context(viewport={"width": 1400, "height": 1400}, locale="de-DE")
    page = context.new_page()
    query = f"team={team}&monat={month:%Y-%m}"
    visits = [("", "__all__", "Überblick"), *(("team", team, f"Team: {t}") for t in themes),
              ("datenqualitaet", team, "Datenqualität"), ("ziele", team, "Zielerreichung"),
              ("teamreflexion", team, "Teamreflexion")]
    for path, who, where in visits:
        extra = f"&{THEMES_PARAM}={where.split(': ', 1)[1]}" if where.startswith("Team: ") else ""
        page.goto(f"{url}/{path}?{query}{extra}", wait_until="domcontentloaded")
        expect(page.locator("h1").first).to_be_visible(timeout=30_000)
        page.wait_for_timeout(1500)
        expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=30_000)  # run finished
        for tile in page.locator('[data-testid="stMetric"]').all():
            label = tile.locator('[data-testid="stMetricLabel"]').text_content().strip()
            value = tile.locator('[data-testid="stMetricValue"]').text_content().strip()
            if label in labels and re.fullmatch(NUMBER, value):
                seen[(label, "__all__" if path == "" else who)][value].add(f"{where} (Kachel)")
        text = page.locator('[data-testid="stMain"]').inner_text()
        # the Überblick's sentences are about the job center; every other page's about the team
        for label, number in pairs_in_text(text, labels):
            seen[(label, who)][number].add(where)
    context.close()

    out = tmp_path / "review.html"
    done = subprocess.run([str(STEERING), "review", "--team", team, "--month", f"{month:%Y-%m}", "--out",
                           str(out), "--db", str(db)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    document = out.read_text(encoding="utf-8")
    plain = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>", " ", document,
                                                                      flags=re.S))).split())
    for label, number in pairs_in_text(plain, labels):
        seen[(label, team)][number].add("Teamreflexion (Datei)")
    for row in re.findall(r"<tr>(.*?)</tr>", document, re.S):  # "Unsere Kennzahlen": label, the month, …
        cells = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row,
                                                                                      re.S)]
        if len(cells) >= 2 and cells[0] in labels and re.fullmatch(NUMBER, cells[1]):
            seen[(cells[0], team)][cells[1]].add("Teamreflexion (Datei, Tabelle)")

    places = sum(len(w) for numbers in seen.values() for w in numbers.values())
    assert len(seen) >= 8 and places > len(seen), f"too little collected to compare: {dict(seen)}"
    assert conflicts(seen) == []
