"""The dashboard renders on a loaded database and says how to load data when there is none."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipelines.load import load_folder
from tests.conftest import ROOT, tiny_job_center, write_canonical

APP = str(ROOT / "dashboard" / "app.py")


def test_missing_database_gives_a_friendly_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEERING_DATABASE_PATH", str(tmp_path / "nothing.duckdb"))
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    text = " ".join(i.value for i in at.info)
    assert "gibt es noch nicht" in text and "steering load" in text


def test_overview_renders_on_loaded_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "x.duckdb"
    load_folder(write_canonical(tmp_path / "src", tiny_job_center()), db)
    monkeypatch.setenv("STEERING_DATABASE_PATH", str(db))
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Überblick"
