"""The agreements store survives reloads, failed loads and restarts, and is backed up with every load."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines import agreements
from pipelines.errors import LoadError
from pipelines.load import load_folder
from pipelines.settings import load_settings
from tests.conftest import ROOT, run_cli, tiny_job_center, write_canonical

MONTH = dt.date(2023, 9, 1)


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, Path]:
    monkeypatch.setenv("STEERING_REVIEWS_BACKUP_KEEP", "2")
    monkeypatch.delenv("STEERING_REVIEWS_PATH", raising=False)
    monkeypatch.delenv("STEERING_REVIEWS_BACKUP_DIR", raising=False)
    source = write_canonical(tmp_path / "src", tiny_job_center())
    db = tmp_path / "data" / "steering.duckdb"
    load_folder(source, db)
    return source, db, agreements.store_path(load_settings(), db)


def rows(store: Path) -> list[tuple]:
    return [tuple(r) for r in agreements.all_agreements(store)[
        ["agreement_id", "team_id", "text", "owner_role", "due_date", "status"]].itertuples(index=False)]


def backups(store: Path) -> list[Path]:
    return sorted((store.parent / "backups").glob("agreements-*.duckdb"))


def test_record_change_and_revisit(tmp_path: Path) -> None:
    store = tmp_path / "agreements.duckdb"
    first = agreements.add(store, "T1", dt.date(2023, 8, 15), "Erstgespräche binnen 14 Tagen terminieren",
                           "Teamleitung", dt.date(2023, 9, 30))
    second = agreements.add(store, "T1", MONTH, "Kooperationspläne vor Ablauf prüfen", "Integrationsfachkräfte")
    agreements.add(store, "T2", dt.date(2023, 8, 1), "Anderes Team")
    assert (first, second) == (1, 2)
    agreements.set_status(store, first, "done", "T1")
    agreements.set_status(store, first, "dropped", "T2")  # another team's id changes nothing
    assert agreements.previous_meeting(store, "T1", MONTH) == dt.date(2023, 8, 1)
    assert agreements.previous_meeting(store, "T1", dt.date(2023, 8, 1)) is None
    previous = agreements.for_meeting(store, "T1", dt.date(2023, 8, 1))
    assert list(previous["text"]) == ["Erstgespräche binnen 14 Tagen terminieren"]
    assert list(previous["status"]) == ["done"]
    assert list(agreements.for_meeting(store, "T1", MONTH)["status"]) == ["open"]
    with pytest.raises(ValueError, match="Text"):
        agreements.add(store, "T1", MONTH, "   ")
    with pytest.raises(ValueError, match="status"):
        agreements.add(store, "T1", MONTH, "x", status="vielleicht")


def test_reload_keeps_agreements_and_backs_them_up(setup: tuple[Path, Path, Path]) -> None:
    source, db, store = setup
    assert store == db.with_name("agreements.duckdb")
    agreements.add(store, "T1", MONTH, "Datenqualität: Geburtsdaten nachtragen", "Team gemeinsam",
                   dt.date(2023, 10, 31))
    before = rows(store)
    for n in (2, 3):  # the fixture's load backed up nothing yet: there was no store
        result = run_cli("load", str(source), "--db", str(db))
        assert result.returncode == 0, result.stderr
        assert "Vereinbarungen gesichert nach" in result.stderr
        assert rows(store) == before
        assert len(backups(store)) == n - 1
    load_folder(source, db)
    assert rows(store) == before
    assert len(backups(store)) == 2  # reviews.backup_keep = 2: the oldest went
    copy = backups(store)[-1]
    con = duckdb.connect(str(copy), read_only=True)
    assert con.execute("SELECT text FROM agreements").fetchall() == [("Datenqualität: Geburtsdaten nachtragen",)]
    con.close()
    # the snapshot itself has no agreements table: a load never writes them there
    con = duckdb.connect(str(db), read_only=True)
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    con.close()
    assert "agreements" not in tables


def test_failed_load_leaves_agreements_and_backups_alone(setup: tuple[Path, Path, Path], tmp_path: Path) -> None:
    source, db, store = setup
    agreements.add(store, "T2", MONTH, "Telefonkontakte zeitnah erfassen", "Team gemeinsam")
    before, copies = rows(store), backups(store)
    (source / "teams.csv").write_text("nonsense\n", encoding="utf-8")  # a required column is missing
    result = run_cli("load", str(source), "--db", str(db))
    assert result.returncode != 0
    assert rows(store) == before
    assert backups(store) == copies
    with pytest.raises(LoadError):
        load_folder(tmp_path / "nowhere", db)
    assert rows(store) == before


def test_restart_reads_the_same_agreements(setup: tuple[Path, Path, Path]) -> None:
    _, db, store = setup
    agreements.add(store, "T1", MONTH, "Maßnahmeplätze im Team vorstellen", "Fallmanagement",
                   dt.date(2023, 11, 15), "in_progress")
    script = ("import sys; from pathlib import Path; from pipelines import agreements; "
              "f = agreements.all_agreements(Path(sys.argv[1])); "
              "print(f.loc[0, 'text'], f.loc[0, 'status'], f.loc[0, 'due_date'].date(), sep='|')")
    out = subprocess.run([sys.executable, "-c", script, str(store)], capture_output=True, text=True, cwd=ROOT,
                         timeout=60, check=True).stdout.strip()
    assert out == "Maßnahmeplätze im Team vorstellen|in_progress|2023-11-15"


def test_restore_a_backup(setup: tuple[Path, Path, Path]) -> None:
    source, db, store = setup
    agreements.add(store, "T1", MONTH, "Vor dem Missgeschick")
    load_folder(source, db)
    store.unlink()
    agreements.add(store, "T1", MONTH, "Nach dem Missgeschick")
    agreements.restore(backups(store)[-1], store)
    assert [r[2] for r in rows(store)] == ["Vor dem Missgeschick"]
    assert store.with_name(store.name + ".replaced").is_file()
