"""The dashboard renders on a loaded database and says how to load data when there is none."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipelines.load import load_folder
from tests.conftest import ROOT, page_faults, tiny_job_center, write_canonical

APP = str(ROOT / "dashboard" / "app.py")


def test_missing_database_gives_a_friendly_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEERING_DATABASE_PATH", str(tmp_path / "nothing.duckdb"))
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not page_faults(at), page_faults(at)
    text = " ".join(i.value for i in at.info)
    assert "gibt es noch nicht" in text and "steering load" in text


def test_overview_renders_on_loaded_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "x.duckdb"
    load_folder(write_canonical(tmp_path / "src", tiny_job_center()), db)
    monkeypatch.setenv("STEERING_DATABASE_PATH", str(db))
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not page_faults(at), page_faults(at)
    assert at.title[0].value == "Überblick"


def test_a_fault_in_a_page_reads_german_and_quotes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A page that fails (here: a database whose marts were damaged after the load) shows the frame's German
    message, not Streamlit's English error box with its links to outside search engines; the traceback goes
    to the server log only."""
    import duckdb

    db = tmp_path / "x.duckdb"
    load_folder(write_canonical(tmp_path / "src", tiny_job_center()), db)
    with duckdb.connect(str(db)) as con:
        con.execute("ALTER TABLE metric_values DROP COLUMN value")
    monkeypatch.setenv("STEERING_DATABASE_PATH", str(db))
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception  # nothing reached Streamlit's own error box
    assert [e.value for e in at.error] == [app_text("PAGE_FAULT")]
    assert "value" in page_faults(at)[0]  # the cause is kept for the log (and the test)
    assert "Binder" not in " ".join(e.value for e in at.error)


def app_text(name: str) -> str:
    """A message of the app's frame, read from its source (the frame is a script, not importable)."""
    import ast

    tree = ast.parse((ROOT / "dashboard" / "app.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{name} not in dashboard/app.py")
