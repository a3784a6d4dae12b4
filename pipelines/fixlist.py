"""The fix list (Korrekturliste) of one team: the records it can open and correct.

Which findings are "open" (decided in docs/data-quality-decisions.md):

* master-data rules (``population: stock``): the findings of the latest complete
  month -- the persons in stock at its end whose data still breaks the rule;
* event rules (``population: events``): the findings of the last three complete
  months (the latest and the two before), so a defect in an event of the
  previous months stays on the list until it is corrected.

Every finding in the database is computed from the current snapshot, so it is
still present in the data; the window only keeps the list to what a team can
work through. Each finding is attributed to the team of ``dq_findings`` (the
team on d(M) or on the event date), the same team that sees it in the
``dq_results`` counts, so list and heat map agree. ``__all__`` gives the
findings of every team.

Beside each finding the list shows the value of the field(s) the rule reads
(``fields:`` in the rule file's header): the raw text from ``load_rejects``
where the loader had to blank an unreadable value, otherwise the stored value.

Written as CSV (UTF-8, comma, ISO dates, like every export) or as an Excel
workbook with German headers: an overview sheet and one sheet per rule with
findings. Cells a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from pipelines.contract import load_contract
from pipelines.errors import LoadError
from pipelines.sqlmodels import SQL_DIR, discover

EVENT_MONTHS = 3  # event rules: findings of the latest complete month and the two before
ALL_TEAMS = "__all__"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

COLUMNS = {  # frame column -> German header
    "rule_id": "Regel",
    "label_de": "Bezeichnung",
    "description_de": "Hinweis",
    "team_id": "Team",
    "table_name": "Tabelle",
    "record_id": "Datensatz-ID",
    "person_id": "Personen-ID",
    "month": "Monat",
    "raw_value": "Rohwert",
    "reason": "Grund",
}
TABLE_LABELS = {
    "persons": "Personen",
    "benefit_spells": "Leistungszeiträume",
    "assignments": "Teamzuordnungen",
    "contacts": "Kontakte",
    "cooperation_plans": "Kooperationspläne",
    "measures": "Maßnahmen",
    "integrations": "Integrationen",
}
FIELD_LABELS = {
    "birth_date": "Geburtsdatum",
    "sex": "Geschlecht",
    "highest_qualification": "Höchster Abschluss",
    "start_date": "Beginn",
    "end_date": "Ende",
    "integration_date": "Integrationsdatum",
    "contact_date": "Kontaktdatum",
    "contact_type": "Kontaktart",
    "recorded_at": "Erfasst am",
    "plan_date": "Plandatum",
    "next_review_date": "Nächste Überprüfung",
    "person_id": "Personen-ID",
}
TYPE_LABELS = {
    "date": "Datum TT.MM.JJJJ oder JJJJ-MM-TT",
    "datetime": "Datum und Uhrzeit TT.MM.JJJJ HH:MM",
    "bool": "ja/nein",
    "int": "ganze Zahl",
    "float": "Zahl",
}


@dataclass(frozen=True)
class RuleInfo:
    rule_id: str
    population: str
    fields: tuple[str, ...]
    tables: tuple[str, ...]  # the tables its findings point into


def rule_infos(sql_dir: Path = SQL_DIR) -> list[RuleInfo]:
    """Population, shown fields and finding tables of every rule, read from the rule files' headers."""
    infos = []
    for m in discover(sql_dir, layers=("rules",)):
        stock = m.meta["population"] == "stock"
        tables = ("persons",) if stock else tuple(t.strip() for t in str(m.meta["table_name"]).split(","))
        infos.append(RuleInfo(m.meta["rule_id"], m.meta["population"], tuple(m.meta.get("fields") or ()), tables))
    return infos


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = ?"
                            " AND table_name = ?", [schema, table]).fetchone()[0])


def _check_team(con: duckdb.DuckDBPyConnection, team_id: str) -> None:
    teams = [r[0] for r in con.execute("SELECT team_id FROM core.team_list ORDER BY team_id").fetchall()]
    if team_id not in teams:
        raise LoadError("--team", f"unknown team {team_id!r}", expected="one of " + ", ".join(teams))


def _values_sql(con: duckdb.DuckDBPyConnection, rules: list[RuleInfo]) -> str | None:
    """A query of the stored value of every (table, record, field) a rule shows.

    Identifiers come from the data contract and are checked against it, never from user input.
    """
    contract = load_contract()
    wanted: dict[str, set[str]] = {}
    for rule in rules:
        for name in rule.tables:
            table = contract.get(name)
            if table is not None and len(table.key) == 1 and set(rule.fields) & set(table.column_names):
                wanted.setdefault(name, set()).update(set(rule.fields) & set(table.column_names))
    parts = []
    for name, fields in sorted(wanted.items()):
        if not _has_table(con, "staging", name):
            continue
        table = contract[name]
        key = table.key[0]
        for field in sorted(fields):
            if table.column(field).type == "datetime":
                value = f"strftime(\"{field}\", '%Y-%m-%d %H:%M:%S')"
            else:
                value = f"CAST(\"{field}\" AS VARCHAR)"
            parts.append(f"SELECT '{name}' AS table_name, CAST(\"{key}\" AS VARCHAR) AS record_id,"
                         f" '{field}' AS column_name, {value} AS value FROM staging.\"{name}\"")
    return " UNION ALL ".join(parts) or None


