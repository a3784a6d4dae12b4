"""Property-based: random small job centers, loaded end to end, keep the metric invariants.

Hypothesis draws persons, spells (overlapping, open, ending on month ends), team
assignments with gaps, contacts, measures and integrations; each example goes
through the real loader into a real DuckDB file.
"""

from __future__ import annotations

import datetime as dt

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.load import load_folder
from tests.conftest import write_canonical

START = dt.date(2022, 1, 1)
DAYS = 900  # about 30 months
SHARES = ("activation_rate", "coop_plan_coverage", "no_contact_90d_rate", "first_contact_14d_rate",
          "integration_covering_3m", "ltb_activation_rate")


def day(offset: int) -> str:
    return (START + dt.timedelta(days=offset)).isoformat()


@st.composite
def job_centers(draw: st.DrawFn) -> dict[str, list[dict]]:
    n = draw(st.integers(1, 6))
    teams = [{"team_id": f"T{i}", "team_name": f"Team {i}", "unit": "U25"} for i in range(draw(st.integers(1, 3)))]
    tables: dict[str, list[dict]] = {k: [] for k in ("persons", "benefit_spells", "assignments", "contacts",
                                                     "cooperation_plans", "measures", "integrations")}
    tables["teams"] = teams
    offsets = st.integers(0, DAYS)
    for p in range(n):
        pid = f"P{p}"
        tables["persons"].append({"person_id": pid, "birth_date": day(draw(st.integers(-20000, -5000))),
                                  "single_parent": draw(st.sampled_from(["true", "false", ""])), "sex": "w"})
        for s in range(draw(st.integers(0, 3))):
            a, b = sorted(draw(st.tuples(offsets, offsets)))
            tables["benefit_spells"].append({"spell_id": f"S{p}_{s}", "person_id": pid, "spell_start": day(a),
                                             "spell_end": draw(st.sampled_from([day(b), ""])),
                                             "employable": draw(st.sampled_from(["true", "true", "false"]))})
        for _ in range(draw(st.integers(0, 3))):
            a, b = sorted(draw(st.tuples(offsets, offsets)))
            tables["assignments"].append({"person_id": pid, "team_id": draw(st.sampled_from(teams))["team_id"],
                                          "valid_from": day(a), "valid_to": draw(st.sampled_from([day(b), ""]))})
        for kind, key, date_col in (("contacts", "contact_id", "contact_date"),
                                    ("integrations", "integration_id", "integration_date"),
                                    ("measures", "measure_id", "start_date"),
                                    ("cooperation_plans", "plan_id", "plan_date")):
            for e in range(draw(st.integers(0, 3))):
                row = {key: f"{kind[0]}{p}_{e}", "person_id": pid, date_col: day(draw(offsets)),
                       "recorded_at": day(DAYS) + " 12:00:00"}
                row |= {"contacts": {"contact_type": "phone"}, "integrations": {"integration_type": "employment_full"},
                        "measures": {"measure_type": "agh"}, "cooperation_plans": {}}[kind]
                tables[kind].append(row)
    return tables


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    return con.execute(sql).fetchall()[0][0]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(tables=job_centers())
def test_invariants_hold_for_random_job_centers(tmp_path_factory, tables: dict) -> None:
    base = tmp_path_factory.mktemp("prop")
    db = base / "x.duckdb"
    load_folder(write_canonical(base / "src", tables), db, as_of=START + dt.timedelta(days=DAYS))
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert _scalar(con, "SELECT count(*) FROM (SELECT team_id, month, metric_id FROM metric_values"
                            " GROUP BY ALL HAVING count(*) > 1)") == 0
        for metric in ("elb_stock", "entries", "exits", "integrations"):
            assert _scalar(con, f"""
                SELECT count(*) FROM (
                    SELECT month, sum(value) FILTER (WHERE team_id <> '__all__') AS teams,
                           max(value) FILTER (WHERE team_id = '__all__') AS whole
                    FROM metric_values WHERE metric_id = '{metric}' GROUP BY month)
                WHERE teams IS DISTINCT FROM whole""") == 0, f"{metric}: __all__ is not the sum over teams"
        shares = ", ".join(f"'{m}'" for m in SHARES)
        assert _scalar(con, f"SELECT count(*) FROM metric_values WHERE metric_id IN ({shares})"
                            " AND (value < 0 OR value > 100)") == 0
        assert _scalar(con, "SELECT count(*) FROM metric_values m JOIN metric_catalog c USING (metric_id)"
                            " WHERE c.unit = 'percent' AND m.metric_id <> 'dq_score' AND m.value IS NOT NULL"
                            " AND abs(m.value - 100 * m.numerator / m.denominator) > 1e-9") == 0
        assert _scalar(con, "SELECT count(*) FROM metric_values m JOIN metric_catalog c USING (metric_id)"
                            " WHERE c.unit = 'percent' AND m.denominator = 0 AND m.value IS NOT NULL") == 0
        stock = _scalar(con, "SELECT count(*) FROM core.person_month")
        assert _scalar(con, "SELECT coalesce(sum(value), 0) FROM metric_values"
                            " WHERE metric_id = 'elb_stock' AND team_id = '__all__'") == stock
    finally:
        con.close()
