"""Every page of the dashboard rendered with AppTest on a database loaded by the real loader.

The database is built once per module from the committed ``sample_data/`` (German
export with mapping.yaml) when it is there, else from the small synthetic job
center in ``demo_center.py``. Expected figures are read from the database with
plain SQL and formatted here by hand, so the assertions do not reuse the
dashboard's own formatting code.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from streamlit.proto.Metric_pb2 import Metric
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT, page_faults
from tests.conftest import query as sql
from tests.dashboard.demo_center import build_database

APP = str(ROOT / "dashboard" / "app.py")
MONTHS_DE = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
             "November", "Dezember"]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_database(tmp_path_factory.mktemp("dash"))


@pytest.fixture(scope="module")
def env(db: Path) -> Iterator[Path]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STEERING_DATABASE_PATH", str(db))
        yield db


def app(page: str | None = None, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params.update(params)
    at.run()
    if page:
        at.switch_page(f"app_pages/{page}.py").run()
    assert not page_faults(at), page_faults(at)
    return at


def german(value: float, decimals: int) -> str:
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def teams(db: Path) -> list[tuple[str, str, str | None]]:
    return sql(db, "SELECT team_id, team_name, unit FROM staging.teams ORDER BY team_id")


def latest_month(db: Path) -> dt.date:
    return sql(db, "SELECT max(month) FROM metric_values")[0][0]


def value(db: Path, team: str, month: dt.date, metric: str) -> float | None:
    return sql(db, "SELECT value FROM metric_values WHERE team_id = ? AND month = ? AND metric_id = ?",
               [team, month, metric])[0][0]


def tile(at: AppTest, label: str):
    found = [m for m in at.metric if m.label == label]
    assert found, f"no tile {label!r} among {[m.label for m in at.metric]}"
    return found[0]


def label_of(db: Path, metric: str) -> str:
    return sql(db, "SELECT label_de FROM metric_catalog WHERE metric_id = ?", [metric])[0][0]


# --- Überblick -------------------------------------------------------------------------------------------------

def test_overview_tile_shows_the_job_centers_integrations(env: Path) -> None:
    at = app()
    month = latest_month(env)
    assert at.title[0].value == "Überblick"
    assert f"{MONTHS_DE[month.month - 1]} {month.year}" in at.caption[0].value
    expected = value(env, "__all__", month, "integrations")
    integrations = tile(at, label_of(env, "integrations"))
    assert integrations.value == german(expected, 0)
    before = value(env, "__all__", month.replace(year=month.year - 1), "integrations")
    if before is not None:
        diff = expected - before
        assert integrations.delta.startswith("+" if diff > 0 else "-" if diff < 0 else "±")
        assert german(abs(diff), 0) in integrations.delta
    rate = tile(at, label_of(env, "integration_rate_12m"))
    rate_value = value(env, "__all__", month, "integration_rate_12m")
    assert rate.value == (german(rate_value, 1) + " %" if rate_value is not None else "–")
    assert rate.proto.delta_description == "ggü. Vorjahr"


def test_tiles_colour_by_direction_and_carry_the_fact_sheet(env: Path) -> None:
    at = app()
    month = latest_month(env)
    for metric, direction in sql(env, "SELECT metric_id, direction FROM metric_catalog"):
        shown = [m for m in at.metric if m.label == label_of(env, metric)]
        now, before = value(env, "__all__", month, metric), value(env, "__all__", month.replace(year=month.year - 1),
                                                                  metric)
        if not shown or now is None or before is None:
            continue
        color = Metric.MetricColor.Name(shown[0].proto.color)
        if direction == "neutral" or round(now - before, 1) == 0:
            assert color == "GRAY", metric
        else:
            good = (now > before) == (direction == "higher_better")
            assert color == ("GREEN" if good else "ORANGE"), metric  # never red
    integrations = tile(at, label_of(env, "integrations"))
    assert integrations.proto.help.startswith(
        sql(env, "SELECT definition_de FROM metric_catalog WHERE metric_id = 'integrations'")[0][0][:40])
    # the sparkline is a grey plotly line of its own: the tile's change is the only coloured thing on it
    assert len(integrations.proto.chart_data) == 0
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    sparks = [spec for spec in specs if spec["layout"].get("height") == 56]
    assert len(sparks) >= len([m for m in at.metric if m.proto.delta]), "a sparkline under every tile with a change"
    for spec in sparks:
        assert spec["data"][0]["line"]["color"] == "#8A9099"
        assert len(spec["data"][0]["y"]) >= 12  # up to 24 months


def test_team_table_in_fixed_order_with_own_previous_year(env: Path) -> None:
    at = app()
    table = at.dataframe[0].value
    ids = [t[0] for t in teams(env)]
    assert [row.split("(")[-1].rstrip(")") for row in table["Team"][:-1] if not row.startswith("Bereich ")] == ids
    assert table["Team"].iloc[-1] == "Jobcenter gesamt"
    month = latest_month(env)
    first = ids[0]
    now = value(env, first, month, "elb_stock")
    before = value(env, first, month.replace(year=month.year - 1), "elb_stock")
    cell = table[label_of(env, "elb_stock")].iloc[0]
    assert cell.startswith(german(now, 0))
    if before is not None:
        assert german(abs(now - before), 0) in cell


def test_each_unit_is_followed_by_its_subtotal(env: Path) -> None:
    """Units of two or more teams get a row "Bereich … gesamt" after their teams: the sum of the teams'
    counts, and for a rate the sum of the numerators over the sum of the denominators (worked out here from
    metric_values with plain SQL). A unit of one team gets none, and the DQ score (no sum) neither."""
    month = latest_month(env)
    units: dict[str, list[str]] = {}
    for team_id, _, unit in teams(env):
        if unit:
            units.setdefault(unit, []).append(team_id)
    assert any(len(ids) >= 2 for ids in units.values()) and any(len(ids) == 1 for ids in units.values())
    stock = app().dataframe[0].value
    rates = app(tabelle="SGB-II-Kennzahlen").dataframe[0].value
    for unit, ids in units.items():
        label = f"Bereich {unit} gesamt"
        if len(ids) == 1:
            assert label not in list(stock["Team"])
            continue
        at = list(stock["Team"]).index(label)
        assert [row.split("(")[-1].rstrip(")") for row in stock["Team"][at - len(ids):at]] == ids
        total = sum(value(env, t, month, "elb_stock") for t in ids)
        assert stock[label_of(env, "elb_stock")].iloc[at].startswith(german(total, 0) + " ")
        num, den = sql(env, "SELECT sum(numerator), sum(denominator) FROM metric_values WHERE month = ?"
                       " AND metric_id = 'integration_rate_12m' AND team_id IN (SELECT unnest(?))", [month, ids])[0]
        row = list(rates["Team"]).index(label)
        assert rates[label_of(env, "integration_rate_12m")].iloc[row].startswith(german(100 * num / den, 1) + " %")
    quality = app(tabelle="Datenqualität").dataframe[0].value
    assert not any(row.startswith("Bereich ") for row in quality["Team"])


def test_a_manager_sees_the_subtotals_the_protection_leaves(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In the protected view a subtotal is blank ("–") exactly where the stored pattern hides it (kind "unit"
    in small_cells), and shows unit_values' figure everywhere else."""
    monkeypatch.setenv("STEERING_DEMO_USER", "manager")
    month = latest_month(env)
    hidden = {(u, m) for u, m in sql(env, "SELECT unit, item FROM small_cells WHERE kind = 'unit' AND month = ?",
                                     [month])}
    labels = {m: label_of(env, m) for m in ("integration_rate_12m", "ltb_stock", "activation_rate")}
    table = app(tabelle="SGB-II-Kennzahlen").dataframe[0].value
    seen = []
    for unit, metric, shown in sql(env, "SELECT unit, metric_id, value FROM unit_values WHERE month = ?"
                                   " AND metric_id IN (SELECT unnest(?))", [month, list(labels)]):
        cell = table.loc[table["Team"] == f"Bereich {unit} gesamt", labels[metric]].iloc[0]
        if (unit, metric) in hidden:
            assert cell == "–", (unit, metric, cell)
        else:
            decimals = 0 if metric == "ltb_stock" else 1
            assert cell.startswith(german(shown, decimals)), (unit, metric, cell)
        seen.append((unit, metric) in hidden)
    assert len(seen) == 6 and any(seen) and not all(seen)  # two units × three metrics, hidden and shown


