"""Router and shared frame of the dashboard (``steering serve`` runs this file).

The frame first finds out who is looking (``dashboard/auth.py``: OIDC login or the
marked demo mode, role from the access file), then draws the filters (month, unit,
team) in the sidebar for every page, limited to what the role may see; their
values live in the URL (see ``dashboard/widgets.py``). Pages a role may not see
are hidden from the navigation and their URL shows a German refusal
(``auth.role_refusal``) instead of the page. Pages are one module
each under ``dashboard/app_pages/`` (run as page scripts, importable for
tests); their order is the list below.
"""

from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `streamlit run` does not add the repo root

from dashboard import auth, data, widgets  # noqa: E402

st.set_page_config(page_title="Steuerungsdashboard Jobcenter", layout="wide")

USER = auth.current_user()  # stops here when nobody (or an unknown account) is signed in

try:
    KEY = data.current_key()
except data.NoData as reason:
    st.title("Steuerungsdashboard Jobcenter")
    st.info(f"{reason}\n\nSo laden Sie Daten:\n\n"
            "```\nsteering load sample_data --db data/steering.duckdb\n```\n\n"
            "Danach diese Seite neu laden.")
    st.stop()

PAGES = Path(__file__).resolve().parent / "app_pages"
pages = st.navigation([
    st.Page(PAGES / "overview.py", title="Überblick", url_path="ueberblick", default=True),
    st.Page(PAGES / "team.py", title="Team", url_path="team"),
    st.Page(PAGES / "case_progress.py", title="Fallverläufe", url_path="fallverlaeufe"),
    st.Page(PAGES / "data_quality.py", title="Datenqualität", url_path="datenqualitaet"),
    st.Page(PAGES / "goals.py", title="Zielerreichung", url_path="ziele"),
    st.Page(PAGES / "team_review.py", title="Teamreflexion", url_path="teamreflexion"),
    st.Page(PAGES / "pipeline.py", title="Pipeline", url_path="pipeline") if USER.may_see_pipeline else
    st.Page(PAGES / "not_allowed.py", title="Pipeline", url_path="pipeline", visibility="hidden"),
])
PAGE_FAULT = ("Diese Seite konnte nicht angezeigt werden. Bitte laden Sie sie neu; tritt der Fehler wieder auf, "
              "wenden Sie sich an das Controlling. Die Einzelheiten stehen im Protokoll des Servers.")
FAULT_KEY = "_page_fault"  # the last fault's traceback, for tests (AppTest reads the session state)

try:
    widgets.sidebar_filters(KEY, USER)
    pages.run()
except Exception:  # a fault in a page: a German message, the details only in the server log (they can quote data)
    logging.getLogger("dashboard").exception("page failed")
    st.session_state[FAULT_KEY] = traceback.format_exc()
    st.error(PAGE_FAULT)
