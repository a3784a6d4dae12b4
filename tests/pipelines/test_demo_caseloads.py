"""`make demo`'s job center (12,000 persons, seed 42): realistic caseloads, loaded with the real CLI.

Issue 16, item 12: every team of the demo holds 600-1,500 eLb, as teams of a real job center do, so the
dashboard shows figures of a realistic size (and small-cell suppression stays the exception) - while the
structure stays that of a job center: U25, Fallmanagement and Reha smaller than the regional Ü25 teams.
Measured on the loaded database (``elb_stock`` in ``metric_values``), not on the generator's internals,
because the loader's team rules (and the injected defects) decide what the dashboard shows.

Cost: generating takes a few seconds, ``steering load`` about 15-30 s on the shared 2-core machine.
"""

from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.sample import write_sample
from tests.conftest import query

DEMO_PERSONS = 12_000  # the Makefile's SAMPLE_DEMO
SEED = 42
CASELOAD = (600, 1_500)
U25, UE25, FM, REHA = ("T01", "T02"), ("T03", "T04", "T05", "T06"), "T07", "T08"
STEERING = Path(sys.executable).with_name("steering")
LOAD_TIMEOUT_S = 180  # a hung load must fail the test, not the suite; it normally takes 15-30 s


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The demo export and the database `steering load` builds from it."""
    base = tmp_path_factory.mktemp("demo")
    export, db = base / "export", base / "steering.duckdb"
    write_sample(export, persons=DEMO_PERSONS, seed=SEED)
    result = subprocess.run([str(STEERING), "load", str(export), "--db", str(db)], capture_output=True, text=True,
                            timeout=LOAD_TIMEOUT_S)
    assert result.returncode == 0, result.stderr
    return export, db


@pytest.fixture(scope="module")
def stock(demo: tuple[Path, Path]) -> dict[str, list[float]]:
    """Monthly eLb stock per team (and ``__all__``) over the last 12 months of the data."""
    rows = query(demo[1], """
        with last as (select distinct month from metric_values where metric_id = 'elb_stock'
                      order by month desc limit 12)
        select team_id, list(value order by month) from metric_values
        where metric_id = 'elb_stock' and month in (select month from last) and team_id <> '__unassigned__'
        group by team_id""")
    return {team: values for team, values in rows}


def test_every_team_holds_a_realistic_caseload_in_each_of_the_last_12_months(stock: dict[str, list[float]]) -> None:
    teams = sorted(t for t in stock if t != "__all__")
    assert teams == sorted((*U25, *UE25, FM, REHA))
    lo, hi = CASELOAD
    outside = {t: (min(v), max(v)) for t, v in stock.items() if t != "__all__" and not lo <= min(v) <= max(v) <= hi}
    assert all(len(v) == 12 for v in stock.values())
    assert outside == {}, f"teams outside {lo}-{hi} eLb (min, max over the last 12 months): {outside}"


def test_the_job_center_keeps_its_structure(stock: dict[str, list[float]]) -> None:
    """Realistic sizes must not come from making every team equal: the shares stay those of a job center."""
    total = sum(stock["__all__"])

    def share(*teams: str) -> float:
        return sum(sum(stock[t]) for t in teams) / total

    assert 0.15 <= share(*U25) <= 0.25
    assert 0.08 <= share(FM) <= 0.13 and 0.06 <= share(REHA) <= 0.13
    assert share(*UE25) >= 0.45  # the regional Ü25 teams hold about half of the stock


def test_the_demo_export_is_deterministic(demo: tuple[Path, Path], tmp_path: Path) -> None:
    export = demo[0]
    write_sample(tmp_path / "again", persons=DEMO_PERSONS, seed=SEED)
    names = sorted(p.name for p in export.iterdir())
    assert names == sorted(p.name for p in (tmp_path / "again").iterdir())
    _, mismatch, errors = filecmp.cmpfiles(export, tmp_path / "again", names, shallow=False)
    assert (mismatch, errors) == ([], [])