def test_query_params_drive_month_and_unit(env: Path) -> None:
    month = latest_month(env)
    older = month.replace(year=month.year - 1)
    units = sorted({t[2] for t in teams(env) if t[2]})
    unit = units[-1]
    at = app(monat=f"{older:%Y-%m}", bereich=unit)
    assert f"{MONTHS_DE[older.month - 1]} {older.year}" in at.caption[0].value
    assert tile(at, label_of(env, "integrations")).value == german(value(env, "__all__", older, "integrations"), 0)
    in_unit = [t[0] for t in teams(env) if t[2] == unit]
    shown = [row.split("(")[-1].rstrip(")") for row in at.dataframe[0].value["Team"][:-1]
             if not row.startswith("Bereich ")]
    assert shown == in_unit
    assert at.sidebar.selectbox(key="filter_team").value == in_unit[0]
    assert at.query_params["monat"] == f"{older:%Y-%m}" and at.query_params["bereich"] == unit


def test_unknown_query_params_fall_back_to_defaults(env: Path) -> None:
    at = app(monat="1999-01", team="nobody")
    month = latest_month(env)
    assert at.query_params["monat"] == f"{month:%Y-%m}"
    assert at.query_params["team"] == teams(env)[0][0]


# --- Team ------------------------------------------------------------------------------------------------------

