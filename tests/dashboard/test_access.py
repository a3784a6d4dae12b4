"""Access by role: a team sees only its own team whatever the URL says; managers see every team but no
record-level fix lists; analysts see everything; login mode lets in only known accounts; person ids
appear nowhere except in a team's own fix list. AppTest on a database loaded by the real loader."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT, page_faults
from tests.dashboard.demo_center import build_database

APP = str(ROOT / "dashboard" / "app.py")
PAGES = ("overview", "team", "case_progress", "data_quality", "goals", "team_review")
ALL_PAGES = (*PAGES, "pipeline")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("access")
    path = build_database(root)
    access = root / "access.yaml"
    access.write_text("users:\n"
                      "  - login: Team.Zwei@Jobcenter.example\n    role: team\n    team: T02\n"
                      "  - login: leitung@jobcenter.example\n    role: manager\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STEERING_DATABASE_PATH", str(path))
        mp.setenv("STEERING_ACCESS_FILE", str(access))
        mp.setenv("STEERING_ACCESS_MODE", "demo")
        mp.delenv("STEERING_CONFIG", raising=False)
        yield path


def teams(db: Path) -> list[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return [r[0] for r in con.execute("SELECT team_id FROM staging.teams ORDER BY team_id").fetchall()]
    finally:
        con.close()


def app(page: str | None = None, user: str = "analyst", **params: str) -> AppTest:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STEERING_DEMO_USER", user)
        at = AppTest.from_file(APP, default_timeout=60)
        at.query_params.update(params)
        at.run()
        if page:
            at.switch_page(f"app_pages/{page}.py").run()
    assert not page_faults(at), page_faults(at)
    return at


def team_options(at: AppTest) -> list[str]:
    return [re.search(r"\((T\d+)\)$", o).group(1) for o in at.sidebar.selectbox(key="filter_team").options]


def texts(at: AppTest) -> str:
    """Everything a page shows as text: headings, markdown, captions, tables, chart specs, widgets."""
    parts = [e.value for kind in ("title", "subheader", "markdown", "caption", "info", "success", "warning",
                                  "error") for e in getattr(at, kind)]
    parts += [d.value.to_csv() for d in at.dataframe]
    parts += [c.proto.spec for c in at.get("plotly_chart")]
    parts += [str(s.options) for s in at.selectbox]
    return "\n".join(str(p) for p in parts)


def test_demo_mode_is_marked(db: Path) -> None:
    at = app()
    assert any("Demo-Modus ohne Anmeldung" in w.value for w in at.warning)


def test_a_team_cannot_reach_another_team_by_editing_the_url(db: Path) -> None:
    ids = teams(db)
    own, other = "T02", next(t for t in ids if t != "T02")
    for page in PAGES:
        at = app(page, user="team:T02", team=other, bereich="U25")
        assert team_options(at) == [own], page
        assert at.query_params["team"] == own, page
        shown = texts(at)
        assert f"({other})" not in shown, page
        if page in ("team", "case_progress", "data_quality", "team_review"):
            assert f"({own})" in at.title[0].value, page
    overview = app(None, user="team:T02", team=other)
    assert list(overview.dataframe[0].value["Team"].str.extract(r"\((T\d+)\)")[0].dropna()) == [own]
    assert overview.dataframe[0].value["Team"].iloc[-1] == "Jobcenter gesamt"  # the totals, for orientation
    # the Pipeline page's URL shows a German refusal to a team, not the page
    at = app("not_allowed", user="team:T02")
    assert at.title[0].value == "Diese Seite ist für Ihre Rolle nicht freigegeben"
    assert not at.dataframe and not at.metric


def test_a_team_login_from_the_access_file(db: Path) -> None:
    at = app("data_quality", user="team.zwei@jobcenter.example", team="T01")  # logins match in any case
    assert "(T02)" in at.title[0].value
    fixes = at.dataframe[-1].value
    assert set(fixes["Team"]) == {"T02"}


def test_manager_sees_every_team_but_no_fix_list(db: Path) -> None:
    at = app("data_quality", user="leitung@jobcenter.example", team="T03")
    assert "(T03)" in at.title[0].value
    assert team_options(at) == teams(db)
    assert not at.download_button
    assert any("Korrekturliste mit den einzelnen Datensätzen" in i.value for i in at.info)
    assert all(t.value != "Pipeline" for t in at.title)


def test_person_ids_only_in_the_teams_own_fix_list(db: Path) -> None:
    con = duckdb.connect(str(db), read_only=True)
    persons = {r[0] for r in con.execute("SELECT person_id FROM staging.persons").fetchall()}
    con.close()
    pattern = re.compile("|".join(sorted(map(re.escape, persons), key=len, reverse=True)))
    for user in ("team:T02", "manager", "analyst"):
        for page in ALL_PAGES if user == "analyst" else PAGES:
            at = app(page, user=user, team="T02")
            if page == "data_quality" and user != "manager":
                frames = [d.value for d in at.dataframe]
                fix = next(f for f in frames if "Datensatz-ID" in f.columns)  # the own fix list may show them
                assert set(fix["Team"]) == {"T02"}
                assert pattern.search(fix.to_csv())  # the search does find ids where they are allowed
                at_text = "\n".join(str(p) for p in [texts(at).replace(fix.to_csv(), "")])
            else:
                at_text = texts(at)
            found = pattern.findall(at_text)
            assert not found, (user, page, found[:3])


def test_a_unit_manager_sees_only_the_teams_of_its_units(db: Path) -> None:
    con = duckdb.connect(str(db), read_only=True)
    by_unit = dict(con.execute("SELECT unit, list(team_id ORDER BY team_id) FROM staging.teams GROUP BY unit")
                   .fetchall())
    con.close()
    unit, others = "U25", [t for u, ids in by_unit.items() if u != "U25" for t in ids]
    own = by_unit[unit]
    for page in PAGES:
        at = app(page, user=f"manager:{unit}", team=others[0], bereich="Ü25")
        assert team_options(at) == own, page
        assert at.sidebar.selectbox(key="filter_bereich").options == ["alle Bereiche", unit], page
        assert at.query_params["team"] == own[0], page
        shown = texts(at)
        assert not any(f"({t})" in shown for t in others), page
    overview = app(None, user=f"manager:{unit}", team=others[0])
    assert any("nicht freigegeben" in i.value for i in overview.info)
    listed = overview.dataframe[0].value["Team"]
    assert list(listed.str.extract(r"\((T\d+)\)")[0].dropna()) == own
    assert listed.iloc[-1] == "Jobcenter gesamt"
    at = app("not_allowed", user=f"manager:{unit}")
    assert at.title[0].value == "Diese Seite ist für Ihre Rolle nicht freigegeben"


def test_a_team_link_to_another_team_says_the_own_team_is_shown(db: Path) -> None:
    at = app(None, user="team:T02", team="T01")
    assert any("Der Link nennt ein Team, das für Ihren Zugang nicht freigegeben ist; angezeigt wird stattdessen "
               "Ihr Team." in i.value for i in at.info)
    at = app(None, user="team:T02", team="T02")
    assert not any("nicht freigegeben" in i.value for i in at.info)
