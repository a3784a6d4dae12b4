"""Pipeline (analysts): load history, rows per table, rejects."""

from __future__ import annotations

import streamlit as st

from dashboard import data


def render() -> None:
    key = data.current_key()
    st.title("Pipeline")
    runs = data.load_runs(key)
    latest = runs.iloc[0]
    st.metric("Datenstand", f"{latest['as_of']:%d.%m.%Y}" if latest["as_of"] is not None else "–")
    st.subheader("Ladeläufe")
    st.dataframe(runs[["run_id", "started_at", "status", "as_of", "rows_read", "rows_loaded", "rows_rejected",
                       "message"]], hide_index=True)
    st.subheader("Zeilen je Tabelle im letzten erfolgreichen Lauf")
    ok = runs[runs["status"] == "success"]
    if not ok.empty:
        st.dataframe(data.load_run_tables(key, int(ok.iloc[0]["run_id"])), hide_index=True)
    st.subheader("Zurückgewiesene Werte und Zeilen")
    st.dataframe(data.load_rejects(key), hide_index=True)