def _spec(at: AppTest, key: str) -> dict:
    """The plotly figure drawn with widget key ``key`` (``trend_<metric_id>``, ``dq_heat``, ...)."""
    charts = [c for c in at.get("plotly_chart") if c.proto.id.endswith("-" + key)]
    assert charts, f"no chart {key}"
    return json.loads(charts[0].proto.spec)


def test_team_page_lines_fact_sheets_and_hover(env: Path) -> None:
    first, second = teams(env)[0][0], teams(env)[1][0]
    at = app("team", team=first)
    assert at.title[0].value.startswith("Team ") and f"({first})" in at.title[0].value
    # a quarter sum (stands_in_for) has no chart of its own: it replaces its monthly count's chart
    n_metrics = sql(env, "SELECT count(*) FROM metric_catalog WHERE stands_in_for = ''")[0][0]
    charts_seen, sheets_seen = 0, 0
    for theme in at.radio(key="filter_thema").options:  # every metric is one click away
        at.radio(key="filter_thema").set_value(theme).run()
        charts_seen += len(at.get("plotly_chart"))
        sheets_seen += len([e for e in at.expander if e.label.startswith("Steckbrief: ")])
    assert charts_seen == sheets_seen == n_metrics
    at.radio(key="filter_thema").set_value("SGB-II-Kennzahlen").run()
    sheets = [e for e in at.expander if e.label.startswith("Steckbrief: ")]
    label = label_of(env, "integration_rate_12m")
    sheet = next(e for e in sheets if e.label == f"Steckbrief: {label}")
    definition = sql(env, "SELECT definition_de FROM metric_catalog WHERE metric_id = 'integration_rate_12m'")[0][0]
    assert definition.splitlines()[0][:40] in sheet.markdown[0].value
    spec = _spec(at, "trend_integration_rate_12m")
    names = [t["name"] for t in spec["data"]]
    assert names[0] == "Vorjahr (Team)" and "Jobcenter gesamt" in names[2]
    assert spec["layout"]["separators"] == ",."
    assert spec["layout"]["title"]["text"].startswith(label)
    hover = spec["data"][1]["customdata"][-1]
    month = latest_month(env)
    assert hover[0].startswith(f"{MONTHS_DE[month.month - 1]} {month.year}: ")
    num, den = sql(env, "SELECT numerator, denominator FROM metric_values WHERE team_id = ? AND month = ?"
                        " AND metric_id = 'integration_rate_12m'", [first, month])[0]
    if num is not None and den is not None:
        assert hover[1] == german(num, 0 if float(num).is_integer() else 1)
        assert hover[2] == german(den, 0 if float(den).is_integer() else 1)

    # switching the team (sidebar) changes the figures and the URL
    at.radio(key="filter_thema").set_value("Bestand und Bewegung").run()
    before = _spec(at, "trend_elb_stock")
    at.sidebar.selectbox(key="filter_team").select(second).run()
    assert not page_faults(at), page_faults(at)
    assert f"({second})" in at.title[0].value and at.query_params["team"] == second
    for team, shown in ((first, before), (second, _spec(at, "trend_elb_stock"))):
        expected = value(env, team, month, "elb_stock")
        assert shown["data"][1]["customdata"][-1][0].endswith(": " + german(expected, 0)), team


