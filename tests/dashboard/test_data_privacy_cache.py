"""The dashboard's cached queries follow privacy.min_cell_size while the app runs.

Why: the cached suppression results must be keyed on the minimum size, or a raised
minimum would keep showing cells the new setting hides until the app restarts.
"""

from __future__ import annotations

import pytest
import streamlit as st

from dashboard import data
from pipelines.access import User
from pipelines.load import load_folder
from tests.conftest import tiny_job_center, write_canonical


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory):
    db = tmp_path_factory.mktemp("cache") / "steering.duckdb"
    load_folder(write_canonical(tmp_path_factory.mktemp("src"), tiny_job_center()), db)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STEERING_DATABASE_PATH", str(db))
        yield data.current_key()


@pytest.mark.parametrize("reader", ["month_values", "dq_pass_rates", "team_review"])
def test_a_changed_minimum_applies_without_a_restart(key, monkeypatch: pytest.MonkeyPatch, reader: str) -> None:
    st.session_state["_user"] = User(login="leitung", role="manager")  # what auth.current_user admits
    month = data.months(key)[-1]
    team = sorted(t for t in data.teams(key)["team_id"] if not t.startswith("__"))[0]

    def suppressed() -> int:
        if reader == "team_review":
            return int(data.team_review(key, team, month).team_values["suppressed"].sum())
        return int(getattr(data, reader)(key, month)["suppressed"].sum())

    monkeypatch.setenv("STEERING_PRIVACY_MIN_CELL_SIZE", "1")
    open_view = suppressed()
    monkeypatch.setenv("STEERING_PRIVACY_MIN_CELL_SIZE", "1000")
    strict_view = suppressed()
    monkeypatch.setenv("STEERING_PRIVACY_MIN_CELL_SIZE", "1")
    assert open_view == 0 and strict_view > 0 and suppressed() == 0
