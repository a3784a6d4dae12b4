"""Fuzz test (issue 15): a mutated small export either loads with every record accounted for, or fails with one
clear message naming the file, and then leaves the database byte for byte as it was.

Hypothesis mutates the tiny job center's CSV files: bytes (flipped, inserted, deleted), lines (doubled,
dropped, blank runs), cells (hostile text: quotes, separators, line breaks, formula starts, implausible dates,
long values), encodings (Windows-1252, UTF-16, a BOM) and header names. Each case runs the real load into a
copy of a loaded database. The record counts are Python's csv module's, independent of DuckDB's reader and of
our own vectorised count. The budget (80 examples, about a minute) keeps the test under two minutes in CI;
the examples are the same on every run. For a longer exploration with fresh examples:
``STEERING_FUZZ_EXAMPLES=1000 STEERING_FUZZ_SEED=1 pytest tests/pipelines/test_fuzz_load.py``.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import resource
import shutil
import time
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.errors import LoadError
from pipelines.load import load_folder
from tests.conftest import tiny_job_center, write_canonical

TABLES = ["teams", "persons", "benefit_spells", "assignments", "contacts", "cooperation_plans", "measures",
          "integrations", "targets"]
HOSTILE = ['"', '""', ",", ";", "\n", "\r\n", "\r", "=1+1", "-2", "@x", "\t", "01.01.0001", "31.12.9999",
           "2023-02-30", "ä", "€", "\u202e", "x" * 2000, "", " ", "1e309", "NaN", "ja", "[/bold]", ":x:"]
MAX_SECONDS = 60  # one load of the tiny job center takes a few seconds
MAX_RSS_MB = 3000

mutation = st.one_of(
    st.tuples(st.just("byte"), st.sampled_from(["flip", "insert", "delete"]), st.integers(0, 10_000),
              st.integers(0, 255)),
    st.tuples(st.just("line"), st.sampled_from(["double", "drop", "blank", "blanks"]), st.integers(0, 50)),
    st.tuples(st.just("cell"), st.integers(0, 50), st.integers(0, 10),
              st.lists(st.sampled_from(HOSTILE), min_size=1, max_size=3).map("".join)),
    st.tuples(st.just("encoding"), st.sampled_from(["cp1252", "utf-16", "utf-8-sig"])),
    st.tuples(st.just("header"), st.integers(0, 10), st.sampled_from(["", "x", "person_id", " ", '"', "Ä;"])),
)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The valid source folder and a database loaded from it."""
    tmp = tmp_path_factory.mktemp("fuzz")
    source = write_canonical(tmp / "source", tiny_job_center())
    db = tmp / "good.duckdb"
    load_folder(source, db)
    return source, db


def _mutate(path: Path, change: tuple) -> None:
    data = path.read_bytes()
    kind = change[0]
    if kind == "byte":
        _, how, at, value = change
        at = at % (len(data) + 1)
        if how == "flip" and at < len(data):
            data = data[:at] + bytes([value]) + data[at + 1:]
        elif how == "insert":
            data = data[:at] + bytes([value]) + data[at:]
        elif at < len(data):
            data = data[:at] + data[at + 1:]
    elif kind == "line":
        _, how, at = change
        lines = data.split(b"\n")
        at = at % len(lines)
        if how == "double":
            lines.insert(at, lines[at])
        elif how == "drop":
            del lines[at]
        else:
            lines[at:at] = [b""] * (1 if how == "blank" else 5000)
        data = b"\n".join(lines)
    elif kind == "cell":
        _, row, col, text = change
        rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
        r = rows[row % len(rows)]
        if r:
            r[col % len(r)] = text
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        data = out.getvalue().encode("utf-8")
    elif kind == "encoding":
        text = data.decode("utf-8")
        if change[1] == "cp1252":
            data = text.encode("cp1252", errors="replace")
        else:
            data = text.encode(change[1])
    else:
        _, col, name = change
        first, _, rest = data.partition(b"\n")
        cells = next(csv.reader([first.decode("utf-8")]))
        cells[col % len(cells)] = name
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerow(cells)
        data = out.getvalue().encode("utf-8") + rest
    path.write_bytes(data)


def _records(path: Path, encoding: str, delimiter: str) -> int:
    """Data records as Python's csv module reads them (blank lines are no records)."""
    with path.open(encoding=encoding, newline="") as fh:
        rows = [row for row in csv.reader(fh, delimiter=delimiter) if row]
    return len(rows) - 1


@settings(max_examples=int(os.environ.get("STEERING_FUZZ_EXAMPLES", "80")), deadline=None,
          derandomize=os.environ.get("STEERING_FUZZ_SEED") is None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(table=st.sampled_from(TABLES), change=mutation)
def test_a_mutated_export_loads_completely_or_fails_cleanly(base: tuple[Path, Path], tmp_path_factory:
                                                             pytest.TempPathFactory, table: str, change: tuple
                                                             ) -> None:
    good_source, good_db = base
    tmp = tmp_path_factory.mktemp("case")
    source = tmp / "source"
    shutil.copytree(good_source, source)
    db = tmp / "steering.duckdb"
    shutil.copy(good_db, db)
    before = db.read_bytes()
    path = source / f"{table}.csv"
    _mutate(path, change)
    start = time.monotonic()
    try:
        load_folder(source, db)
    except LoadError as exc:
        message = str(exc)
        assert any(name in message for name in (f"{t}.csv" for t in TABLES)) or "(alle Dateien)" in message, message
        assert db.read_bytes() == before, message
    else:
        con = duckdb.connect(str(db), read_only=True)
        try:
            counts = con.execute("SELECT table_name, file_name, encoding, delimiter, rows_read, rows_loaded,"
                                 " rows_rejected FROM load_run_tables WHERE run_id = (SELECT max(run_id)"
                                 " FROM load_runs) AND file_name IS NOT NULL").fetchall()
        finally:
            con.close()
        for name, file_name, encoding, delimiter, read, loaded, rejected in counts:
            assert read == loaded + rejected, name
            python_encoding = "utf-16" if encoding and codecs.lookup(encoding).name.startswith("utf-16") else \
                encoding
            assert read == _records(source / file_name, python_encoding, delimiter), (name, change)
    assert time.monotonic() - start < MAX_SECONDS
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 < MAX_RSS_MB
    shutil.rmtree(tmp)
