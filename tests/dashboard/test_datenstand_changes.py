"""The Pipeline page compares two archived Datenstände (late entries change past months)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipelines.load import load_folder
from tests.conftest import ROOT, page_faults, tiny_job_center, write_canonical
from tests.pipelines.test_archive_parquet import _late_entry

APP = str(ROOT / "dashboard" / "app.py")


def _pipeline_page(db: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("STEERING_DATABASE_PATH", str(db))
    monkeypatch.setenv("STEERING_DEMO_USER", "analyst")
    monkeypatch.setenv("STEERING_PRIVACY_MIN_CELL_SIZE", "1")
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page("app_pages/pipeline.py").run()
    assert not page_faults(at), page_faults(at)
    return at


def test_changes_between_two_datenstaende(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "steering.duckdb"
    load_folder(write_canonical(tmp_path / "a", tiny_job_center()), db, as_of=dt.date(2023, 9, 30))
    load_folder(write_canonical(tmp_path / "b", _late_entry(tiny_job_center())), db, as_of=dt.date(2023, 10, 31))
    at = _pipeline_page(db, monkeypatch)
    assert "Datenstände vergleichen" in [h.value for h in at.subheader]
    caption = " ".join(c.value for c in at.caption)
    assert "zwischen dem 30.09.2023 und dem 31.10.2023" in caption
    table = next(df.value for df in at.dataframe if "vorher" in df.value.columns)
    june = table[(table["Monat"] == "06.2023") & (table["Team"] == "T1")]
    assert set(zip(june["vorher"], june["nachher"], strict=True)) >= {("0", "1")}


def test_single_datenstand_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "steering.duckdb"
    load_folder(write_canonical(tmp_path / "a", tiny_job_center()), db)
    at = _pipeline_page(db, monkeypatch)
    assert any("erst ein Datenstand" in m.value for m in at.markdown)
