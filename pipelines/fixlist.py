"""The fix list (Korrekturliste) of one team: the records it can open and correct.

The list itself is built at load time for every team, as the SQL model
``sql/marts/fix_list.sql`` (table ``fix_list``); ``pipelines.publish`` reads one
team's rows for whoever may see them, and this module writes them. Which findings
are "open" (decided in docs/data-quality-decisions.md):

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
(``fields:`` in the rule file's header, ``dq_rules.fields``): the raw text from
``load_rejects`` where the loader had to blank an unreadable value, otherwise the
stored value; field and type names in German come from the data contract.

Written as CSV (UTF-8, comma, ISO dates, like every export) or as an Excel
workbook with German headers: an overview sheet and one sheet per rule with
findings. Cells a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from pipelines.errors import LoadError
from pipelines.report.formats import MONTHS_DE
from pipelines.spreadsheet import FORMULA_CHARS, neutralise_value

EVENT_MONTHS = 3  # the event rules' window in sql/marts/fix_list.sql, for the Excel overview's sentence
ALL_TEAMS = "__all__"

COLUMNS = {  # frame column (= column of the fix_list table) -> German header
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


def _german(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["table_name"] = out["table_name"].map(lambda t: TABLE_LABELS.get(t, t))
    return out.rename(columns=COLUMNS)


def write_csv(frame: pd.DataFrame, out: Path) -> None:
    german = _german(frame)
    german["Monat"] = german["Monat"].map(lambda d: d.isoformat() if isinstance(d, dt.date) else "")
    german = german.map(neutralise_value)
    # CRLF as RFC 4180 has it: a value with a carriage return or a line feed is then quoted (with a bare LF as
    # line end, a carriage return inside a value stayed unquoted and started a new record in Excel)
    german.to_csv(out, index=False, encoding="utf-8", lineterminator="\r\n")


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
        if value.startswith(tuple(FORMULA_CHARS)):  # a cell of its own: only its start can make a formula
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
          "Monat": 10, "Rohwert": 28, "Grund": 50, "Team": 16, "Anzahl": 10, "erledigt": 10, "Kommentar": 40}


ISO_MOMENT = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2})(?::\d{2})?)?\b")
WORK_COLUMNS = ["erledigt", "Kommentar"]  # for the team to tick off what it corrected


def german_moments(text: object) -> object:
    """Stored ISO dates and times in German ("2026-08-24 08:20:00" -> "24.08.2026 08:20"); seconds of an
    entry time say nothing to a team."""
    if not isinstance(text, str):
        return text
    return ISO_MOMENT.sub(lambda m: f"{m[3]}.{m[2]}.{m[1]}" + (f" {m[4]}:{m[5]}" if m[4] else ""), text)


def _month_de(month: dt.date) -> str:
    return f"{MONTHS_DE[month.month - 1]} {month.year}"


def _sheet_rows(part: pd.DataFrame) -> list[list[object]]:
    """A rule's findings for the workbook: stored values in German; a raw text the loader could not read (a
    row with a "Grund") stays exactly as the export had it, so the team finds it in the source."""
    rows = part.astype(object).where(part.notna(), None)
    stored = rows["Grund"].isna()
    rows.loc[stored, "Rohwert"] = rows.loc[stored, "Rohwert"].map(german_moments)
    return [[*r, None, None] for r in rows.values.tolist()]


def write_xlsx(frame: pd.DataFrame, rules: list[tuple[str, str, str]], team_id: str, last_month: dt.date | None,
               as_of: dt.date | None, out: Path, team_name: str | None = None) -> None:
    """The workbook: an overview sheet (every rule with its count and hint), one sheet per rule with findings
    and two columns for the team's own work ("erledigt" with a choice list, "Kommentar")."""
    german = _german(frame)
    headers = [*german.columns, *WORK_COLUMNS]
    wb = Workbook()
    ws = wb.active
    ws.title = "Übersicht"
    who = "alle Teams" if team_id == ALL_TEAMS else f"Team {team_name} ({team_id})" if team_name else \
        f"Team {team_id}"
    stand = f" – Datenstand {as_of:%d.%m.%Y}" if as_of else ""
    _put(ws, 1, 1, f"Korrekturliste Datenqualität – {who}{stand}")
    ws.cell(row=1, column=1).font = Font(bold=True, size=14)
    if last_month:
        first = (pd.Timestamp(last_month) - pd.DateOffset(months=EVENT_MONTHS - 1)).date()
        month_end = (pd.Timestamp(last_month) + pd.offsets.MonthEnd(0)).date()
        span = (f"{MONTHS_DE[first.month - 1]} bis {_month_de(last_month)}" if first.year == last_month.year
                else f"{_month_de(first)} bis {_month_de(last_month)}")
        _put(ws, 2, 1, f"Stammdaten: Personen im Bestand am {month_end:%d.%m.%Y} (Ende {_month_de(last_month)}); "
                       f"Ereignisse (Kontakte, Maßnahmen, Integrationen, Kooperationspläne) von {span}.")
    _put(ws, 3, 1, "Jede Zeile auf den Regel-Blättern ist ein Datensatz, der sich in der Fachanwendung prüfen "
                   "und berichtigen lässt. Die Spalte „Hinweis“ sagt, worauf es ankommt; in „erledigt“ und "
                   "„Kommentar“ kann das Team festhalten, was es berichtigt hat (bitte keine Namen oder "
                   "Angaben zu Personen eintragen). Vielen Dank fürs Mitwirken – jede Korrektur macht die "
                   "Kennzahlen des Teams verlässlicher.")
    counts = german.groupby("Regel").size().to_dict()
    _table(ws, 5, ["Regel", "Bezeichnung", "Anzahl", "Hinweis"],
           [[r[0], r[1], int(counts.get(r[0], 0)), r[2]] for r in rules], WIDTHS)
    for rule_id, _label, _hint in rules:
        part = german[german["Regel"] == rule_id]
        if part.empty:
            continue
        sheet = wb.create_sheet(rule_id)
        _table(sheet, 1, headers, _sheet_rows(part), WIDTHS)
        done = sheet.cell(row=1, column=headers.index("erledigt") + 1).column_letter
        choice = DataValidation(type="list", formula1='"ja,nein"', allow_blank=True)
        choice.add(f"{done}2:{done}{len(part) + 1}")
        sheet.add_data_validation(choice)
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = sheet.dimensions
    wb.save(out)


def write_fixlist(frame: pd.DataFrame, rules: list[tuple[str, str, str]], team_id: str, last_month: dt.date | None,
                  as_of: dt.date | None, out: Path, team_name: str | None = None) -> int:
    """Write a fix list (from ``publish.Snapshot.fix_list``) as ``.csv`` or ``.xlsx``; returns the findings."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in {".csv", ".xlsx"}:
        raise LoadError(str(out), "dieses Format wird für die Korrekturliste nicht unterstützt",
                        expected="eine .csv- oder .xlsx-Datei")
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        write_csv(frame, out)
    else:
        write_xlsx(frame, rules, team_id, last_month, as_of, out, team_name)
    return len(frame)