def test_filters_survive_a_page_switch(env: Path) -> None:
    second = teams(env)[1][0]
    at = app()
    at.sidebar.selectbox(key="filter_team").select(second).run()
    assert at.query_params["team"] == second
    at.switch_page("app_pages/data_quality.py").run()
    assert not page_faults(at), page_faults(at)
    assert f"({second})" in at.title[0].value
    at.switch_page("app_pages/team.py").run()
    assert f"({second})" in at.title[0].value and at.query_params["team"] == second


# --- Datenqualität ---------------------------------------------------------------------------------------------

def _team_with_findings(db: Path) -> str:
    rows = sql(db, "SELECT team_id FROM dq_findings WHERE team_id NOT IN ('__all__', '__unassigned__')"
                   " GROUP BY team_id ORDER BY count(*) DESC, team_id LIMIT 1")
    return rows[0][0]


def test_data_quality_score_heatmap_and_fix_list_of_the_team_only(env: Path) -> None:
    team = _team_with_findings(env)
    at = app("data_quality", team=team)
    month = latest_month(env)
    score = value(env, team, month, "dq_score")
    assert tile(at, f"Datenqualitätswert {MONTHS_DE[month.month - 1]} {month.year}").value == german(score, 1) + " %"
    heat = _spec(at, "dq_heat")
    assert heat["data"][0]["type"] == "heatmap"
    n_rules = sql(env, "SELECT count(*) FROM dq_rules")[0][0]
    assert len(heat["data"][0]["x"]) == n_rules
    fixes = at.dataframe[-1].value
    assert set(fixes["Team"]) == {team}
    findings = {r[0] for r in sql(env, "SELECT record_id FROM dq_findings WHERE team_id = ?", [team])}
    assert set(fixes["Datensatz-ID"]) <= findings
    assert fixes["Hinweis"].str.len().min() > 40
    assert [b.proto.label for b in at.download_button] == ["Korrekturliste als CSV", "Korrekturliste als Excel"]


# --- Zielerreichung --------------------------------------------------------------------------------------------

def test_goals_in_appreciative_words(env: Path) -> None:
    goals = sql(env, "SELECT team_id, status FROM goal_status") if _has(env, "goal_status") else []
    if not goals:
        pytest.skip("this database has no goals to show")
    team = next((t for t, _ in goals if t != "__all__"), teams(env)[0][0])
    at = app("goals", team=team)
    words = {"on_track": "auf Kurs", "watch": "im Blick behalten", "behind": "Unterstützung sinnvoll"}
    text = " ".join(m.value for m in at.markdown)
    for t, status in goals:
        if status and t in ("__all__", team):
            assert words[status] in text
    assert "on_track" not in text and "behind" not in text
    assert any("-goal_" in c.proto.id for c in at.get("plotly_chart"))


