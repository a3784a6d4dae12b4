"""Datenstand archive: the figures of every successful load, kept as Parquet by as-of date.

Why: a figure reported in a meeting must be reproducible months later, although
each load replaces the snapshot, late entries change past months and official
figures are corrected retroactively. ``<archive>/<as-of>/`` holds that load's
``metric_values`` and ``dq_results``; ``compare`` shows what changed between two.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.errors import LoadError
from pipelines.settings import Settings

ARCHIVED = ("metric_values", "dq_results")


def archive_dir(db: Path, settings: Settings) -> Path:
    return Path(settings.archive.path) if settings.archive.path else Path(db).parent / "archive"


def stage(con: duckdb.DuckDBPyConnection, db: Path, settings: Settings, as_of: dt.date, run_id: int) -> Path:
    """Write this load's figures beside the archive; ``publish`` moves them in after the swap."""
    target = archive_dir(db, settings)
    target.mkdir(parents=True, exist_ok=True)
    staged = target / f".staging-{as_of.isoformat()}-{run_id}"
    shutil.rmtree(staged, ignore_errors=True)
    staged.mkdir()
    for table in ARCHIVED:
        con.execute(f"COPY (SELECT * FROM {table} ORDER BY ALL) TO ? (FORMAT parquet)",
                    [str(staged / f"{table}.parquet")])
    (staged / "load_run.json").write_text(json.dumps({"run_id": run_id, "as_of": as_of.isoformat()}),
                                          encoding="utf-8")
    return staged


def publish(staged: Path, settings: Settings) -> Path:
    """Move staged figures to ``<archive>/<as-of>/`` (a reload of the same Datenstand replaces it)."""
    as_of = json.loads((staged / "load_run.json").read_text(encoding="utf-8"))["as_of"]
    final = staged.parent / as_of
    if final.exists():
        shutil.rmtree(final)
    staged.rename(final)
    prune(staged.parent, settings.archive.keep)
    return final


def discard(staged: Path | None) -> None:
    if staged is not None:
        shutil.rmtree(staged, ignore_errors=True)


def datenstaende(folder: Path) -> list[str]:
    """The archived as-of dates, oldest first."""
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def prune(folder: Path, keep: int) -> None:
    if keep <= 0:
        return
    for name in datenstaende(folder)[:-keep]:
        shutil.rmtree(folder / name, ignore_errors=True)


def compare(folder: Path, old: str, new: str, metric_id: str | None = None) -> pd.DataFrame:
    """Rows of metric_values whose value differs between two Datenstände (both must be archived).

    A row only in the newer one (a month that became complete) is not a change and is left out.
    """
    for name in (old, new):
        if not (folder / name / "metric_values.parquet").is_file():
            raise LoadError(str(folder / name), "diesen Datenstand gibt es im Archiv nicht",
                            expected=", ".join(datenstaende(folder)) or "einen archivierten Datenstand")
    con = duckdb.connect()
    try:
        return con.execute(
            """
            SELECT n.team_id, n.month, n.metric_id, o.value AS value_old, n.value AS value_new,
                   n.value - o.value AS difference, o.numerator AS numerator_old, n.numerator AS numerator_new,
                   o.denominator AS denominator_old, n.denominator AS denominator_new
            FROM read_parquet(?) n JOIN read_parquet(?) o USING (team_id, month, metric_id)
            WHERE n.value IS DISTINCT FROM o.value AND (? IS NULL OR n.metric_id = ?)
            ORDER BY n.metric_id, n.month, n.team_id
            """,
            [str(folder / new / "metric_values.parquet"), str(folder / old / "metric_values.parquet"),
             metric_id, metric_id],
        ).df()
    finally:
        con.close()
