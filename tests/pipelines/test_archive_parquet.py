"""Datenstand archive (reproducible figures, changes between loads) and the Parquet export."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from pipelines.load import load_folder
from pipelines.settings import load_settings
from tests.conftest import run_cli, tiny_job_center, write_canonical


def _late_entry(tables: dict) -> dict:
    """An integration of P1 in June 2023, entered late (after the first Datenstand)."""
    tables["integrations"].append({"integration_id": "I2", "person_id": "P1", "integration_date": "2023-06-20",
                                   "integration_type": "employment_part", "recorded_at": "2023-10-05 09:00:00"})
    return tables


def test_each_load_is_archived_and_changes_between_datenstaende_are_visible(tmp_path: Path) -> None:
    db = tmp_path / "steering.duckdb"
    load_folder(write_canonical(tmp_path / "a", tiny_job_center()), db, as_of=dt.date(2023, 9, 30))
    load_folder(write_canonical(tmp_path / "b", _late_entry(tiny_job_center())), db, as_of=dt.date(2023, 10, 31))
    archive = tmp_path / "archive"
    assert sorted(p.name for p in archive.iterdir()) == ["2023-09-30", "2023-10-31"]
    con = duckdb.connect()
    june = con.execute("SELECT value FROM read_parquet(?) WHERE team_id = 'T1' AND metric_id = 'integrations'"
                       " AND month = DATE '2023-06-01'", [str(archive / "2023-09-30" / "metric_values.parquet")])
    assert june.fetchall() == [(0.0,)], "the first Datenstand keeps its figure"
    result = run_cli("archive", "diff", "2023-09-30", "2023-10-31", "--metric", "integrations", "--db", str(db),
                     "--out", str(tmp_path / "diff.csv"))
    assert result.returncode == 0, result.stderr
    diff = con.execute("SELECT team_id, month, value_old, value_new FROM read_csv(?) ORDER BY ALL",
                       [str(tmp_path / "diff.csv")]).fetchall()
    assert diff == [("T1", dt.date(2023, 6, 1), 0.0, 1.0), ("__all__", dt.date(2023, 6, 1), 0.0, 1.0)]


def test_retention_keeps_the_newest(tmp_path: Path) -> None:
    config = tmp_path / "steering.toml"
    config.write_text("[archive]\nkeep = 2\n", encoding="utf-8")
    settings = load_settings(config, env={})
    source = write_canonical(tmp_path / "src", tiny_job_center())
    db = tmp_path / "steering.duckdb"
    for day in (29, 30, 31):
        load_folder(source, db, as_of=dt.date(2023, 8, day), settings=settings)
    assert sorted(p.name for p in (tmp_path / "archive").iterdir()) == ["2023-08-30", "2023-08-31"]


def test_parquet_export_is_partitioned_by_month(tmp_path: Path) -> None:
    db = tmp_path / "steering.duckdb"
    load_folder(write_canonical(tmp_path / "src", tiny_job_center()), db)
    out = tmp_path / "metrics"
    result = run_cli("export", "metrics", "--format", "parquet", "--no-suppression", "--db", str(db),
                     "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir())[:2] == ["month=2023-01-01", "month=2023-02-01"]
    con = duckdb.connect()
    exported = con.execute("SELECT count(*) FROM read_parquet(?, hive_partitioning = true)",
                           [str(out / "**" / "*.parquet")]).fetchall()[0][0]
    original = duckdb.connect(str(db), read_only=True).execute("SELECT count(*) FROM metric_values").fetchall()
    assert exported == original[0][0]
