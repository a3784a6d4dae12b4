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
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pipelines.report import charts
from tests.conftest import ROOT, page_faults
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
    assert not page_faults(at), page_faults(at)
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
    assert "läuft noch: 1" in sankey["node"]["label"]                           # S2 is still running
    first = sankey["node"]["label"].index("Zugang: 5")
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
    assert not page_faults(at), page_faults(at)
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


# --- the Sankey: one node per outcome, counts, and only published links counted (issue 16, item 7) ----------

STAGE_DE = {"entry": "Zugang", "first_contact": "Erstkontakt", "coop_plan": "Kooperationsplan",
            "measure_start": "Maßnahme", "integration": "Integration", "exit": "Abgang", "open": "läuft noch"}


def links_frame(rows: list[tuple[int, str, str, float | None]]) -> pd.DataFrame:
    """case_transitions rows of one team as the read side gives them: (step, from, to, cases); cases None =
    a hidden link (its ``suppressed`` is true). ``share`` is filled with nonsense on purpose: the chart must
    not read it (it rests on the unprotected total)."""
    return pd.DataFrame([{"team_id": "T1", "period": "all", "step": s, "from_stage": f,
                          "from_stage_de": STAGE_DE[f], "to_stage": t, "to_stage_de": STAGE_DE[t], "cases": c,
                          "share": 99.0, "median_days": 10.0, "suppressed": c is None} for s, f, t, c in rows])


# 100 entries: 60 contacted first, 40 reached the plan first; outcomes from several columns; one hidden link
# (plan -> exit at step 2) flows into "Abgang"
PATHS = [(1, "entry", "first_contact", 60), (1, "entry", "coop_plan", 40),
         (2, "first_contact", "coop_plan", 30), (2, "first_contact", "exit", 20), (2, "first_contact", "open", 10),
         (2, "coop_plan", "measure_start", 35), (2, "coop_plan", "exit", None),
         (3, "coop_plan", "integration", 12), (3, "coop_plan", "open", 18),
         (3, "measure_start", "exit", 15), (3, "measure_start", "open", 20),
         (4, "integration", "exit", 12)]


def nodes(fig) -> dict[str, list[str]]:
    """Node labels by stage name ("Abgang" -> ["Abgang: mind. 47"])."""
    out: dict[str, list[str]] = {}
    for label in fig.data[0].node.label:
        out.setdefault(label.split(":")[0], []).append(label)
    return out


def test_sankey_one_node_per_outcome_with_counts_and_mind_where_a_link_is_hidden() -> None:
    fig = charts.stage_sankey(links_frame(PATHS), title="t")
    by_stage = nodes(fig)
    # one node for each outcome, whatever the column the paths reach it from
    assert by_stage["Abgang"] == ["Abgang: mind. 47"]     # 20 + 15 + 12 published; plan -> exit is hidden
    assert by_stage["läuft noch"] == ["läuft noch: 48"]   # 10 + 18 + 20, nothing hidden flows in
    assert by_stage["Zugang"] == ["Zugang: 100"]
    # the intermediate stages stay per position: the plan reached second (30) and first (40)
    assert sorted(by_stage["Kooperationsplan"]) == ["Kooperationsplan: 30", "Kooperationsplan: 40"]
    assert by_stage["Integration"] == ["Integration: 12"]
    sankey = fig.data[0]
    labels = list(sankey.node.label)
    ends = {labels.index("Abgang: mind. 47"), labels.index("läuft noch: 48")}
    assert {t for t in sankey.link.target} >= ends and not {s for s in sankey.link.source} & ends
    # links carry their counts (the hidden one is not drawn), in German numbers
    assert sorted(sankey.link.value) == sorted(c for *_, c in PATHS if c is not None)
    assert "Zugang → Erstkontakt: 60 Fälle (60,0 % der Zugänge), im Median nach 10 Tagen" in sankey.link.customdata
    hover = dict(zip(labels, sankey.node.customdata, strict=True))
    assert "zum Schutz der Sozialdaten" in hover["Abgang: mind. 47"]
    assert "zum Schutz" not in hover["läuft noch: 48"]
    big = links_frame([(1, "entry", "first_contact", 1234), (2, "first_contact", "exit", 1234)])
    assert nodes(charts.stage_sankey(big, title="t"))["Abgang"] == ["Abgang: 1.234"]


