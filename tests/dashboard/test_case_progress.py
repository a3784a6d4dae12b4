"""The Fallverläufe page with AppTest: exact figures on the hand-built history, plausibility on the sample.

The hand-built history is the one of tests/sql/test_case_events.py (Datenstand
30.06.2024, so the sidebar's latest month is June 2024); every expected figure
below is worked out from its docstring, each with its reason. Its cohorts are
single persons, so small-cell suppression (privacy.min_cell_size, tested with
pipelines/publish/) is turned off for it: ``min_cell_size=1``.
"""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from tests.dashboard.demo_center import build_database
from tests.sql.test_case_events import build_hand_db

APP = str(ROOT / "dashboard" / "app.py")
PAGE = "app_pages/case_progress.py"
READ = ["So lesen Sie die Zugangskohorten", "So lesen Sie die Kurve", "So lesen Sie die Verläufe",
        "So lesen Sie das Diagramm"]


def page(db: Path, min_cell_size: int | None = None, user: str | None = None, **params: str) -> AppTest:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STEERING_DATABASE_PATH", str(db))
        if min_cell_size is not None:
            mp.setenv("STEERING_PRIVACY_MIN_CELL_SIZE", str(min_cell_size))
        if user is not None:
            mp.setenv("STEERING_DEMO_USER", user)
        at = AppTest.from_file(APP, default_timeout=30)
        at.query_params.update(params)
        at.run()
        at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def array(value: list | dict) -> list:
    """A plotly array from the figure spec: plain, or typed (plotly 6+ sends numpy arrays as base64)."""
    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).tolist()
    return list(value)


def spec(at: AppTest, key: str) -> dict:
    found = [c for c in at.get("plotly_chart") if c.proto.id.endswith("-" + key)]
    assert found, f"no chart {key}"
    return json.loads(found[0].proto.spec)


