"""Hostile input, first rows of issue 15: a mapping file cannot make a load run away, text from data is printed
literally, and a carriage return in a fix-list value cannot start a new record.

A "billion laughs" mapping.yaml took 65-85 s to a MemoryError; now it is refused at once (no anchors or
aliases, at most 20 levels, under 1 MB) with the file and what is expected, and a database that was there
stays byte for byte as it was.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pipelines.safe_yaml import MAX_BYTES, MAX_DEPTH, YamlRefused, load
from tests.conftest import run_cli

BOMB = "\n".join(["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
                 + [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]) + "\n"


def nested(levels: int) -> str:
    return "tables:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, levels)) + "  " * levels + "x: 1\n"


@pytest.mark.parametrize("text, words", [
    (BOMB + "tables: *a9\n", "Anker"),
    (nested(MAX_DEPTH + 5), f"mehr als {MAX_DEPTH} Ebenen"),
    ("tables: {}\n# " + "x" * MAX_BYTES + "\n", "größer als"),
])
def test_the_loader_refuses(text: str, words: str) -> None:
    start = time.monotonic()
    with pytest.raises(YamlRefused, match=words):
        load(text)
    assert time.monotonic() - start < 1.0


def test_a_plain_mapping_still_parses() -> None:
    assert load("encoding: cp1252\ntables:\n  persons:\n    file: kunden.csv\n") == {
        "encoding": "cp1252", "tables": {"persons": {"file": "kunden.csv"}}}


def test_a_load_with_a_bomb_mapping_stops_at_once_and_changes_nothing(tiny_source: Path, tmp_path: Path) -> None:
    db = tmp_path / "steering.duckdb"
    assert run_cli("load", str(tiny_source), "--db", str(db)).returncode == 0
    before = db.read_bytes()
    (tiny_source / "mapping.yaml").write_text(BOMB + "tables: *a9\n", encoding="utf-8")
    start = time.monotonic()
    result = run_cli("load", str(tiny_source), "--db", str(db))
    assert time.monotonic() - start < 30  # the CLI starts Python; the refusal itself is immediate
    assert result.returncode == 1, result.stderr
    assert "mapping.yaml" in result.stderr and "Anker" in result.stderr and "Traceback" not in result.stderr
    assert db.read_bytes() == before


def test_text_from_data_is_printed_literally(tiny_source: Path, tmp_path: Path) -> None:
    """Rich markup in a header ("[/bold]") and an emoji code in a value (":x:") are shown as written."""
    persons = tiny_source / "persons.csv"
    lines = persons.read_text(encoding="utf-8").splitlines()
    lines[0] = lines[0].replace("person_id", "person_id[/bold]", 1)
    persons.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_cli("load", str(tiny_source), "--db", str(tmp_path / "a.duckdb"))
    assert result.returncode == 1 and "Traceback" not in result.stderr and "MarkupError" not in result.stderr
    assert "person_id[/bold]" in result.stderr
    lines[0] = lines[0].replace("person_id[/bold]", "person_id", 1) + ",:x:"  # an extra column, dropped
    persons.write_text("\n".join([lines[0], *(line + "," for line in lines[1:])]) + "\n", encoding="utf-8")
    result = run_cli("load", str(tiny_source), "--db", str(tmp_path / "b.duckdb"))
    assert result.returncode == 0, result.stderr
    assert ":x:" in result.stdout and "❌" not in result.stdout  # the load report names the dropped column


def test_a_carriage_return_in_a_fix_list_value_is_quoted(tmp_path: Path) -> None:
    """(issue 15) ``'\\r=6+6`` was written unquoted, so a new record started with ``=6+6`` in Excel."""
    import csv

    import pandas as pd

    from pipelines.fixlist import COLUMNS, write_csv

    row = dict.fromkeys(COLUMNS, "x")
    row.update(month=None, raw_value="\r=6+6", reason="a;b\nc")
    out = tmp_path / "fix.csv"
    write_csv(pd.DataFrame([row], columns=list(COLUMNS)), out)
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert len(rows) == 2 and rows[1][list(COLUMNS).index("raw_value")] == "'\r'=6+6"
    assert b'"\'\r\'=6+6"' in out.read_bytes()


