"""The Datenqualität heat map names its rules, and a cell leads to that rule's records in the fix list.

AppTest cannot click a plotly chart, so the click is tested in three parts: the
function that reads Streamlit's selection event (``heat_cell``), the callback that
turns a cell into a rule filter and a team switch (``_on_heat_select``, with a
stand-in for ``st``), and the page with the "Regel" box set or a click's note in
the session. One test clicks a real cell in Chromium (skipped without it): it
shows that the invisible marker trace delivers the selection that a plotly
heatmap does not (streamlit/streamlit#8760). The database is the committed
sample, loaded by the real loader.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.app_pages import data_quality as page
from dashboard.widgets import Filters
from pipelines.access import User
from pipelines.report.charts import RULE_TICK_WIDTH, rule_tick
from tests.conftest import ROOT, page_faults
from tests.conftest import query as sql
from tests.dashboard.demo_center import build_database
from tests.dashboard.served import ARGS, CHROMIUM, STEERING, free_port, served

APP = str(ROOT / "dashboard" / "app.py")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = build_database(tmp_path_factory.mktemp("dq_heat"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STEERING_DATABASE_PATH", str(path))
        mp.delenv("STEERING_CONFIG", raising=False)
        yield path


def app(user: str = "analyst", state: dict | None = None, **params: str) -> AppTest:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STEERING_DEMO_USER", user)
        at = AppTest.from_file(APP, default_timeout=60)
        at.query_params.update(params)
        at.run()
        for k, v in (state or {}).items():
            at.session_state[k] = v
        at.switch_page("app_pages/data_quality.py").run()
    assert not page_faults(at), page_faults(at)
    return at


def heat(at: AppTest) -> dict:
    charts = [c for c in at.get("plotly_chart") if c.proto.id.endswith("-dq_heat")]
    assert charts, "no heat map"
    return json.loads(charts[0].proto.spec)


def team_with_findings(db: Path) -> tuple[str, str, int, int]:
    """A team with findings of more than one rule: its id, its most frequent rule, that rule's findings and
    all its findings (plain SQL on the mart, not the page's code)."""
    team, rule, n = sql(db, "SELECT team_id, rule_id, count(*) FROM fix_list WHERE team_id LIKE 'T%'"
                            " GROUP BY ALL ORDER BY 3 DESC, 1, 2 LIMIT 1")[0]
    total = sql(db, "SELECT count(*) FROM fix_list WHERE team_id = ?", [team])[0][0]
    assert total > n, "the sample should give the team findings of several rules"
    return team, rule, n, total


# --- the axis -----------------------------------------------------------------------------------------------

def test_the_columns_carry_the_rules_german_names(db: Path) -> None:
    at = app()
    spec = heat(at)
    rules = sql(db, "SELECT rule_id, label_de FROM dq_rules ORDER BY rule_id")
    ticks = spec["data"][0]["x"]
    assert len(ticks) == len(rules)
    for tick, (rule, label) in zip(ticks, rules, strict=True):
        assert tick.startswith(f"{rule} "), tick                  # the id, then the name ...
        name = tick[len(rule) + 1:].removesuffix(" …")
        assert label.startswith(name) and len(name) >= 5, (tick, label)  # ... in full or cut at a word
        assert len(tick) <= RULE_TICK_WIDTH + 2, tick             # short enough to stand under a column
        assert tick.endswith(" …") == (len(f"{rule} {label}") > RULE_TICK_WIDTH), tick
    assert "DQ01 Geburtsdatum fehlt" in ticks                   # short names stay whole
    # the whole name is in the hover of each cell (on the click trace), with the hint what a click does
    cells = spec["data"][1]
    assert cells["type"] == "scatter" and cells["mode"] == "markers"
    by_rule = {c[1]: c[2] for c in cells["customdata"]}
    for rule, label in rules:
        assert f"{rule} {label}" in by_rule[rule]
        assert page.CLICK_HINT in by_rule[rule]
    # a marker at the centre of every cell: same x and y as the heat map's cells, ids in customdata
    teams = [c[0] for c in cells["customdata"]]
    assert set(cells["x"]) == set(ticks) and len(cells["x"]) == len(ticks) * len(set(teams))
    assert spec["layout"]["xaxis"]["tickangle"] < 0


def test_rule_tick_cuts_at_a_word_and_escapes() -> None:
    assert rule_tick("DQ05", "Alter unplausibel (unter 15 oder über 67 Jahre)") == "DQ05 Alter unplausibel (unter 15 …"
    assert rule_tick("DQ01", "Geburtsdatum fehlt") == "DQ01 Geburtsdatum fehlt"
    assert rule_tick("DQ09", "x" * 60).startswith("DQ09 xxx") and len(rule_tick("DQ09", "x" * 60)) <= 36
    assert rule_tick("DQ99", "<a href='x'>Link</a>") == "DQ99 &lt;a href='x'&gt;Link&lt;/a&gt;"


# --- from the selection event to (team, rule) ---------------------------------------------------------------

def event(*points: dict) -> dict:
    return {"selection": {"points": list(points), "point_indices": [], "box": [], "lasso": []}}


def test_heat_cell_reads_the_clicked_cell() -> None:
    teams, rules = ("T01", "T02", "__all__"), ("DQ01", "DQ02")
    click = {"curve_number": 1, "point_index": 3, "x": "DQ02 Geschlecht fehlt", "y": "Team (T02)",
             "customdata": ["T02", "DQ02", "hover"]}
    assert page.heat_cell(event(click), teams, rules) == ("T02", "DQ02")
    assert page.heat_cell(event({"customdata": ["__all__", "DQ01", "x"]}), teams, rules) == ("__all__", "DQ01")
    # nothing selected, or no cell of this map (the event comes from the browser): nothing
    assert page.heat_cell(event(), teams, rules) is None
    assert page.heat_cell(None, teams, rules) is None
    assert page.heat_cell({"selection": {}}, teams, rules) is None
    assert page.heat_cell(event({"curve_number": 0, "x": "DQ01", "y": "T01"}), teams, rules) is None
    assert page.heat_cell(event({"customdata": ["T09", "DQ01", "x"]}), teams, rules) is None
    assert page.heat_cell(event({"customdata": ["T01", "DQ77", "x"]}), teams, rules) is None
    # the first point that names a cell counts
    assert page.heat_cell(event({"customdata": "x"}, {"customdata": ["T01", "DQ02"]}), teams, rules) == ("T01", "DQ02")


def test_fix_list_team_opens_only_a_list_the_viewer_may_see() -> None:
    own = {"T01"}.__contains__
    assert page.fix_list_team("T01", "T01", own) == "T01"
    assert page.fix_list_team("__all__", "T01", own) == "T01"  # the job center has no list: the team's
    assert page.fix_list_team("T02", "T01", own) is None       # another team's: not for this viewer
    assert page.fix_list_team("__all__", "T02", own) is None
    assert page.fix_list_team("T02", "T01", lambda t: True) == "T02"


FILTERS = Filters(month=None, unit="", team_id="T01", team_ids=("T01", "T02"),  # type: ignore[arg-type]
                  team_names={"T01": "Eins", "T02": "Zwei"})


def run_callback(monkeypatch: pytest.MonkeyPatch, user: User, selection: dict) -> SimpleNamespace:
    fake = SimpleNamespace(session_state={page.HEAT_KEY: selection, page.CELLS_KEY: (("T01", "T02", "__all__"),
                                                                                        ("DQ01", "DQ02")),
                                          "_user": user, page.RULE_KEY: page.ALL_RULES},
                           query_params={"team": "T01"})
    monkeypatch.setattr(page, "st", fake)
    monkeypatch.setattr(page, "current_filters", lambda: FILTERS)
    page._on_heat_select()
    return fake


def test_a_click_filters_the_rule_and_switches_to_a_team_whose_list_the_viewer_may_see(
        monkeypatch: pytest.MonkeyPatch) -> None:
    analyst = User("a", "analyst", frozenset({"T01", "T02"}))
    fake = run_callback(monkeypatch, analyst, event({"customdata": ["T02", "DQ02", ""]}))
    assert fake.session_state[page.RULE_KEY] == "DQ02" and fake.query_params["team"] == "T02"
    assert fake.session_state[page.PICK_KEY] == ("T02", "DQ02")
    # the job center's row: the rule, for the team shown
    fake = run_callback(monkeypatch, analyst, event({"customdata": ["__all__", "DQ01", ""]}))
    assert fake.session_state[page.RULE_KEY] == "DQ01" and fake.query_params["team"] == "T01"
    # a manager (no fix lists): no switch, no filter, only the click remembered for the note
    manager = User("m", "manager", frozenset({"T01", "T02"}))
    fake = run_callback(monkeypatch, manager, event({"customdata": ["T02", "DQ02", ""]}))
    assert fake.session_state[page.RULE_KEY] == page.ALL_RULES and fake.query_params["team"] == "T01"
    assert fake.session_state[page.PICK_KEY] == ("T02", "DQ02")
    # a click on the selected cell again empties the selection: the filter goes
    fake = run_callback(monkeypatch, analyst, event())
    assert fake.session_state[page.RULE_KEY] == page.ALL_RULES and page.PICK_KEY not in fake.session_state


# --- the page -----------------------------------------------------------------------------------------------

def test_the_rule_box_filters_the_fix_list_and_the_button_clears_it(db: Path) -> None:
    team, rule, n, total = team_with_findings(db)
    label = sql(db, "SELECT label_de FROM dq_rules WHERE rule_id = ?", [rule])[0][0]
    at = app(team=team)
    box = at.selectbox(key=page.RULE_KEY)
    assert box.value == page.ALL_RULES and box.options[0] == "alle Regeln"
    assert f"{rule} {label} ({n})" in box.options              # each rule with its number of findings
    assert len(at.dataframe[-1].value) == total
    box.select(rule).run()
    assert not page_faults(at), page_faults(at)
    fixes = at.dataframe[-1].value
    assert len(fixes) == n and set(fixes["Regel"]) == {rule} and set(fixes["Team"]) == {team}
    assert any(f"Korrekturliste gefiltert auf Regel {rule} „{label}“" in i.value for i in at.info)
    assert any(m.value == f"{n} von {total} offenen Hinweisen" for m in at.markdown)
    at.button(key="dq_rule_clear").click().run()
    assert at.selectbox(key=page.RULE_KEY).value == page.ALL_RULES
    assert len(at.dataframe[-1].value) == total
    assert not any("gefiltert auf Regel" in i.value for i in at.info)


def test_a_rule_without_findings_says_so(db: Path) -> None:
    team, _, _, _ = team_with_findings(db)
    rules = {r for (r,) in sql(db, "SELECT rule_id FROM dq_rules")}
    found = {r for (r,) in sql(db, "SELECT DISTINCT rule_id FROM fix_list WHERE team_id = ?", [team])}
    rule = sorted(rules - found)[0]
    at = app(team=team, state={page.RULE_KEY: rule})
    assert at.selectbox(key=page.RULE_KEY).value == rule
    assert any(f"Zur Regel {rule} hat das Team keine offenen Hinweise" in i.value for i in at.info)
    assert [b.proto.label for b in at.download_button] == ["Korrekturliste als CSV", "Korrekturliste als Excel"]


def test_the_notes_of_a_click_on_another_row(db: Path) -> None:
    team, rule, n, _ = team_with_findings(db)
    # the job center's row: the team's own list, filtered, and a note why it is the team's
    at = app(team=team, state={page.PICK_KEY: ("__all__", rule), page.RULE_KEY: rule})
    assert any("„Jobcenter gesamt“ hat keine eigene Korrekturliste" in i.value for i in at.info)
    assert len(at.dataframe[-1].value) == n
    # a manager clicked another team's cell: told that its list is not for this access, and no records
    other = sql(db, "SELECT min(team_id) FROM staging.teams WHERE team_id <> ?", [team])[0][0]
    at = app(user="manager", team=team, state={page.PICK_KEY: (other, rule)})
    assert any(f"({other}) ist für Ihren Zugang nicht freigegeben" in i.value for i in at.info)
    assert not at.download_button and all("Datensatz-ID" not in d.value.columns for d in at.dataframe)
    # a team login sees only its own row and the job center's; its own list stays its own
    at = app(user=f"team:{team}", team=team, state={page.PICK_KEY: ("__all__", rule), page.RULE_KEY: rule})
    assert set(at.dataframe[-1].value["Team"]) == {team}
    assert {c[0] for c in heat(at)["data"][1]["customdata"]} == {team, "__all__"}


# --- a real click -------------------------------------------------------------------------------------------

@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.is_file(), reason="Debian's chromium (/usr/bin/chromium) is not installed")
def test_a_click_on_a_cell_in_chromium(db: Path, tmp_path: Path) -> None:
    playwright_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    team, rule, n, _ = team_with_findings(db)
    first = sql(db, "SELECT min(team_id) FROM staging.teams WHERE team_id <> ?", [team])[0][0]
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("STEERING_DATABASE_PATH", "STEERING_DEMO_USER")}
    with served([str(STEERING), "serve", "--demo", "--db", str(db), "--port", str(port)],
                dict(env, STEERING_CONFIG=""), tmp_path / "serve.log", port) as url, \
            playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        page_ = browser.new_context(viewport={"width": 1400, "height": 1400}, locale="de-DE").new_page()
        expect = playwright_api.expect
        page_.goto(f"{url}/datenqualitaet?team={first}", wait_until="domcontentloaded")
        expect(page_.locator("h1").first).to_contain_text(f"({first})", timeout=30_000)
        chart = page_.locator(".st-key-dq_heat .js-plotly-plot")
        expect(chart).to_be_visible(timeout=20_000)
        page_.wait_for_timeout(1000)

        def click(team_id: str, rule_id: str) -> None:
            """Click the centre of a cell, found through plotly's own axes."""
            spot = chart.evaluate("""(gd, [team, rule]) => {
                const t = gd._fullData[1], i = t.customdata.findIndex(c => c[0] === team && c[1] === rule);
                const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, r = gd.getBoundingClientRect();
                return [r.left + xa._offset + xa.d2p(t.x[i]), r.top + ya._offset + ya.d2p(t.y[i])];
            }""", [team_id, rule_id])
            page_.mouse.click(*spot)

        click(team, rule)  # another team's cell: the page switches to it and filters its list
        expect(page_.locator("h1").first).to_contain_text(f"({team})", timeout=20_000)
        expect(page_).to_have_url(re.compile(rf"team={team}"), timeout=10_000)
        expect(page_.get_by_text(f"Korrekturliste gefiltert auf Regel {rule}").first).to_be_visible(timeout=20_000)
        expect(page_.get_by_text(f"{n} von ").first).to_be_visible()
        page_.wait_for_timeout(500)
        click("__all__", rule)  # the job center's row: the team's list, with a note
        expect(page_.get_by_text("„Jobcenter gesamt“ hat keine eigene Korrekturliste").first).to_be_visible(
            timeout=20_000)
        expect(page_.locator("h1").first).to_contain_text(f"({team})")
        page_.wait_for_timeout(500)
        click("__all__", rule)  # the same cell again: the selection and the filter go
        expect(page_.get_by_text("Korrekturliste gefiltert auf Regel")).to_have_count(0, timeout=20_000)
        browser.close()
