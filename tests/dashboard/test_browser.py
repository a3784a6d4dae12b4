"""The dashboard as a user sees it: ``steering serve`` in a subprocess, every page in headless Chromium.

Uses Debian's ``/usr/bin/chromium`` through Playwright (never a downloaded
browser) and skips with a reason when it is absent. Per page: the heading and a
key figure are visible, the browser console shows no errors, and a screenshot
is saved (folder: ``$DASHBOARD_SCREENSHOTS`` or a temp folder, printed).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from pipelines.report.formats import MONTHS_DE
from tests.dashboard.demo_center import build_database
from tests.dashboard.served import ARGS, CHROMIUM, STEERING, free_port, served

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.is_file(), reason="Debian's chromium (/usr/bin/chromium) is not installed"),
]
playwright_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")


def german(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}".replace(",", "_").replace(".", ",").replace("_", ".")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    db = build_database(tmp_path_factory.mktemp("browser"))
    port = free_port()
    log = tmp_path_factory.getbasetemp() / "serve.log"
    with served([str(STEERING), "serve", "--demo", "--db", str(db), "--port", str(port)],
                dict(os.environ, STEERING_CONFIG=""), log, port) as url:
        yield url, db


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("DASHBOARD_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"screenshots in {folder}")
    return folder


def _facts(db: Path) -> dict[str, object]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        month = con.execute("SELECT max(month) FROM metric_values").fetchall()[0][0]
        team = con.execute("SELECT min(team_id) FROM staging.teams").fetchall()[0][0]
        integrations = con.execute("SELECT value FROM metric_values WHERE team_id = '__all__' AND month = ?"
                                   " AND metric_id = 'integrations'", [month]).fetchall()[0][0]
        score = con.execute("SELECT value FROM metric_values WHERE team_id = ? AND month = ?"
                            " AND metric_id = 'dq_score'", [team, month]).fetchall()[0][0]
        as_of = con.execute("SELECT max(as_of) FROM load_runs WHERE status = 'success'").fetchall()[0][0]
        label = con.execute("SELECT label_de FROM metric_catalog WHERE metric_id = 'integrations'").fetchall()[0][0]
    finally:
        con.close()
    return {"month": month, "team": team, "integrations": integrations, "score": score, "as_of": as_of,
            "label": label}


def test_every_page_in_chromium(server: tuple[str, Path], browser, shots: Path) -> None:
    url, db = server
    facts = _facts(db)
    month = facts["month"]
    expect = playwright_api.expect
    context = browser.new_context(viewport={"width": 1400, "height": 1400}, locale="de-DE")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"{m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))

    pages = [  # (url path, link in the sidebar, heading, tile label or text, key figure)
        ("", "Überblick", "Überblick", facts["label"], german(facts["integrations"], 0)),
        ("team", "Team", "Team", "Team, Vorjahr und Jobcenter", None),
        ("fallverlaeufe", "Fallverläufe", "Fallverläufe", "So lesen Sie die Kurve", None),
        ("datenqualitaet", "Datenqualität", "Datenqualität",
         f"Datenqualitätswert {MONTHS_DE[month.month - 1]} {month.year}", german(facts["score"], 1) + " %"),
        ("ziele", "Zielerreichung", "Zielerreichung", None, None),
        ("teamreflexion", "Teamreflexion", "Teamreflexion", "Was gut lief", None),
        ("pipeline", "Pipeline", "Pipeline", "Datenstand", f"{facts['as_of']:%d.%m.%Y}"),
    ]
    # open the shared link once, then move the way a user does: through the sidebar
    page.goto(f"{url}/?team={facts['team']}", wait_until="domcontentloaded")
    for path, link, heading, label, figure in pages:
        page.locator('[data-testid="stSidebarNav"] a').filter(has_text=link).first.click()
        expect(page).to_have_url(re.compile(rf"{url}/{path}\?"), timeout=20_000)
        expect(page.locator("h1").first).to_contain_text(heading, timeout=20_000)
        if label and figure:
            tile = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
            expect(tile).to_contain_text(figure, timeout=15_000)
        elif label:
            expect(page.get_by_text(label).first).to_be_visible(timeout=15_000)
        else:  # goals: either targets in appreciative words or the friendly note
            expect(page.get_by_text("Ziele").first).to_be_visible(timeout=15_000)
        expect(page.locator('[data-testid="stSidebar"]')).to_contain_text("Monat")
        page.wait_for_timeout(600)  # let charts draw before the screenshot
        assert f"team={facts['team']}" in page.url, page.url
        page.screenshot(path=str(shots / f"{path or 'ueberblick'}.png"), full_page=True)
    context.close()
    assert not errors, "\n".join(errors)


def test_a_shared_link_survives_clicking_to_another_page(server: tuple[str, Path], browser) -> None:
    url, db = server
    facts = _facts(db)
    con = duckdb.connect(str(db), read_only=True)
    second = con.execute("SELECT team_id FROM staging.teams ORDER BY team_id LIMIT 1 OFFSET 1").fetchall()[0][0]
    con.close()
    page = browser.new_page()
    failed: list[str] = []
    errors: list[str] = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{url}/team?team={second}", wait_until="domcontentloaded")
    expect = playwright_api.expect
    expect(page.locator("h1").first).to_contain_text(f"({second})", timeout=20_000)
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text="Datenqualität").click()
    expect(page.locator("h1").first).to_contain_text("Datenqualität", timeout=20_000)
    expect(page.locator("h1").first).to_contain_text(f"({second})")
    expect(page).to_have_url(re.compile(rf"/datenqualitaet\?.*team={second}"), timeout=10_000)
    assert facts["team"] != second
    page.close()
    # Loaded on a page URL, Streamlit's frontend first probes the page path as a base path
    # (/team/_stcore/health, .../host-config) and gets a 404 before it finds the server root;
    # those two probes are the only failed requests and the only console errors allowed here.
    assert all(re.search(r"/team/_stcore/(health|host-config)$", u) for u in failed), failed
    assert all("Failed to load resource" in e for e in errors) and len(errors) == len(failed), errors


def test_the_overview_fits_1400_pixels(server: tuple[str, Path], browser, shots: Path) -> None:
    """(issue 16) Tile titles in full (``scrollWidth <= clientWidth``) and the team table without horizontal
    or vertical scrolling (teams, unit subtotals and the job center all in sight), for every choice of its
    metrics."""
    url, db = server
    expect = playwright_api.expect
    context = browser.new_context(viewport={"width": 1400, "height": 1400}, locale="de-DE")
    page = context.new_page()
    page.goto(f"{url}/", wait_until="domcontentloaded")
    expect(page.locator('[data-testid="stMetric"]').first).to_be_visible(timeout=20_000)
    page.wait_for_timeout(1000)
    # every visible text Streamlit may cut with an ellipsis (tile titles, delta notes): nothing cut
    cut = page.evaluate("""() => [...document.querySelectorAll('.stMarkdownEllipsis, [data-testid="stMetricDelta"] div,'
        + ' [data-testid="stMarkdownContainer"] p')]
        .filter(e => e.offsetWidth > 0 && getComputedStyle(e).visibility === 'visible'
                     && !e.closest('[data-testid="stMetricLabel"][visibility="collapsed"]')
                     && e.scrollWidth > e.clientWidth + 1)
        .map(e => e.textContent)""")
    assert cut == [], cut
    titles = page.locator('[data-testid="stMarkdownContainer"] strong').all_text_contents()
    assert any(t.startswith("Abdeckung mit aktuellem Kooperationsplan") for t in titles), titles
    themes = page.locator('[data-testid="stRadio"] [role="radiogroup"] label')
    assert themes.count() >= 2
    for i in range(themes.count()):
        themes.nth(i).click()
        page.wait_for_timeout(800)
        grid = page.locator('[data-testid="stDataFrame"]').first
        expect(grid).to_be_visible(timeout=15_000)
        scrollers = """[...document.querySelectorAll('[data-testid="stDataFrame"] .dvn-scroller')]"""
        try:  # the grid sizes itself to its rows after it is drawn: give it a moment under load
            page.wait_for_function(f"""() => {{ const s = {scrollers};
                return s.length && s.every(e => e.scrollHeight - e.clientHeight <= 1
                                              && e.scrollWidth - e.clientWidth <= 1); }}""", timeout=10_000)
        except playwright_api.TimeoutError:
            pass  # the assertions below say what is off
        overflow = page.evaluate(f"""() => {scrollers}
            .map(e => [e.scrollWidth - e.clientWidth, e.scrollHeight - e.clientHeight])""")
        assert overflow and max(w for w, _ in overflow) <= 1, (themes.nth(i).text_content(), overflow)
        # every row in sight, the unit subtotals and the job center included: no vertical scrolling either
        assert max(h for _, h in overflow) <= 1, (themes.nth(i).text_content(), overflow)
        page.screenshot(path=str(shots / f"ueberblick-tabelle-{i + 1}.png"), full_page=True)
    context.close()