@pytest.mark.parametrize("how", ["symlink", "mapping"])
def test_a_file_outside_the_source_folder_is_refused_unread(tiny_source: Path, tmp_path: Path, how: str) -> None:
    """(issue 15) A symlink to /etc/passwd was followed and its first line echoed into the error and, after
    the next good load, into load_runs.message. Now nothing of a file outside the folder is read."""
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:TOP-SECRET-LINE\n", encoding="utf-8")
    db = tmp_path / "steering.duckdb"
    assert run_cli("load", str(tiny_source), "--db", str(db)).returncode == 0
    before = db.read_bytes()
    contacts = tiny_source / "contacts.csv"
    if how == "symlink":
        contacts.unlink()
        contacts.symlink_to(secret)
    else:  # the mapping names a file of the folder that is a link out of it
        contacts.unlink()
        (tiny_source / "kontakte.csv").symlink_to(secret)
        (tiny_source / "mapping.yaml").write_text("tables:\n  contacts:\n    file: kontakte.csv\n",
                                                  encoding="utf-8")
    result = run_cli("load", str(tiny_source), "--db", str(db))
    assert result.returncode == 1 and "außerhalb des Quellordners" in result.stderr, result.stderr
    assert "TOP-SECRET" not in result.stdout + result.stderr
    assert db.read_bytes() == before
    for leftover in tmp_path.rglob("*.jsonl"):
        assert "TOP-SECRET" not in leftover.read_text(encoding="utf-8")


def test_a_symlink_inside_the_folder_is_fine(tiny_source: Path, tmp_path: Path) -> None:
    (tiny_source / "kontakte-2026.csv").write_bytes((tiny_source / "contacts.csv").read_bytes())
    (tiny_source / "contacts.csv").unlink()
    (tiny_source / "contacts.csv").symlink_to(tiny_source / "kontakte-2026.csv")
    assert run_cli("load", str(tiny_source), "--db", str(tmp_path / "ok.duckdb")).returncode == 0


def test_staged_archive_figures_of_a_killed_load_are_cleaned_by_the_next(tiny_source: Path, tmp_path: Path) -> None:
    """(issue 15) A kill between staging and publishing left ``archive/.staging-*`` forever."""
    db = tmp_path / "steering.duckdb"
    assert run_cli("load", str(tiny_source), "--db", str(db)).returncode == 0
    left = tmp_path / "archive" / ".staging-2023-06-30-7"
    left.mkdir(parents=True)
    (left / "metric_values.parquet").write_bytes(b"half written")
    assert run_cli("load", str(tiny_source), "--db", str(db)).returncode == 0
    assert not left.exists()
    assert not list((tmp_path / "archive").glob(".staging-*"))


def test_a_nul_byte_after_the_first_64_kb_stops_the_load_with_its_line(tiny_source: Path, tmp_path: Path) -> None:
    """(issue 15) A NUL byte after the first 64 KB was stored silently inside an id."""
    db = tmp_path / "steering.duckdb"
    assert run_cli("load", str(tiny_source), "--db", str(db)).returncode == 0
    before = db.read_bytes()
    contacts = tiny_source / "contacts.csv"
    lines = contacts.read_text(encoding="utf-8").splitlines()
    padding = "\n".join(lines) + "\n" + "\n" * 70_000  # blank lines carry the NUL past the first 64 KB
    contacts.write_text(padding + lines[1].replace(lines[1].split(",")[0], "C\x00X", 1) + "\n", encoding="utf-8")
    result = run_cli("load", str(tiny_source), "--db", str(db))
    assert result.returncode == 1 and "NUL" in result.stderr, result.stderr
    assert f"Zeile {len(lines) + 70_000 + 1}:" in result.stderr, result.stderr
    assert db.read_bytes() == before
