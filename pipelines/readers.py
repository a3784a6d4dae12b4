"""Read one source file (CSV, XLSX or Parquet) into a raw DuckDB table of text.

Raw tables keep every value as text exactly as read (only the header is renamed
to canonical names through the mapping), plus ``_line``: the line of the row in
the file, counting the header as line 1, so every reject can point to it.
Typing happens later in the staging SQL, where it is visible and testable.

Encodings: DuckDB's CSV reader knows UTF-8 (and UTF-16/Latin-1 only through its
``encodings`` extension, which cannot be downloaded in a closed network), so a
Windows-1252 export is transcoded to a temporary UTF-8 file on the way in.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import hashlib
import re
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from pipelines.contract import Table
from pipelines.errors import LoadError, german_count, is_write_failure
from pipelines.mapping import Mapping, TableMapping
from pipelines.native_types import FLOAT, text_select
from pipelines.records import index_records, without_blank_lines

FORMATS = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".parquet": "parquet"}
DELIMITERS = [";", ",", "\t", "|"]
CHUNK = 16 * 1024 * 1024


@dataclass
class SourceFile:
    """What the loader learned about one file; goes into ``load_runs``."""

    table: str
    path: Path
    format: str
    sha256: str = ""
    size: int = 0
    encoding: str | None = None
    delimiter: str | None = None
    rows_read: int = 0
    columns: dict[str, str] = field(default_factory=dict)  # canonical -> source header
    dropped_columns: list[str] = field(default_factory=list)


def inside(folder: Path, path: Path) -> Path:
    """``path`` if it lies inside ``folder`` once symbolic links and ``..`` are resolved, else a LoadError.

    Why: a symbolic link in the export folder (or a mapping entry ``file: ../../etc/passwd``) would make the
    load read a foreign file and echo parts of it into error messages and the load history.
    """
    try:
        path.resolve(strict=True).relative_to(folder.resolve(strict=True))
    except (ValueError, OSError):
        raise LoadError(path.name, "die Datei liegt außerhalb des Quellordners (ein symbolischer Link oder ein Pfad "
                        "mit ..); abgelehnt, nichts davon wird gelesen",
                        expected=f"eine gewöhnliche Datei in {folder}") from None
    return path


def find_source_file(folder: Path, table: Table, mapping: TableMapping) -> Path | None:
    """The file of a table: the mapping's ``file``, else ``<table>.<csv|txt|xlsx|parquet>``; never one outside
    the folder."""
    if mapping.file:
        path = folder / mapping.file
        if not path.is_file():
            raise LoadError(mapping.file, f"die Zuordnung nennt diese Datei für die Tabelle {table.name}, "
                            "sie liegt aber nicht im Quellordner", expected=str(folder))
        return inside(folder, path)
    candidates = [p for p in sorted(folder.iterdir())
                  if p.is_file() and p.stem.lower() == table.name and p.suffix.lower() in FORMATS]
    if len(candidates) > 1:
        names = ", ".join(p.name for p in candidates)
        raise LoadError(names, f"mehrere Dateien für die Tabelle {table.name}", expected="genau eine")
    return inside(folder, candidates[0]) if candidates else None


def checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def read_into_raw(con: duckdb.DuckDBPyConnection, src: SourceFile, table: Table, mapping: Mapping,
                  encodings: list[str], work_dir: Path, max_line_kb: int = 1024,
                  time_zone: str = "Europe/Berlin") -> None:
    """Create ``raw.<table>`` from the file; fills in what was learned on ``src``."""
    src.size = src.path.stat().st_size
    # hashlib releases the GIL on large blocks: the checksum runs beside the reading
    with ThreadPoolExecutor(max_workers=1) as pool:
        digest = pool.submit(checksum, src.path)
        if src.format == "csv":
            _read_csv(con, src, table, mapping, encodings, work_dir, max_line_kb)
        elif src.format == "xlsx":
            _read_xlsx(con, src, table, mapping.for_table(table.name))
        else:
            _read_parquet(con, src, table, mapping.for_table(table.name), time_zone)
        src.sha256 = digest.result()
    src.rows_read = con.execute(f'SELECT count(*) FROM raw."{table.name}"').fetchall()[0][0]


# --- header handling -----------------------------------------------------------------------------

def map_header(src: SourceFile, header: list[str], table: Table, tmap: TableMapping) -> list[str | None]:
    """Canonical name per header position (None = unknown column, dropped and reported)."""
    known = set(table.column_names)
    renamed: list[str | None] = []
    seen: dict[str, str] = {}
    for raw_name in header:
        name = raw_name.strip().lstrip("\ufeff")
        target = tmap.columns.get(name, name if name in known else None)
        if target is None:
            src.dropped_columns.append(name or "(leere Überschrift)")
            renamed.append(None)
            continue
        if target in seen:
            raise LoadError(src.path.name, f"die Spalten „{seen[target]}“ und „{name}“ werden beide „{target}“ "
                            "zugeordnet", column=name, expected="jede Spalte einmal")
        seen[target] = name
        renamed.append(target)
    missing = [c for c in table.column_names if c not in seen]
    if missing:
        wanted = {v: k for k, v in tmap.columns.items()}
        names = ", ".join(f"„{c}“" + (f" (laut Zuordnung „{wanted[c]}“)" if c in wanted else "") for c in missing)
        found = ", ".join(h.strip() for h in header[:12]) or "(nichts)"
        raise LoadError(src.path.name, f"es fehlt die Pflichtspalte {names}; die Kopfzeile enthält: {found}",
                        line=1, column=missing[0],
                        expected=f"die Spalten der Tabelle {table.name}: {', '.join(table.column_names)}")
    src.columns = dict(seen)
    return renamed


def _raw_table_from_select(con: duckdb.DuckDBPyConnection, table: Table, positions: list[str | None],
                           source_sql: str, params: list | None = None, lines: np.ndarray | None = None) -> int:
    """Materialise raw.<table> with canonical text columns and ``_line`` in file order (header = line 1).

    ``lines`` (CSV): the start line of each record from our own count, so a value with a line break does not
    shift the lines after it. Returns the number of rows DuckDB read.
    """
    cols = ", ".join(f'CAST("c{i}" AS VARCHAR) AS "{name}"'
                     for i, name in enumerate(positions) if name is not None)
    con.execute(f'CREATE OR REPLACE TEMP TABLE _read AS SELECT {cols} FROM {source_sql}', params or [])
    read = con.execute("SELECT count(*) FROM _read").fetchall()[0][0]
    if lines is not None and read == len(lines):
        con.register("_lines", pa.table({"_line": lines}))
        try:  # insertion order is preserved (DuckDB's default), so positions match the file order
            con.execute(f'CREATE OR REPLACE TABLE raw."{table.name}" AS SELECT l._line, r.* '
                        "FROM _read r POSITIONAL JOIN _lines l")
        finally:
            con.unregister("_lines")
    else:
        con.execute(f'CREATE OR REPLACE TABLE raw."{table.name}" AS SELECT rowid + 2 AS _line, * FROM _read')
    con.execute("DROP TABLE _read")
    return read


# --- CSV -----------------------------------------------------------------------------------------

def _line_of(data: bytes, offset: int, lines_before: int) -> int:
    return lines_before + data.count(b"\n", 0, offset) + 1


def _decode_pass(path: Path, encoding: str, target: Path | None) -> tuple[bool, int | None, int | None]:
    """Decode the whole file, writing it as UTF-8 to ``target`` on the way (None: check only).

    One pass does both, so a Windows-1252 export is read once here, not once to
    check and once to transcode. Returns (ok, line of the first bad byte, the byte).
    """
    decoder = codecs.getincrementaldecoder(encoding)()
    lines = 0
    with path.open("rb") as fh, (target.open("w", encoding="utf-8", newline="") if target
                                 else contextlib.nullcontext()) as out:
        while block := fh.read(CHUNK):
            try:
                text = decoder.decode(block)
            except UnicodeDecodeError as exc:
                return False, _line_of(block, exc.start, lines), block[exc.start]
            if out is not None:
                out.write(text)
            lines += block.count(b"\n")
        try:
            tail = decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False, lines + 1, None
        if out is not None:
            out.write(tail)
    return True, None, None


def check_line_lengths(path: Path, max_bytes: int, refuse_nul: bool = False) -> None:
    """Refuse a file with a line longer than ``max_bytes`` before DuckDB sees it, and (``refuse_nul``) one with
    a NUL byte anywhere, naming its line.

    Why: DuckDB's reader drops a very long last line without an error (seen with
    DuckDB 2.0 and a 64 MB line), which would silently lose a row; a NUL byte after the first block used to be
    stored silently inside an id. This pass reads every byte anyway.
    """
    carry = 0  # length of the line running into the current block
    lines = 0
    with path.open("rb") as fh:
        while block := fh.read(CHUNK):
            data = np.frombuffer(block, dtype=np.uint8)
            if refuse_nul:
                nul = np.flatnonzero(data == 0)
                if len(nul):
                    line = lines + int(np.count_nonzero(data[:nul[0]] == 10)) + 1
                    raise LoadError(path.name, "die Datei enthält Binärdaten (ein NUL-Byte), sie ist keine "
                                    "Texttabelle", line=line, expected="einen CSV-Textexport")
            ends = np.flatnonzero(data == 10)
            starts = np.concatenate(([-1], ends[:-1])) if len(ends) else np.array([], dtype=np.int64)
            lengths = ends - starts - 1
            if len(lengths):
                lengths[0] += carry
                carry = len(block) - ends[-1] - 1
            else:
                carry += len(block)
            too_long = np.flatnonzero(lengths > max_bytes)
            if len(too_long) or carry > max_bytes:
                index = int(too_long[0]) if len(too_long) else len(lengths)
                raise LoadError(path.name, f"die Zeile ist länger als {german_count(max_bytes // 1024)} KB",
                                line=lines + index + 1,
                                expected="Exportzeilen gewöhnlicher Länge (Einstellung load.max_line_kb)")
            lines += len(ends)


def decode_to_utf8(path: Path, declared: str | None, candidates: list[str], work_dir: Path) -> tuple[str, Path]:
    """The file's encoding and a UTF-8 file with its text (the file itself when it is UTF-8).

    BOM first, then the mapping's encoding, then the first candidate that decodes
    the whole file. DuckDB's reader knows only UTF-8, so anything else is
    transcoded to a temporary copy in the same pass that checks it (streamed, so
    memory stays flat).
    """
    with path.open("rb") as fh:
        head = fh.read(4)
    if head.startswith(codecs.BOM_UTF8):
        tried = ["utf-8-sig"]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        tried = ["utf-16"]
    else:
        tried = [declared] if declared else candidates
    target = work_dir / f"{path.stem}.utf8.csv"
    first_failure: tuple[int | None, int | None] | None = None
    for enc in tried:
        name = codecs.lookup(enc).name
        ok, line, byte = _decode_pass(path, enc, None if name == "utf-8" else target)
        if ok:
            return name, path if name == "utf-8" else target
        target.unlink(missing_ok=True)
        first_failure = first_failure or (line, byte)
    line, byte = first_failure or (None, None)
    shown = f"das Byte 0x{byte:02X}" if byte is not None else "ein abgeschnittenes Zeichen"
    raise LoadError(path.name, f"{shown} lässt sich nicht als {' oder '.join(tried)} lesen", line=line,
                    expected="Text in UTF-8 oder Windows-1252 (bei einer anderen Kodierung 'encoding' in mapping.yaml "
                    "angeben)")


def sniff_delimiter(header_line: str, declared: str | None, name: str) -> str:
    if declared:
        return declared
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(counts, key=counts.get)
    if counts[best] == 0:
        raise LoadError(name, "die erste Zeile hat kein Trennzeichen, die Datei sieht also nicht nach einer Tabelle "
                        "aus", line=1, expected="eine Kopfzeile mit durch ';' oder ',' getrennten Spalten")
    return best


def _first_line(path: Path) -> str:
    with path.open("r", encoding="utf-8", newline="") as fh:
        return fh.readline(1024 * 1024).lstrip("\ufeff").rstrip("\r\n")


def _read_csv(con: duckdb.DuckDBPyConnection, src: SourceFile, table: Table, mapping: Mapping,
              encodings: list[str], work_dir: Path, max_line_kb: int) -> None:
    name = src.path.name
    if src.size == 0:
        raise LoadError(name, "die Datei ist leer (0 Bytes), sie hat nicht einmal eine Kopfzeile",
                        expected=f"mindestens die Kopfzeile der Tabelle {table.name}")
    with src.path.open("rb") as fh:
        head = fh.read(65536)
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise LoadError(name, "die Datei enthält Binärdaten (NUL-Bytes), sie ist keine Texttabelle",
                        expected="einen CSV-Textexport")
    utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    check_line_lengths(src.path, max_line_kb * 1024, refuse_nul=not utf16)
    src.encoding, utf8 = decode_to_utf8(src.path, mapping.encoding, encodings, work_dir)
    index = index_records(utf8)
    if index.blank_runs:  # DuckDB loses rows after very long runs of blank lines: it never sees them
        utf8 = without_blank_lines(utf8, index.blank_runs, work_dir / f"{src.path.stem}.compact.csv")
    header_line = _first_line(utf8)
    src.delimiter = sniff_delimiter(header_line, mapping.delimiter, name)
    header = next(csv.reader([header_line], delimiter=src.delimiter, quotechar='"'))
    positions = map_header(src, header, table, mapping.for_table(table.name))
    columns = {f"c{i}": "VARCHAR" for i in range(len(header))}
    source = ("read_csv(?, delim = ?, header = false, skip = 1, columns = ?, quote = '\"', escape = '\"',"
              " auto_detect = false, strict_mode = true, null_padding = false, all_varchar = true,"
              " max_line_size = ?)")
    try:
        read = _raw_table_from_select(con, table, positions, source,
                                      [str(utf8), src.delimiter, columns, max_line_kb * 1024], index.lines)
    except duckdb.Error as exc:
        if is_write_failure(exc):
            raise  # a full disk or unwritable folder, not a problem of the file: load.py words it
        raise _csv_error(name, str(exc), len(header), src.delimiter, utf8, index.lines) from None
    if read != index.count:
        _second_opinion(con, table, name, utf8, src.delimiter, index.count, read)


def _python_lines(path: Path, delimiter: str) -> list[int]:
    """Start line of each non-empty data record as Python's csv reader sees the file (slow, exact)."""
    lines: list[int] = []
    with path.open("r", encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter, quotechar='"')
        next(reader, None)
        start = reader.line_num + 1
        for row in reader:
            if row:
                lines.append(start)
            start = reader.line_num + 1
    return lines


