"""Three kinds of empty on the Team page: hidden for privacy, not measurable yet (with its day), no data.

The hand case spells out each reason; the page test runs the real Team page (AppTest) on the committed sample
and checks the note under the chart of a metric measured three months late.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pipelines.load import load_folder
from pipelines.report.formats import gap_note
from tests.conftest import ROOT, SAMPLE_DIR, page_faults
from tests.conftest import query as sql
from tests.dashboard.demo_center import build_database


def test_each_gap_names_its_own_reason():
    series = pd.DataFrame({
        "month": pd.to_datetime(["2026-07-01", "2026-08-01", "2026-09-01", "2026-10-01", "2024-01-01"]),
        "value": [None, 1.0, None, None, None],
        "suppressed": [True, False, False, False, True]})
    # Okt. 2026 of a 14-day metric exists from 31.10. + 14 = 14.11.; the Datenstand is 05.11.; 2024 is outside
    # the 24 months; September is empty without being hidden or pending: nothing to measure
    assert gap_note(series, dt.date(2026, 10, 1), 24, "14d", dt.date(2026, 11, 5), 5) == (
        "Lücken im Verlauf – Juli 2026: „–“, weniger als 5 Personen, zum Schutz der Sozialdaten nicht "
        "ausgewiesen · Okt. 2026: „offen (ab 14.11.)“, noch nicht messbar · Sept. 2026: „keine Daten“, "
        "nichts zu messen")
    # a day later than the 14th the October value should exist: its gap is then "keine Daten"
    assert "offen" not in gap_note(series, dt.date(2026, 10, 1), 24, "14d", dt.date(2026, 11, 15), 5)
    assert gap_note(series.iloc[[1]], dt.date(2026, 10, 1), 24, "0d", None, 5) is None


def test_gaps_of_quarter_sums_are_named_as_quarters():
    ends = pd.to_datetime(["2025-03-01", "2025-06-01", "2025-09-01", "2025-12-01", "2026-03-01", "2026-06-01"])
    few = pd.DataFrame({"month": ends[:3], "value": [None, 7.0, None], "suppressed": [True, False, True]})
    assert gap_note(few, dt.date(2026, 10, 1), 24, None, None, 5, quarters=True) == (
        "Lücken im Verlauf – 1. Quartal 2025, 3. Quartal 2025: „–“, weniger als 5 Personen, zum Schutz der "
        "Sozialdaten nicht ausgewiesen")
    many = pd.DataFrame({"month": ends, "value": [None] * 6, "suppressed": [True] * 6})
    assert gap_note(many, dt.date(2026, 10, 1), 24, None, None, 5, quarters=True).startswith(
        "Lücken im Verlauf – 6 Quartale: „–“")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = build_database(tmp_path_factory.mktemp("empties"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STEERING_DATABASE_PATH", str(path))
        yield path


def test_the_team_page_says_why_a_month_is_missing(db):
    as_of = sql(db, "SELECT max(as_of) FROM load_runs WHERE status = 'success'")[0][0]
    last = sql(db, "SELECT max(month) FROM metric_values")[0][0]
    assert (last.year, last.month) == (2026, 10) and as_of < dt.date(2027, 1, 31)
    # integration_covering_3m: month M is known at the end of M + 3 months; October 2026 is still open
    assert sql(db, "SELECT value FROM metric_values WHERE team_id = 'T01' AND month = ? "
                   "AND metric_id = 'integration_covering_3m'", [last])[0][0] is None
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=60)
    at.query_params.update({"team": "T01", "thema": "SGB-II-Kennzahlen"})
    at.run()
    at.switch_page("app_pages/team.py").run()
    assert not page_faults(at), page_faults(at)
    notes = [c.value for c in at.caption if c.value.startswith("Lücken im Verlauf")]
    assert any("Okt. 2026: „offen (ab 31.01.)“, noch nicht messbar" in note for note in notes), notes


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("quarters") / "sample.duckdb"
    load_folder(SAMPLE_DIR, path)
    return path


def _team_page(db: Path, user: str, team: str) -> AppTest:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STEERING_DATABASE_PATH", str(db))
        mp.setenv("STEERING_DEMO_USER", user)
        at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=60)
        at.query_params.update({"team": team, "thema": "Bestand und Bewegung"})
        at.run()
        at.switch_page("app_pages/team.py").run()
    assert not page_faults(at), page_faults(at)
    return at


def _chart_months(at: AppTest, title: str) -> set[int]:
    """The months of the year the team's line of the chart titled ``title`` has points in."""
    for chart in at.get("plotly_chart"):
        fig = json.loads(chart.proto.spec)
        if title in json.dumps(fig["layout"].get("title", ""), ensure_ascii=False):
            xs = [x for trace in fig["data"] if trace.get("line", {}).get("dash") in (None, "solid")
                  for x in trace.get("x", []) or []]
            return {pd.Timestamp(x).month for x in xs}
    raise AssertionError(f"no chart titled {title!r}")


def test_a_small_team_sees_its_counts_by_quarter_where_most_months_are_hidden(sample_db: Path) -> None:
    """Issue 16, item 6. The committed sample's teams are small (100-155 eLb): most of their monthly
    entry counts are below 5 and hidden in the protected view. The Team page then draws the quarter
    sums, in the quarters' last months, and says so; the exact view (analyst) keeps the months.
    Where the quarters would show no more (integrations: a quarter and the Jahresfortschrittswert, which
    is published every month, would give a month back, so they are hidden too), the months stay."""
    months = sql(sample_db, "SELECT max(month) FROM metric_values")[0][0]
    teams = [r[0] for r in sql(sample_db, "SELECT team_id FROM staging.teams ORDER BY team_id")]
    quarterly: dict[str, list[str]] = {}
    for team in teams:
        at = _team_page(sample_db, "manager", team)
        for label, chart in (("Zugänge (neue eLb-Leistungszeiträume)", "Zugänge im Quartal"),
                             ("Abgänge (beendete eLb-Leistungszeiträume)", "Abgänge im Quartal"),
                             ("Integrationen", "Integrationen im Quartal")):
            if any("Summe je Kalenderquartal" in c.value and f"„{label}“" in c.value for c in at.caption):
                quarterly.setdefault(label, []).append(team)
                drawn = _chart_months(at, chart)
                assert drawn and drawn <= {3, 6, 9, 12}, (team, chart, drawn)
    entries = quarterly.get("Zugänge (neue eLb-Leistungszeiträume)")
    assert entries, f"no team of the committed sample shows quarters (last month {months}): {quarterly}"
    shown_quarters = sql(sample_db, "SELECT count(*) FROM metric_values m WHERE metric_id = 'integrations_quarter' "
                                    "AND team_id LIKE 'T0%' AND value IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "
                                    "small_cells s WHERE s.kind = 'metric' AND s.item = m.metric_id AND "
                                    "s.team_id = m.team_id AND s.month = m.month)")[0][0]
    if not shown_quarters:  # every integrations quarter hidden: no team's chart may switch to them
        assert "Integrationen" not in quarterly, quarterly
    exact = _team_page(sample_db, "analyst", entries[0])
    assert not any("Kalenderquartal" in c.value for c in exact.caption)
    assert len(_chart_months(exact, "Zugänge (neue")) == 12
