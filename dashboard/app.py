"""Router and shared frame of the dashboard (``steering serve`` runs this file)."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `streamlit run` does not add the repo root

from dashboard import data  # noqa: E402
from dashboard.app_pages import overview, pipeline  # noqa: E402

st.set_page_config(page_title="Steuerungsdashboard Jobcenter", layout="wide")

try:
    KEY = data.current_key()
except data.NoData as reason:
    st.title("Steuerungsdashboard Jobcenter")
    st.info(f"{reason}\n\nSo laden Sie Daten:\n\n"
            "```\nsteering load sample_data --db data/steering.duckdb\n```\n\n"
            "Danach diese Seite neu laden.")
    st.stop()

pages = st.navigation([
    st.Page(overview.render, title="Überblick", url_path="ueberblick", default=True),
    st.Page(pipeline.render, title="Pipeline", url_path="pipeline"),
])
pages.run()
