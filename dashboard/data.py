"""The dashboard's only reader: cached, parameterised queries on a read-only connection.

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

from pipelines.settings import Settings, load_settings

Key = tuple[str, int, int]
ALL = "__all__"
UNASSIGNED = "__unassigned__"


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


# --- pipeline -------------------------------------------------------------------------------------------------

@st.cache_data(show_spinner=False)
def load_runs(key: Key) -> pd.DataFrame:
    return _query(key, "SELECT * FROM load_runs ORDER BY run_id DESC")


@st.cache_data(show_spinner=False)
def load_run_tables(key: Key, run_id: int) -> pd.DataFrame:
    return _query(key, "SELECT * FROM load_run_tables WHERE run_id = ? ORDER BY table_name", (run_id,))


@st.cache_data(show_spinner=False)
def load_rejects(key: Key, run_id: int | None = None, limit: int = 5000) -> pd.DataFrame:
    """Rejected rows and blanked values, of one run (default: every run kept in the file).

    A rejected row's key is shown, except where the key holds a person id (persons, assignments): person
    ids appear on no page but a team's own fix list; file and line still find the row.
    """
    return _query(key, "SELECT run_id, table_name, file_name, line, column_name,"
                       " CASE WHEN action = 'row_rejected' AND column_name LIKE '%person_id%'"
                       "      THEN '(Personenkennung ausgeblendet)' ELSE raw_value END AS raw_value,"
                       " CASE WHEN action = 'row_rejected' AND column_name LIKE '%person_id%'"
                       "      THEN regexp_replace(reason, '^duplicate key .*, first occurrence',"
                       "                          'duplicate key, first occurrence') ELSE reason END AS reason,"
                       " action FROM load_rejects WHERE ? IS NULL OR run_id = ?"
                       " ORDER BY run_id DESC, table_name, line, column_name LIMIT ?", (run_id, run_id, limit))


@st.cache_data(show_spinner=False)
def rejects_count(key: Key, run_id: int) -> int:
    return int(_query(key, "SELECT count(*) AS n FROM load_rejects WHERE run_id = ?", (run_id,))["n"].iloc[0])


# --- teams, months, metrics -----------------------------------------------------------------------------------

@st.cache_data(show_spinner=False)
def teams(key: Key) -> pd.DataFrame:
    """Teams in fixed order (by id), never ranked."""
    return _query(key, "SELECT team_id, team_name, unit FROM staging.teams ORDER BY team_id")


@st.cache_data(show_spinner=False)
def months(key: Key) -> list[dt.date]:
    """Complete months with computed metrics, newest first."""
    if "metric_values" not in table_names(key):
        return []
    frame = _query(key, "SELECT DISTINCT month FROM metric_values ORDER BY month DESC")
    return [pd.Timestamp(m).date() for m in frame["month"]]


@st.cache_data(show_spinner=False)
def metric_catalog(key: Key) -> pd.DataFrame:
    if "metric_catalog" not in table_names(key):
        return pd.DataFrame(columns=["metric_id", "label_de", "label_en", "unit", "direction", "definition_de"])
    return _query(key, "SELECT * FROM metric_catalog ORDER BY metric_id")


_EMPTY_VALUES = ["team_id", "month", "metric_id", "value", "numerator", "denominator"]


def min_cell_size() -> int:
    """``privacy.min_cell_size``: breakdowns show no figure about fewer persons (pipelines/suppression.py)."""
    return settings().privacy.min_cell_size


@st.cache_data(show_spinner=False)
def _protected_values(key: Key, min_size: int) -> pd.DataFrame:
    """Every row of ``metric_values`` with small cells blanked (column ``suppressed``).

    Why all rows at once: secondary suppression looks at every team of a month,
    so the pattern is the same whichever team or role looks.
    """
    from pipelines.suppression import protect_metric_values

    if "metric_values" not in table_names(key):
        return pd.DataFrame(columns=[*_EMPTY_VALUES, "suppressed"])
    values = _query(key, "SELECT * FROM metric_values ORDER BY team_id, metric_id, month")
    units = dict(zip(metric_catalog(key)["metric_id"], metric_catalog(key)["unit"], strict=True))
    out = protect_metric_values(values, units, min_size)
    out["month"] = pd.to_datetime(out["month"])
    return out


def metric_values(key: Key, team_id: str) -> pd.DataFrame:
    """Every metric of one team (or ``__all__``) over every month; small cells blanked (``suppressed``)."""
    values = _protected_values(key, min_cell_size())
    return values[values["team_id"] == team_id].reset_index(drop=True)


def month_values(key: Key, month: dt.date) -> pd.DataFrame:
    """Every team's metrics in ``month`` and in the same month a year earlier (column ``prev_value``)."""
    return _month_values(key, month, min_cell_size())


@st.cache_data(show_spinner=False)
def _month_values(key: Key, month: dt.date, min_size: int) -> pd.DataFrame:
    values = _protected_values(key, min_size)
    now = values[values["month"] == pd.Timestamp(month)]
    before = values[values["month"] == pd.Timestamp(month) - pd.DateOffset(months=12)]
    before = before[["team_id", "metric_id", "value"]].rename(columns={"value": "prev_value"})
    return now.merge(before, on=["team_id", "metric_id"], how="left").sort_values(
        ["team_id", "metric_id"]).reset_index(drop=True)


