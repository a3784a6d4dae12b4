"""The real `steering` console script as a subprocess: sample, load, export, usage errors."""

from __future__ import annotations

import filecmp
from pathlib import Path

from tests.conftest import SAMPLE_DIR, run_cli


def test_sample_command_reproduces_the_committed_sample(tmp_path: Path) -> None:
    out = tmp_path / "sample"
    result = run_cli("sample", str(out), "--persons", "2000", "--seed", "42")
    assert result.returncode == 0, result.stderr
    assert "steering load" in result.stdout
    names = sorted(p.name for p in SAMPLE_DIR.iterdir())
    assert names == sorted(p.name for p in out.iterdir())
    match, mismatch, errors = filecmp.cmpfiles(SAMPLE_DIR, out, names, shallow=False)
    assert (mismatch, errors) == ([], []), "sample_data/ is no longer what the generator writes"


def test_load_sample_and_export_every_output(tmp_path: Path) -> None:
    db = tmp_path / "steering.duckdb"
    result = run_cli("load", str(SAMPLE_DIR), "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert "Datenstand 03.11.2026" in result.stdout
    assert "Bemerkung" in result.stdout  # the dropped free-text column is reported
    for what, header in [("metrics", "team_id,month,metric_id,value,numerator,denominator"),
                         ("dq", "team_id,month,rule_id,checked,failed"),
                         ("goals", "year,team_id,metric_id,as_of_month,target_value,actual,expected_linear,"
                                   "expected_seasonal,attainment_pct,forecast_year_end,forecast_low,"
                                   "forecast_high,status")]:
        out = tmp_path / f"{what}.csv"
        result = run_cli("export", what, "--db", str(db), "--out", str(out))
        assert result.returncode == 0, result.stderr
        lines = out.read_text(encoding="utf-8").splitlines()
        assert lines[0] == header and len(lines) > 1


def test_usage_errors_exit_2_without_traceback(tmp_path: Path) -> None:
    result = run_cli("load", str(tmp_path), "--as-of", "03.11.2026")
    assert result.returncode == 2
    assert "--as-of: „03.11.2026“ ist kein Datum der Form JJJJ-MM-TT" in result.stderr
    assert "steering load: Fehler: " in result.stderr and "Aufruf: steering load" in result.stderr
    assert "Traceback" not in result.stderr
    result = run_cli("load", str(tmp_path / "nowhere"), "--db", str(tmp_path / "x.duckdb"))
    assert result.returncode == 1 and "den Quellordner gibt es nicht" in result.stderr
    result = run_cli("export", "metrics", "--db", str(tmp_path / "x.duckdb"))
    assert result.returncode == 2 and "fehlende Angabe(n): --out" in result.stderr
    result = run_cli("sample", str(tmp_path / "s"), "--persons", "viele")
    assert result.returncode == 2 and "--persons: 'viele' ist keine ganze Zahl" in result.stderr


def test_help_is_german() -> None:
    result = run_cli("load", "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Aufruf: steering load")
    assert "Optionen:" in result.stdout and "Datenstand JJJJ-MM-TT" in result.stdout
    assert "diese Hilfe zeigen und beenden" in result.stdout