def fixlist_frame(con: duckdb.DuckDBPyConnection, team_id: str, sql_dir: Path = SQL_DIR) -> pd.DataFrame:
    """The open findings of a team (or ``__all__``), one row per finding, canonical column names."""
    _check_team(con, team_id)
    rules = rule_infos(sql_dir)
    contract = load_contract()
    rule_fields = [(r.rule_id, f, i) for r in rules for i, f in enumerate(r.fields)]
    field_types = [(t.name, c.name, c.type) for t in contract.values() for c in t.columns]
    values_sql = _values_sql(con, rules) or (
        "SELECT NULL::VARCHAR AS table_name, NULL::VARCHAR AS record_id, NULL::VARCHAR AS column_name,"
        " NULL::VARCHAR AS value WHERE false")
    rejects_sql = (
        "SELECT table_name, record_id, column_name, raw_value FROM load_rejects"
        " WHERE action = 'value_blanked' AND run_id = (SELECT max(run_id) FROM load_rejects)"
        if _has_table(con, "main", "load_rejects") else
        "SELECT NULL::VARCHAR AS table_name, NULL::VARCHAR AS record_id, NULL::VARCHAR AS column_name,"
        " NULL::VARCHAR AS raw_value WHERE false")
    query = f"""
        WITH last AS (SELECT max(month) AS last_month FROM core.calendar),
        rules AS (
            SELECT unnest(?::VARCHAR[]) AS rule_id, unnest(?::VARCHAR[]) AS population
        ),
        rule_fields AS (
            SELECT unnest(?::VARCHAR[]) AS rule_id, unnest(?::VARCHAR[]) AS column_name,
                   unnest(?::INTEGER[]) AS position
        ),
        field_types AS (
            SELECT unnest(?::VARCHAR[]) AS table_name, unnest(?::VARCHAR[]) AS column_name,
                   unnest(?::VARCHAR[]) AS type_label, unnest(?::VARCHAR[]) AS field_label
        ),
        open AS (
            SELECT f.*
            FROM dq_findings f
            JOIN rules r ON r.rule_id = f.rule_id
            CROSS JOIN last l
            WHERE (? = '{ALL_TEAMS}' OR f.team_id = ?)
              AND ((r.population = 'stock' AND f.month = l.last_month)
                   OR (r.population <> 'stock'
                       AND f.month > l.last_month - to_months({EVENT_MONTHS})))
        ),
        stored AS ({values_sql}),
        rejected AS ({rejects_sql}),
        shown AS (
            SELECT o.rule_id, o.table_name, o.record_id, o.month, rf.position,
                   rf.column_name, ft.field_label, ft.type_label,
                   coalesce(x.raw_value, s.value) AS value,
                   x.raw_value IS NOT NULL AS blanked
            FROM open o
            JOIN rule_fields rf ON rf.rule_id = o.rule_id
            LEFT JOIN field_types ft ON ft.table_name = o.table_name AND ft.column_name = rf.column_name
            LEFT JOIN rejected x ON x.table_name = o.table_name AND x.record_id = o.record_id
                                AND x.column_name = rf.column_name
            LEFT JOIN stored s ON s.table_name = o.table_name AND s.record_id = o.record_id
                              AND s.column_name = rf.column_name
            WHERE ft.table_name IS NOT NULL
        ),
        per_finding AS (
            SELECT rule_id, table_name, record_id, month,
                   CASE WHEN count(*) = 1 THEN max(value)
                        ELSE string_agg(field_label || ': ' || value, '; ' ORDER BY position)
                   END AS raw_value,
                   string_agg(field_label || ' im Export nicht lesbar (erwartet: ' || coalesce(type_label, '?')
                              || '), beim Laden leer gelassen', '; ' ORDER BY position)
                       FILTER (WHERE blanked) AS reason
            FROM shown
            WHERE value IS NOT NULL
            GROUP BY rule_id, table_name, record_id, month
        ),
        final AS (
            SELECT o.rule_id, d.label_de, d.description_de, o.team_id, o.table_name, o.record_id,
                   o.person_id, o.month, p.raw_value, p.reason
            FROM open o
            JOIN dq_rules d ON d.rule_id = o.rule_id
            LEFT JOIN per_finding p ON p.rule_id = o.rule_id AND p.table_name = o.table_name
                                   AND p.record_id = o.record_id AND p.month = o.month
        )
        SELECT * FROM final ORDER BY rule_id, month DESC, team_id, table_name, record_id
    """
    params = [
        [r.rule_id for r in rules], [r.population for r in rules],
        [rf[0] for rf in rule_fields], [rf[1] for rf in rule_fields], [rf[2] for rf in rule_fields],
        [ft[0] for ft in field_types], [ft[1] for ft in field_types],
        [TYPE_LABELS.get(ft[2], "") for ft in field_types], [FIELD_LABELS.get(ft[1], ft[1]) for ft in field_types],
        team_id, team_id,
    ]
    frame = con.execute(query, params).df()
    frame["month"] = pd.to_datetime(frame["month"]).dt.date
    return frame[list(COLUMNS)]