# --- data quality ---------------------------------------------------------------------------------------------

@st.cache_data(show_spinner=False)
def dq_rules(key: Key) -> pd.DataFrame:
    if "dq_rules" not in table_names(key):
        return pd.DataFrame(columns=["rule_id", "dimension", "table_name", "label_de", "description_de"])
    return _query(key, "SELECT * FROM dq_rules ORDER BY rule_id")


def dq_pass_rates(key: Key, month: dt.date) -> pd.DataFrame:
    """Pass rate in percent per team and rule in ``month`` (NULL where the rule checked nothing); a rule that
    checked fewer than ``privacy.min_cell_size`` records of a team is blanked (``suppressed``)."""
    return _dq_pass_rates(key, month, min_cell_size())


@st.cache_data(show_spinner=False)
def _dq_pass_rates(key: Key, month: dt.date, min_size: int) -> pd.DataFrame:
    from pipelines.suppression import protect_pass_rates

    if "dq_results" not in table_names(key):
        return pd.DataFrame(columns=["team_id", "rule_id", "checked", "failed", "pass_rate", "suppressed"])
    rates = _query(key, """
        SELECT team_id, rule_id, checked, failed,
               CASE WHEN checked > 0 THEN 100.0 * (checked - failed) / checked END AS pass_rate
        FROM dq_results WHERE month = ? ORDER BY team_id, rule_id""", (month,))
    return protect_pass_rates(rates, min_size)


@st.cache_data(show_spinner=False)
def fix_list(key: Key, team_id: str) -> pd.DataFrame:
    """The team's open findings (``pipelines.fixlist``): record id, rule, German hint."""
    from pipelines.fixlist import fixlist_frame

    con = _connection(key).cursor()
    try:
        return fixlist_frame(con, team_id)
    finally:
        con.close()


@st.cache_data(show_spinner=False)
def fix_list_file(key: Key, team_id: str, suffix: str) -> bytes:
    """The fix list as the export writes it (``.csv`` or ``.xlsx``), as bytes for a download button."""
    from pipelines.fixlist import write_fixlist

    con = _connection(key).cursor()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / f"korrekturliste{suffix}"
            write_fixlist(con, team_id, out)
            return out.read_bytes()
    finally:
        con.close()


# --- goals ----------------------------------------------------------------------------------------------------

def goal_status(key: Key) -> pd.DataFrame | None:
    """All goal rows with small groups blanked (``suppressed``), or None while the database has no
    ``goal_status`` table."""
    return _goal_status(key, min_cell_size())


@st.cache_data(show_spinner=False)
def _goal_status(key: Key, min_size: int) -> pd.DataFrame | None:
    if "goal_status" not in table_names(key):
        return None
    from pipelines.goals import protected_goal_status

    con = _connection(key).cursor()
    try:
        return protected_goal_status(con, min_size)
    finally:
        con.close()


@st.cache_data(show_spinner=False)
def goal_backtest(key: Key) -> pd.DataFrame | None:
    if "goal_backtest" not in table_names(key):
        return None
    return _query(key, "SELECT * FROM goal_backtest")


# --- case progress (Fallverläufe) -----------------------------------------------------------------------------
# Tables of docs/case-progress.md; None while the database has none of them (loaded by an older version).

CASE_TABLES = ("case_cohorts", "case_variants", "case_transitions", "survival_curves", "survival_summary")


def has_case_progress(key: Key) -> bool:
    return set(CASE_TABLES) <= table_names(key)


@st.cache_data(show_spinner=False)
def case_periods(key: Key) -> list[str]:
    """Entry years with at least one case, newest first (the page adds 'all')."""
    if not has_case_progress(key):
        return []
    frame = _query(key, "SELECT DISTINCT period FROM survival_summary WHERE period <> 'all' ORDER BY period DESC")
    return list(frame["period"])


def case_cohorts(key: Key, team_ids: tuple[str, ...], first: dt.date | None, last: dt.date) -> pd.DataFrame | None:
    """Entry cohorts of the given teams with cohort months in ``first .. last`` (``first`` None: from the start).

    ``suppressed`` marks the cells a chart must show as "–" (fewer than
    ``privacy.min_cell_size`` entries, or their complement); it is worked out
    over every team of the window, so the pattern does not depend on who looks.
    """
    return _case_cohorts(key, team_ids, first, last, min_cell_size())


@st.cache_data(show_spinner=False)
def _case_cohorts(key: Key, team_ids: tuple[str, ...], first: dt.date | None, last: dt.date,
                  min_size: int) -> pd.DataFrame | None:
    from pipelines.suppression import cohort_mask

    if not has_case_progress(key):
        return None
    cohorts = _query(key, """
        SELECT team_id, cohort_month, step, step_order, step_label_de, cases, is_open, reached, share
        FROM case_cohorts
        WHERE (?::DATE IS NULL OR cohort_month >= ?::DATE) AND cohort_month <= ?::DATE
        ORDER BY team_id, cohort_month, step_order""", (first, first, last))
    cohorts["suppressed"] = cohort_mask(cohorts, min_size).to_numpy()
    return cohorts[cohorts["team_id"].isin(team_ids)].reset_index(drop=True)


