"""Shared widgets: the filters (month, unit, team) that live in the URL, and small display helpers.

Why the URL: a view can be shared as a link (``?monat=2024-06&bereich=U25&team=T03``).
The filters sit in the sidebar of the shared frame (``app.py``), so every page
sees the same choice. Precedence on every run: the URL, then the last choice of
this session (a page switch may drop the query string; it is written back),
then the default (latest month, all units, first team by id). A widget's change
is written to the URL in its callback, before the script reads the URL again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from dashboard import data
from pipelines.access import User
from pipelines.report.formats import format_number, month_key, month_label

__all__ = ["Filters", "current_filters", "format_number", "sidebar_filters", "team_label", "url_radio", "url_toggle"]

PARAMS = {"month": "monat", "unit": "bereich", "team": "team", "theme": "thema", "compare": "vergleich",
          "table": "tabelle"}
ALL_UNITS = ""


@dataclass(frozen=True)
class Filters:
    month: dt.date
    unit: str  # "" = every unit
    team_id: str
    team_ids: tuple[str, ...]  # teams of the unit, by id
    team_names: dict[str, str]

    def team_name(self, team_id: str | None = None) -> str:
        return self.team_names.get(team_id or self.team_id, team_id or self.team_id)


def team_label(team_id: str, names: dict[str, str]) -> str:
    if team_id == data.ALL:
        return "Jobcenter gesamt"
    if team_id == data.UNASSIGNED:
        return "ohne Teamzuordnung"
    name = names.get(team_id)
    return f"{name} ({team_id})" if name and name != team_id else team_id


def _to_url(param: str, widget_key: str) -> None:
    value = st.session_state.get(widget_key)
    if value:
        st.query_params[param] = value
    elif param in st.query_params:
        del st.query_params[param]


def _seed(param: str, options: list[str], default: str) -> str:
    """Decide the value before the widget exists: URL, then this session's last choice, then the default."""
    widget_key = f"filter_{param}"
    url = st.query_params.get(param)
    remembered = st.session_state.get(f"_last_{param}")
    if url in options:
        value = url
    elif remembered in options:
        value = remembered
    else:
        value = default
    st.session_state[widget_key] = value
    return widget_key


def _commit(param: str, value: str) -> None:
    st.session_state[f"_last_{param}"] = value
    if value and st.query_params.get(param) != value:
        st.query_params[param] = value
    elif not value and param in st.query_params:
        del st.query_params[param]


def url_radio(label: str, options: list[str], param: str, default: str, **kwargs: object) -> str:
    """A page's radio choice that lives in the URL like the filters (``?thema=Datenqualität``)."""
    wk = _seed(param, options, default)
    value = st.radio(label, options, key=wk, on_change=_to_url, args=(param, wk), **kwargs)
    _commit(param, value)
    return value


def _toggle_to_url(param: str, widget_key: str) -> None:
    st.query_params[param] = "ja" if st.session_state.get(widget_key) else "nein"


def url_toggle(label: str, param: str, **kwargs: object) -> bool:
    """A page's on/off switch that lives in the URL (``?vergleich=ja`` / ``nein``; without it: this session's
    last choice, else off)."""
    widget_key = f"filter_{param}"
    url = st.query_params.get(param)
    remembered = st.session_state.get(f"_last_{param}")
    st.session_state[widget_key] = (url if url in ("ja", "nein") else remembered) == "ja"
    value = st.toggle(label, key=widget_key, on_change=_toggle_to_url, args=(param, widget_key), **kwargs)
    _commit(param, "ja" if value else "nein")
    return value


