"""Fallverläufe: how the team's cases run, from the entry to the integration or the exit.

A case is one employable benefit spell (Leistungszeitraum). The page shows, for
the team chosen in the sidebar and a period of entry years: the entry cohorts'
first steps (a funnel, with young cohorts marked "noch offen"), the time to
integration (Kaplan–Meier, with 95 % bands and the median per team), the most
frequent process variants and the paths through the stages (Sankey: one end
node per outcome, counts summed from published links only). Every number comes
from the tables of docs/case-progress.md; each chart says how to read it.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.widgets import Filters, current_filters, no_metrics_yet, team_label
from pipelines.publish import explanation
from pipelines.report import charts
from pipelines.report.formats import format_number, inline, month_label

ALL_PERIODS = "all"
PERIOD_PARAM = "zugang"
TOP_VARIANTS = 10
CONFIG = {"displaylogo": False, "locale": "de"}

READ_FUNNEL = """
Jede Zeile ist ein Schritt, den ein neuer Fall (ein neuer Leistungszeitraum eines erwerbsfähigen
Menschen) nach dem Zugang erreichen kann: ein Kontakt in den ersten 14 Tagen, ein Kooperationsplan in
60 Tagen, eine Maßnahme in 6 Monaten, eine Integration in 12 Monaten. Der Balken zeigt, welcher Anteil
aller Zugänge den Schritt in dieser Frist erreicht hat; Fälle, die vorher enden, zählen als „nicht
erreicht“. Jeder Schritt bezieht sich auf alle Zugänge, nicht nur auf die des vorigen Schritts.

Gezählt werden nur Zugangsmonate, deren Frist für den Schritt schon ganz vorbei ist. Für jüngere
Monate steht **„noch offen“** – dort ist noch nichts entschieden, das ist keine Null. In der Tabelle
darunter steht jeder Zugangsmonat einzeln.
"""

READ_SURVIVAL = """
Die Linie zeigt, welcher Anteil der Fälle nach so vielen Monaten seit dem Zugang eine Integration
erreicht hat (Kaplan-Meier-Schätzung). Fälle, die ohne Integration enden (Umzug, anderes Einkommen, …),
und Fälle, die noch laufen, zählen bis zu ihrem letzten beobachteten Tag mit und fallen dann aus der
Rechnung heraus („zensiert“). Die Schätzung beantwortet darum die Frage: *Wie schnell finden Menschen
Arbeit, solange sie im Leistungsbezug sind?* Sie liegt höher als der Anteil aller Zugänge, die je
integriert werden.

Das schattierte Band ist das 95-%-Vertrauensband: Bei wenigen Fällen ist es breit, und kleine
Unterschiede zwischen zwei Linien sind dann Zufall. Der **Median** ist die Zeit, nach der die Hälfte
integriert ist; „nicht erreicht“ heißt, dass die Linie 50 % im beobachteten Zeitraum nicht erreicht.
"""

READ_VARIANTS = """
Ein Verlauf ist die Reihenfolge der Ereignisse eines Falls: Zugang, Erstkontakt, Kooperationsplan,
Maßnahmebeginn und -ende, Teamwechsel, Integration, Abgang. Die Tabelle zeigt die häufigsten
Reihenfolgen des Teams, ihren Anteil an allen Fällen und die typische Dauer vom ersten bis zum letzten
Ereignis (Median). Verläufe ohne „Abgang“ am Ende gehören zu Fällen, die noch laufen („davon laufend“);
ihr Verlauf kann noch weitergehen.
"""

READ_SANKEY = """
Das Diagramm liest sich von links nach rechts: Jeder Fall beginnt mit dem Zugang, jede Spalte ist der
nächste erreichte Schritt (Erstkontakt, Kooperationsplan, erste Maßnahme, Integration) – jeweils das
erste Mal, in der Reihenfolge, in der es geschah. Rechts steht jedes Ende eines Weges genau einmal:
**„Abgang“** (der Leistungsbezug endete) und **„läuft noch“** (bis zum Datenstand kam kein weiterer
Schritt); dort kommen die Fälle aus allen Spalten zusammen. Die Zahl an einer Station ist die Zahl der
Fälle, die sie erreicht haben; die Breite eines Bandes ist die Zahl der Fälle, der Mauszeiger zeigt
Anzahl, Anteil an den Zugängen und die Zeit zwischen den beiden Schritten. Wege mit weniger als 1 % der
Fälle sind nicht gezeichnet, in den Zahlen an den Stationen aber mitgezählt.