def test_sankey_counts_never_come_from_hidden_links() -> None:
    """A hidden link's number must not reach the figure: whatever it is, the figure is the same, and every
    node's count is a sum of published links only (worked out here independently)."""
    frame = links_frame(PATHS)
    figures = []
    for secret in (1, 3, 4000):  # the read side might leave the number in a hidden row: never used
        hidden = frame.copy()
        hidden.loc[hidden["cases"].isna(), "cases"] = secret
        figures.append(charts.stage_sankey(hidden, title="t").to_json())
    figures.append(charts.stage_sankey(frame.assign(share=1.0), title="t").to_json())  # nor the share
    assert len(set(figures)) == 1
    published = frame[~frame["suppressed"]]
    into_exit = published.loc[published["to_stage"] == "exit", "cases"].sum()
    assert f"Abgang: mind. {into_exit:.0f}" in json.loads(figures[0])["data"][0]["node"]["label"]
    # hidden links whose place is unknown (the read side leaves them out): every count is "mind.", and no
    # share of the entries (their number is a lower bound too)
    fig = charts.stage_sankey(published, title="t", unplaced=1)
    assert all(": mind. " in label for label in fig.data[0].node.label)
    assert not any("%" in h for h in fig.data[0].link.customdata)
    # a hidden first step: the entries are a lower bound as well
    first = links_frame([(1, "entry", "first_contact", 50), (1, "entry", "coop_plan", None),
                         (2, "first_contact", "open", 50)])
    assert nodes(charts.stage_sankey(first, title="t"))["Zugang"] == ["Zugang: mind. 50"]


def test_sankey_of_every_team_never_exceeds_the_exact_counts(sample: Path) -> None:
    """On the sample with the default minimum: per team and period, no node of the protected diagram counts
    more than the same node with exact figures, the outcomes are one node each, and every count is "mind."
    while links are hidden."""
    from pipelines.publish.snapshot import Snapshot, Viewer

    snap = Snapshot(lambda: duckdb.connect(str(sample), read_only=True), 5)
    con = duckdb.connect(str(sample), read_only=True)
    teams = [t for (t,) in con.execute("SELECT team_id FROM staging.teams ORDER BY team_id").fetchall()]
    periods = [p for (p,) in con.execute("SELECT DISTINCT period FROM case_transitions ORDER BY 1").fetchall()]
    con.close()
    everyone = frozenset([*teams, "__all__"])
    protected, exact = Viewer("manager", everyone), Viewer("analyst", everyone, everyone, exact=True)
    checked = lowered = 0
    for team in [*teams, "__all__"]:
        for period in periods:
            links, hidden = snap.case_transitions(protected, team, period)
            if links.empty:
                continue
            full, _ = snap.case_transitions(exact, team, period)

            def counts(fig) -> dict[str, list[int]]:
                out: dict[str, list[int]] = {}
                for label in fig.data[0].node.label:
                    stage, count = label.split(": ")
                    out.setdefault(stage, []).append(int(count.removeprefix("mind. ").replace(".", "")))
                return out

            shown = charts.stage_sankey(links, title="t", unplaced=hidden, min_share=0)
            truth = counts(charts.stage_sankey(full, title="t", min_share=0))
            for end in ("Abgang", "läuft noch"):
                assert len(counts(shown).get(end, [])) <= 1, (team, period, end)
                if end in counts(shown):
                    assert counts(shown)[end][0] <= truth[end][0], (team, period, end)
            assert sum(sum(v) for v in counts(shown).values()) <= sum(sum(v) for v in truth.values())
            if hidden:
                assert all(": mind. " in label for label in shown.data[0].node.label), (team, period)
                lowered += 1
            checked += 1
    assert checked and lowered  # the sample has hidden links at k = 5


def test_sankey_on_the_page_exact_and_protected(hand: Path) -> None:
    """The hand history, T1 (5 cases): exact with minimum 1 -- Zugang 5, Abgang 4 (2 after the contact, 1
    after an integration at position 4, 1 at position 5), läuft noch 1; with minimum 5 every link but
    Zugang -> Erstkontakt (5) is hidden, so the counts say "mind." and the caption explains it."""
    labels = list(spec(page(hand, 1, team="T1"), "case_sankey")["data"][0]["node"]["label"])
    assert [lb for lb in labels if lb.startswith(("Zugang", "Abgang", "läuft noch"))] == \
        ["Zugang: 5", "Abgang: 4", "läuft noch: 1"]
    at = page(hand, min_cell_size=5, user="manager", team="T1", zugang="all")
    labels = spec(at, "case_sankey")["data"][0]["node"]["label"]
    assert labels == ["Zugang: mind. 5", "Erstkontakt: mind. 5"]
    assert any("darum „mind.“" in c.value for c in at.caption)
    assert any("mind." in m.value and "Abgang" in m.value for m in at.markdown)  # READ_SANKEY says so