def sidebar_filters(key: data.Key, user: User) -> Filters | None:
    """Draw the filters in the sidebar; None when there are no computed months yet.

    The team and unit lists hold only what ``user`` may see (a team's own team,
    a manager's units), so a team id of another team in the URL falls back to
    the first visible team like any unknown value, and a note says so.
    """
    months = data.months(key)
    teams = data.teams(key)
    visible = user.visible_teams(zip(teams["team_id"], teams["unit"], strict=True))
    teams = teams[teams["team_id"].isin(visible)]
    if teams.empty:
        st.error("Für Ihren Zugang ist in diesem Datenstand kein Team vorhanden. Bitte wenden Sie sich an das "
                 "Controlling.")
        st.stop()
    asked = st.query_params.get(PARAMS["team"])
    if asked and asked not in visible:
        own = "Ihr Team" if user.role == "team" else "ein Team Ihres Bereichs"
        st.info(f"Der Link nennt ein Team, das für Ihren Zugang nicht freigegeben ist; angezeigt wird stattdessen "
                f"{own}." if not user.sees_every_team else
                "Das Team im Link gibt es in diesem Datenstand nicht; angezeigt wird das erste Team.")
    if not months or teams.empty:
        return None
    names = dict(zip(teams["team_id"], teams["team_name"].fillna(teams["team_id"]), strict=True))
    sidebar = st.sidebar
    sidebar.header("Auswahl")
    if user.role == "analyst":
        sidebar.toggle("Geschützte Ansicht (wie Leitung und Teams)", key=data.PROTECTED_VIEW,
                       help="Aus: die genauen Zahlen, auch kleine Fallzahlen (nur für das Controlling). An: die "
                            "Zahlen so, wie Leitung und Teams sie sehen, mit „–“ für geschützte Werte.")
        if not st.session_state.get(data.PROTECTED_VIEW, False):
            sidebar.warning("Ungeschützte Zahlen: kleine Fallzahlen sind sichtbar. Nichts davon weitergeben.")
    runs = data.load_runs(key)
    done = runs[runs["status"] == "success"]
    if not done.empty:
        sidebar.caption(f"Datenstand {pd.Timestamp(done['as_of'].iloc[0]):%d.%m.%Y}")

    month_options = [month_key(m) for m in months]
    by_key = dict(zip(month_options, months, strict=True))
    p = PARAMS["month"]
    wk = _seed(p, month_options, month_options[0])
    chosen_month = sidebar.selectbox("Monat", month_options, key=wk, format_func=lambda m: month_label(by_key[m]),
                                     on_change=_to_url, args=(p, wk),
                                     help="Der Berichtsmonat; es gibt nur vollständige Monate bis zum Datenstand.")
    _commit(p, chosen_month)

    units = sorted({u for u in teams["unit"].dropna() if str(u).strip()})
    unit_options = [ALL_UNITS, *units]
    p = PARAMS["unit"]
    wk = _seed(p, unit_options, ALL_UNITS)
    unit = sidebar.selectbox("Bereich", unit_options, key=wk, format_func=lambda u: u or "alle Bereiche",
                             on_change=_to_url, args=(p, wk))
    _commit(p, unit)

    in_unit = teams if not unit else teams[teams["unit"] == unit]
    team_ids = list(in_unit["team_id"])
    p = PARAMS["team"]
    wk = _seed(p, team_ids, team_ids[0])
    team_id = sidebar.selectbox("Team", team_ids, key=wk, format_func=lambda t: team_label(t, names),
                                on_change=_to_url, args=(p, wk),
                                help="Für die Seiten Team, Datenqualität und Zielerreichung.")
    _commit(p, team_id)

    filters = Filters(by_key[chosen_month], unit, team_id, tuple(team_ids), names)
    st.session_state["_filters"] = filters
    return filters


def current_filters() -> Filters | None:
    """The filters drawn by the shared frame in this run."""
    return st.session_state.get("_filters")


def no_metrics_yet() -> None:
    st.info("Für diesen Datenstand sind noch keine Kennzahlen berechnet. Nach dem nächsten "
            "`steering load` erscheinen sie hier.")


def focus_box(lines: list[str]) -> None:
    """„Worauf es diesen Monat ankommt“ (``pipelines.report.focus``): a bordered box at the top of a page."""
    from pipelines.report.focus import NOTHING, TITLE
    from pipelines.report.formats import inline

    with st.container(border=True):
        st.markdown(f"**{TITLE}**")
        st.markdown("\n".join(f"- {inline(line)}" for line in lines) if lines else NOTHING)
