"""Teamreflexion: one team and month, built to be put on a screen in the team's review meeting.

First what went well (with numbers, against the team's own past), then what to
keep an eye on, the data-quality to-do list, the goals, and the agreements:
last meeting's beside the figures that changed since, and this meeting's, which
the team records here. Comparisons with other teams only when the team switches
them on. The review downloads as one HTML file (opens offline) or as PDF.
Figures come from ``data.py`` (read-only); agreements are written through
``pipelines.agreements``, the one read-write store.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.auth import session_user
from dashboard.widgets import PARAMS, current_filters, focus_box, no_metrics_yet, team_label, url_toggle
from pipelines import agreements
from pipelines.publish import explanation
from pipelines.report.formats import EMPTY_LEGEND, inline, month_label
from pipelines.report.review_html import (
    INTRO,
    NO_WATCH,
    NO_WELL,
    WATCH_INTRO,
    agreements_table,
    changes_since,
    goals_table,
    has_empty_marks,
    key_figures,
    others_table,
    point_chart,
    point_sentence,
    review_focus,
    review_html,
    todo_intro,
    todo_lines,
)
from pipelines.review import Review, attach_agreements, html_to_pdf

CONFIG = {"displaylogo": False, "locale": "de"}
STATUS_BY_LABEL = {label: status for status, label in agreements.STATUSES.items()}


def store() -> Path:
    return agreements.store_path(data.settings(), data.db_path())


def _save_status(editor_key: str, frame: pd.DataFrame, team_id: str) -> None:
    """Write the statuses changed in a data editor (callback, before the rerun reads the store)."""
    edits = st.session_state.get(editor_key, {}).get("edited_rows", {})
    for row, changes in edits.items():
        label = changes.get("Status")
        if label in STATUS_BY_LABEL:
            agreements.set_status(store(), int(frame["agreement_id"].iloc[int(row)]), STATUS_BY_LABEL[label], team_id)


def _agreements_editor(frame: pd.DataFrame | None, team_id: str, key: str, empty: str) -> None:
    if frame is None or frame.empty:
        st.write(empty)
        return
    st.data_editor(agreements_table(frame), key=key, hide_index=True, width="stretch",
                   disabled=["Nr.", "Vereinbarung", "Wer (Rolle)", "Bis"],
                   column_config={"Status": st.column_config.SelectboxColumn(
                       options=list(agreements.STATUSES.values()), required=True),
                       "Vereinbarung": st.column_config.TextColumn(width="large")},
                   on_change=_save_status, args=(key, frame, team_id))


def _submit_agreement(team_id: str, month: dt.date) -> None:
    """Form callback: runs before the page, so the list below already shows the new agreement."""
    state = st.session_state
    try:
        agreements.add(store(), team_id, month, state.get("agreement_text", ""), state.get("agreement_owner"),
                       state.get("agreement_due"), state.get("agreement_status", "open"))
    except ValueError as exc:
        state["_agreement_message"] = ("warning", str(exc))
    else:
        state["_agreement_message"] = ("success", "Festgehalten.")


def _add_agreement(team_id: str, month: dt.date) -> None:
    with st.form("new_agreement", clear_on_submit=True):
        st.markdown("**Neue Vereinbarung festhalten**")
        st.text_area("Was vereinbaren wir?", max_chars=agreements.MAX_TEXT, key="agreement_text")
        c1, c2, c3 = st.columns(3)
        c1.selectbox("Wer kümmert sich? (Rolle)", agreements.OWNER_ROLES, key="agreement_owner")
        next_month = (month.replace(day=28) + dt.timedelta(days=35)).replace(day=1)
        c2.date_input("Bis wann?", value=next_month + dt.timedelta(days=30), format="DD.MM.YYYY",
                      key="agreement_due")
        c3.selectbox("Status", list(agreements.STATUSES), format_func=agreements.STATUSES.get,
                     key="agreement_status")
        st.caption("Bitte keine Namen von Kundinnen, Kunden oder Beschäftigten eintragen – eine Rolle genügt.")
        st.form_submit_button("Vereinbarung festhalten", type="primary", on_click=_submit_agreement,
                              args=(team_id, month))
    message = st.session_state.pop("_agreement_message", None)
    if message:
        getattr(st, message[0])(message[1])


def render() -> None:
    key = data.current_key()
    filters = current_filters()
    if filters is None:
        st.title("Teamreflexion")
        no_metrics_yet()
        return
    user = session_user()
    name = team_label(filters.team_id, filters.team_names)
    st.title(f"Teamreflexion – Team {inline(name)}")
    st.caption(f"{month_label(filters.month)} · {INTRO}")
    all_teams = user.role != "team"  # a team compares itself with the job center only
    compare = url_toggle("Vergleich mit anderen einblenden", PARAMS["compare"],
                        help="Aus: das Team nur im Vergleich mit sich selbst. An: zusätzlich das Jobcenter gesamt"
                             + (" und die Teams des Bereichs (feste Reihenfolge, keine Rangliste)." if all_teams
                                else "."))
    others = tuple(t for t in filters.team_ids if t != filters.team_id) if compare and all_teams else ()
    review = data.team_review(key, filters.team_id, filters.month, compare, others)
    review = attach_agreements(review, store())
    focus_box(review_focus(review))

    st.subheader("Was gut lief")
    if review.went_well:
        for point in review.went_well:
            st.markdown(f"- {point_sentence(point, review.month, review.catalog)}")
        cols = st.columns(len(review.went_well))
        for col, point in zip(cols, review.went_well, strict=True):
            col.plotly_chart(point_chart(review, point), key=f"review_well_{point.metric_id}", config=CONFIG)
    else:
        st.write(NO_WELL)

    st.subheader("Im Blick behalten")
    if review.watch:
        st.write(WATCH_INTRO)
        for point in review.watch:
            st.markdown(f"- {point_sentence(point, review.month, review.catalog)}")
        with st.expander("Verläufe dazu"):
            for point in review.watch:
                st.plotly_chart(point_chart(review, point), key=f"review_watch_{point.metric_id}", config=CONFIG)
    else:
        st.write(NO_WATCH)

    st.subheader("Unsere Kennzahlen")
    figures = key_figures(review)
    st.dataframe(figures, hide_index=True, width="stretch")
    if has_empty_marks(figures):
        st.caption(EMPTY_LEGEND.format(k=review.min_cell_size))
    table = others_table(review)
    if table is not None:
        st.caption("Teams des Bereichs in fester Reihenfolge (nach Team-ID), keine Rangliste.")
        st.dataframe(table, hide_index=True, width="stretch")
    st.caption(explanation(review.min_cell_size))

    st.subheader("Datenqualität: unsere To-do-Liste")
    lines = todo_lines(review)
    if lines:
        st.write(todo_intro(review))
        st.markdown("\n".join(f"{i}. {line}" for i, line in enumerate(lines, start=1)))
    else:
        st.success("Keine offenen Hinweise – vielen Dank für die sorgfältige Erfassung!")

    st.subheader("Unsere Ziele")
    goals = goals_table(review)
    if goals is None:
        st.write(f"Für {review.month.year} ist für das Team kein Ziel hinterlegt.")
    else:
        st.dataframe(goals, hide_index=True, width="stretch")

    st.subheader("Vereinbarungen")
    if review.since is not None:
        left, right = st.columns(2)
        with left:
            st.markdown(f"**Aus der letzten Teamreflexion ({month_label(review.since)})**")
            _agreements_editor(review.previous_agreements, filters.team_id, "agreements_previous",
                               "Keine Vereinbarungen.")
        with right:
            st.markdown("**Was sich seitdem in den Zahlen verändert hat**")
            st.dataframe(changes_since(review), hide_index=True, width="stretch")
    st.markdown(f"**Vereinbart im {month_label(review.month)}**")
    _agreements_editor(review.agreements, filters.team_id, "agreements_current",
                       "Noch keine Vereinbarungen festgehalten.")
    _add_agreement(filters.team_id, filters.month)

    st.subheader("Für das Protokoll")
    stem = f"teamreflexion_{filters.team_id}_{filters.month:%Y-%m}"
    c1, c2 = st.columns(2)
    c1.download_button("Als HTML herunterladen", lambda: review_html(review).encode("utf-8"),
                       file_name=f"{stem}.html", mime="text/html", key="review_html",
                       help="Eine Datei mit allen Diagrammen; öffnet sich ohne Internet.")
    c2.download_button("Als PDF herunterladen", lambda: _pdf(review), file_name=f"{stem}.pdf",
                       mime="application/pdf", key="review_pdf")


def _pdf(review: Review) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        return html_to_pdf(review_html(review), Path(tmp) / "review.pdf").read_bytes()


if __name__ == "__main__":  # run by st.navigation as a page script
    render()