def _second_opinion(con: duckdb.DuckDBPyConnection, table: Table, name: str, utf8: Path, delimiter: str,
                    ours: int, read: int) -> None:
    """Our fast count and DuckDB's differ: Python's csv reader decides.

    The fast count opens a quoted field at every quote; a quote inside an unquoted value (``12" Zoll``) is
    literal for DuckDB and Python, so there Python's count is the independent one and gives the lines. If it
    differs from DuckDB's too, the load stops naming the first record where they part.
    """
    lines = _python_lines(utf8, delimiter)
    if len(lines) == read:
        con.register("_lines", pa.table({"_line": np.asarray(lines, dtype=np.int64)}))
        try:
            con.execute(f'CREATE OR REPLACE TABLE raw."{table.name}" AS SELECT l._line, r.* EXCLUDE (_line) '
                        f'FROM raw."{table.name}" r POSITIONAL JOIN _lines l')
        finally:
            con.unregister("_lines")
        return
    first = table.column_names[0]
    duck = iter(con.execute(f'SELECT "{first}" FROM raw."{table.name}" ORDER BY _line').fetchall())
    where = None
    with utf8.open("r", encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter, quotechar='"')
        next(reader, None)
        position = 0
        for row in reader:
            if not row:
                continue
            theirs = next(duck, (None,))[0]
            if theirs != (row[0] or None):
                where = lines[position]
                break
            position += 1
    con.execute(f'DROP TABLE raw."{table.name}"')
    raise LoadError(name, f"die Datei hat nach unserer Zählung {german_count(len(lines))} Datensätze (nach der "
                    f"schnellen {german_count(ours)}), der CSV-Leser lieferte aber {german_count(read)}; abgelehnt, "
                    "statt Zeilen zu verlieren oder zu erfinden", line=where,
                    expected="eine CSV-Datei, deren Datensätze mit einem Zeilenumbruch enden, Anführungszeichen "
                    "geschlossen")


