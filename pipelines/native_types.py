"""Typed sources (Parquet): which column types convert to the contract's types without loss, and how.

The raw layer holds text, as a CSV export would have written it, so one set of parsing macros types every
format. A typed column is turned into that text only where the conversion loses nothing a metric needs:

- a date column takes DATE, TIMESTAMP (its date) and TIMESTAMP WITH TIME ZONE (its date in the job center's
  time zone, setting ``load.time_zone``);
- a datetime column takes TIMESTAMP, TIMESTAMP WITH TIME ZONE (local time) and DATE;
- an id or text column takes integers and integral floats or decimals (``1000001.0`` -> ``1000001``, so ids
  match the other tables'), besides text;
- numbers take numbers, yes/no takes BOOLEAN or integers; text is always accepted and parsed as in a CSV.

Anything else (int64 "dates", a float id with a fraction, lists, binary) stops the load naming the column and
its type: guessing would give a column of blanks or ids that match nothing.
"""

from __future__ import annotations

import re

from pipelines.errors import LoadError

INTEGER = re.compile(r"^(U?TINYINT|U?SMALLINT|U?INTEGER|U?BIGINT|U?HUGEINT)$")
FLOAT = re.compile(r"^(FLOAT|DOUBLE|REAL|DECIMAL\(\d+,\d+\))$")
TIMESTAMP = re.compile(r"^TIMESTAMP(_S|_MS|_NS)?$")
TIMESTAMP_TZ = "TIMESTAMP WITH TIME ZONE"
TEXT = ("VARCHAR", "UUID")

WANTED = {
    "date": "eine Spalte vom Typ DATE, TIMESTAMP oder Text",
    "datetime": "eine Spalte vom Typ TIMESTAMP, DATE oder Text",
    "str": "eine Spalte mit Text, ganzen Zahlen oder Zahlen ohne Nachkommastellen",
    "int": "eine Spalte mit ganzen Zahlen oder Text",
    "float": "eine Spalte mit Zahlen oder Text",
    "bool": "eine Spalte vom Typ BOOLEAN, mit ganzen Zahlen oder Text",
}


def integral_text(x: str) -> str:
    """A whole float as integer text; a fraction keeps a decimal comma, so it is unreadable as an integer (the
    integer macro takes '.' for a thousands separator)."""
    return (f"CASE WHEN {x} = trunc({x}) AND abs({x}) < 9e15 THEN CAST(CAST({x} AS BIGINT) AS VARCHAR)"
            f" ELSE replace(CAST({x} AS VARCHAR), '.', ',') END")


def as_text(x: str, source_type: str, contract_type: str, time_zone: str) -> str | None:
    """SQL that turns column ``x`` of ``source_type`` into the text of ``contract_type``; None if it cannot."""
    if source_type in TEXT:
        return f"CAST({x} AS VARCHAR)"
    local = f"timezone('{time_zone}', {x})"
    if contract_type == "date":
        if source_type == "DATE" or TIMESTAMP.match(source_type):
            return f"CAST(CAST({x} AS DATE) AS VARCHAR)"
        if source_type == TIMESTAMP_TZ:
            return f"CAST(CAST({local} AS DATE) AS VARCHAR)"
    elif contract_type == "datetime":
        if source_type == "DATE" or TIMESTAMP.match(source_type):
            return f"CAST(CAST({x} AS TIMESTAMP) AS VARCHAR)"
        if source_type == TIMESTAMP_TZ:
            return f"CAST({local} AS VARCHAR)"
    elif contract_type in ("str", "int"):
        if INTEGER.match(source_type):
            return f"CAST({x} AS VARCHAR)"
        if FLOAT.match(source_type):
            return integral_text(x)
    elif contract_type == "float":
        if INTEGER.match(source_type) or FLOAT.match(source_type):
            return f"CAST({x} AS VARCHAR)"
    elif contract_type == "bool":
        if source_type == "BOOLEAN" or INTEGER.match(source_type):
            return f"CAST({x} AS VARCHAR)"
    return None


def text_select(file: str, columns: list[tuple[str, str, str | None, str]], time_zone: str) -> list[str]:
    """One select expression per source column ``(header, source type, contract type or None, alias)``.

    A column the contract does not know is dropped later; it is selected as NULL, so its type never matters.
    """
    exprs = []
    for header, source_type, contract_type, alias in columns:
        x = '"' + header.replace('"', '""') + '"'
        if contract_type is None:
            exprs.append(f"NULL AS {alias}")
            continue
        sql = as_text(x, source_type, contract_type, time_zone)
        if sql is None:
            raise LoadError(file, f"die Spalte hat den Typ {source_type}, der sich nicht verlustfrei in "
                            f"{contract_type} umwandeln lässt", column=header, expected=WANTED[contract_type])
        exprs.append(f"{sql} AS {alias}")
    return exprs
