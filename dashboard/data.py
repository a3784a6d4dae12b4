"""The dashboard's side of the read side: one read-only connection and one ``publish.Snapshot`` per file.

Why keyed on the file's identity: ``steering load`` swaps in a new database file
atomically. The cache key (path, inode, mtime) changes with the swap, so the
next rerun opens the new snapshot while a running query finishes on the old one.

Every function takes that key first and returns a DataFrame (or plain values);
no page builds SQL. Values from widgets only ever reach a query as parameters.
Optional tables (``goal_status``, ``goal_backtest``) that a database may not have
yet come back as ``None``, so a page can say so in friendly words.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import threading
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from pipelines.publish import ALL, UNASSIGNED, Snapshot, Viewer
from pipelines.settings import Settings, load_settings

Key = tuple[str, int, int]
__all__ = ["ALL", "UNASSIGNED", "Key", "NoData", "Snapshot", "Viewer"]


def settings() -> Settings:
    """The one configuration of this process: what ``steering serve`` was given, handed down through
    ``STEERING_CONFIG`` and ``STEERING_<SECTION>_<NAME>`` (read afresh on every call, so a changed file applies
    without a restart). A broken file raises ``SettingsError``; ``dashboard/auth.py`` then shows no data."""
    return load_settings()


def db_path() -> Path:
    return Path(settings().database.path)


def snapshot_key() -> Key | None:
    """Identity of the current snapshot file, or None if there is none."""
    path = db_path()
    try:
        stat = path.stat()
    except OSError:
        return None
    return (str(path), stat.st_ino, stat.st_mtime_ns)


_CONNECTIONS: dict[Key, duckdb.DuckDBPyConnection] = {}
_CONNECTIONS_LOCK = threading.Lock()


def _connection(key: Key) -> duckdb.DuckDBPyConnection:
    """One read-only connection per snapshot, shared by all sessions (queries run on cursors).

    Why the older snapshot's connection is closed when a new one opens: DuckDB
    shares one database instance per path within a process, so while the old
    file is still open, connecting to the same path would serve the old
    snapshot, not the file ``steering load`` swapped in.
    """
    with _CONNECTIONS_LOCK:
        con = _CONNECTIONS.get(key)
        if con is None:
            for old in list(_CONNECTIONS):
                _CONNECTIONS.pop(old).close()
            con = _CONNECTIONS[key] = duckdb.connect(key[0], read_only=True)
        return con


def _query(key: Key, sql: str, params: tuple = ()) -> pd.DataFrame:
    con = _connection(key).cursor()
    try:
        return con.execute(sql, list(params)).df()
    finally:
        con.close()


class NoData(Exception):
    """No snapshot to show yet (missing file, or a database without loaded data)."""


def current_key() -> Key:
    key = snapshot_key()
    if key is None:
        raise NoData(f"Die Datenbank {db_path()} gibt es noch nicht.")
    try:
        tables = table_names(key)
    except duckdb.Error as exc:
        raise NoData(f"Die Datenbank {db_path()} lässt sich nicht lesen ({exc}).") from None
    if "load_runs" not in tables:
        raise NoData(f"In {db_path()} sind noch keine Daten geladen.")
    return key


@st.cache_data(show_spinner=False)
def snapshot_synthetic(key: Key) -> bool | None:
    """Whether this snapshot was loaded from synthetic data (demo mode shows nothing else)."""
    from pipelines.preflight import snapshot_synthetic

    if "load_runs" not in table_names(key):
        return None
    con = _connection(key).cursor()
    try:
        return snapshot_synthetic(con)
    finally:
        con.close()


@st.cache_data(show_spinner=False)
def _tables(key: Key) -> pd.DataFrame:
    return _query(key, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'")


def table_names(key: Key) -> set[str]:
    return set(_tables(key)["table_name"])


# --- the read side -------------------------------------------------------------------------------------------
# Every figure comes from ``pipelines.publish.Snapshot``, protected for the viewer. One Snapshot per file and
# minimum, shared by every session (st.cache_resource: one copy of the frames, not one per session).


def min_cell_size() -> int:
    """``privacy.min_cell_size``: no published figure is about fewer persons (docs/datenschutz.md)."""
    return settings().privacy.min_cell_size


@st.cache_resource(show_spinner=False, max_entries=4)
def _snapshot(key: Key, min_size: int) -> Snapshot:
    return Snapshot(lambda: _connection(key).cursor(), min_size)


def snapshot(key: Key) -> Snapshot:
    return _snapshot(key, min_cell_size())


PROTECTED_VIEW = "protected_view"  # an analyst's sidebar switch: see what managers and teams see


def viewer() -> Viewer:
    """The viewer of this run: the admitted user's role and teams (``dashboard/auth.py``); nobody without one.

    An analyst sees exact figures unless the sidebar switch shows the protected view that managers and teams see.
    """
    from pipelines.access import User

    user = st.session_state.get("_user")
    if not isinstance(user, User):
        return Viewer("team", frozenset())
    key = snapshot_key()
    frame = teams(key) if key else pd.DataFrame(columns=["team_id", "unit"])
    pairs = list(zip(frame["team_id"], frame["unit"], strict=True))
    visible = frozenset(user.visible_teams(pairs)) | ({UNASSIGNED} if user.sees_every_team else frozenset())
    current = settings()  # read once: the file is read afresh on every call
    fixlists = frozenset(t for t in visible if user.may_see_fixlist(t, visible, current))
    exact = user.role == "analyst" and not st.session_state.get(PROTECTED_VIEW, False)
    return Viewer(user.role, visible, fixlists, exact)


@st.cache_data(show_spinner=False)
def teams(key: Key) -> pd.DataFrame:
    """Teams in fixed order (by id), never ranked."""
    return snapshot(key).teams()


def months(key: Key) -> list[dt.date]:
    """Complete months with computed metrics, newest first."""
    return snapshot(key).months()


def metric_catalog(key: Key) -> pd.DataFrame:
    return snapshot(key).catalog


def metric_values(key: Key, team_id: str) -> pd.DataFrame:
    """Every metric of one team (or ``__all__``) over every month, for this viewer (``suppressed``)."""
    return snapshot(key).metric_values(viewer(), team_id)


def month_values(key: Key, month: dt.date) -> pd.DataFrame:
    """Every visible team's metrics in ``month`` and a year earlier (``prev_value``)."""
    return snapshot(key).month_values(viewer(), month)


