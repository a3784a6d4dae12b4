"""Rejects: values the loader blanked, rows with an empty or duplicate key, dropped columns.

Every input row is loaded or rejected with a reason, and every load checks
``rows read = rows loaded + rows rejected`` per table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from pipelines.contract import TYPE_EXPECTATION, TYPE_MISMATCH, Table
from pipelines.errors import LoadError, german_count
from pipelines.readers import SourceFile


@dataclass
class TableReport:
    table: str
    file: str | None
    format: str | None
    encoding: str | None
    delimiter: str | None
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    values_blanked: int
    dropped_columns: list[str] = field(default_factory=list)


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def reject_and_count(con: duckdb.DuckDBPyConnection, run_id: int, table: Table,
                      src: SourceFile | None) -> TableReport:
    """Record blanked values, reject rows with an empty or duplicate key, and count."""
    t = q(table.name)
    file_name = src.path.name if src else None
    key_raw = " || '|' || ".join(f"coalesce(clean(r.{q(k)}), '')" for k in table.key)
    for col in table.columns:
        if col.type == "str":
            continue
        c = q(col.name)
        con.execute(
            f"INSERT INTO load_rejects SELECT ?, ?, ?, r._line, ?, r.{c}, ?, {key_raw}, 'value_blanked'"
            f" FROM raw.{t} r JOIN staging.{t} s USING (_line) WHERE clean(r.{c}) IS NOT NULL AND s.{c} IS NULL",
            [run_id, table.name, file_name, col.name,
             f"{TYPE_MISMATCH[col.type]}; Wert leer gelassen, Zeile behalten"])
    blanked = con.execute("SELECT count(*) FROM load_rejects WHERE run_id = ? AND table_name = ?"
                          " AND action = 'value_blanked'", [run_id, table.name]).fetchall()[0][0]
    key_typed = ", ".join(f"s.{q(k)}" for k in table.key)
    any_null = " OR ".join(f"s.{q(k)} IS NULL" for k in table.key)
    key_text = " || '|' || ".join(f"coalesce(CAST(s.{q(k)} AS VARCHAR), '')" for k in table.key)
    key_names = ", ".join(table.key)
    con.execute(
        f"""
        INSERT INTO load_rejects
        WITH ranked AS (
            SELECT s._line, {key_raw} AS record_id, ({any_null}) AS key_missing, {key_text} AS key_text,
                   row_number() OVER (PARTITION BY {key_typed} ORDER BY s._line) AS nth,
                   min(s._line) OVER (PARTITION BY {key_typed}) AS first_line
            FROM staging.{t} s JOIN raw.{t} r USING (_line)
        )
        SELECT ?, ?, ?, _line, ?, record_id,
               CASE WHEN key_missing THEN 'der Schlüssel (' || ? || ') ist leer oder nicht lesbar; Zeile nicht geladen'
                    ELSE 'doppelter Schlüssel ' || key_text || ', das erste Vorkommen in Zeile ' || first_line
                         || ' wurde geladen; diese Zeile nicht geladen' END,
               record_id, 'row_rejected'
        FROM ranked WHERE key_missing OR nth > 1
        """,
        [run_id, table.name, file_name, key_names, key_names],
    )
    con.execute(f"DELETE FROM staging.{t} WHERE _line IN (SELECT line FROM load_rejects WHERE run_id = ?"
                " AND table_name = ? AND action = 'row_rejected')", [run_id, table.name])
    if src and src.dropped_columns:
        con.executemany(
            "INSERT INTO load_rejects VALUES (?, ?, ?, NULL, ?, NULL, ?, NULL, 'column_dropped')",
            [[run_id, table.name, file_name, c, "Spalte nicht im Datenvertrag; verworfen, nie gespeichert"]
             for c in src.dropped_columns])
    read = con.execute(f"SELECT count(*) FROM raw.{t}").fetchall()[0][0]
    loaded = con.execute(f"SELECT count(*) FROM staging.{t}").fetchall()[0][0]
    rejected = con.execute("SELECT count(*) FROM load_rejects WHERE run_id = ? AND table_name = ?"
                           " AND action = 'row_rejected'", [run_id, table.name]).fetchall()[0][0]
    if read != loaded + rejected:  # the promise "nothing is lost", checked on every load
        raise RuntimeError(f"{table.name}: {read} Zeilen gelesen, aber {loaded} geladen + {rejected} abgewiesen")
    return TableReport(table=table.name, file=file_name, format=src.format if src else None,
                       encoding=src.encoding if src else None, delimiter=src.delimiter if src else None,
                       rows_read=read, rows_loaded=loaded, rows_rejected=rejected, values_blanked=blanked,
                       dropped_columns=list(src.dropped_columns) if src else [])


def refuse_all_rejected(con: duckdb.DuckDBPyConnection, tables: list[Table],
                        files: dict[str, SourceFile | None]) -> None:
    """Stop the load when every value of a typed column was unreadable or implausible.

    Why: one bad value is the export's problem and is listed; a whole column of them is a wrong format or
    mapping (an int64 "date", a date format the mapping does not name), and loading it would publish figures
    as if the column were empty. A column with a single value that is unreadable cannot tell a typo from a
    format and is only listed. The message names the column and the first line, never a value.
    """
    for table in tables:
        t = q(table.name)
        for col in table.columns:
            if col.type == "str":
                continue
            c = q(col.name)
            present, typed, first = con.execute(
                f"SELECT count(clean(r.{c})), count(s.{c}), min(r._line) FILTER (WHERE clean(r.{c}) IS NOT NULL)"
                f" FROM staging.{t} s JOIN raw.{t} r USING (_line)").fetchall()[0]
            if present >= 2 and not typed:  # one unreadable value may be a typo: it is listed
                src = files[table.name]
                raise LoadError(src.path.name if src else table.name,
                                f"keiner der {german_count(present)} Werte dieser Spalte ließ sich lesen; das Laden "
                                "bricht ab, statt die Spalte als leer zu behandeln (stimmt das Format oder die "
                                "Zuordnung nicht?)",
                                line=first, column=src.columns.get(col.name, col.name) if src else col.name,
                                expected=TYPE_EXPECTATION[col.type])