@st.cache_data(show_spinner=False)
def survival_curves(key: Key, team_ids: tuple[str, ...], period: str) -> pd.DataFrame | None:
    if not has_case_progress(key):
        return None
    return _query(key, "SELECT * FROM survival_curves WHERE team_id IN (SELECT unnest(?::VARCHAR[]))"
                       " AND period = ? ORDER BY team_id, day", (list(team_ids), period))


def survival_summary(key: Key, period: str) -> pd.DataFrame | None:
    """Median time to integration and milestone shares of every team (and ``__all__``) for one period."""
    return _survival_summary(key, period, min_cell_size())


@st.cache_data(show_spinner=False)
def _survival_summary(key: Key, period: str, min_size: int) -> pd.DataFrame | None:
    if not has_case_progress(key):
        return None
    summary = _query(key, "SELECT * FROM survival_summary WHERE period = ? ORDER BY team_id", (period,))
    from pipelines.suppression import suppression_mask

    # A team with fewer cases than privacy.min_cell_size shows no figures (and, so that the
    # job-center total does not give them away, a second team too): column `suppressed`.
    hidden = suppression_mask(summary, "cases", [["period"]], min_size,
                              is_total=summary["team_id"] == ALL).to_numpy()
    few = suppression_mask(summary.assign(_n=summary["integrations"]), "_n", [["period"]], min_size,
                           is_total=summary["team_id"] == ALL).to_numpy()
    summary["suppressed"] = hidden
    summary["integrations"] = summary["integrations"].astype("float64").mask(hidden | few)
    return summary


def case_variants(key: Key, team_id: str, period: str, limit: int = 10) -> pd.DataFrame | None:
    """The ``limit`` most frequent variants of one team and period, with the team's numbers of cases and variants.

    A variant of fewer than ``privacy.min_cell_size`` cases keeps its path but not its figures (``suppressed``).
    """
    return _case_variants(key, team_id, period, limit, min_cell_size())


@st.cache_data(show_spinner=False)
def _case_variants(key: Key, team_id: str, period: str, limit: int, min_size: int) -> pd.DataFrame | None:
    if not has_case_progress(key):
        return None
    variants = _query(key, """
        SELECT rank, variant, variant_de, n_events, cases, share, open_cases, median_duration_days,
               (SELECT sum(cases) FROM case_variants WHERE team_id = ? AND period = ?) AS team_cases,
               (SELECT count(*) FROM case_variants WHERE team_id = ? AND period = ?) AS team_variants
        FROM case_variants WHERE team_id = ? AND period = ? AND rank <= ? ORDER BY rank""",
                      (team_id, period, team_id, period, team_id, period, limit))
    from pipelines.suppression import primary

    small = primary(variants["cases"], min_size)
    for col in ("cases", "share", "open_cases", "median_duration_days"):
        variants[col] = variants[col].astype("float64").mask(small)
    variants["suppressed"] = small
    return variants


def case_transitions(key: Key, team_id: str, period: str) -> tuple[pd.DataFrame, int] | None:
    """The links of one team's Sankey diagram and how many links were left out as too small.

    A link of fewer cases than ``privacy.min_cell_size`` is not drawn, so no flow about
    fewer persons is shown; the node sizes follow the links that are drawn.
    """
    return _case_transitions(key, team_id, period, min_cell_size())


@st.cache_data(show_spinner=False)
def _case_transitions(key: Key, team_id: str, period: str, min_size: int) -> tuple[pd.DataFrame, int] | None:
    if not has_case_progress(key):
        return None
    links = _query(key, "SELECT * FROM case_transitions WHERE team_id = ? AND period = ?"
                        " ORDER BY step, from_stage, to_stage", (team_id, period))
    small = (links["cases"] < min_size).to_numpy()
    return links[~small].reset_index(drop=True), int(small.sum())


# --- team review (Teamreflexion) ------------------------------------------------------------------------------

def team_review(key: Key, team_id: str, month: dt.date, compare: bool = False, other_teams: tuple[str, ...] = ()):
    """The figures of a team's review (``pipelines.review.gather``) on the cached, suppressed values.

    The agreements are not part of it: they come fresh from their own store
    (``pipelines.agreements``) on every run.
    """
    return _team_review(key, team_id, month, compare, other_teams, min_cell_size())


@st.cache_data(show_spinner=False)
def _team_review(key: Key, team_id: str, month: dt.date, compare: bool, other_teams: tuple[str, ...],
                 min_size: int):
    from pipelines.review import gather

    con = _connection(key).cursor()
    try:
        return gather(con, team_id, month, min_size=min_size, compare=compare, other_teams=other_teams,
                      values=_protected_values(key, min_size), catalog=metric_catalog(key).set_index("metric_id"))
    finally:
        con.close()


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
