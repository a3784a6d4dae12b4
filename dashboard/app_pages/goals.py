"""Zielerreichung: every target of the job center and of the chosen team.

Actual against the linear and the seasonal expectation, the year-end forecast
with its 80 % band, and the status in appreciative words. Works before the goal
computation exists: then the page says that no targets are loaded yet.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.widgets import current_filters, team_label
from pipelines.report import charts
from pipelines.report.formats import (
    DIRECTION_DE,
    STATUS_DE,
    attainment_text,
    format_number,
    format_value,
    goal_actual_label,
    inline,
    missing,
)

STATUS_BADGE = {"on_track": "blue", "watch": "gray", "behind": "violet"}
BACKTEST_COLUMNS = {"metric_id": "Kennzahl", "team_id": "Team", "month_position": "Prognose nach Monat",
                    "n_forecasts": "Prognosen", "n_years": "Jahre", "mape": "mittlere Abweichung (%)",
                    "coverage_80_pct": "Jahresergebnis im 80-%-Band (%)", "mean_width_pct": "Breite des Bands (%)",
                    "fallback_pct": "mit fester Bandbreite (%)"}

def render() -> None:
    key = data.current_key()
    st.title("Zielerreichung")
    goals = data.goal_status(key)
    if goals is None or goals.empty:
        st.info("Für diesen Datenstand sind noch keine Ziele geladen. Ziele kommen aus der Tabelle `targets` "
                "der Datenlieferung (Jahr, Team oder `__all__`, Kennzahl, Zielwert) und erscheinen hier nach "
                "dem nächsten `steering load`.")
        return
    filters = current_filters()
    catalog = data.metric_catalog(key).set_index("metric_id")
    names = filters.team_names if filters else {}
    years = sorted(goals["year"].unique())
    year = filters.month.year if filters and filters.month.year in years else years[-1]
    team_id = filters.team_id if filters else None
    st.caption(f"Ziele {year}: Ist-Wert bis zum letzten vollständigen Monat, erwartet nach linearem und nach "
               "saisonalem Verlauf (aus den Vorjahren), Prognose für Dezember mit 80-%-Band.")
    this_year = goals[goals["year"] == year]
    backtest = data.goal_backtest(key)
    for who in [data.ALL, team_id]:
        rows = this_year[this_year["team_id"] == who]
        st.subheader(inline(team_label(who, names)) if who == data.ALL else f"Team {inline(team_label(who, names))}")
        if rows.empty:
            st.write("Für dieses Jahr ist hier kein Ziel vereinbart.")
            continue
        for _, goal in rows.iterrows():
            _goal_block(goal, catalog, backtest)

    st.subheader("Wie gut trafen die Prognosen früher?")
    if backtest is None or backtest.empty:
        st.write("Noch keine Rückrechnung (Backtest) der Prognosen vorhanden.")
        return
    st.caption("Rückrechnung: Prognosen, die in früheren Jahren mit dem damaligen Wissensstand gemacht wurden, "
               "verglichen mit dem tatsächlichen Dezemberwert. Ein gutes 80-%-Band enthält rund 80 % der "
               "Jahresergebnisse. „*“ heißt: über alle Kennzahlen bzw. Teams zusammengefasst; Monat 0: über alle "
               "Monate.")
    shown = this_year[this_year["team_id"].isin([data.ALL, team_id])]
    wanted = backtest[backtest["metric_id"].isin([*shown["metric_id"], "*"])
                      & backtest["team_id"].isin([*shown["team_id"], "*"])
                      & backtest["month_position"].isin([0, *pd.to_datetime(shown["as_of_month"]).dt.month])]
    st.dataframe(backtest_table(wanted, catalog, names), hide_index=True, width="stretch")


def _goal_block(goal: pd.Series, catalog: pd.DataFrame, backtest: pd.DataFrame | None) -> None:
    metric_id = goal["metric_id"]
    meta = catalog.loc[metric_id] if metric_id in catalog.index else None
    label = meta["label_de"] if meta is not None else metric_id
    unit = meta["unit"] if meta is not None else None
    as_of = pd.Timestamp(goal["as_of_month"]).date()
    with st.container(border=True):
        direction = DIRECTION_DE.get(meta["direction"]) if meta is not None else None
        st.markdown(f"**{label}** – Jahresziel {format_value(goal['target_value'], unit)}"
                    + (f" ({direction})" if direction else ""))
        if bool(goal.get("suppressed", False)):
            st.caption("Zu diesem Ziel gehören weniger als "
                       f"{data.min_cell_size()} Personen: Ist-Wert, Erwartung und Prognose werden zum Schutz "
                       "der Sozialdaten nicht gezeigt. Das Ziel selbst bleibt stehen.")
            return
        status = goal.get("status")
        if isinstance(status, str) and status in STATUS_DE:
            st.badge(STATUS_DE[status], color=STATUS_BADGE[status])
        else:
            st.caption("Für dieses Ziel lässt sich noch kein Status angeben.")
        c1, c2, c3 = st.columns(3)
        kind = meta["goal_kind"] if meta is not None and "goal_kind" in meta else None
        c1.metric(goal_actual_label(kind, as_of), format_value(goal["actual"], unit))
        c2.metric("Erwartet (saisonal)", format_value(goal["expected_seasonal"], unit))
        attainment = goal.get("attainment_pct")
        c3.metric("Erreichung", attainment_text(attainment, status),
                  help="100 % heißt: genau auf dem erwarteten Weg zum Jahresziel. „Ziel erreicht“: bei einem Ziel, "
                       "für das niedriger besser ist, liegt der Ist-Wert bei 0.")
        if backtest is not None:
            st.caption(backtest_sentence(backtest, goal, unit))
        st.plotly_chart(charts.goal_chart(goal, title=charts.two_line_title(
                                              label, "Ist, Erwartung und Prognose zum Jahresende"),
                                          unit=unit, kind=kind),
                        key=f"goal_{goal['team_id']}_{metric_id}", config={"displaylogo": False})


def backtest_sentence(backtest: pd.DataFrame, goal: pd.Series, unit: str | None) -> str:
    """How well the forecast method did in earlier years at the same point of the year, in one sentence."""
    position = pd.Timestamp(goal["as_of_month"]).month
    for team in (goal["team_id"], "*"):
        rows = backtest[(backtest["metric_id"] == goal["metric_id"]) & (backtest["team_id"] == team)
                        & (backtest["month_position"] == position)]
        if not rows.empty and not missing(rows["coverage_80_pct"].iloc[0]):
            row = rows.iloc[0]
            scope = "" if team != "*" else " (über alle Teams)"
            text = (f"In früheren Jahren lag das Jahresergebnis zu diesem Zeitpunkt in "
                    f"{format_number(row['coverage_80_pct'], 0)} % der Fälle im 80-%-Band{scope}")
            if not missing(row["mape"]):
                text += f"; die Prognose wich im Mittel um {format_number(row['mape'], 0)} % ab"
            return text + "."
    return "Für diese Prognose gibt es noch keine Rückrechnung aus früheren Jahren."


def backtest_table(frame: pd.DataFrame, catalog: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """The backtest rows as German text."""
    out = pd.DataFrame({
        "Kennzahl": frame["metric_id"].map(lambda m: catalog["label_de"].get(m, m) if m != "*" else "alle (*)"),
        "Team": frame["team_id"].map(lambda t: "alle (*)" if t == "*" else team_label(t, names)),
        "Prognose nach Monat": frame["month_position"].map(lambda p: "alle" if p == 0 else f"{p}"),
        "Prognosen": frame["n_forecasts"].map(format_number),
        "Jahre": frame["first_year"].astype(str) + "–" + frame["last_year"].astype(str),
    })
    for col in ("mape", "coverage_80_pct", "mean_width_pct", "fallback_pct"):
        if col in frame.columns:
            out[BACKTEST_COLUMNS[col]] = frame[col].map(lambda v: format_number(v, 1))
    return out


if __name__ == "__main__":  # run by st.navigation as a page script
    render()
