"""The agreements of the team review meetings (Teamreflexion): the product's one read-write store.

Everything else the product stores is rebuilt from the job center's exports by
``steering load``. The agreements a team records in its review meeting (what,
which role takes care of it, by when, status) are not: they live in their own
DuckDB file (``reviews.path``, default ``agreements.duckdb`` beside the
database), which a load never replaces, and every successful load leaves a
timestamped copy in ``reviews.backup_dir`` (the newest ``reviews.backup_keep``
are kept). The dashboard's ``data.py`` stays read-only on the snapshot; writes
go through this module only.

Why a connection per call: DuckDB lets one process write a file at a time, and
the dashboard (several sessions), the loader's backup and a CLI may all touch
the store. Each call opens, works and closes; a call that meets a lock retries
for a few seconds.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.settings import Settings, load_settings

STATUSES = {"open": "offen", "in_progress": "in Arbeit", "done": "erledigt", "dropped": "verworfen"}
OWNER_ROLES = ["Team gemeinsam", "Teamleitung", "Integrationsfachkräfte", "Fallmanagement",
               "Leistungsbereich", "Ansprechperson Datenqualität", "Controlling"]
MAX_TEXT = 1000
BACKUP_PREFIX = "agreements-"

SCHEMA = """
CREATE SEQUENCE IF NOT EXISTS agreement_ids START 1;
CREATE TABLE IF NOT EXISTS agreements (
    agreement_id BIGINT PRIMARY KEY DEFAULT nextval('agreement_ids'),
    team_id VARCHAR NOT NULL,
    meeting_month DATE NOT NULL,
    text VARCHAR NOT NULL,
    owner_role VARCHAR,
    due_date DATE,
    status VARCHAR NOT NULL DEFAULT 'open',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
"""
COLUMNS = ["agreement_id", "team_id", "meeting_month", "text", "owner_role", "due_date", "status", "created_at",
           "updated_at"]


def store_path(settings: Settings | None = None, db: Path | str | None = None) -> Path:
    """``reviews.path``, or ``agreements.duckdb`` beside the database (``db`` or ``database.path``)."""
    settings = settings or load_settings()
    if settings.reviews.path:
        return Path(settings.reviews.path)
    return Path(db or settings.database.path).with_name("agreements.duckdb")


def backup_dir(settings: Settings, store: Path) -> Path:
    return Path(settings.reviews.backup_dir) if settings.reviews.backup_dir else store.parent / "backups"


def _connect(path: Path, read_only: bool = False, wait_s: float = 5.0) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + wait_s
    while True:
        try:
            if read_only:
                return duckdb.connect(str(path), read_only=True)
            path.parent.mkdir(parents=True, exist_ok=True)
            con = duckdb.connect(str(path))
            con.execute(SCHEMA)
            return con
        except duckdb.IOException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _write(path: Path, work: Callable[[duckdb.DuckDBPyConnection], object]) -> object:
    con = _connect(path)
    try:
        return work(con)
    finally:
        con.close()


def _check_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValueError("Eine Vereinbarung braucht einen Text.")
    if len(text) > MAX_TEXT:
        raise ValueError(f"Bitte kürzer fassen (höchstens {MAX_TEXT} Zeichen).")
    return text


def add(path: Path, team_id: str, meeting_month: dt.date, text: str, owner_role: str | None = None,
        due_date: dt.date | None = None, status: str = "open") -> int:
    """Record one agreement; returns its id."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}; known: {', '.join(STATUSES)}")
    text = _check_text(text)
    now = dt.datetime.now().replace(microsecond=0)

    def work(con: duckdb.DuckDBPyConnection) -> int:
        return con.execute(
            "INSERT INTO agreements (team_id, meeting_month, text, owner_role, due_date, status, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING agreement_id",
            [team_id, meeting_month.replace(day=1), text, owner_role or None, due_date, status, now, now],
        ).fetchall()[0][0]

    return int(_write(path, work))  # type: ignore[arg-type]


