"""Unit subtotals (``unit_values``) on the hand-built job center of test_metrics_hand.py, worked out by hand.

The same export, with the two teams put into one unit ("Ü25") and a third team T3 (no persons) in a unit of
its own ("Reha"). The subtotal of a unit is the sum of its teams' numerators and denominators, and the value is
worked out from them as for a team (docs/metrics-decisions.md, "Unit subtotals"); the team figures used below
are the hand values of test_metrics_hand.py, each with its reason there.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from pipelines.contract import load_contract
from pipelines.load import load_folder
from tests.conftest import write_canonical
from tests.sql.test_metrics_hand import AS_OF, COUNT_SERIES, MONTHS, ROWS


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("units")
    contract = load_contract()
    rows = {**ROWS, "teams": [("T1", "Team Nord", "Ü25"), ("T2", "Team Süd", " Ü25 "), ("T3", "Reha", "Reha")]}
    tables = {name: [dict(zip(contract[name].column_names, row, strict=True)) for row in part]
              for name, part in rows.items()}
    db = tmp / "units.duckdb"
    load_folder(write_canonical(tmp / "source", tables), db, as_of=AS_OF)
    connection = duckdb.connect(str(db), read_only=True)
    yield connection
    connection.close()


def cell(con, metric: str, when: str) -> tuple:
    return con.execute("SELECT value, numerator, denominator, teams FROM unit_values WHERE unit = 'Ü25'"
                       " AND metric_id = ? AND month = ?", [metric, dt.date(int(when[:4]), int(when[5:]), 1)]
                       ).fetchone()


def test_only_units_of_two_or_more_teams(con) -> None:
    # "Reha" holds one team (its subtotal would repeat the team's row); the unit's name is trimmed
    assert [r[0] for r in con.execute("SELECT DISTINCT unit FROM unit_values").fetchall()] == ["Ü25"]
    assert con.execute("SELECT team_id, unit FROM core.team_list ORDER BY team_id").fetchall() == [
        ("T1", "Ü25"), ("T2", "Ü25"), ("T3", "Reha"), ("__all__", None), ("__unassigned__", None)]


def test_no_subtotal_of_the_dq_score(con) -> None:
    assert con.execute("SELECT count(*) FROM unit_values WHERE metric_id = 'dq_score'").fetchone()[0] == 0


@pytest.mark.parametrize("metric", ["elb_stock", "integrations", "entries", "exits"])
def test_counts_are_the_sum_of_the_two_teams(con, metric: str) -> None:
    series = COUNT_SERIES[metric]
    got = [r[0] for r in con.execute("SELECT value FROM unit_values WHERE unit = 'Ü25' AND metric_id = ?"
                                     " ORDER BY month", [metric]).fetchall()]
    assert got == [a + b for a, b in zip(series["T1"], series["T2"], strict=True)]
    assert len(got) == len(MONTHS)


@pytest.mark.parametrize("metric, when, value, numerator, denominator, reason", [
    ("integration_rate_12m", "2024-12", 45.0, 3, 80 / 12,
     "T1 2 over 25/12, T2 1 over 55/12: 3 over 80/12 (not the mean of 96 % and 21.8 %)"),
    ("integration_rate_12m", "2022-12", None, None, None, "no team has twelve months of stock yet"),
    ("ltb_integration_rate_12m", "2024-12", 200 / (47 / 12), 2, 47 / 12, "T1 2 over 13/12, T2 0 over 34/12"),
    ("first_contact_14d_rate", "2022-01", 25.0, 1, 4, "T1 1 of 2, T2 0 of 2"),
    ("first_contact_14d_rate", "2024-12", None, None, None, "not measurable yet for the teams (d(M)+14 > as-of)"),
])
def test_rates_from_summed_numerators_and_denominators(con, metric, when, value, numerator, denominator,
                                                       reason) -> None:
    got = cell(con, metric, when)
    assert got[3] == 2, reason
    for g, e in zip(got[:3], (value, numerator, denominator), strict=True):
        assert (g is None and e is None) or g == pytest.approx(e), f"{metric} {when}: {got} ({reason})"


def test_a_protection_stored_without_unit_cells_is_worked_out_again(con, tmp_path) -> None:
    """A database whose stored small cells predate the subtotals has no cells for them: reading it must not take
    "nothing stored for units" as "nothing hidden" (fails closed), so the protection is worked out again."""
    import shutil

    from pipelines.protection import read_stored
    from pipelines.publish import Snapshot, Viewer

    path = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0]
    copy = tmp_path / "old.duckdb"
    shutil.copy(path, copy)
    with duckdb.connect(str(copy)) as rw:
        k = rw.execute("SELECT min_cell_size FROM small_cells_run").fetchone()[0]
        assert read_stored(rw, k) is not None
        rw.execute("DELETE FROM small_cells WHERE kind = 'unit'")
        rw.execute("ALTER TABLE small_cells DROP COLUMN unit")
        assert read_stored(rw, k) is None
    with duckdb.connect(str(copy), read_only=True) as ro:
        snapshot = Snapshot(ro.cursor, k)
        shown = snapshot.all_unit_values(Viewer("manager", frozenset({"T1", "T2", "T3"})))
        assert shown["suppressed"].any()  # the hand-built job center's subtotals are small: hidden again
