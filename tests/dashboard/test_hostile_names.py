"""Text from data is shown as text (issue 15): a team name that is Markdown or HTML renders as written.

A team name ``![b](http://127.0.0.1:8999/beacon.png)`` was rendered as an image and fetched when the page
opened. Now every title with data in it is escaped for Markdown, and every chart label for plotly's HTML.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipelines.load import load_folder
from tests.conftest import ROOT, page_faults, tiny_job_center, write_canonical

APP = str(ROOT / "dashboard" / "app.py")
NAME = '![b](http://127.0.0.1:8999/beacon.png) <a href="http://127.0.0.1:8999/x">**Team**</a>'


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tables = tiny_job_center()
    tables["teams"][0]["team_name"] = NAME
    out = tmp_path_factory.mktemp("names") / "steering.duckdb"
    load_folder(write_canonical(tmp_path_factory.mktemp("src"), tables), out)
    return out


def _open(db: Path, page: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The page of team T1 as an analyst in demo mode sees it, with every figure shown (k = 1)."""
    monkeypatch.setenv("STEERING_DATABASE_PATH", str(db))
    monkeypatch.setenv("STEERING_PRIVACY_MIN_CELL_SIZE", "1")
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["team"] = "T1"
    at.run()
    at.switch_page(f"app_pages/{page}.py").run()
    assert not page_faults(at), page_faults(at)
    return at


@pytest.mark.parametrize("page", ["team", "data_quality", "case_progress", "team_review"])
def test_a_markdown_team_name_is_shown_as_text(db: Path, page: str, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _open(db, page, monkeypatch)
    title = at.title[0].value
    assert "\\!\\[b\\]" in title and "![b](" not in title and "<a href" not in title.replace("\\<", "")
    for chart in at.get("plotly_chart"):
        text = chart.proto.spec
        names = [t.get("name") or "" for t in json.loads(text).get("data", [])]
        assert not any("<a href" in n for n in names), names


@pytest.mark.parametrize("page", ["overview", "team", "data_quality", "case_progress", "team_review", "goals",
                                  "pipeline"])
def test_no_text_element_renders_the_name_as_markdown(db: Path, page: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Titles, subheaders, captions, notes, expander and tile labels: wherever the name appears in a text that
    Streamlit renders as Markdown, it is escaped (an image or link would be fetched or followed)."""
    at = _open(db, page, monkeypatch)
    texts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "success", "error"):
        texts += [element.value for element in at.get(kind)]
    texts += [element.label for element in at.get("expander")] + [element.label for element in at.metric]
    assert texts
    live = re.compile(r"(?<!\\)!(?<!\\)\[b|(?<!\\)<a href|(?<!\\)\*(?<!\\)\*Team")  # not escaped by a backslash
    for text in texts:
        assert not live.search(text), (page, text)


def test_the_review_file_shows_the_name_as_text(db: Path, tmp_path: Path) -> None:
    """The self-contained review HTML (and so its PDF) escapes the name: no link, no image is fetched."""
    import datetime as dt
    import html as html_lib

    from pipelines.review import write_review
    from pipelines.settings import load_settings

    settings = load_settings(env={"STEERING_PRIVACY_MIN_CELL_SIZE": "1"})
    out = write_review(db, "T1", dt.date(2023, 8, 1), tmp_path / "review.html", settings=settings)
    text = out.read_text(encoding="utf-8")
    outside_scripts = re.sub(r"<script.*?</script>", "", text, flags=re.S)
    assert html_lib.escape(NAME) in outside_scripts
    assert 'src="http://127.0.0.1:8999' not in text and '<a href="http://127.0.0.1:8999' not in text
