"""Überblick: the job center at a glance for the latest complete month."""

from __future__ import annotations

import streamlit as st

from dashboard import data
from dashboard.widgets import format_number


def render() -> None:
    key = data.current_key()
    st.title("Überblick")
    values = data.metric_values(key, "__all__")
    catalog = data.metric_catalog(key)
    if values.empty:
        st.info("Für diesen Datenstand sind noch keine Kennzahlen berechnet.")
        return
    month = values["month"].max()
    st.caption(f"Jobcenter gesamt, Monat {month:%m.%Y}")
    latest = values[values["month"] == month].merge(catalog, on="metric_id", how="left")
    cols = st.columns(4)
    for i, row in enumerate(latest.itertuples()):
        unit = " %" if row.unit == "percent" else ""
        cols[i % 4].metric(row.label_de or row.metric_id, format_number(row.value) + unit)
