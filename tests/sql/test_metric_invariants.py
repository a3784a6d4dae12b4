"""Invariants of metric_values on the committed sample export (sample_data/), loaded end to end.

Hand-computed values live in test_metrics_hand.py; here we check what must hold
for any data: one row per team, month and metric; '__all__' equal to the sum
over the teams (every person has exactly one team on a day, every event one
team on its date); shares between 0 and 100; every rate equal to
100 × numerator / denominator; counts stored as counts; each table's grain.
"""

from __future__ import annotations

import duckdb
import pytest

from pipelines.compute import OUTPUT_GRAIN
from pipelines.load import load_folder
from pipelines.sqlmodels import SQL_DIR, discover, duplicate_grain_rows
from tests.conftest import SAMPLE_DIR

# Persons-based shares: a part of a group over the group, so 0..100.
SHARES = ["activation_rate", "ltb_activation_rate", "coop_plan_coverage", "no_contact_90d_rate",
          "first_contact_14d_rate", "integration_covering_3m"]
STOCKS = ["elb_stock", "ltb_stock"]
FLOWS = ["entries", "exits", "integrations"]
# Metrics whose '__all__' row is not a sum over teams (a mean over rules).
NOT_ADDITIVE = {"dq_score"}


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory):
    if not any(SAMPLE_DIR.glob("*.csv")):
        pytest.skip(f"no sample export in {SAMPLE_DIR} yet (written by 'steering sample')")
    db = tmp_path_factory.mktemp("invariants") / "sample.duckdb"
    load_folder(SAMPLE_DIR, db)
    connection = duckdb.connect(str(db), read_only=True)
    yield connection
    connection.close()


def count(con, sql: str, params: list | None = None) -> int:
    return con.execute(sql, params or []).fetchone()[0]


def test_sample_has_substance(con):
    assert count(con, "SELECT count(*) FROM core.calendar") >= 36
    assert count(con, "SELECT count(*) FROM core.team_list") >= 4
    assert count(con, "SELECT count(*) FROM metric_values WHERE metric_id = 'ltb_change_yoy'"
                      " AND value IS NOT NULL") > 0


def test_full_grid_and_no_duplicates(con):
    expected = count(con, "SELECT (SELECT count(*) FROM core.team_list) * (SELECT count(*) FROM core.calendar)"
                          " * (SELECT count(*) FROM metric_catalog)")
    assert count(con, "SELECT count(*) FROM metric_values") == expected
    assert duplicate_grain_rows(con, "metric_values", ["team_id", "month", "metric_id"]) == 0
    assert count(con, "SELECT count(*) FROM metric_values m ANTI JOIN metric_catalog USING (metric_id)") == 0
    assert count(con, "SELECT count(*) FROM metric_values m ANTI JOIN core.team_list USING (team_id)") == 0
    assert count(con, "SELECT count(*) FROM metric_values m ANTI JOIN core.calendar USING (month)") == 0


@pytest.mark.parametrize("table, grain", sorted(OUTPUT_GRAIN.items()))
def test_output_grain(con, table, grain):
    exists = count(con, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main'"
                        " AND table_name = ?", [table])
    if not exists:
        pytest.skip(f"{table} is not built by this load")
    assert duplicate_grain_rows(con, table, grain) == 0


@pytest.mark.parametrize("model", [m for m in discover(SQL_DIR, layers=("core",)) if m.grain],
                         ids=lambda m: m.name)
def test_core_grain(con, model):
    assert duplicate_grain_rows(con, model.name, model.grain) == 0


@pytest.mark.parametrize("model", [m for m in discover(SQL_DIR, layers=("metrics",))], ids=lambda m: m.name)
def test_metric_files_declare_their_grain(model):
    assert model.grain == ["team_id", "month", "metric_id"]


def test_catalog_is_complete(con):
    bad = con.execute(
        "SELECT metric_id FROM metric_catalog WHERE unit NOT IN ('count', 'percent', 'per_100', 'score')"
        " OR direction NOT IN ('higher_better', 'lower_better', 'neutral')"
        " OR length(coalesce(definition_de, '')) < 200 OR label_de IS NULL OR label_en IS NULL"
    ).fetchall()
    assert bad == []