**„mind.“** (mindestens) vor einer Zahl heißt: Übergänge mit sehr wenigen Fällen sind zum Schutz der
Sozialdaten ausgeblendet; die Zahl zählt nur die gezeigten, es können also mehr sein. Der Anteil an den
Zugängen fehlt dann, weil die Zahl der Zugänge selbst nur eine Untergrenze ist.
"""


def period_label(period: str) -> str:
    return "allen Jahren" if period == ALL_PERIODS else period


def cohort_window(period: str, month: dt.date) -> tuple[dt.date | None, dt.date]:
    """Entry months shown for a period: the year's months up to the chosen month, or every month up to it."""
    if period == ALL_PERIODS:
        return None, month
    year = int(period)
    return dt.date(year, 1, 1), min(dt.date(year, 12, 1), month)


def _period_to_url() -> None:
    st.query_params[PERIOD_PARAM] = st.session_state["case_period"]


def _choose_period(key: data.Key, month: dt.date) -> str:
    """Entry years up to the chosen month's year, or all; the choice lives in the URL (``?zugang=2025``)."""
    options = [ALL_PERIODS, *[p for p in data.case_periods(key) if int(p) <= month.year]]
    url = st.query_params.get(PERIOD_PARAM)
    if url in options:
        st.session_state["case_period"] = url
    elif st.session_state.get("case_period") not in options:
        st.session_state["case_period"] = ALL_PERIODS
    period = st.selectbox("Zugänge aus", options, key="case_period", format_func=period_label,
                          on_change=_period_to_url,
                          help="Welche Fälle zählen: die mit Zugang im gewählten Jahr, oder alle.")
    if st.query_params.get(PERIOD_PARAM) != period:
        st.query_params[PERIOD_PARAM] = period
    return period


def render() -> None:
    key = data.current_key()
    filters = current_filters()
    if filters is None:
        st.title("Fallverläufe")
        no_metrics_yet()
        return
    name = team_label(filters.team_id, filters.team_names)
    st.title(f"Fallverläufe – Team {inline(name)}")
    if not data.has_case_progress(key):
        st.info("Für diesen Datenstand sind die Fallverläufe noch nicht berechnet. Nach dem nächsten "
                "`steering load` erscheinen sie hier.")
        return
    period = _choose_period(key, filters.month)
    runs = data.load_runs(key)
    as_of = runs["as_of"].dropna().iloc[0] if not runs.empty and runs["as_of"].notna().any() else None
    st.caption(f"Ein Fall ist ein Leistungszeitraum eines erwerbsfähigen Menschen, dem Team zugeordnet, das am "
               f"ersten Tag zuständig war. Zugänge aus {period_label(period)}; Ereignisse bis zum Datenstand"
               + (f" {pd.Timestamp(as_of):%d.%m.%Y}" if as_of is not None else "") + ".")
    _cohorts(key, filters, name, period)
    _survival(key, filters, name, period)
    _variants(key, filters, period)
    _paths(key, filters, period)
    st.caption("Das vollständige Ereignisprotokoll (Fall, Aktivität, Zeitpunkt) für Process-Mining-Werkzeuge wie "
               "PM4Py, Disco oder Celonis: `steering export events --out ereignisse.csv`.")


