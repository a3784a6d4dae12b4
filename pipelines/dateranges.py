"""Plausible date ranges: a date outside its column's range is blanked and listed in ``load_rejects``.

Why: one ``spell_start`` of 01.01.0001 made the calendar span two thousand years (4.5 GB, then an internal
error), one ``recorded_at`` of 31.12.9999 became the Datenstand. A value outside the range is as unreadable as
"kein Datum": left empty, row kept, listed with its reason (a date in a key column rejects its row, as an
empty key does). The ranges are settings (``load.date_ranges``), one entry per column or ``*`` for the rest::

    "*=1990-01-01..as_of+1y"                   events, spells, assignments, entry times
    "persons.birth_date=1900-01-01..as_of"     birth dates

A bound is an ISO date or ``as_of`` with an optional ``+``/``-`` and a number of ``y``, ``m`` or ``d``.
The derived Datenstand (the latest ``recorded_at``) ignores entry times after the day of the load and
before their column's earliest fixed bound, so no single value can move it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import duckdb

from pipelines.contract import Table
from pipelines.rejects import TableReport, q

BOUND = re.compile(r"^\s*(?:(?P<date>\d{4}-\d{2}-\d{2})"
                   r"|as_of\s*(?:(?P<sign>[+-])\s*(?P<n>\d{1,4})\s*(?P<unit>[ymd]))?)\s*$")
ENTRY = re.compile(r"^\s*(?P<column>\*|[a-z_]+\.[a-z_]+)\s*=\s*(?P<low>[^.]+?)\s*\.\.\s*(?P<high>.+?)\s*$")


class DateRangeError(ValueError):
    """A ``load.date_ranges`` entry that cannot be read (worded in German: an analyst edits the file)."""


@dataclass(frozen=True)
class Bound:
    fixed: dt.date | None = None  # an ISO date, or
    months: int = 0  # as_of shifted by months and days
    days: int = 0

    def at(self, as_of: dt.date) -> dt.date:
        if self.fixed is not None:
            return self.fixed
        month = as_of.month - 1 + self.months
        year, month = as_of.year + month // 12, month % 12 + 1
        last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
        return dt.date(year, month, min(as_of.day, last)) + dt.timedelta(days=self.days)


def parse_bound(text: str, entry: str) -> Bound:
    match = BOUND.match(text)
    if not match:
        raise DateRangeError(f"load.date_ranges: '{entry}': die Grenze '{text}' ist weder ein Datum JJJJ-MM-TT "
                             "noch as_of (mit z. B. +1y, -6m, +30d)")
    if match["date"]:
        try:
            return Bound(fixed=dt.date.fromisoformat(match["date"]))
        except ValueError:
            raise DateRangeError(f"load.date_ranges: '{entry}': '{text}' ist kein Kalenderdatum") from None
    n = int(match["n"] or 0) * (-1 if match["sign"] == "-" else 1)
    unit = match["unit"]
    return Bound(months=n * 12 if unit == "y" else n if unit == "m" else 0, days=n if unit == "d" else 0)


@dataclass(frozen=True)
class DateRanges:
    """The plausible range of every date column: ``table.column`` entries first, then ``*``."""

    entries: dict[str, tuple[Bound, Bound]]

    @classmethod
    def parse(cls, lines: list[str]) -> DateRanges:
        entries: dict[str, tuple[Bound, Bound]] = {}
        for line in lines:
            match = ENTRY.match(line)
            if not match:
                raise DateRangeError(f"load.date_ranges: '{line}' hat nicht die Form "
                                     "'tabelle.spalte=VON..BIS' oder '*=VON..BIS'")
            entries[match["column"]] = (parse_bound(match["low"], line), parse_bound(match["high"], line))
        if "*" not in entries:
            raise DateRangeError("load.date_ranges: ein Eintrag '*=VON..BIS' für alle übrigen Datumsspalten fehlt")
        return cls(entries)

    def of(self, table: str, column: str) -> tuple[Bound, Bound]:
        return self.entries.get(f"{table}.{column}", self.entries["*"])


def _german_date(day: dt.date) -> str:
    """TT.MM.JJJJ, with four digits also before the year 1000 (strftime's %Y does not pad them)."""
    return f"{day.day:02d}.{day.month:02d}.{day.year:04d}"


def _date_columns(table: Table) -> list[str]:
    return [c.name for c in table.columns if c.type in ("date", "datetime")]


def derive_as_of(con: duckdb.DuckDBPyConnection, contract: dict[str, Table], ranges: DateRanges,
                 today: dt.date) -> dt.datetime | None:
    """The latest plausible ``recorded_at``: not after the day of the load, not before the column's fixed
    earliest bound (a bound relative to the as-of cannot apply to the as-of itself)."""
    parts = []
    for t in contract.values():
        if "recorded_at" not in t.column_names:
            continue
        low = ranges.of(t.name, "recorded_at")[0].fixed or dt.date.min
        parts.append(f"SELECT max(recorded_at) AS m FROM staging.{q(t.name)} WHERE recorded_at < "
                     f"DATE '{today + dt.timedelta(days=1)}' AND recorded_at >= DATE '{low}'")
    return con.execute(f"SELECT max(m) FROM ({' UNION ALL '.join(parts)})").fetchall()[0][0] if parts else None


def blank_implausible(con: duckdb.DuckDBPyConnection, run_id: int, tables: list[Table],
                      reports: dict[str, TableReport], ranges: DateRanges, as_of: dt.date) -> None:
    """Blank (or, in a key, reject the row of) every date outside its range; the reports count them.

    Runs after the readable-or-not check and before the raw text is dropped, so the listed value is the one
    in the file.
    """
    for table in tables:
        report = reports[table.name]
        t = q(table.name)
        key_raw = " || '|' || ".join(f"coalesce(clean(r.{q(k)}), '')" for k in table.key)
        for column in _date_columns(table):
            low, high = (b.at(as_of) for b in ranges.of(table.name, column))
            c = q(column)
            outside = f"(CAST({c} AS DATE) < DATE '{low}' OR CAST({c} AS DATE) > DATE '{high}')"
            in_key = column in table.key
            action, consequence = ("row_rejected", "Zeile nicht geladen") if in_key else \
                ("value_blanked", "Wert leer gelassen, Zeile behalten")
            reason = (f"Datum außerhalb des plausiblen Bereichs {_german_date(low)} bis {_german_date(high)} "
                      f"(Einstellung load.date_ranges); {consequence}")
            n = con.execute(
                f"INSERT INTO load_rejects SELECT ?, ?, ?, s._line, ?, r.{c}, ?, {key_raw}, ? "
                f"FROM staging.{t} s JOIN raw.{t} r USING (_line) WHERE {outside.replace(c, 's.' + c)}",
                [run_id, table.name, report.file, column, reason, action]).fetchall()[0][0]
            if not n:
                continue
            if in_key:
                con.execute(f"DELETE FROM staging.{t} WHERE {outside}")
                report.rows_loaded -= n
                report.rows_rejected += n
            else:
                con.execute(f"UPDATE staging.{t} SET {c} = NULL WHERE {outside}")
                report.values_blanked += n
