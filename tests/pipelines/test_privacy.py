"""Social-data safeguards at the exports: pseudonymised event log, suppressed small cells, no caseworker
dimension, no demo mode on a public address. Real CLI, real DuckDB."""

from __future__ import annotations

import csv
import hashlib
import hmac
import re
from pathlib import Path

import duckdb
import pytest

from pipelines import agreements
from pipelines.load import load_folder
from tests.conftest import SAMPLE_DIR, run_cli, tiny_job_center, write_canonical

KEY = "c0ffee0123456789abcdef0123456789"
STAFF = re.compile(r"caseworker|sachbearbeit|bearbeiter|fallmanager|vermittler|user|mitarbeiter", re.I)


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("privacy") / "steering.duckdb"
    load_folder(SAMPLE_DIR, db)
    return db


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def hmac16(kind: str, value: str) -> str:
    return hmac.new(KEY.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:16]


def test_no_caseworker_dimension_anywhere(sample_db: Path, tmp_path: Path) -> None:
    store = tmp_path / "agreements.duckdb"
    agreements.add(store, "T01", __import__("datetime").date(2026, 10, 1), "x")
    for path in (sample_db, store):
        con = duckdb.connect(str(path), read_only=True)
        columns = con.execute("SELECT table_schema, table_name, column_name FROM information_schema.columns"
                              " WHERE table_catalog = current_database()").fetchall()
        con.close()
        assert len(columns) > (100 if path == sample_db else 5)
        offending = [c for c in columns if STAFF.search(c[2]) or STAFF.search(c[1])]
        assert offending == [], offending


def test_event_log_export_refuses_without_a_key(sample_db: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STEERING_PSEUDONYM_KEY", raising=False)
    monkeypatch.delenv("STEERING_PRIVACY_PSEUDONYM_KEY_FILE", raising=False)
    out = tmp_path / "events.csv"
    result = run_cli("export", "events", "--db", str(sample_db), "--out", str(out))
    assert result.returncode == 1
    assert "kein Schlüssel für die Pseudonyme" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()
    short = tmp_path / "short.key"
    short.write_text("abc\n", encoding="utf-8")
    monkeypatch.setenv("STEERING_PRIVACY_PSEUDONYM_KEY_FILE", str(short))
    result = run_cli("export", "events", "--db", str(sample_db), "--out", str(out))
    assert result.returncode == 1 and "ist zu kurz (3 Bytes)" in result.stderr


def test_event_log_carries_keyed_pseudonyms_only(sample_db: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STEERING_PSEUDONYM_KEY", raising=False)
    key_file = tmp_path / "secret" / "pseudonym.key"
    key_file.parent.mkdir()
    key_file.write_text(KEY + "\n", encoding="utf-8")
    monkeypatch.setenv("STEERING_PRIVACY_PSEUDONYM_KEY_FILE", str(key_file))
    out = tmp_path / "events.csv"
    result = run_cli("export", "events", "--db", str(sample_db), "--out", str(out))
    assert result.returncode == 0, result.stderr
    events = read(out)
    con = duckdb.connect(str(sample_db), read_only=True)
    persons = {r[0] for r in con.execute("SELECT person_id FROM staging.persons").fetchall()}
    first = con.execute("SELECT case_id, person_id, record_id FROM case_events ORDER BY case_id, event_index"
                        " LIMIT 1").fetchall()[0]
    con.close()
    text = out.read_text(encoding="utf-8")
    assert not any(p in text for p in persons)                        # no customer number anywhere
    assert {len(r["person_id"]) for r in events} == {16}
    case, person, record = first
    mine = [r for r in events if r["case_id"] == hmac16("case", case)]
    assert mine and {r["person_id"] for r in mine} == {hmac16("person", person)}
    assert mine[0]["record_id"] == hmac16("record", record)
    # the same key gives the same file; another key other pseudonyms
    again = tmp_path / "again.csv"
    assert run_cli("export", "events", "--db", str(sample_db), "--out", str(again)).returncode == 0
    assert again.read_bytes() == out.read_bytes()
    monkeypatch.setenv("STEERING_PSEUDONYM_KEY", "another-secret-key-of-enough-length")
    other = tmp_path / "other.csv"
    assert run_cli("export", "events", "--db", str(sample_db), "--out", str(other)).returncode == 0
    assert read(other)[0]["person_id"] != events[0]["person_id"]
    # the findings export (every team's records) is pseudonymised the same way
    findings = tmp_path / "findings.csv"
    assert run_cli("export", "findings", "--db", str(sample_db), "--out", str(findings)).returncode == 0
    assert not any(p in findings.read_text(encoding="utf-8") for p in persons)


def test_metrics_export_suppresses_small_cells(tmp_path: Path) -> None:
    db = tmp_path / "tiny.duckdb"
    load_folder(write_canonical(tmp_path / "src", tiny_job_center()), db)
    out, raw = tmp_path / "metrics.csv", tmp_path / "raw.csv"
    result = run_cli("export", "metrics", "--db", str(db), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "weniger als 5 Personen bleiben leer" in result.stdout
    result = run_cli("export", "metrics", "--db", str(db), "--out", str(raw), "--no-suppression")
    assert result.returncode == 0 and "NICHT ausgeblendet" in result.stderr
    shown, full = read(out), read(raw)
    assert [list(r) for r in shown[:1]] == [list(r) for r in full[:1]]  # the contract's columns, unchanged
    assert len(shown) == len(full)

    def cell(rows, team, month, metric):
        return next(r for r in rows if (r["team_id"], r["month"], r["metric_id"]) == (team, month, metric))

    # T1 has one person in stock in March 2023 (P1): the count is hidden, so are its numerator and denominator
    assert cell(full, "T1", "2023-03-01", "elb_stock")["value"] == "1.0"
    assert cell(shown, "T1", "2023-03-01", "elb_stock")["value"] == ""
    rate = cell(shown, "T1", "2023-03-01", "activation_rate")
    assert rate["value"] == rate["numerator"] == rate["denominator"] == ""
    # zero is shown: an empty group says nothing about anybody
    assert cell(shown, "T2", "2023-01-01", "elb_stock")["value"] == "0.0"
    # never a lone hidden cell in a month and metric whose total is shown
    for (month, metric) in {(r["month"], r["metric_id"]) for r in shown}:
        group = [r for r in shown if (r["month"], r["metric_id"]) == (month, metric)]
        parts = [r for r in group if r["team_id"] != "__all__"]
        hidden = [r for r in parts if r["value"] == "" and cell(full, r["team_id"], month, metric)["value"] != ""]
        total = next(r for r in group if r["team_id"] == "__all__")
        assert len(hidden) != 1 or total["value"] == "", (month, metric)
    dq = tmp_path / "dq.csv"
    assert run_cli("export", "dq", "--db", str(db), "--out", str(dq)).returncode == 0
    assert any(r["checked"] == "" for r in read(dq))