def _cohorts(key: data.Key, filters: Filters, name: str, period: str) -> None:
    st.subheader("Die ersten Schritte nach dem Zugang")
    first, last = cohort_window(period, filters.month)
    cohorts = data.case_cohorts(key, (filters.team_id, data.ALL), first, last)
    own = cohorts[cohorts["team_id"] == filters.team_id]
    if not own.empty and own["suppressed"].all() and own["cases"].isna().all():
        st.info("Die Zugänge des Teams sind im gewählten Zeitraum so wenige, dass sie zum Schutz der Sozialdaten "
                "nicht gezeigt werden.")
        return
    if own.empty or own["cases"].sum() == 0:
        st.info(f"Im gewählten Zeitraum (Zugangsmonate bis {month_label(last)}) hat das Team keine Zugänge.")
        return
    center = cohorts[cohorts["team_id"] == data.ALL]
    span = f"Zugänge {month_label(first) + ' bis ' if first else 'bis '}{month_label(last)}"
    series = [(name, charts.pool_cohorts(own), charts.PALETTE["team"]),
              ("Jobcenter gesamt", charts.pool_cohorts(center), charts.PALETTE["center"])]
    st.plotly_chart(charts.cohort_funnel(series, title=charts.two_line_title(
        "Anteil der Zugänge, die den Schritt in der Frist erreicht haben", span + ", nur abgeschlossene Monate")),
        key="case_funnel", config=CONFIG)
    months = sorted(own["cohort_month"].unique())
    shown = own[own["cohort_month"].isin(months[-24:])]
    st.plotly_chart(charts.cohort_heatmap(shown, title=charts.two_line_title(
        "Je Zugangsmonat", f"{charts.text_of(name)}, die letzten {min(24, len(months))} Zugangsmonate des Zeitraums; "
        "graue Felder: noch offen")),
        key="case_cohorts", config=CONFIG)
    if "suppressed" in shown and shown["suppressed"].any():  # small cohorts show "–" (pipelines/publish/)
        st.caption(explanation(data.min_cell_size()).replace("Personen", "Zugängen"))
    with st.expander("So lesen Sie die Zugangskohorten"):
        st.markdown(READ_FUNNEL)


def _summary_table(summary: pd.DataFrame, team_ids: list[str], names: dict[str, str]) -> pd.DataFrame:
    def interval(value, low, high, unit: str, decimals: int) -> str:
        if pd.isna(value):
            return "nicht erreicht" if unit == " Tage" else "–"
        hi = "offen" if pd.isna(high) else format_number(high, decimals)
        lo = "?" if pd.isna(low) else format_number(low, decimals)
        return f"{format_number(value, decimals)}{unit} ({lo}–{hi})"

    indexed = summary.set_index("team_id")
    rows = []
    for team_id in team_ids:
        if team_id not in indexed.index:
            continue
        r = indexed.loc[team_id]
        if r.get("suppressed", False):  # fewer cases than privacy.min_cell_size (dashboard/data.py)
            rows.append({"Team": team_label(team_id, names), "Fälle": format_number(r["cases"]), "Integrationen": "–",
                         "Median bis Integration": "–", "nach 6 Monaten": "–", "nach 12 Monaten": "–",
                         "nach 24 Monaten": "–"})
            continue
        rows.append({
            "Team": team_label(team_id, names),
            "Fälle": format_number(r["cases"]),
            "Integrationen": format_number(r["integrations"]),
            "Median bis Integration": interval(r["median_days"], r["median_low"], r["median_high"], " Tage", 0),
            **{f"nach {label}": interval(r[f"share_{m}"], r[f"share_{m}_low"], r[f"share_{m}_high"], " %", 1)
               for m, label in (("6m", "6 Monaten"), ("12m", "12 Monaten"), ("24m", "24 Monaten"))},
        })
    return pd.DataFrame(rows)


