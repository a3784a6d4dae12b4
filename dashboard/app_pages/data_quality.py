"""Datenqualität: the team's data-quality score over time, every rule's pass rate, and its fix list.

Shown as help, not blame: the score is compared with the team's own past, and
every finding on the fix list is one record the team can open and correct.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.auth import session_user
from dashboard.widgets import current_filters, no_metrics_yet, team_label
from pipelines.fixlist import COLUMNS, TABLE_LABELS
from pipelines.publish import explanation
from pipelines.report import charts
from pipelines.report.formats import delta_color, format_change, format_number, format_value, inline, month_label

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
                  delta=change, delta_color=delta_color("higher_better", change),
                  delta_description="ggü. Vorjahresmonat", border=True,
                  help="Mittel der Erfüllungsquoten aller Regeln, die im Monat etwas geprüft haben.")
        jc_now = jc[jc["month"] == pd.Timestamp(month)]
        c2.metric("Jobcenter gesamt", format_value(jc_now["value"].iloc[0] if not jc_now.empty else None, "percent"),
                  border=True)
        zoom = charts.zoomed_range(team, jc)
        title = charts.two_line_title("Datenqualitätswert über 24 Monate", "Team, Vorjahr und Jobcenter"
                                      + (f" · Achse von {format_number(zoom[0], 0)} bis {format_number(zoom[1], 0)} %"
                                         if zoom else ""))
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
        st.plotly_chart(charts.pass_rate_heatmap(
            rates, labels, team_names,
            title=charts.two_line_title("Erfüllungsquote je Team und Regel, " + month_label(month),
                                        "Anteil der geprüften Datensätze ohne Auffälligkeit")),
            key="dq_heat", config={"displaylogo": False})
        if rates["suppressed"].any():
            st.caption(explanation(data.min_cell_size()).replace("Personen", "geprüften Datensätzen"))
        with st.expander("Was prüfen die Regeln?"):
            st.dataframe(rules.rename(columns={"rule_id": "Regel", "dimension": "Dimension", "table_name": "Tabelle",
                                               "label_de": "Bezeichnung", "description_de": "Hinweis"}),
                         hide_index=True, width="stretch")

    st.subheader("Korrekturliste des Teams")
    user = session_user()
    if not user.may_see_fixlist(filters.team_id, filters.team_ids, data.settings()):
        st.info("Die Korrekturliste mit den einzelnen Datensätzen sieht nur das Team selbst (und das Controlling). "
                "Die Erfüllungsquoten oben zeigen, wo es hakt.")
        return
    st.caption("Offene Hinweise: Stammdaten der Personen im Bestand am Ende des letzten vollständigen Monats, "
               "Ereignisse (Kontakte, Maßnahmen, Integrationen, Kooperationspläne) der letzten drei Monate. "
               "Jede Zeile ist ein Datensatz, der sich in der Fachanwendung prüfen und berichtigen lässt.")
    fixes = data.fix_list(key, filters.team_id)
    if fixes.empty:
        st.success("Für dieses Team sind keine offenen Hinweise vorhanden. Vielen Dank für die sorgfältige Erfassung!")
        return
    st.write(f"{len(fixes):,} offene Hinweise".replace(",", "."))
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