def _first_ragged_row(path: Path, n_fields: int, delimiter: str, lines: np.ndarray) -> tuple[int, int] | None:
    """(line, fields) of the first row whose field count differs from the header's; the line from our own
    record index, since ``path`` may be the copy without blank lines."""
    with path.open("r", encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter, quotechar='"')
        next(reader, None)
        records = 0
        for row in reader:
            if row and len(row) != n_fields:
                return (int(lines[records]) if records < len(lines) else reader.line_num), len(row)
            records += bool(row)
    return None


def _csv_error(name: str, message: str, n_fields: int, delimiter: str, path: Path,
               lines: np.ndarray) -> LoadError:
    line = re.search(r"Line:\s*(\d+)", message)
    found = re.search(r"Expected Number of Columns:\s*(\d+)\s*Found:\s*(\d+)", message)
    too_long = re.search(r"[Mm]aximum line size", message)
    ragged = None if line or too_long else _first_ragged_row(path, n_fields, delimiter, lines)
    if too_long:
        problem = "eine Zeile ist länger, als load.max_line_kb erlaubt"
    elif found:
        problem = f"die Zeile hat {found.group(2)} Felder, die Kopfzeile aber {found.group(1)}"
    elif ragged:
        problem = f"die Zeile hat {ragged[1]} Felder, die Kopfzeile aber {n_fields}"
    else:  # DuckDB's own words, in English: no better wording is known for an unforeseen case
        problem = "die Zeile lässt sich nicht lesen: " + message.splitlines()[0].split("Error:", 1)[-1].strip()
    where = int(line.group(1)) if line else (ragged[0] if ragged else None)
    if line and 2 <= where < len(lines) + 2:  # DuckDB counts records (header = 1), we name the file's line
        where = int(lines[where - 2])
    return LoadError(name, problem, line=where,
                     expected=f"{n_fields} durch '{delimiter}' getrennte Felder, Text mit Anführungszeichen in \"...\"")