def set_status(path: Path, agreement_id: int, status: str, team_id: str) -> None:
    """Change the status of one of ``team_id``'s agreements (another team's id changes nothing)."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}; known: {', '.join(STATUSES)}")
    _write(path, lambda con: con.execute(
        "UPDATE agreements SET status = ?, updated_at = ? WHERE agreement_id = ? AND team_id = ?",
        [status, dt.datetime.now().replace(microsecond=0), agreement_id, team_id]))


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=COLUMNS)


def _read(path: Path, sql: str, params: list) -> pd.DataFrame:
    if not path.is_file():
        return _empty()
    con = _connect(path, read_only=True)
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if "agreements" not in tables:
            return _empty()
        return con.execute(sql, params).df()
    finally:
        con.close()


def for_meeting(path: Path, team_id: str, month: dt.date) -> pd.DataFrame:
    """The agreements a team recorded in the meeting of ``month``."""
    return _read(path, "SELECT * FROM agreements WHERE team_id = ? AND meeting_month = ? ORDER BY agreement_id",
                 [team_id, month.replace(day=1)])


def previous_meeting(path: Path, team_id: str, month: dt.date) -> dt.date | None:
    """The month of the team's latest meeting with agreements before ``month``."""
    frame = _read(path, "SELECT max(meeting_month) AS m FROM agreements WHERE team_id = ? AND meeting_month < ?",
                  [team_id, month.replace(day=1)])
    if frame.empty or pd.isna(frame["m"].iloc[0]):
        return None
    return pd.Timestamp(frame["m"].iloc[0]).date()


def all_agreements(path: Path) -> pd.DataFrame:
    return _read(path, "SELECT * FROM agreements ORDER BY agreement_id", [])


def backup(settings: Settings, store: Path, now: dt.datetime | None = None) -> Path | None:
    """Copy the store into the backup folder with a timestamp and keep the newest ``reviews.backup_keep``.

    The copy is made by DuckDB from a read-only attachment, so it is a consistent
    database even if the dashboard writes at the same moment. Returns the copy,
    or None when there is no store yet.
    """
    if not store.is_file():
        return None
    folder = backup_dir(settings, store)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S-%f")
    target = folder / f"{BACKUP_PREFIX}{stamp}.duckdb"
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    deadline = time.monotonic() + 10
    while True:
        con = duckdb.connect()
        try:
            con.execute("ATTACH ? AS src (READ_ONLY)", [str(store)])
            con.execute("ATTACH ? AS dst", [str(partial)])
            con.execute("COPY FROM DATABASE src TO dst")
            break
        except duckdb.IOException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
        finally:
            con.close()
    partial.replace(target)
    keep = max(1, settings.reviews.backup_keep)
    copies = sorted(folder.glob(f"{BACKUP_PREFIX}*.duckdb"))
    for old in copies[:-keep]:
        old.unlink(missing_ok=True)
    return target


def backup_after_load(db: Path, settings: Settings, progress: Callable[[str], None]) -> Path | None:
    """The hook at the end of a successful ``steering load``: back up the agreements store.

    A failing backup does not undo the load (the new snapshot is in place); it says so.
    """
    store = store_path(settings, db)
    if store.resolve() == Path(db).resolve():
        progress(f"Warnung: reviews.path ist die Datenbank selbst ({store}); die Vereinbarungen brauchen eine "
                 "eigene Datei, nichts wurde gesichert")
        return None
    try:
        copy = backup(settings, store)
    except (OSError, duckdb.Error) as exc:
        progress(f"Warnung: die Vereinbarungen in {store} ließen sich nicht sichern ({exc})")
        return None
    if copy is not None:
        progress(f"Vereinbarungen gesichert nach {copy}")
    return copy


def restore(backup_file: Path, store: Path) -> None:
    """Put a backup back in place (the current store is kept beside it as ``.replaced``)."""
    if store.exists():
        shutil.copy2(store, store.with_name(store.name + ".replaced"))
    shutil.copy2(backup_file, store)
