"""Datenqualität: the team's data-quality score over time, every rule's pass rate, and its fix list.

Shown as help, not blame: the score is compared with the team's own past, and
every finding on the fix list is one record the team can open and correct. A
click on a cell of the heat map (team × rule) opens that rule's records in the
team's fix list below; the "Regel" box does the same without a mouse.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.auth import session_user
from dashboard.widgets import PARAMS, Filters, current_filters, no_metrics_yet, team_label
from pipelines.access import User
from pipelines.fixlist import COLUMNS, TABLE_LABELS
from pipelines.publish import explanation
from pipelines.report import charts
from pipelines.report.formats import (
    delta_color,
    format_change,
    format_number,
    format_value,
    inline,
    metric_delta,
    month_label,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEAT_KEY = "dq_heat"  # the heat map's selection (read-only widget state)
RULE_KEY = "dq_rule"  # the "Regel" box above the fix list
ALL_RULES = ""
PICK_KEY = "_dq_pick"  # the (team, rule) of the last click on the heat map, for the note above the fix list
CELLS_KEY = "_dq_cells"  # the teams and rules of the heat map drawn last: a click must name one of them
CLICK_HINT = "Klick: die Datensätze dieser Regel in der Korrekturliste unten"
NO_FIXLIST = ("Die Korrekturliste mit den einzelnen Datensätzen sieht nur das Team selbst (und das Controlling). "
              "Die Erfüllungsquoten oben zeigen, wo es hakt.")


def heat_cell(event: object, teams: Iterable[str], rules: Iterable[str]) -> tuple[str, str] | None:
    """The (team, rule) of a click on the heat map, from Streamlit's selection event: the first selected
    point's customdata ``[team_id, rule_id, ...]`` (charts.pass_rate_heatmap). None for an empty selection
    or anything that does not name a cell of the drawn map (the event comes from the browser)."""
    try:
        points = event["selection"]["points"]  # type: ignore[index]
    except (KeyError, TypeError):
        return None
    for point in points or []:
        custom = point.get("customdata") if isinstance(point, Mapping) else None
        if isinstance(custom, (list, tuple)) and len(custom) >= 2:
            team, rule = str(custom[0]), str(custom[1])
            if team in set(teams) and rule in set(rules):
                return team, rule
    return None


def fix_list_team(team: str, current: str, may_see: Callable[[str], bool]) -> str | None:
    """Whose fix list a click on ``team``'s row opens: that team's, if the viewer may see it; the current
    team's for the job center's row (it has no fix list of its own); None if the viewer may see neither."""
    target = current if team == data.ALL else team
    return target if may_see(target) else None


def _may_see(user: object, visible: tuple[str, ...]) -> Callable[[str], bool]:
    settings = data.settings()
    return lambda team: isinstance(user, User) and user.may_see_fixlist(team, visible, settings)


def _on_heat_select() -> None:
    """A click on the heat map (run by Streamlit before the next run, so the sidebar already shows the new
    team): filter the fix list to the rule and, where the viewer may see it, switch to the clicked team
    through the URL, which ``widgets.sidebar_filters`` reads first and checks against the visible teams.
    The fix list itself is read through ``data.fix_list``, which applies the access rules again."""
    teams, rules = st.session_state.get(CELLS_KEY, ((), ()))
    cell = heat_cell(st.session_state.get(HEAT_KEY), teams, rules)
    filters = current_filters()
    if cell is None or filters is None:  # a click on the selected cell again takes the selection away
        st.session_state[RULE_KEY] = ALL_RULES
        st.session_state.pop(PICK_KEY, None)
        return
    team, rule = cell
    st.session_state[PICK_KEY] = cell
    target = fix_list_team(team, filters.team_id, _may_see(st.session_state.get("_user"), filters.team_ids))
    if target is None:
        return
    st.session_state[RULE_KEY] = rule
    if target != filters.team_id:
        st.query_params[PARAMS["team"]] = target


def _clear_rule() -> None:
    st.session_state[RULE_KEY] = ALL_RULES
    st.session_state.pop(PICK_KEY, None)


def _forget_pick() -> None:
    """A rule chosen in the box replaces the click: its note (about the clicked row) no longer applies."""
    st.session_state.pop(PICK_KEY, None)


def render() -> None:
    key = data.current_key()
    filters = current_filters()
    if filters is None:
        st.title("Datenqualität")
        no_metrics_yet()
        return
    name = team_label(filters.team_id, filters.team_names)
    st.title(f"Datenqualität – Team {inline(name)}")
    month = filters.month
    own = data.metric_values(key, filters.team_id)
    center = data.metric_values(key, data.ALL)
    score = own[own["metric_id"] == "dq_score"]
    whole = center[center["metric_id"] == "dq_score"]

    if not score.empty:
        team = charts.trend_frame(score, month, 24)
        jc = charts.trend_frame(whole, month, 24)
        now = team[team["month"] == pd.Timestamp(month)]
        value = now["value"].iloc[0] if not now.empty else None
        prev = now["prev_value"].iloc[0] if not now.empty else None
        c1, c2 = st.columns(2)
        change = format_change(value, prev, "percent")
        c1.metric(f"Datenqualitätswert {month_label(month)}", format_value(value, "percent"),
                  delta=metric_delta(change), delta_color=delta_color("higher_better", change),
                  delta_description="ggü. Vorjahresmonat", border=True,
                  help="Mittel der Erfüllungsquoten aller Regeln, die im Monat etwas geprüft haben.")
        jc_now = jc[jc["month"] == pd.Timestamp(month)]
        c2.metric("Jobcenter gesamt", format_value(jc_now["value"].iloc[0] if not jc_now.empty else None, "percent"),
                  border=True)
        zoom = charts.zoomed_range(team, jc)
        title = charts.two_line_title("Datenqualitätswert über 24 Monate",
                                      "Team, Vorjahr und Jobcenter" + charts.zoom_note(zoom))
        st.plotly_chart(charts.metric_trend(team, jc, title=title, unit="percent", team_name=name, y_range=zoom),
                        key="dq_trend", config={"displaylogo": False})

    rules = data.dq_rules(key)
    labels = dict(zip(rules["rule_id"], rules["label_de"], strict=True))
    rates = data.dq_pass_rates(key, month)
    shown = [*filters.team_ids, data.ALL]
    rates = rates[rates["team_id"].isin(shown)]
    rates = rates.set_index("team_id").loc[[t for t in shown if t in set(rates["team_id"])]].reset_index()
    st.subheader("Erfüllungsquote je Regel")
    if rates.empty:
        st.info("Für diesen Monat liegen keine Prüfergebnisse vor.")
    else:
        team_names = {t: team_label(t, filters.team_names) for t in shown}
        st.session_state[CELLS_KEY] = (tuple(rates["team_id"]), tuple(rules["rule_id"]))
        st.plotly_chart(charts.pass_rate_heatmap(
            rates, labels, team_names,
            title=charts.two_line_title("Erfüllungsquote je Team und Regel, " + month_label(month),
                                        "Anteil der geprüften Datensätze ohne Auffälligkeit"),
            click_hint=CLICK_HINT),
            key=HEAT_KEY, config={"displaylogo": False}, on_select=_on_heat_select, selection_mode="points")
        st.caption("Ein Klick auf ein Feld zeigt die Datensätze dieser Regel in der Korrekturliste unten "
                   "(für ein anderes Team wechselt die Auswahl zu diesem Team).")
        if rates["suppressed"].any():
            st.caption(explanation(data.min_cell_size()).replace("Personen", "geprüften Datensätzen"))
        with st.expander("Was prüfen die Regeln?"):
            st.dataframe(rules.rename(columns={"rule_id": "Regel", "dimension": "Dimension", "table_name": "Tabelle",
                                               "label_de": "Bezeichnung", "description_de": "Hinweis"}),
                         hide_index=True, width="stretch")

    _fix_list(key, filters, labels, name)


def _pick_note(filters: Filters, name: str, may_see: Callable[[str], bool]) -> str | None:
    """What a click on another row of the heat map did, where it did not simply open that team's list."""
    pick = st.session_state.get(PICK_KEY)
    if not pick or pick[0] == filters.team_id:
        return None
    team = pick[0]
    if team == data.ALL:
        return (f"„Jobcenter gesamt“ hat keine eigene Korrekturliste; gezeigt wird die des Teams "
                f"{inline(name)}.") if may_see(filters.team_id) else None
    if not may_see(team):
        return (f"Die Korrekturliste von Team {inline(team_label(team, filters.team_names))} ist für Ihren Zugang "
                "nicht freigegeben: Die einzelnen Datensätze sieht nur das Team selbst (und das Controlling).")
    return None


