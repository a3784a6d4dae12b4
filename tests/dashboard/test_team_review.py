"""Teamreflexion: the page on a loaded database, agreements recorded through it, and the review as one
self-contained HTML file and as PDF (``steering review``, headless Chromium, checked with pdftotext)."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from pipelines import agreements
from pipelines.publish import Snapshot, Viewer
from pipelines.review import gather, pick, score_metrics
from tests.conftest import ROOT, page_faults, run_cli
from tests.conftest import query as sql
from tests.dashboard.demo_center import build_database

APP = str(ROOT / "dashboard" / "app.py")
MONTHS_DE = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
             "November", "Dezember"]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = build_database(tmp_path_factory.mktemp("review"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STEERING_DATABASE_PATH", str(path))
        mp.setenv("STEERING_DEMO_USER", "analyst")
        mp.setenv("STEERING_ACCESS_MODE", "demo")
        mp.delenv("STEERING_REVIEWS_PATH", raising=False)
        mp.delenv("STEERING_CONFIG", raising=False)
        yield path


def german(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}".replace(",", "_").replace(".", ",").replace("_", ".")


def latest(db: Path) -> dt.date:
    return sql(db, "SELECT max(month) FROM metric_values")[0][0]


def review_page(team: str, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"team": team, **params})
    at.run()
    at.switch_page("app_pages/team_review.py").run()
    assert not page_faults(at), page_faults(at)
    return at


def test_scoring_ranks_improvements_against_the_own_past() -> None:
    import pandas as pd

    months = pd.date_range("2022-06-01", "2024-06-01", freq="MS")
    catalog = pd.DataFrame({"metric_id": ["a", "b", "c"], "label_de": ["A", "B", "C"],
                            "unit": ["percent", "percent", "count"],
                            "direction": ["higher_better", "lower_better", "neutral"]}).set_index("metric_id")
    rows = []
    for i, m in enumerate(months):
        rows.append(("a", m, 50.0 + (i % 2)))             # moves by 1 usually; +6 against the year before
        rows.append(("b", m, 20.0 + (i % 2)))             # lower is better; rises by 4 at the end: watch
        rows.append(("c", m, 100.0 + 10 * i))             # neutral: never ranked
    values = pd.DataFrame(rows, columns=["metric_id", "month", "value"])
    values.loc[(values["metric_id"] == "a") & (values["month"] == months[-1]), "value"] = 56.0
    values.loc[(values["metric_id"] == "b") & (values["month"] == months[-1]), "value"] = 24.0
    well, watch = pick(score_metrics(values, catalog, dt.date(2024, 6, 1)))
    assert [p.metric_id for p in well] == ["a"] and [p.metric_id for p in watch] == ["b"]
    assert (well[0].value, well[0].previous) == (56.0, 50.0)


def test_page_shows_what_went_well_with_numbers_and_records_agreements(db: Path) -> None:
    team = sql(db, "SELECT min(team_id) FROM staging.teams")[0][0]
    month = latest(db)
    at = review_page(team)
    assert at.title[0].value.startswith("Teamreflexion – Team ") and f"({team})" in at.title[0].value
    headers = [h.value for h in at.subheader]
    assert headers[:5] == ["Was gut lief", "Im Blick behalten", "Unsere Kennzahlen",
                           "Datenqualität: unsere To-do-Liste", "Unsere Ziele"]
    assert at.toggle(key="filter_vergleich").value is False
    table = at.dataframe[0].value
    assert "Jobcenter gesamt" not in table.columns                      # no comparison unless asked for
    stock = sql(db, "SELECT value FROM metric_values WHERE team_id = ? AND month = ? AND metric_id = 'elb_stock'",
                [team, month])[0][0]
    label = sql(db, "SELECT label_de FROM metric_catalog WHERE metric_id = 'elb_stock'")[0][0]
    assert table.loc[table["Kennzahl"] == label, f"{MONTHS_DE[month.month - 1]} {month.year}"].item() == german(
        stock, 0)
    sentences = [m.value for m in at.markdown if m.value.startswith("- ")]
    assert sentences and all(re.search(r"\d", s) and " als im " in s for s in sentences)
    # the comparison appears when the team asks for it
    at.toggle(key="filter_vergleich").set_value(True).run()
    assert "Jobcenter gesamt" in at.dataframe[0].value.columns
    assert at.query_params["vergleich"] == "ja"  # (issue 16) the switch lives in the URL like the filters

    # an agreement recorded in the meeting is in the store and on the page, for this team only
    store = agreements.store_path(None, db)
    at.text_area(key="agreement_text").input("Erstgespräche innerhalb von 14 Tagen anbieten")
    at.selectbox(key="agreement_owner").select("Teamleitung")
    next(b for b in at.button if b.label == "Vereinbarung festhalten").click().run()
    assert not page_faults(at), page_faults(at)
    saved = agreements.for_meeting(store, team, month)
    assert list(saved["text"]) == ["Erstgespräche innerhalb von 14 Tagen anbieten"]
    assert list(saved["owner_role"]) == ["Teamleitung"] and list(saved["status"]) == ["open"]
    shown = at.data_editor[-1].value                                   # editable: the status column
    assert list(shown["Vereinbarung"]) == ["Erstgespräche innerhalb von 14 Tagen anbieten"]
    assert list(shown["Status"]) == ["offen"] and list(shown["Wer (Rolle)"]) == ["Teamleitung"]

    # next month's meeting revisits it beside the figures that changed since
    earlier = month.replace(year=month.year - 1)
    agreements.add(store, team, earlier, "Kooperationspläne rechtzeitig fortschreiben", "Integrationsfachkräfte")
    at = review_page(team, monat=f"{month.replace(year=month.year - 1, month=12):%Y-%m}" if month.month < 12
                     else f"{month:%Y-%m}")
    assert any(f"Aus der letzten Teamreflexion ({MONTHS_DE[earlier.month - 1]} {earlier.year})" in m.value
               for m in at.markdown)
    assert any(f"damals ({MONTHS_DE[earlier.month - 1]} {earlier.year})" in d.value.columns[1]
               for d in at.dataframe if len(d.value.columns) > 1)
    assert [b.proto.label for b in at.download_button] == ["Als HTML herunterladen", "Als PDF herunterladen"]


@pytest.mark.skipif(not Path("/usr/bin/chromium").is_file() or not shutil.which("pdftotext"),
                    reason="needs Debian's chromium and pdftotext")
def test_review_export_as_offline_html_and_as_pdf(db: Path, tmp_path: Path) -> None:
    con = duckdb.connect(str(db), read_only=True)
    try:  # the review is protected like every page: take a team and month whose stock and rate are shown
        snapshot = Snapshot(con.cursor, 5)
        viewer = Viewer("manager", frozenset(snapshot.teams()["team_id"]))

        def candidates():  # noqa: ANN202 - (team, month), latest months first
            for m in snapshot.months()[:12]:
                shown = snapshot.month_values(viewer, m)
                shown = shown[shown["metric_id"].isin(["elb_stock", "integration_rate_12m"])]
                for t, n in sorted(shown.groupby("team_id")["value"].count().items()):
                    if n == 2 and t != "__all__":
                        yield t, m

        # ... and whose review has a point to draw (a change beyond chance), so the charts are in the file
        team, month = next((t, m) for t, m in candidates()
                           if (r := gather(snapshot, viewer, t, m)).went_well or r.watch)
    finally:
        con.close()
    name = sql(db, "SELECT team_name FROM staging.teams WHERE team_id = ?", [team])[0][0]
    html = tmp_path / "review.html"
    result = run_cli("review", "--team", team, "--month", f"{month:%Y-%m}", "--out", str(html), "--db", str(db))
    assert result.returncode == 0, result.stderr
    text = html.read_text(encoding="utf-8")
    assert f"Teamreflexion – Team {name} ({team})" in text
    assert "Plotly.newPlot" in text and "plotly.js v" in text           # the library itself is inline
    assert not re.search(r"<script[^>]+src=", text)
    outside_scripts = re.sub(r"<script.*?</script>", "", text, flags=re.S)
    assert not re.search(r"(href|src)=\"?https?://", outside_scripts)  # nothing to fetch: opens offline

    pdf = tmp_path / "review.pdf"
    result = run_cli("review", "--team", team, "--month", f"{month:%Y-%m}", "--out", str(pdf), "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert pdf.read_bytes()[:5] == b"%PDF-"
    words = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout
    flat = " ".join(words.split())
    assert f"Team {name}" in flat and f"{MONTHS_DE[month.month - 1]} {month.year}" in flat
    stock = sql(db, "SELECT value FROM metric_values WHERE team_id = ? AND month = ? AND metric_id = 'elb_stock'",
                [team, month])[0][0]
    rate = sql(db, "SELECT value FROM metric_values WHERE team_id = ? AND month = ?"
                   " AND metric_id = 'integration_rate_12m'", [team, month])[0][0]
    assert german(stock, 0) in flat and german(rate, 1) + " %" in flat
    assert "Was gut lief" in flat and "Datenqualität" in flat

    bad = run_cli("review", "--team", "NOPE", "--month", f"{month:%Y-%m}", "--out", str(html), "--db", str(db))
    assert bad.returncode == 1 and "gibt es in diesem Datenstand nicht" in bad.stderr
    bad = run_cli("review", "--team", team, "--month", "1999-01", "--out", str(html), "--db", str(db))
    assert bad.returncode == 1 and "ist kein vollständiger Monat" in bad.stderr


def test_the_comparison_switch_comes_from_the_url(db: Path) -> None:
    """A shared link ``?vergleich=ja`` opens the review with the comparison; switching it off says so."""
    team = sql(db, "SELECT min(team_id) FROM staging.teams")[0][0]
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["team"] = team
    at.query_params["vergleich"] = "ja"
    at.run()
    at.switch_page("app_pages/team_review.py").run()
    assert at.toggle(key="filter_vergleich").value is True
    assert "Jobcenter gesamt" in at.dataframe[0].value.columns
    at.toggle(key="filter_vergleich").set_value(False).run()
    assert at.query_params["vergleich"] == "nein"
    assert "Jobcenter gesamt" not in at.dataframe[0].value.columns


def test_praise_and_concern_only_beyond_chance() -> None:
    """(issue 16) Hand-worked chance tests at 95 %:

    - LZB stock 28 -> 26 (a count): |26 - 28| = 2 < 1.96 × √54 = 14.4, chance; 60 -> 26: 34 > 1.96 × √86 = 18.2.
    - first contacts 1 of 12 -> 0 of 12 (8.3 % -> 0 %): pooled p = 1/24, se = √(1/24 × 23/24 × (1/12 + 1/12))
      = 0.0816, z = 0.0833 / 0.0816 = 1.02, chance; 50 of 100 -> 30 of 100: p = 0.4, se = √(0.24 × 0.02) =
      0.0693, z = 0.2 / 0.0693 = 2.89, beyond chance.
    """
    import pandas as pd

    from pipelines.review import beyond_chance

    count = pd.Series({"protected_by": "count", "unit": "count"})
    share = pd.Series({"protected_by": "denominator", "unit": "percent"})
    row = lambda value, num=None, den=None: pd.Series({"value": value, "numerator": num, "denominator": den})  # noqa: E731
    assert not beyond_chance(count, row(26), row(28))
    assert beyond_chance(count, row(26), row(60))
    assert not beyond_chance(share, row(0.0, 0, 12), row(100 / 12, 1, 12))
    assert beyond_chance(share, row(30.0, 30, 100), row(50.0, 50, 100))
    # contacts per 100 eLb: 110 contacts / 100 -> 90 / 100: |1.1 - 0.9| / √(110/100² + 90/100²) = 0.2 / 0.1414
    # = 1.41, chance; 1,100 / 1,000 -> 900 / 1,000: 0.2 / 0.0447 = 4.47, beyond chance
    per_100 = pd.Series({"protected_by": "denominator", "unit": "per_100"})
    assert not beyond_chance(per_100, row(90.0, 90, 100), row(110.0, 110, 100))
    assert beyond_chance(per_100, row(90.0, 900, 1000), row(110.0, 1100, 1000))
    # in the review: the same spread-scored drop is flagged only where it is beyond chance
    months = pd.date_range("2022-06-01", "2024-06-01", freq="MS")
    catalog = pd.DataFrame({"metric_id": ["small", "large"], "label_de": ["S", "L"], "unit": ["count", "count"],
                            "direction": ["lower_better", "lower_better"],
                            "protected_by": ["count", "count"]}).set_index("metric_id")
    rows = [(m_id, m, base + float(i % 2)) for i, m in enumerate(months)
            for m_id, base in (("small", 26.0), ("large", 260.0))]
    values = pd.DataFrame(rows, columns=["metric_id", "month", "value"])
    # +4 on 26: 4 < 1.96 × √56 = 14.7, chance; +60 on 260: 60 > 1.96 × √580 = 47.2, beyond
    values.loc[values["month"] == months[-1], "value"] = [30.0, 320.0]
    values.loc[values["month"] == months[-13], "value"] = [26.0, 260.0]
    _, watch = pick(score_metrics(values, catalog, dt.date(2024, 6, 1)))
    assert [p.metric_id for p in watch] == ["large"]


def test_the_dq_score_is_drawn_on_a_zoomed_axis_with_its_range(db: Path) -> None:
    """(issue 16, item 7) A score near 100 % on 0..100 is a flat line: in the review, as on the Datenqualität
    page, the DQ score's chart is zoomed to its values and its title says the range."""
    for (team,) in sql(db, "SELECT team_id FROM staging.teams ORDER BY team_id"):
        at = review_page(team)
        charts = [c for c in at.get("plotly_chart") if c.proto.id.endswith("_dq_score")]
        if charts:
            break
    else:
        pytest.fail("no team's review names the DQ score")
    spec = json.loads(charts[0].proto.spec)
    low, high = spec["layout"]["yaxis"]["range"]
    assert 0 < low < high <= 100
    assert f"Achse von {low:.0f} bis {high:.0f} %" in spec["layout"]["title"]["text"]