def test_charts_have_one_y_axis_per_panel_and_german_months(env: Path) -> None:
    """(issue 16) No second y-axis over the same plot (the job center's counts get a small panel below), month
    ticks like "Jan. 2025", and the DQ score on an axis zoomed to its values."""
    month = re.compile(r"^(Jan\.|Feb\.|März|Apr\.|Mai|Juni|Juli|Aug\.|Sept\.|Okt\.|Nov\.|Dez\.) \d{4}$")
    at = app("team", thema="Bestand und Bewegung")
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert specs
    for spec in specs:
        axes = {k: v for k, v in spec["layout"].items() if k.startswith("yaxis")}
        assert not any("overlaying" in axis for axis in axes.values()), axes
        ticks = [t for k, v in spec["layout"].items() if k.startswith("xaxis") for t in v.get("ticktext", [])]
        assert ticks and all(month.match(t) for t in ticks), ticks
    assert any(len([k for k in spec["layout"] if k.startswith("yaxis")]) == 2 for spec in specs)  # counts: 2 panels
    dq = app("data_quality")
    spec = json.loads(next(c for c in dq.get("plotly_chart") if "dq_trend" in c.proto.id).proto.spec)
    low, high = spec["layout"]["yaxis"]["range"]
    assert low > 0 and high <= 100 and f"Achse von {low:.0f} bis {high:.0f} %" in spec["layout"]["title"]["text"]


def _array(value: object) -> list:
    """A plotly JSON array: a list, or plotly's typed binary form ``{"dtype": ..., "bdata": ...}``."""
    if isinstance(value, dict) and "bdata" in value:
        import base64

        import numpy as np

        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"])).tolist()
    return list(value)


def test_team_charts_carry_the_teams_goals(env: Path) -> None:
    """(issue 16) A level goal as its target, a cumulative goal as its monthly share target / 12, the
    Integrationsquote's progress goal as the path target × n / 12 on the Jahresfortschrittswert."""
    year = sql(env, "SELECT max(year) FROM goal_status")[0][0]
    expected = {"level": "Ziel", "average": "Ziel", "cumulative": "Ziel anteilig je Monat"}
    rows = sql(env, "SELECT g.team_id, g.metric_id, g.target_value, c.goal_kind, c.theme_de, c.tracked_metric_id"
                    " FROM goal_status g JOIN metric_catalog c USING (metric_id) WHERE g.year = ? AND g.team_id <> "
                    "'__all__' ORDER BY g.team_id, g.metric_id", [year])
    team = rows[0][0]
    checked = set()
    for team_id, metric_id, target, kind, _theme, tracked in rows:
        if team_id != team:
            continue
        chart_metric = tracked if kind == "progress" else metric_id
        chart_theme = sql(env, "SELECT theme_de FROM metric_catalog WHERE metric_id = ?", [chart_metric])[0][0]
        at = app("team", team=team, thema=chart_theme)
        chart = next(c for c in at.get("plotly_chart") if f"trend_{chart_metric}" in c.proto.id)
        traces = json.loads(chart.proto.spec)["data"]
        label = "Zielpfad (anteilig)" if kind == "progress" else expected[kind]
        line = [t for t in traces if t.get("legendgroup") == "ziel" and t["name"] == label]
        assert line, (metric_id, [t["name"] for t in traces])
        points = [(x[:7], y) for t in line for x, y in zip(_array(t["x"]), _array(t["y"]), strict=True)
                  if str(x).startswith(str(year))]
        assert points, metric_id
        for month, value in points:
            n = int(month[5:7])
            want = target / 12 if kind == "cumulative" else target * n / 12 if kind == "progress" else target
            assert value == pytest.approx(want), (metric_id, month)
        checked.add(kind)
    assert {"level", "cumulative", "progress"} <= checked, checked


def test_overview_tiles_name_the_job_centers_goals(env: Path) -> None:
    """(issue 16) Under a key figure's tile: the job center's goal of the year, the figure it is about and its
    status in words."""
    month = sql(env, "SELECT max(month) FROM metric_values")[0][0]
    goals = sql(env, "SELECT g.metric_id, g.status, c.goal_kind FROM goal_status g JOIN metric_catalog c"
                     " USING (metric_id) WHERE g.team_id = '__all__' AND g.year = ? AND c.key_figure",
                [month.year])
    assert goals
    at = app("overview")
    captions = [c.value for c in at.caption]
    words = {"on_track": "auf Kurs", "watch": "im Blick behalten", "behind": "Unterstützung sinnvoll"}
    for metric_id, status, kind in goals:
        notes = [c for c in captions if c.startswith(f"Ziel {month.year}: ")]
        assert any(words[status] in c for c in notes if status), (metric_id, notes)
        if kind == "progress":
            assert any("als Jahresfortschrittswert" in c for c in notes), notes