def unit_month_values(key: Key, month: dt.date) -> pd.DataFrame:
    """The subtotals of the units this viewer sees whole, in ``month`` and a year earlier (``prev_value``)."""
    return snapshot(key).unit_month_values(viewer(), month)


def dq_rules(key: Key) -> pd.DataFrame:
    return snapshot(key).dq_rules()


def dq_pass_rates(key: Key, month: dt.date) -> pd.DataFrame:
    return snapshot(key).dq_pass_rates(viewer(), month)


def fix_list(key: Key, team_id: str) -> pd.DataFrame:
    return snapshot(key).fix_list(viewer(), team_id)


def fix_list_file(key: Key, team_id: str, suffix: str) -> bytes:
    """The fix list as the export writes it (``.csv`` or ``.xlsx``), as bytes for a download button."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"korrekturliste{suffix}"
        snapshot(key).write_fix_list(viewer(), team_id, out)
        return out.read_bytes()


def todo(key: Key, team_id: str) -> tuple[pd.DataFrame, int | None]:
    """Open data-quality findings per rule and their total (the fix list where the viewer may see it)."""
    return snapshot(key).todo(viewer(), team_id)


def goal_status(key: Key) -> pd.DataFrame | None:
    return snapshot(key).goal_status(viewer())


def goal_backtest(key: Key) -> pd.DataFrame | None:
    return snapshot(key).goal_backtest(viewer())


def has_case_progress(key: Key) -> bool:
    return snapshot(key).has_case_progress()


def case_periods(key: Key) -> list[str]:
    return snapshot(key).case_periods()


def case_cohorts(key: Key, team_ids: tuple[str, ...], first: dt.date | None, last: dt.date) -> pd.DataFrame | None:
    return snapshot(key).case_cohorts(viewer(), team_ids, first, last)


def survival_curves(key: Key, team_ids: tuple[str, ...], period: str) -> pd.DataFrame | None:
    return snapshot(key).survival_curves(viewer(), team_ids, period)


def survival_summary(key: Key, period: str) -> pd.DataFrame | None:
    return snapshot(key).survival_summary(viewer(), period)


def case_variants(key: Key, team_id: str, period: str, limit: int = 10) -> pd.DataFrame | None:
    return snapshot(key).case_variants(viewer(), team_id, period, limit)


def case_transitions(key: Key, team_id: str, period: str) -> tuple[pd.DataFrame, int] | None:
    return snapshot(key).case_transitions(viewer(), team_id, period)


def team_review(key: Key, team_id: str, month: dt.date, compare: bool = False, other_teams: tuple[str, ...] = ()):
    """The figures of a team's review (``pipelines.review.gather``) through the read side; the agreements come
    fresh from their own store (``pipelines.agreements``) on every run."""
    from pipelines.review import gather

    return gather(snapshot(key), viewer(), team_id, month, compare=compare, other_teams=other_teams)


def as_of(key: Key) -> dt.date | None:
    """The Datenstand of the snapshot (the latest successful load)."""
    return snapshot(key).as_of()


def load_runs(key: Key) -> pd.DataFrame:
    return snapshot(key).load_runs()


def load_run_tables(key: Key, run_id: int) -> pd.DataFrame:
    return snapshot(key).load_run_tables(viewer(), run_id)


def load_rejects(key: Key, run_id: int | None = None, limit: int = 5000) -> pd.DataFrame:
    return snapshot(key).load_rejects(viewer(), run_id, limit)


def suppression_rate(key: Key) -> dict[str, float]:
    return snapshot(key).suppression_rate(viewer())


def rejects_count(key: Key, run_id: int) -> int:
    return snapshot(key).rejects_count(viewer(), run_id)


def _archive_folder() -> Path:
    from pipelines.archive import archive_dir

    return archive_dir(db_path(), settings())


@st.cache_data(show_spinner=False)
def archived_datenstaende(key: Key) -> list[str]:
    """As-of dates kept in the Datenstand archive, oldest first (key: refresh after a load)."""
    from pipelines.archive import datenstaende

    return datenstaende(_archive_folder())


@st.cache_data(show_spinner=False)
def datenstand_changes(key: Key, old: str, new: str) -> pd.DataFrame:
    """Figures of metric_values that differ between two archived Datenstände."""
    from pipelines.archive import compare

    return compare(_archive_folder(), old, new)
