"""Pipeline (analysts): load history, rows per table, rejects, freshness, metric and rule catalogues."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import streamlit as st

from dashboard import data
from pipelines.report.formats import format_date, format_datetime, format_number

STATUS = {"success": "erfolgreich", "failed": "abgebrochen", "running": "läuft"}
ACTION = {"row_rejected": "Zeile abgewiesen", "value_blanked": "Wert leer gelassen"}
DIRECTION = {"higher_better": "höher ist besser", "lower_better": "niedriger ist besser", "neutral": "neutral"}
UNIT = {"percent": "Prozent", "count": "Anzahl", "per_100": "je 100 eLb"}


def _int(v: object) -> str:
    return format_number(v, 0)


def _line(v: object) -> str:
    """A line number as the file's editor shows it: no thousands separator ("11713", never "11.713")."""
    return "" if v is None or pd.isna(v) else str(int(v))


def _joined(columns: object) -> str:
    """Dropped columns, stored as a JSON list (text) or a list."""
    if isinstance(columns, str):
        try:
            columns = json.loads(columns)
        except ValueError:
            return columns
    return ", ".join(map(str, columns)) if columns is not None and len(columns) else "–"  # type: ignore[arg-type]


def render() -> None:
    key = data.current_key()
    st.title("Pipeline")
    runs = data.load_runs(key)
    ok = runs[runs["status"] == "success"]
    latest = ok.iloc[0] if not ok.empty else runs.iloc[0]
    as_of = latest["as_of"]
    finished = latest["finished_at"]
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Datenstand", format_date(as_of), border=True, help="Stichtag der Datenlieferung (as-of).")
    c2.metric("Zuletzt geladen", format_date(finished), border=True,
              help=f"Ende des Ladelaufs: {format_datetime(finished)}")
    age = (dt.date.today() - pd.Timestamp(as_of).date()).days if pd.notna(as_of) else None
    c3.metric("Alter des Datenstands", "–" if age is None else f"{format_number(age)} Tage", border=True,
              help="Tage seit dem Datenstand; so alt sind die jüngsten Daten, die das Dashboard zeigt.")
    c4.metric("Zeilen geladen / abgewiesen", f"{_int(latest['rows_loaded'])} / {_int(latest['rows_rejected'])}",
              border=True)

    rates = data.suppression_rate(key)
    st.caption(f"Schutz kleiner Fallzahlen (Mindestgröße {data.min_cell_size()}): ausgeblendet sind "
               f"{format_number(100 * rates.get('metric_values', 0.0), 1)} % der Kennzahl-Zellen der Teams und "
               f"{format_number(100 * rates.get('dq_results', 0.0), 1)} % ihrer Prüfergebnisse – klein oder sonst "
               "aus anderen Zahlen errechenbar (docs/datenschutz.md, Abschnitt 4).")

    st.subheader("Ladeläufe")
    history = pd.DataFrame({
        "Lauf": runs["run_id"].map(_int),
        "Beginn": runs["started_at"].map(format_datetime),
        "Status": runs["status"].map(lambda s: STATUS.get(s, s)),
        "Datenstand": runs["as_of"].map(format_date),
        "Quelle": runs["source_path"],
        "gelesen": runs["rows_read"].map(_int),
        "geladen": runs["rows_loaded"].map(_int),
        "abgewiesen": runs["rows_rejected"].map(_int),
        "Meldung": runs["message"].fillna(""),
    })
    st.dataframe(history, hide_index=True, width="stretch")

    run_ids = [int(r) for r in runs["run_id"]]
    run_id = st.selectbox("Ladelauf für die Details", run_ids, index=run_ids.index(int(latest["run_id"])),
                          format_func=lambda r: f"Lauf {r}", key="pipeline_run")
    st.subheader(f"Zeilen je Tabelle (Lauf {run_id})")
    tables = data.load_run_tables(key, run_id)
    st.dataframe(pd.DataFrame({
        "Tabelle": tables["table_name"],
        "Datei": tables["file_name"].fillna("–"),
        "Format": tables["format"].fillna("–"),
        "Kodierung": tables["encoding"].fillna("–"),
        "gelesen": tables["rows_read"].map(_int),
        "geladen": tables["rows_loaded"].map(_int),
        "abgewiesen": tables["rows_rejected"].map(_int),
        "Werte leer gelassen": tables["values_blanked"].map(_int),
        "verworfene Spalten": tables["dropped_columns"].map(_joined),
    }), hide_index=True, width="stretch")

    st.subheader(f"Abgewiesene Zeilen und leer gelassene Werte (Lauf {run_id})")
    rejects = data.load_rejects(key, run_id)
    if rejects.empty:
        st.write("Keine: jede Zeile wurde vollständig geladen.")
    else:
        total = data.rejects_count(key, run_id)
        if total > len(rejects):
            st.caption(f"Die ersten {_int(len(rejects))} von {_int(total)}; alle mit "
                       "`steering export rejects --out rejects.csv`.")
        st.dataframe(pd.DataFrame({
            "Tabelle": rejects["table_name"], "Datei": rejects["file_name"], "Zeile": rejects["line"].map(_line),
            "Spalte": rejects["column_name"].fillna("–"), "Rohwert": rejects["raw_value"].fillna(""),
            "Grund": rejects["reason"], "Folge": rejects["action"].map(lambda a: ACTION.get(a, a)),
        }), hide_index=True, width="stretch")

    _datenstand_changes(key)

    st.subheader("Kennzahlenkatalog")
    catalog = data.metric_catalog(key)
    st.dataframe(pd.DataFrame({
        "Kennzahl": catalog["metric_id"], "Bezeichnung": catalog["label_de"],
        "Einheit": catalog["unit"].map(lambda u: UNIT.get(u, u)),
        "Richtung": catalog["direction"].map(lambda d: DIRECTION.get(d, d)),
        "Steckbrief": catalog["definition_de"],
    }), hide_index=True, width="stretch")

    st.subheader("Regelkatalog Datenqualität")
    rules = data.dq_rules(key)
    st.dataframe(rules.rename(columns={"rule_id": "Regel", "dimension": "Dimension", "table_name": "Tabelle",
                                       "label_de": "Bezeichnung", "description_de": "Hinweis"}),
                 hide_index=True, width="stretch")