def neutralise(value: object) -> object:
    """Text a spreadsheet would run as a formula gets a leading apostrophe (CSV)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _german(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["table_name"] = out["table_name"].map(lambda t: TABLE_LABELS.get(t, t))
    return out.rename(columns=COLUMNS)


def write_csv(frame: pd.DataFrame, out: Path) -> None:
    german = _german(frame)
    german["Monat"] = german["Monat"].map(lambda d: d.isoformat() if isinstance(d, dt.date) else "")
    german = german.map(neutralise)
    german.to_csv(out, index=False, encoding="utf-8", lineterminator="\n")


def _put(ws: Worksheet, row: int, col: int, value: object) -> None:
    """Write one cell; text is always text (never a formula), dates as dates."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return
    cell = ws.cell(row=row, column=col)
    if isinstance(value, dt.date):
        cell.value = value
        cell.number_format = "MM.YYYY"
        return
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith(FORMULA_START):
            cell.quotePrefix = True


def _table(ws: Worksheet, top: int, headers: list[str], rows: list[list[object]], widths: dict[str, int]) -> None:
    for j, header in enumerate(headers, start=1):
        _put(ws, top, j, header)
        ws.cell(row=top, column=j).font = Font(bold=True)
        ws.column_dimensions[ws.cell(row=top, column=j).column_letter].width = widths.get(header, 16)
    for i, values in enumerate(rows, start=top + 1):
        for j, value in enumerate(values, start=1):
            _put(ws, i, j, value)
            if headers[j - 1] == "Hinweis":
                ws.cell(row=i, column=j).alignment = Alignment(wrap_text=True, vertical="top")


WIDTHS = {"Regel": 8, "Bezeichnung": 36, "Hinweis": 70, "Tabelle": 18, "Datensatz-ID": 16, "Personen-ID": 14,
          "Monat": 10, "Rohwert": 28, "Grund": 50, "Team": 16, "Anzahl": 10}


def write_xlsx(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, team_id: str, out: Path) -> None:
    german = _german(frame)
    headers = list(german.columns)
    wb = Workbook()
    ws = wb.active
    ws.title = "Übersicht"
    last_month = con.execute("SELECT max(month) FROM core.calendar").fetchone()[0]
    as_of = con.execute("SELECT max(as_of) FROM core.params").fetchone()[0]
    who = "alle Teams" if team_id == ALL_TEAMS else f"Team {team_id}"
    _put(ws, 1, 1, f"Korrekturliste Datenqualität – {who}")
    ws.cell(row=1, column=1).font = Font(bold=True, size=14)
    if last_month:
        first = (pd.Timestamp(last_month) - pd.DateOffset(months=EVENT_MONTHS - 1)).date()
        _put(ws, 2, 1, f"Datenstand {as_of:%d.%m.%Y}. Stammdaten: Personen im Bestand am Ende von "
                       f"{last_month:%m.%Y}; Ereignisse (Kontakte, Maßnahmen, Integrationen, Kooperationspläne) "
                       f"von {first:%m.%Y} bis {last_month:%m.%Y}.")
    _put(ws, 3, 1, "Jede Zeile auf den Regel-Blättern ist ein Datensatz, der sich in der Fachanwendung prüfen "
                   "und berichtigen lässt. Die Spalte „Hinweis“ sagt, worauf es ankommt. Vielen Dank fürs "
                   "Mitwirken – jede Korrektur macht die Kennzahlen des Teams verlässlicher.")
    rules = con.execute("SELECT rule_id, label_de, description_de FROM dq_rules ORDER BY rule_id").fetchall()
    counts = german.groupby("Regel").size().to_dict()
    _table(ws, 5, ["Regel", "Bezeichnung", "Anzahl", "Hinweis"],
           [[r[0], r[1], int(counts.get(r[0], 0)), r[2]] for r in rules], WIDTHS)
    for rule_id, _label, _hint in rules:
        part = german[german["Regel"] == rule_id]
        if part.empty:
            continue
        sheet = wb.create_sheet(rule_id)
        _table(sheet, 1, headers, part.astype(object).where(part.notna(), None).values.tolist(), WIDTHS)
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = sheet.dimensions
    wb.save(out)


def write_fixlist(con: duckdb.DuckDBPyConnection, team_id: str, out: Path) -> int:
    """Write the fix list of one team as ``.csv`` or ``.xlsx``; returns the number of findings."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in {".csv", ".xlsx"}:
        raise LoadError(str(out), "unsupported format for the fix list", expected="a .csv or .xlsx file")
    frame = fixlist_frame(con, team_id)
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        write_csv(frame, out)
    else:
        write_xlsx(con, frame, team_id, out)
    return len(frame)