@pytest.mark.parametrize("metric", STOCKS + FLOWS)
def test_counts_are_counts(con, metric):
    bad = count(con, "SELECT count(*) FROM metric_values WHERE metric_id = ? AND value IS NOT NULL"
                     " AND (value <> numerator OR denominator IS NOT NULL OR value < 0 OR value <> round(value))",
                [metric])
    assert bad == 0


@pytest.mark.parametrize("metric", STOCKS + FLOWS)
def test_all_equals_sum_over_teams_for_counts(con, metric):
    rows = con.execute(
        """
        SELECT month, max(value) FILTER (WHERE team_id = '__all__') AS whole,
               sum(value) FILTER (WHERE team_id <> '__all__') AS teams
        FROM metric_values WHERE metric_id = ? GROUP BY month
        HAVING whole IS DISTINCT FROM teams
        """, [metric]).fetchall()
    assert rows == []
    assert count(con, "SELECT count(*) FROM metric_values WHERE metric_id = ? AND value > 0", [metric]) > 0


def test_all_numerators_and_denominators_are_sums_over_teams(con):
    rows = con.execute(
        """
        WITH per_month AS (
            SELECT metric_id, month,
                   max(numerator) FILTER (WHERE team_id = '__all__') AS all_num,
                   sum(numerator) FILTER (WHERE team_id <> '__all__') AS teams_num,
                   max(denominator) FILTER (WHERE team_id = '__all__') AS all_den,
                   sum(denominator) FILTER (WHERE team_id <> '__all__') AS teams_den
            FROM metric_values WHERE metric_id NOT IN (SELECT unnest(?)) GROUP BY ALL
        )
        SELECT * FROM per_month
        WHERE abs(coalesce(all_num, -1) - coalesce(teams_num, -1)) > 1e-9
           OR abs(coalesce(all_den, -1) - coalesce(teams_den, -1)) > 1e-9
        """, [sorted(NOT_ADDITIVE)]).fetchall()
    assert rows == []


def test_all_stock_is_every_person_once(con):
    assert count(con, """
        SELECT count(*) FROM metric_values v
        JOIN (SELECT month, count(DISTINCT person_id) AS n FROM core.stock GROUP BY month) s USING (month)
        WHERE v.metric_id = 'elb_stock' AND v.team_id = '__all__' AND v.value <> s.n
    """) == 0


@pytest.mark.parametrize("metric", SHARES)
def test_shares_between_0_and_100(con, metric):
    assert count(con, "SELECT count(*) FROM metric_values WHERE metric_id = ? AND (value < 0 OR value > 100"
                      " OR numerator > denominator OR numerator < 0)", [metric]) == 0
    assert count(con, "SELECT count(*) FROM metric_values WHERE metric_id = ? AND value IS NOT NULL",
                 [metric]) > 0


def test_rates_are_100_times_numerator_over_denominator(con):
    rates = [r[0] for r in con.execute(
        "SELECT metric_id FROM metric_catalog WHERE unit IN ('percent', 'per_100')").fetchall()]
    assert len(rates) >= 13
    bad = con.execute(
        """
        SELECT metric_id, team_id, month, value, numerator, denominator FROM metric_values
        WHERE metric_id IN (SELECT unnest(?)) AND (
              (value IS NOT NULL AND (denominator IS NULL OR denominator = 0
                                      OR abs(value - 100 * numerator / denominator) > 1e-9 * greatest(1, abs(value))))
           OR (value IS NULL AND denominator <> 0 AND numerator IS NOT NULL))
        LIMIT 5
        """, [rates]).fetchall()
    assert bad == []


def test_progress_equals_the_12_month_rate_in_december(con):
    assert count(con, """
        SELECT count(*) FROM metric_values y JOIN metric_values r USING (team_id, month)
        WHERE y.metric_id = 'integration_progress_ytd' AND r.metric_id = 'integration_rate_12m'
          AND month(month) = 12
          AND (y.value IS DISTINCT FROM r.value AND abs(y.value - r.value) > 1e-9
               OR (y.value IS NULL) <> (r.value IS NULL))
    """) == 0