# --- XLSX ----------------------------------------------------------------------------------------

def _cell_text(value: object) -> str | None:
    """Excel cells as the text a CSV export would have written (ISO dates, no trailing .0)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(con: duckdb.DuckDBPyConnection, src: SourceFile, table: Table, tmap: TableMapping) -> None:
    from openpyxl import load_workbook  # imported here: only XLSX sources need it

    name = src.path.name
    if not zipfile.is_zipfile(src.path):
        raise LoadError(name, "das ist keine Excel-Arbeitsmappe (eine .xlsx-Datei ist ein ZIP-Archiv)",
                        expected="eine .xlsx-Datei")
    with zipfile.ZipFile(src.path) as zf:
        unpacked = sum(i.file_size for i in zf.infolist())
    if unpacked > 20 * max(src.size, 1) + 200 * 1024 * 1024:
        raise LoadError(name, f"die Arbeitsmappe würde sich von {german_count(src.size // 2**20)} MB auf "
                        f"{german_count(unpacked // 2**20)} MB entpacken; abgelehnt als mögliche ZIP-Bombe",
                        expected="einen gewöhnlichen Export")
    try:
        wb = load_workbook(src.path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise LoadError(name, f"die Arbeitsmappe lässt sich nicht öffnen ({type(exc).__name__}: {exc})",
                        expected="eine mit Excel oder LibreOffice gespeicherte .xlsx-Datei") from None
    try:
        sheet_names = {s.lower(): s for s in wb.sheetnames}
        ws = wb[sheet_names.get(table.name, wb.sheetnames[0])]
        header_row = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), None)
        if header_row is None:
            raise LoadError(name, "das Tabellenblatt ist leer, es hat nicht einmal eine Kopfzeile",
                            expected=f"die Kopfzeile der Tabelle {table.name}")
        header = [str(h) if h is not None else "" for h in header_row]
        positions = map_header(src, header, table, tmap)
        # only the contract's columns are read: openpyxl pads every row to the widest one, so a header of
        # 16,384 columns made each row 16,384 cells (10 x slower)
        wanted = [i for i, p in enumerate(positions) if p is not None]
        schema = pa.schema([(f"c{i}", pa.string()) for i in wanted])
        batches: list[pa.RecordBatch] = []
        buffer: list[list[str | None]] = [[] for _ in wanted]
        count = 0
        for row in ws.iter_rows(min_row=2, max_col=wanted[-1] + 1, values_only=True):
            for slot, i in enumerate(wanted):
                buffer[slot].append(_cell_text(row[i]) if i < len(row) else None)
            count += 1
            if count % 100_000 == 0:
                batches.append(pa.record_batch(buffer, schema=schema))
                buffer = [[] for _ in wanted]
        batches.append(pa.record_batch(buffer, schema=schema))
    finally:
        wb.close()
    arrow_rows = pa.Table.from_batches(batches, schema=schema)
    con.register("_xlsx_rows", arrow_rows)
    try:
        _raw_table_from_select(con, table, positions, "_xlsx_rows")
    finally:
        con.unregister("_xlsx_rows")


# --- Parquet -------------------------------------------------------------------------------------

def _read_parquet(con: duckdb.DuckDBPyConnection, src: SourceFile, table: Table, tmap: TableMapping,
                  time_zone: str) -> None:
    """Typed columns become the text a CSV export would hold, where that loses nothing (native_types.py)."""
    name = src.path.name
    try:
        described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(src.path)]).fetchall()
    except duckdb.Error as exc:
        raise LoadError(name, f"keine lesbare Parquet-Datei ({str(exc).splitlines()[0]})",
                        expected="eine Parquet-Datei") from None
    header = [r[0] for r in described]
    positions = map_header(src, header, table, tmap)
    types = {c.name: c.type for c in table.columns}
    columns = [(h, str(r[1]), types[p] if p else None, f'"c{i}"')
               for i, (h, r, p) in enumerate(zip(header, described, positions, strict=True))]
    for h, source_type, contract_type, _ in columns:
        if contract_type == "str" and FLOAT.match(source_type):
            _refuse_fractions(con, src, h, source_type)
    selects = ", ".join(text_select(name, columns, time_zone))
    _raw_table_from_select(con, table, positions,
                           f"(SELECT {selects} FROM read_parquet(?))", [str(src.path)])


def _refuse_fractions(con: duckdb.DuckDBPyConnection, src: SourceFile, header: str, source_type: str) -> None:
    """An id stored as a float is read as its whole number; one with a fraction is no id of ours."""
    x = '"' + header.replace('"', '""') + '"'
    row = con.execute(f"SELECT min(n) FROM (SELECT row_number() OVER () AS n, {x} AS v FROM read_parquet(?))"
                      " WHERE v <> trunc(v)", [str(src.path)]).fetchall()[0][0]
    if row is not None:
        raise LoadError(src.path.name, f"die Spalte hat den Typ {source_type} und einen Wert mit Nachkommastellen, "
                        "das ist keine Kennung", line=int(row) + 1, column=header,
                        expected="ganze Zahlen oder Text")