def _datenstand_changes(key: data.Key) -> None:
    """What changed between two Datenstände: late entries and corrections of past months."""
    st.subheader("Datenstände vergleichen")
    stands = data.archived_datenstaende(key)
    if len(stands) < 2:
        st.write("Im Archiv liegt erst ein Datenstand; ab dem nächsten Laden lassen sich zwei vergleichen.")
        return
    labels = {s: dt.date.fromisoformat(s).strftime("%d.%m.%Y") for s in stands}
    left, right = st.columns(2)
    old = left.selectbox("Früherer Datenstand", stands[:-1], index=len(stands) - 2, format_func=labels.get)
    newer = [s for s in stands if s > old]
    new = right.selectbox("Späterer Datenstand", newer, index=len(newer) - 1, format_func=labels.get)
    changes = data.datenstand_changes(key, old, new)
    catalog = data.metric_catalog(key).set_index("metric_id")["label_de"]
    st.caption(f"{_int(len(changes))} Werte haben sich zwischen dem {labels[old]} und dem {labels[new]} geändert "
               "(Nachträge und Korrekturen vergangener Monate). Neu hinzugekommene Monate zählen nicht als Änderung.")
    if not changes.empty:
        st.dataframe(pd.DataFrame({
            "Kennzahl": changes["metric_id"].map(lambda m: catalog.get(m, m)), "Team": changes["team_id"],
            "Monat": pd.to_datetime(changes["month"]).dt.strftime("%m.%Y"),
            "vorher": changes["value_old"].map(format_number), "nachher": changes["value_new"].map(format_number),
        }), hide_index=True, width="stretch")


if __name__ == "__main__":  # run by st.navigation as a page script
    render()