def test_a_goals_actual_says_which_figure_it_is(env: Path) -> None:
    """(issue 16, one label one number) The Integrationsquote's goal is tracked by the Jahresfortschrittswert,
    the LZB goal by the year's mean: the card names them, never "Ist" under the metric's own name."""
    team = sql(env, "SELECT min(team_id) FROM goal_status WHERE team_id <> '__all__'")[0][0]
    kinds = dict(sql(env, "SELECT g.metric_id, c.goal_kind FROM goal_status g JOIN metric_catalog c USING (metric_id)"
                          " WHERE g.team_id = ? AND g.year = (SELECT max(year) FROM goal_status)", [team]))
    labels = [m.label for m in app("goals", team=team).metric]
    wanted = {"progress": "Jahresfortschrittswert Jan.–", "average": "Ø Jan.–", "cumulative": "Summe Jan.–"}
    for kind, start in wanted.items():
        if kind in kinds.values():
            assert any(label.startswith(start) for label in labels), (kind, labels)
    assert "progress" in kinds.values() and not any(label.startswith("Ist bis") for label in labels)


def test_three_kinds_of_empty(env: Path) -> None:
    """(issue 16) A figure not shown says why: "offen (ab …)" while its window is still open (the first
    contacts of the latest month), "–" when hidden to protect social data, "keine Daten" when there is nothing
    to measure; a legend explains the marks."""
    from pipelines.report.formats import ready_on

    month = latest_month(env)
    as_of = sql(env, "SELECT max(as_of) FROM load_runs WHERE status = 'success'")[0][0]
    ready = ready_on("14d", month)
    assert ready > as_of  # the sample's Datenstand lies within 14 days of the month end
    at = app()
    assert tile(at, label_of(env, "first_contact_14d_rate")).value == f"offen (ab {ready:%d.%m.})"
    for i, _ in enumerate(at.radio(key="filter_tabelle").options):
        at.radio(key="filter_tabelle").set_value(at.radio(key="filter_tabelle").options[i]).run()
        cells = at.dataframe[0].value.drop(columns="Team").to_numpy().ravel().tolist()
        assert not any(c == "" for c in cells)
        if any(c in ("–", "keine Daten") or c.startswith("offen") for c in cells):
            assert any("„keine Daten“" in c.value for c in at.caption)


def test_the_theme_lives_in_the_url(env: Path) -> None:
    """(issue 16) ``?thema=…`` opens the Team page on that theme; a click writes it back."""
    at = app("team", thema="Datenqualität")
    assert at.radio(key="filter_thema").value == "Datenqualität"
    at.radio(key="filter_thema").set_value("Bestand und Bewegung").run()
    assert at.query_params["thema"] == "Bestand und Bewegung"
    assert app("team", thema="kein Thema").radio(key="filter_thema").value == \
        at.radio(key="filter_thema").options[0]  # an unknown theme falls back to the first


def test_a_lower_better_goal_met_perfectly_reads_ziel_erreicht(env: Path) -> None:
    """Spec v2: an actual of 0 against a lower-better target is on track; the attainment (target / 0) has no
    value, so the card says "Ziel erreicht", and every goal names its direction. (In the committed sample a
    team has no one without contact for 90 days, against a target above 0.)"""
    rows = sql(env, "SELECT g.team_id, g.status, g.attainment_pct FROM goal_status g JOIN metric_catalog c"
                    " USING (metric_id) WHERE c.direction = 'lower_better' AND g.actual = 0"
                    " AND g.team_id <> '__all__' ORDER BY g.year DESC, g.team_id LIMIT 1")
    assert rows, "the sample has such a goal"
    team, status, attainment = rows[0]
    assert (status, attainment) == ("on_track", None)
    at = app("goals", team=team)
    assert "Ziel erreicht" in [m.value for m in at.metric]
    assert any("(niedriger ist besser)" in m.value for m in at.markdown)
    assert "Für dieses Ziel lässt sich noch kein Status angeben." not in [c.value for c in at.caption]


