"""„Worauf es diesen Monat ankommt“: the sentences by hand, and the box on the Überblick and the Teamreflexion.

The hand cases build small frames whose expected sentences are written out here; the page tests run the real
app (AppTest) on the committed sample and check each goal line against ``goal_status`` read with plain SQL.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pipelines.report.focus import NOTHING, TITLE, change_sentence, findings_line, focus_lines
from pipelines.review import Point
from tests.conftest import ROOT, page_faults
from tests.conftest import query as sql
from tests.dashboard.demo_center import build_database

OCT = dt.date(2026, 10, 1)
CATALOG = pd.DataFrame([
    {"metric_id": "ltb_stock", "label_de": "LZB-Bestand", "unit": "count", "goal_kind": "average",
     "count_noun_de": "Personen"},
    {"metric_id": "integration_rate_12m", "label_de": "Integrationsquote", "unit": "percent",
     "goal_kind": "progress", "count_noun_de": ""},
    {"metric_id": "activation_rate", "label_de": "Aktivierungsquote", "unit": "percent", "goal_kind": "level",
     "count_noun_de": ""},
]).set_index("metric_id")


def goal(team: str, metric: str, status: str | None, actual: float | None, target: float) -> dict:
    return {"team_id": team, "year": 2026, "metric_id": metric, "as_of_month": pd.Timestamp(OCT),
            "target_value": target, "actual": actual, "status": status}


def test_a_change_is_one_whole_sentence_with_its_noun():
    point = Point("ltb_stock", "LZB-Bestand", "count", 26.0, 28.0, -1.0)
    assert change_sentence(point, OCT, " Personen") == "LZB-Bestand: 26 Personen, 2 weniger als im Oktober 2025 (28)."
    rate = Point("activation_rate", "Aktivierungsquote", "percent", 78.4, 74.4, 1.0)
    assert change_sentence(rate, OCT) == ("Aktivierungsquote: 78,4 %, 4,0 Prozentpunkte mehr als im Oktober 2025 "
                                          "(74,4 %).")


def test_lines_come_in_order_goals_needing_support_first():
    goals = pd.DataFrame([
        goal("T01", "activation_rate", "watch", 41.0, 45.0),
        goal("T01", "integration_rate_12m", "behind", 18.0, 24.9),
        goal("T01", "ltb_stock", "on_track", 500.0, 523.0),  # on track: not a point to talk about
        goal("T02", "integration_rate_12m", "behind", 10.0, 20.0),  # another team: not in T01's box
    ])
    well = [Point("ltb_stock", "LZB-Bestand", "count", 26.0, 40.0, 2.0)]
    watch = [Point("activation_rate", "Aktivierungsquote", "percent", 30.0, 40.0, -2.0)]
    todo = pd.DataFrame([{"rule_id": "DQ11", "label_de": "Kontakt spät erfasst", "description_de": "",
                          "findings": 9.0},
                         {"rule_id": "DQ03", "label_de": "Geburtsdatum fehlt", "description_de": "",
                          "findings": 3.0}])
    lines = focus_lines(goals=goals, catalog=CATALOG, team_id="T01", month=OCT, well=well, watch=watch, todo=todo,
                        open_findings=12)
    assert lines == [
        "Ziel „Integrationsquote“: Unterstützung sinnvoll. Jahresfortschrittswert Jan.–Okt. 2026: 18,0 %, "
        "Ziel 2026: 24,9 %.",
        "Ziel „Aktivierungsquote“: im Blick behalten. Wert Okt. 2026: 41,0 %, Ziel 2026: 45,0 %.",
        "Gelungen: LZB-Bestand: 26 Personen, 14 weniger als im Oktober 2025 (40).",
        "Genauer ansehen: Aktivierungsquote: 30,0 %, 10,0 Prozentpunkte weniger als im Oktober 2025 (40,0 %).",
        "Datenqualität: 12 offene Hinweise, die meisten zu „Kontakt spät erfasst“ (DQ11).",
    ]


def test_the_overview_counts_teams_needing_support_without_naming_them():
    goals = pd.DataFrame([goal("T01", "integration_rate_12m", "behind", 18.0, 24.9),
                          goal("T01", "ltb_stock", "behind", 600.0, 523.0),
                          goal("T03", "ltb_stock", "behind", 600.0, 523.0),
                          goal("T09", "ltb_stock", "behind", 600.0, 523.0),  # not among the shown teams
                          goal("T02", "ltb_stock", None, None, 523.0)])  # hidden status: not counted
    lines = focus_lines(goals=goals, catalog=CATALOG, team_id="__all__", month=OCT, well=[], watch=[],
                        todo=pd.DataFrame(), open_findings=0, teams=("T01", "T02", "T03"))
    assert lines == ["Bei 2 Teams ist für mindestens ein Ziel Unterstützung sinnvoll; die Seite Zielerreichung "
                     "zeigt, wo und in welchem Umfang."]
    assert not any("T01" in line or "T03" in line for line in lines)


def test_hidden_finding_counts_are_not_added_up():
    todo = pd.DataFrame([{"rule_id": "DQ03", "label_de": "Geburtsdatum fehlt", "description_de": "",
                          "findings": float("nan")},
                         {"rule_id": "DQ11", "label_de": "Kontakt spät erfasst", "description_de": "",
                          "findings": 7.0}])
    assert findings_line(todo, None) == ("Datenqualität: offene Hinweise zu 2 Regeln, die meisten zu "
                                         "„Kontakt spät erfasst“ (DQ11).")
    assert findings_line(todo.iloc[:0], 0) is None


# --- the box on the pages ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = build_database(tmp_path_factory.mktemp("focus"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STEERING_DATABASE_PATH", str(path))
        yield path


def box(page: str, **params: str) -> list[str]:
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=60)
    at.query_params.update(params)
    at.run()
    at.switch_page(f"app_pages/{page}.py").run()
    assert not page_faults(at), page_faults(at)
    texts = [m.value for m in at.markdown]
    at_title = texts.index(f"**{TITLE}**")
    body = texts[at_title + 1]
    return [] if body == NOTHING else [line[2:].replace("\\", "") for line in body.split("\n")]


def expected_goal_lines(db: Path, team: str, limit: int = 3) -> list[str]:
    rows = sql(db, "SELECT c.label_de, g.status FROM goal_status g JOIN metric_catalog c USING (metric_id) "
                   "WHERE g.team_id = ? AND g.year = 2026 AND g.status IN ('behind', 'watch') "
                   f"ORDER BY g.status = 'watch', g.metric_id LIMIT {limit}", [team])
    words = {"behind": "Unterstützung sinnvoll", "watch": "im Blick behalten"}
    return [f"Ziel „{label}“: {words[status]}." for label, status in rows]


def test_the_overview_opens_with_what_matters(db):
    lines = box("overview", monat="2026-10")
    goals = expected_goal_lines(db, "__all__")
    assert goals, "the committed sample has job-center goals that need attention"
    assert [line.split(".")[0] + "." for line in lines[:len(goals)]] == goals
    behind = sql(db, "SELECT count(DISTINCT team_id) FROM goal_status WHERE year = 2026 AND status = 'behind' "
                     "AND team_id <> '__all__'")[0][0]
    assert f"Bei {behind} Teams ist für mindestens ein Ziel Unterstützung sinnvoll" in " ".join(lines)
    assert lines[-1].startswith("Datenqualität: ")


def test_the_team_review_opens_with_the_teams_own_points(db):
    team = sql(db, "SELECT min(team_id) FROM staging.teams")[0][0]
    lines = box("team_review", team=team, monat="2026-10")
    goals = expected_goal_lines(db, team)
    assert [line.split(".")[0] + "." for line in lines[:len(goals)]] == goals
    assert not any("Bei " in line and "Teams" in line for line in lines)  # the team sees its own points only


def test_the_review_file_opens_with_the_box_and_marks_an_open_figure(db, tmp_path):
    out = tmp_path / "review.html"
    steering = str(ROOT / ".venv" / "bin" / "steering")
    done = subprocess.run([steering, "review", "--team", "T01", "--month", "2026-10", "--out", str(out),
                           "--db", str(db)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    flat = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert flat.index(TITLE) < flat.index("Was gut lief")  # at the top
    box = re.search(r'<section class="focus">(.*?)</section>', page, re.S).group(1)
    items = [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", box)]
    goals = [item.split(".")[0] + "." for item in items if item.startswith("Ziel „")]
    # the file is protected: a goal whose status is hidden drops out, the rest keep their order
    everything = iter(expected_goal_lines(db, "T01", limit=100))
    assert goals and all(line in everything for line in goals), (goals, expected_goal_lines(db, "T01", 100))
    assert items[-1].startswith("Datenqualität: ")
    # the first-contact rate of October is measurable from 31.10. + 14 days; the Datenstand is earlier
    as_of = sql(db, "SELECT max(as_of) FROM load_runs WHERE status = 'success'")[0][0]
    assert as_of < dt.date(2026, 11, 14)
    assert "offen (ab 14.11.)" in flat and "„offen (ab …)“: noch nicht messbar" in flat
