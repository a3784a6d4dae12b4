"""Faults during a load: killed processes, a full disk, little memory, readers during reloads."""

from __future__ import annotations

import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from pipelines.load import load_folder
from pipelines.settings import load_settings
from tests.conftest import SAMPLE_DIR, tiny_job_center, write_canonical

STEERING = str(Path(sys.executable).with_name("steering"))


def fingerprint(db: Path) -> tuple:
    """What the dashboard would read: the run, the metric rows and a checksum of their values."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            "SELECT (SELECT max(run_id) FROM load_runs WHERE status = 'success'),"
            " (SELECT count(*) FROM metric_values), (SELECT sum(hash(team_id, month, metric_id, value))"
            " FROM metric_values)").fetchall()[0]
    finally:
        con.close()


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, tuple]:
    db = tmp_path_factory.mktemp("good") / "steering.duckdb"
    load_folder(SAMPLE_DIR, db)
    return db, fingerprint(db)


@pytest.fixture(scope="module")
def cli_load_seconds(tmp_path_factory: pytest.TempPathFactory) -> float:
    """How long a whole `steering load` of the sample takes here, so kills land inside it."""
    db = tmp_path_factory.mktemp("timing") / "steering.duckdb"
    start = time.perf_counter()
    subprocess.run([STEERING, "load", str(SAMPLE_DIR), "--db", str(db)], capture_output=True, check=True)
    return time.perf_counter() - start


@pytest.mark.parametrize("fraction", [0.1, 0.2, 0.35, 0.5, 0.65])
def test_killed_load_leaves_the_last_good_snapshot(tmp_path: Path, good: tuple, cli_load_seconds: float,
                                                   fraction: float) -> None:
    db = tmp_path / "steering.duckdb"
    shutil.copy(good[0], db)
    loader = subprocess.Popen([STEERING, "load", str(SAMPLE_DIR), "--db", str(db)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(cli_load_seconds * fraction)
    loader.send_signal(signal.SIGKILL)
    assert loader.wait() == -signal.SIGKILL, "the load finished before the kill; the moment tested nothing"
    # all or nothing: the last good snapshot, or (a kill after the commit, while the CLI still prints its
    # report) the complete new one of the same export; never a part of it
    assert fingerprint(db) in (good[1], (2, *good[1][1:])), "a killed load must not change the snapshot"
    committed = fingerprint(db)[0] == 2
    report = load_folder(SAMPLE_DIR, db)  # the next load succeeds and cleans up after the dead one
    assert report.run_id == (3 if committed else 2)
    leftovers = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".steering")
                       and not p.name.endswith(".lock"))
    assert leftovers == []


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit then fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (2 * 2**20, 2 * 2**20))


def test_full_disk_gives_a_clear_error_and_keeps_the_snapshot(tmp_path: Path, good: tuple) -> None:
    db = tmp_path / "steering.duckdb"
    shutil.copy(good[0], db)
    result = subprocess.run([STEERING, "load", str(SAMPLE_DIR), "--db", str(db)], capture_output=True, text=True,
                            preexec_fn=_limit_file_size, timeout=300)
    assert result.returncode == 1, result.stderr
    assert "die Datenbank ist unverändert" in result.stderr and "Plattenplatz" in result.stderr
    assert "Traceback" not in result.stderr
    assert fingerprint(db) == good[1]


def test_unwritable_target_gives_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    result = subprocess.run([STEERING, "load", str(SAMPLE_DIR), "--db", str(blocker / "steering.duckdb")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert "lässt sich nicht anlegen" in result.stderr and "Traceback" not in result.stderr


def test_low_memory_limit_spills_instead_of_crashing(tmp_path: Path, good: tuple) -> None:
    config = tmp_path / "steering.toml"
    config.write_text(f'[database]\nmemory_limit = "80MB"\nthreads = 1\ntemp_directory = "{tmp_path / "spill"}"\n',
                      encoding="utf-8")
    db = tmp_path / "steering.duckdb"
    load_folder(SAMPLE_DIR, db, settings=load_settings(config, env={}))
    assert fingerprint(db)[1:] == good[1][1:], "a low memory limit must not change any figure"


def test_second_concurrent_load_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "steering.duckdb"
    first = subprocess.Popen([STEERING, "load", str(SAMPLE_DIR), "--db", str(db)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        second = subprocess.run([STEERING, "load", str(SAMPLE_DIR), "--db", str(db)], capture_output=True,
                                text=True, timeout=300)
    finally:
        first.wait()
    assert first.returncode == 0
    assert second.returncode == 1 and "in diese Datenbank wird gerade schon geladen" in second.stderr


def test_reader_during_three_loads_sees_whole_snapshots(tmp_path: Path) -> None:
    """Each load has another number of contacts; a read must see the run id and its own count."""
    db = tmp_path / "steering.duckdb"
    sources = []
    for n in range(4):
        tables = tiny_job_center()
        tables["contacts"] = tables["contacts"][: n % 3 + 1]
        sources.append(write_canonical(tmp_path / f"src{n}", tables))
    load_folder(sources[0], db)
    expected = {1: 1, 2: 2, 3: 3, 4: 1}  # run id -> contacts of that snapshot
    errors: list[BaseException] = []
    seen: list[tuple[int, int]] = []
    done = threading.Event()

    def hammer() -> None:
        while not done.is_set():
            try:
                con = duckdb.connect(str(db), read_only=True)
                try:
                    seen.append(con.execute(
                        "SELECT (SELECT max(run_id) FROM load_runs), (SELECT count(*) FROM staging.contacts)"
                    ).fetchall()[0])
                finally:
                    con.close()
            except BaseException as exc:  # noqa: BLE001 - every reader error fails the test
                errors.append(exc)

    reader = threading.Thread(target=hammer)
    reader.start()
    try:
        for source in sources[1:]:
            result = subprocess.run([STEERING, "load", str(source), "--db", str(db)], capture_output=True,
                                    text=True, timeout=300)
            assert result.returncode == 0, result.stderr
    finally:
        done.set()
        reader.join()
    assert errors == []
    assert seen and all(expected[run] == contacts for run, contacts in seen), set(seen)
    assert {run for run, _ in seen} >= {1, 4}