def _survival(key: data.Key, filters: Filters, name: str, period: str) -> None:
    st.subheader("Zeit bis zur Integration")
    curves = data.survival_curves(key, (filters.team_id, data.ALL), period)
    own = curves[curves["team_id"] == filters.team_id]
    summary = data.survival_summary(key, period)
    hidden = set(summary.loc[summary["suppressed"], "team_id"])
    if own.empty and filters.team_id not in hidden:
        st.info("Für das Team gibt es im gewählten Zeitraum keine Fälle.")
        return
    center = curves[curves["team_id"] == data.ALL]
    lines = [("Jobcenter gesamt", center, charts.PALETTE["center"])]
    if filters.team_id not in hidden:
        lines.insert(0, (name, own, charts.PALETTE["team"]))
    else:
        st.caption("Die Kurve des Teams wird nicht gezeigt: " + explanation(data.min_cell_size()))
    fig = charts.survival_chart(lines,
                                title=charts.two_line_title("Geschätzter Anteil mit Integration seit dem Zugang",
                                                            f"Kaplan-Meier mit 95-%-Band, Zugänge aus "
                                                            f"{period_label(period)}"))
    st.plotly_chart(fig, key="case_survival", config=CONFIG)
    st.dataframe(_summary_table(summary, [*filters.team_ids, data.ALL], filters.team_names), hide_index=True,
                 width="stretch")
    st.caption("„nach … Monaten“: geschätzter Anteil mit Integration so lange nach dem Zugang. "
               "Teams in fester Reihenfolge (nach Team-ID), nicht als Rangliste. In Klammern das 95-%-Intervall; "
               "„offen“: die Obergrenze liegt jenseits des beobachteten Zeitraums. „–“ bei den Anteilen: so lange "
               "ist noch kein Fall beobachtet.")
    with st.expander("So lesen Sie die Kurve"):
        st.markdown(READ_SURVIVAL)


def variant_table(variants: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "Rang": [format_number(v) for v in variants["rank"]],
        "Verlauf": variants["variant_de"],
        "Fälle": [format_number(v) for v in variants["cases"]],
        "Anteil": ["–" if pd.isna(v) else f"{format_number(v, 1)} %" for v in variants["share"]],
        "davon laufend": [format_number(v) for v in variants["open_cases"]],
        "Dauer (Median, Tage)": [format_number(v, 0) for v in variants["median_duration_days"]],
    })


def _variants(key: data.Key, filters: Filters, period: str) -> None:
    st.subheader("Häufigste Verläufe")
    variants = data.case_variants(key, filters.team_id, period, TOP_VARIANTS)
    if variants.empty:
        st.info("Für das Team gibt es im gewählten Zeitraum keine Fälle – oder so wenige, dass sie zum Schutz der "
                "Sozialdaten nicht gezeigt werden.")
        return
    listed = variants[variants["variant"] != "*"]
    covered = listed["share"].sum()
    total, distinct = variants["team_cases"].iloc[0], variants["team_variants"].iloc[0]
    st.caption(f"{format_number(total)} Fälle mit {format_number(distinct)} verschiedenen Verläufen; die "
               f"{len(listed)} gezeigten umfassen {format_number(covered, 1)} % der Fälle. Seltene Verläufe (von "
               f"weniger als {data.min_cell_size()} Fällen) stehen zusammen unter „sonstige Verläufe“.")
    st.dataframe(variant_table(variants), hide_index=True, width="stretch",
                 column_config={"Verlauf": st.column_config.TextColumn(width="large")})
    with st.expander("So lesen Sie die Verläufe"):
        st.markdown(READ_VARIANTS)


def _paths(key: data.Key, filters: Filters, period: str) -> None:
    st.subheader("Wege durch die Stationen")
    transitions, hidden = data.case_transitions(key, filters.team_id, period)
    if transitions.empty:
        st.info("Jeder Übergang betrifft weniger Fälle, als zum Schutz der Sozialdaten gezeigt werden darf."
                if hidden else "Für das Team gibt es im gewählten Zeitraum keine Fälle.")
        return
    # the read side leaves hidden links out altogether: where they run is unknown, so every count is "mind."
    st.plotly_chart(charts.stage_sankey(transitions, unplaced=hidden, title=charts.two_line_title(
        "Von Station zu Station", f"Zugänge aus {period_label(period)}, erstes Erreichen jeder Station; "
                                  "Zahl der Fälle an jeder Station")),
        key="case_sankey", config=CONFIG)
    if hidden:
        st.caption(f"{format_number(hidden)} Übergänge sind zum Schutz der Sozialdaten ausgeblendet: Sie betreffen "
                   f"weniger als {data.min_cell_size()} Fälle oder ließen sich aus den gezeigten errechnen. Die "
                   "Zahlen an den Stationen zählen nur die gezeigten Übergänge, darum „mind.“ (mindestens).")
    with st.expander("So lesen Sie das Diagramm"):
        st.markdown(READ_SANKEY)


if __name__ == "__main__":  # run by st.navigation as a page script
    render()