@pytest.fixture(scope="module")
def hand(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    db = build_hand_db(tmp_path_factory.mktemp("hand"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STEERING_DATABASE_PATH", str(db))
        yield db


def test_hand_case_team_1(hand: Path) -> None:
    at = page(hand, 1, team="T1")
    assert at.title[0].value == "Fallverläufe – Team Team Eins (T1)"
    assert [s.value for s in at.subheader] == ["Die ersten Schritte nach dem Zugang", "Zeit bis zur Integration",
                                               "Häufigste Verläufe", "Wege durch die Stationen"]
    assert [e.label for e in at.expander] == READ
    assert "Datenstand 30.06.2024" in at.caption[0].value

    funnel = spec(at, "case_funnel")["data"]
    # T1 (S1, S2, S3 in January 2023, S4 in February, S8 in June): contact in 14 days S1, S3, S4, S8 -> 4/5;
    # plan in 60 days S1, S2, S4 -> 3/5; measure in 6 months S2, S4 -> 2/5; integration in 12 months S1, S4 -> 2/5
    assert funnel[0]["name"] == "Team Eins (T1)"
    assert funnel[0]["text"] == ["80,0 %", "60,0 %", "40,0 %", "40,0 %"]
    # job center: contact: all 8 entries (May 2024 is complete for 14 days), 5 of them in time -> 62,5 %;
    # plan: 7 entries up to April 2024, S1 S2 S4 S6 -> 4/7; measure: 7 up to Dec 2023, S2 S4 -> 2/7;
    # integration: 7 up to June 2023, S1 S4 S7 -> 3/7
    assert funnel[1]["text"] == ["62,5 %", "57,1 %", "28,6 %", "42,9 %"]

    curve = [t for t in spec(at, "case_survival")["data"] if t.get("name") == "Team Eins (T1)"][0]
    # 1 - S(t) at days 0, 75, 87, 103, 303, 537 (tests/pipelines/test_survival.py)
    assert array(curve["y"]) == pytest.approx([0, 0, 0, 100 / 3, 200 / 3, 200 / 3])
    table = at.dataframe[0].value.set_index("Team")
    assert list(table.index) == ["Team Eins (T1)", "Team Zwei (T2)", "Jobcenter gesamt"]  # fixed order
    assert table.loc["Team Eins (T1)", "Fälle"] == "5" and table.loc["Team Eins (T1)", "Integrationen"] == "2"
    assert table.loc["Team Eins (T1)", "Median bis Integration"] == "303 Tage (103–offen)"
    assert table.loc["Team Eins (T1)", "nach 6 Monaten"].startswith("33,3 % (")
    assert table.loc["Team Eins (T1)", "nach 24 Monaten"] == "–"     # nobody observed 730 days
    assert table.loc["Team Zwei (T2)", "Median bis Integration"].startswith("101 Tage")  # S7 of 2 at risk
    assert table.loc["Jobcenter gesamt", "Fälle"] == "8"

    variants = at.dataframe[1].value
    # S3 and S8: entry, contact, exit after 75 and 87 days
    assert variants.iloc[0].tolist() == ["1", "Zugang → Erstkontakt → Abgang", "2", "40,0 %", "0", "81"]
    assert len(variants) == 4
    assert any("5 Fälle mit 4 verschiedenen Verläufen" in c.value for c in at.caption)

    sankey = spec(at, "case_sankey")["data"][0]
    assert "läuft noch" in sankey["node"]["label"]                              # S2 is still running
    first = sankey["node"]["label"].index("Zugang")
    links = zip(array(sankey["link"]["source"]), array(sankey["link"]["value"]), strict=True)
    assert sum(v for s, v in links if s == first) == 5


def test_young_cohorts_show_open_not_zero(hand: Path) -> None:
    at = page(hand, 1, team="T2", zugang="2024")
    assert at.selectbox(key="case_period").value == "2024"
    # T2's only entry of 2024 is S5 (06.05.): contacted after 2 days; 60 days have not passed for May
    assert spec(at, "case_funnel")["data"][0]["text"] == ["100,0 %", "noch offen", "noch offen", "noch offen"]
    heat = spec(at, "case_cohorts")["data"][0]
    assert heat["x"] == ["Jan. 2024", "Feb. 2024", "März 2024", "Apr. 2024", "Mai 2024", "Juni 2024"]
    # January-April: nobody entered; May: 1 of 1; June: 14 days have not passed for entries on 30.06.
    assert heat["text"][0] == ["–", "–", "–", "–", "100", "noch offen"]
    assert heat["text"][1][4:] == ["noch offen", "noch offen"]
    variants = at.dataframe[1].value
    assert variants["Verlauf"].tolist() == ["Zugang → Erstkontakt"] and variants["davon laufend"].tolist() == ["1"]


def test_period_lives_in_the_url(hand: Path) -> None:
    at = page(hand, 1, team="T1")
    assert at.selectbox(key="case_period").value == "all"
    assert at.selectbox(key="case_period").options == ["allen Jahren", "2024", "2023"]
    at.selectbox(key="case_period").select("2023").run()
    assert not at.exception
    assert at.query_params["zugang"] == "2023"
    assert "Zugänge aus 2023" in at.caption[0].value


def test_database_without_case_tables_says_so(hand: Path, tmp_path: Path) -> None:
    copy = tmp_path / "old.duckdb"
    shutil.copy(hand, copy)
    con = duckdb.connect(str(copy))
    con.execute("DROP TABLE case_cohorts")
    con.close()
    at = page(copy)
    assert "noch nicht berechnet" in at.info[0].value


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_database(tmp_path_factory.mktemp("sample"))


def test_every_team_of_the_sample_renders_with_the_tables_figures(sample: Path) -> None:
    con = duckdb.connect(str(sample), read_only=True)
    try:
        teams = [t for (t,) in con.execute("SELECT team_id FROM staging.teams ORDER BY team_id").fetchall()]
        top = dict(con.execute("SELECT team_id, variant_de FROM case_variants WHERE period = 'all' AND rank = 1")
                   .fetchall())
        cases = con.execute("SELECT cases FROM survival_summary WHERE team_id = '__all__' AND period = 'all'"
                            ).fetchall()[0][0]
    finally:
        con.close()
    for team in teams:
        at = page(sample, team=team)
        if team not in top:  # a team without entries of its own (e.g. one that only takes over cases)
            assert any("keine Zugänge" in i.value or "keine Fälle" in i.value for i in at.info), team
            continue
        assert [e.label for e in at.expander] == READ, team
        assert at.dataframe[1].value["Verlauf"].iloc[0] == top[team]
        total = at.dataframe[0].value.set_index("Team").loc["Jobcenter gesamt", "Fälle"]
        assert total == f"{cases:,}".replace(",", ".")


def test_small_groups_are_suppressed_with_the_default_minimum(hand: Path) -> None:
    """min_cell_size 5: Team Zwei has 3 cases -> '–'; Team Eins (5) is hidden too, or 8 - 5 would give
    Team Zwei away; the job center (8) stays. The team's curve and Sankey links under 5 cases are not drawn."""
    at = page(hand, min_cell_size=5, user="manager", team="T1", zugang="all")
    table = at.dataframe[0].value.set_index("Team")
    assert table.loc["Team Zwei (T2)"].tolist() == ["–"] * 6
    assert table.loc["Team Eins (T1)"].tolist() == ["–"] * 6
    assert table.loc["Jobcenter gesamt", "Fälle"] == "8"
    names = [t.get("name") for t in spec(at, "case_survival")["data"]]
    assert "Team Eins (T1)" not in names  # the job center's line too, if its integrations are hidden
    captions = " ".join(c.value for c in at.caption)
    assert "Die Kurve des Teams wird nicht gezeigt" in captions
    assert "Übergänge sind zum Schutz der Sozialdaten ausgeblendet: Sie betreffen weniger als 5 Fälle" in captions
    sankey = spec(at, "case_sankey")["data"][0]
    assert min(array(sankey["link"]["value"])) >= 5