def test_goals_page_without_goal_table_says_so(env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "no_goals.duckdb"
    shutil.copy(env, copy)
    con = duckdb.connect(str(copy))
    con.execute("DROP TABLE IF EXISTS goal_status")
    con.execute("DROP TABLE IF EXISTS goal_backtest")
    con.close()
    monkeypatch.setenv("STEERING_DATABASE_PATH", str(copy))
    at = app("goals")
    assert "noch keine Ziele geladen" in at.info[0].value


def _has(db: Path, table: str) -> bool:
    return bool(sql(db, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main'"
                        " AND table_name = ?", [table])[0][0])


# --- Pipeline --------------------------------------------------------------------------------------------------

def test_pipeline_history_rows_and_catalogues(env: Path) -> None:
    at = app("pipeline")
    as_of, loaded = sql(env, "SELECT as_of, rows_loaded FROM load_runs WHERE status = 'success'"
                             " ORDER BY run_id DESC LIMIT 1")[0]
    assert tile(at, "Datenstand").value == f"{as_of:%d.%m.%Y}"
    assert tile(at, "Zeilen geladen / abgewiesen").value.startswith(german(loaded, 0))
    frames = [d.value for d in at.dataframe]
    per_table = next(f for f in frames if "Tabelle" in f.columns and "gelesen" in f.columns)
    expected = sql(env, "SELECT table_name, rows_read FROM load_run_tables WHERE run_id = 1 ORDER BY table_name")
    assert list(zip(per_table["Tabelle"], per_table["gelesen"], strict=True)) == [
        (t, german(n, 0)) for t, n in expected]
    catalog = next(f for f in frames if "Steckbrief" in f.columns)
    assert len(catalog) == sql(env, "SELECT count(*) FROM metric_catalog")[0][0]
    assert "höher ist besser" in set(catalog["Richtung"])


def test_reject_lines_are_printed_without_separators(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """(issue 16) A line number reads as in the file's editor: "1500", never "1.500"."""
    from pipelines.load import load_folder
    from tests.conftest import tiny_job_center, write_canonical

    tables = tiny_job_center()
    tables["contacts"] += [dict(tables["contacts"][0], contact_id=f"X{i}") for i in range(1500)]
    tables["contacts"][-1]["contact_date"] = "kein Datum"
    db = tmp_path / "lines.duckdb"
    load_folder(write_canonical(tmp_path / "src", tables), db)
    line = sql(db, "SELECT line FROM load_rejects WHERE raw_value = 'kein Datum'")[0][0]
    assert line > 1000
    monkeypatch.setenv("STEERING_DATABASE_PATH", str(db))
    at = app("pipeline")
    frame = next(d.value for d in at.dataframe if "Zeile" in d.value.columns)
    assert str(line) in list(frame["Zeile"])


def test_every_page_renders_without_error(env: Path) -> None:
    for page in ("overview", "team", "data_quality", "goals", "pipeline"):
        at = app(page)
        assert at.title, page


def test_keeps_working_while_a_load_swaps_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipelines.load import load_folder
    from tests.conftest import tiny_job_center, write_canonical

    source = write_canonical(tmp_path / "src", tiny_job_center())
    db = tmp_path / "swap.duckdb"
    load_folder(source, db)
    monkeypatch.setenv("STEERING_DATABASE_PATH", str(db))
    at = app("pipeline")
    assert at.dataframe[0].value["Lauf"].tolist() == ["1"]
    load_folder(source, db)  # a second load swaps in a new file while the app holds the old one open
    at.run()
    assert not page_faults(at), page_faults(at)
    assert at.dataframe[0].value["Lauf"].tolist() == ["2", "1"]
