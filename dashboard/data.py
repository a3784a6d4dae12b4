"""The dashboard's only reader: cached, parameterised queries on a read-only connection.

Why keyed on the file's identity: ``steering load`` swaps in a new database file
atomically. The cache key (path, inode, mtime) changes with the swap, so the
next rerun opens the new snapshot while a running query finishes on the old one.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from pipelines.settings import load_settings


def db_path() -> Path:
    return Path(os.environ.get("STEERING_DATABASE_PATH") or load_settings().database.path)


def snapshot_key() -> tuple[str, int, int] | None:
    """Identity of the current snapshot file, or None if there is none."""
    path = db_path()
    try:
        stat = path.stat()
    except OSError:
        return None
    return (str(path), stat.st_ino, stat.st_mtime_ns)


@st.cache_resource(max_entries=2, show_spinner=False)
def _connection(key: tuple[str, int, int]) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(key[0], read_only=True)


def _query(key: tuple[str, int, int], sql: str, params: tuple = ()) -> pd.DataFrame:
    con = _connection(key).cursor()
    try:
        return con.execute(sql, list(params)).df()
    finally:
        con.close()


class NoData(Exception):
    """No snapshot to show yet (missing file, or a database without loaded data)."""


def current_key() -> tuple[str, int, int]:
    key = snapshot_key()
    if key is None:
        raise NoData(f"Die Datenbank {db_path()} gibt es noch nicht.")
    try:
        tables = set(_tables(key)["table_name"])
    except duckdb.Error as exc:
        raise NoData(f"Die Datenbank {db_path()} lässt sich nicht lesen ({exc}).") from None
    if "load_runs" not in tables:
        raise NoData(f"In {db_path()} sind noch keine Daten geladen.")
    return key


@st.cache_data(show_spinner=False)
def _tables(key: tuple[str, int, int]) -> pd.DataFrame:
    return _query(key, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'")


@st.cache_data(show_spinner=False)
def load_runs(key: tuple[str, int, int]) -> pd.DataFrame:
    return _query(key, "SELECT * FROM load_runs ORDER BY run_id DESC")


@st.cache_data(show_spinner=False)
def load_run_tables(key: tuple[str, int, int], run_id: int) -> pd.DataFrame:
    return _query(key, "SELECT * FROM load_run_tables WHERE run_id = ? ORDER BY table_name", (run_id,))


@st.cache_data(show_spinner=False)
def load_rejects(key: tuple[str, int, int], limit: int = 5000) -> pd.DataFrame:
    return _query(key, "SELECT table_name, file_name, line, column_name, raw_value, reason, action"
                       " FROM load_rejects ORDER BY table_name, line LIMIT ?", (limit,))


@st.cache_data(show_spinner=False)
def teams(key: tuple[str, int, int]) -> pd.DataFrame:
    return _query(key, "SELECT team_id, team_name, unit FROM staging.teams ORDER BY team_id")


@st.cache_data(show_spinner=False)
def metric_catalog(key: tuple[str, int, int]) -> pd.DataFrame:
    if "metric_catalog" not in set(_tables(key)["table_name"]):
        return pd.DataFrame(columns=["metric_id", "label_de", "label_en", "unit", "direction", "definition_de"])
    return _query(key, "SELECT * FROM metric_catalog ORDER BY metric_id")


@st.cache_data(show_spinner=False)
def metric_values(key: tuple[str, int, int], team_id: str) -> pd.DataFrame:
    if "metric_values" not in set(_tables(key)["table_name"]):
        return pd.DataFrame(columns=["team_id", "month", "metric_id", "value", "numerator", "denominator"])
    return _query(key, "SELECT * FROM metric_values WHERE team_id = ? ORDER BY metric_id, month", (team_id,))