def _fix_list(key: data.Key, filters: Filters, labels: dict[str, str], name: str) -> None:
    """The team's fix list, filtered to one rule by the "Regel" box or a click on the heat map; read through
    ``data.fix_list`` (its access rules) and only where ``may_see_fixlist`` allows it."""
    st.subheader("Korrekturliste des Teams")
    user = session_user()
    may_see = _may_see(user, filters.team_ids)
    note = _pick_note(filters, name, may_see)
    if not may_see(filters.team_id):
        st.info(note or NO_FIXLIST)
        return
    if note:
        st.info(note)
    st.caption("Offene Hinweise: Stammdaten der Personen im Bestand am Ende des letzten vollständigen Monats, "
               "Ereignisse (Kontakte, Maßnahmen, Integrationen, Kooperationspläne) der letzten drei Monate. "
               "Jede Zeile ist ein Datensatz, der sich in der Fachanwendung prüfen und berichtigen lässt.")
    fixes = data.fix_list(key, filters.team_id)
    if fixes.empty:
        st.success("Für dieses Team sind keine offenen Hinweise vorhanden. Vielen Dank für die sorgfältige Erfassung!")
        return
    counts = fixes["rule_id"].value_counts()
    options = [ALL_RULES, *labels]
    if st.session_state.get(RULE_KEY) not in options:
        st.session_state[RULE_KEY] = ALL_RULES
    rule = st.selectbox(
        "Regel", options, key=RULE_KEY, on_change=_forget_pick,
        format_func=lambda r: "alle Regeln" if r == ALL_RULES else
        f"{r} {labels[r]} ({format_number(int(counts.get(r, 0)))})",
        help="Zeigt nur die Hinweise einer Regel; in Klammern die Zahl der offenen Hinweise des Teams.")
    if rule != ALL_RULES:
        c1, c2 = st.columns([5, 1], vertical_alignment="center")
        c1.info(f"Korrekturliste gefiltert auf Regel {rule} „{inline(labels[rule])}“ – die Downloads enthalten "
                "weiterhin alle Hinweise.")
        c2.button("Filter aufheben", key="dq_rule_clear", on_click=_clear_rule)
        fixes = fixes[fixes["rule_id"] == rule]
    total = int(counts.sum())
    if fixes.empty:
        st.info(f"Zur Regel {rule} hat das Team keine offenen Hinweise in der Korrekturliste.")
    else:
        st.write(f"{format_number(len(fixes))} von {format_number(total)} offenen Hinweisen" if rule != ALL_RULES
                 else f"{format_number(total)} offene Hinweise")
        shown_frame = fixes.copy()
        shown_frame["table_name"] = shown_frame["table_name"].map(lambda t: TABLE_LABELS.get(t, t))
        shown_frame["month"] = shown_frame["month"].map(lambda m: f"{m:%m.%Y}" if pd.notna(m) else "")
        shown_frame = shown_frame.rename(columns=COLUMNS)
        st.dataframe(shown_frame, hide_index=True, width="stretch",
                     column_config={"Hinweis": st.column_config.TextColumn(width="large")})
    c1, c2 = st.columns(2)
    stem = f"korrekturliste_{filters.team_id}"
    c1.download_button("Korrekturliste als CSV", data.fix_list_file(key, filters.team_id, ".csv"),
                       file_name=f"{stem}.csv", mime="text/csv", key="fix_csv")
    c2.download_button("Korrekturliste als Excel", data.fix_list_file(key, filters.team_id, ".xlsx"),
                       file_name=f"{stem}.xlsx", mime=XLSX, key="fix_xlsx")


if __name__ == "__main__":  # run by st.navigation as a page script
    render()
