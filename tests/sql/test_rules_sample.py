"""Data-quality rules on the committed sample export (German cp1252 CSV + mapping.yaml).

The sample generator injects every defect kind of DQ01–DQ16 at least once, plus
loader-level defects (unreadable birth dates, an unmapped sex code). Here we
check that every kind is found and that the counts are consistent: failed <=
checked, one finding per failed row (DQ15 over its three tables), teams add up
to the whole job center, and dq_score lies between 0 and 100.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.load import load_folder
from pipelines.publish import read_fix_list as fixlist_frame
from tests.conftest import SAMPLE_DIR

RULES = [f"DQ{i:02d}" for i in range(1, 17)]


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    assert (SAMPLE_DIR / "persons.csv").is_file() and (SAMPLE_DIR / "mapping.yaml").is_file(), (
        f"the committed sample export is missing in {SAMPLE_DIR}")
    db = tmp_path_factory.mktemp("dq_sample") / "sample.duckdb"
    load_folder(Path(SAMPLE_DIR), db)
    connection = duckdb.connect(str(db), read_only=True)
    yield connection
    connection.close()


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    return con.execute(sql, params or []).fetchone()[0]


def test_every_injected_defect_kind_is_found(con):
    failed = dict(con.execute("SELECT rule_id, sum(failed) FROM dq_results WHERE team_id = '__all__'"
                              " GROUP BY rule_id").fetchall())
    assert sorted(failed) == RULES
    assert {r: n for r, n in failed.items() if n == 0} == {}


def test_dq15_finds_rows_of_all_three_tables(con):
    tables = {r[0] for r in con.execute("SELECT DISTINCT table_name FROM dq_findings WHERE rule_id = 'DQ15'"
                                        ).fetchall()}
    assert tables == {"contacts", "measures", "integrations"}
    # its population is exactly the contacts, measures and integrations the other event rules check
    per_rule = dict(con.execute("SELECT rule_id, sum(checked) FROM dq_results WHERE team_id = '__all__'"
                                " GROUP BY rule_id").fetchall())
    assert per_rule["DQ15"] == per_rule["DQ11"] + per_rule["DQ08"] + per_rule["DQ10"]


def test_blanked_birth_dates_are_dq01_findings(con):
    # every (person, month) in stock whose birth date the loader had to blank is a DQ01 finding
    missing = con.execute("""
        SELECT count(*), count(*) FILTER (WHERE f.record_id IS NULL)
        FROM core.person_month pm
        JOIN load_rejects r ON r.table_name = 'persons' AND r.column_name = 'birth_date'
                           AND r.action = 'value_blanked' AND r.record_id = pm.person_id
        LEFT JOIN dq_findings f ON f.rule_id = 'DQ01' AND f.record_id = pm.person_id AND f.month = pm.month
    """).fetchone()
    assert missing[0] > 0, "the sample should hold unreadable birth dates of persons in stock"
    assert missing[1] == 0


def test_unknown_sex_codes_are_dq03_findings(con):
    expected = set(con.execute("""
        SELECT pm.person_id, pm.month FROM core.person_month pm JOIN staging.persons p USING (person_id)
        WHERE p.sex NOT IN ('m', 'w', 'd', 'x')
    """).fetchall())
    found = set(con.execute("SELECT record_id, month FROM dq_findings WHERE rule_id = 'DQ03'").fetchall())
    assert expected and found == expected


def test_failed_never_exceeds_checked(con):
    assert _scalar(con, "SELECT count(*) FROM dq_results WHERE failed > checked OR failed < 0") == 0


def test_one_finding_per_failed_row(con):
    per_rule = con.execute("""
        SELECT r.rule_id, r.failed, coalesce(f.n, 0)
        FROM (SELECT rule_id, sum(failed) AS failed FROM dq_results WHERE team_id = '__all__' GROUP BY 1) r
        LEFT JOIN (SELECT rule_id, count(*) AS n FROM dq_findings GROUP BY 1) f USING (rule_id)
    """).fetchall()
    assert all(failed == n for _, failed, n in per_rule), per_rule
    assert _scalar(con, "SELECT count(*) FROM dq_findings") == sum(r[1] for r in per_rule)
    # and per team and month, too
    assert _scalar(con, """
        SELECT count(*) FROM dq_results r
        LEFT JOIN (SELECT rule_id, team_id, month, count(*) AS n FROM dq_findings GROUP BY ALL) f
          USING (rule_id, team_id, month)
        WHERE r.team_id <> '__all__' AND r.failed <> coalesce(f.n, 0)
    """) == 0


def test_findings_grain_and_keys(con):
    assert _scalar(con, "SELECT count(*) - count(DISTINCT (rule_id, table_name, record_id, month))"
                        " FROM dq_findings") == 0
    assert _scalar(con, "SELECT count(*) FROM dq_findings WHERE month NOT IN (SELECT month FROM core.calendar)"
                        " OR team_id NOT IN (SELECT team_id FROM core.team_list) OR record_id IS NULL") == 0


def test_teams_add_up_to_all(con):
    assert _scalar(con, """
        SELECT count(*) FROM (
            SELECT rule_id, month,
                   sum(checked) FILTER (WHERE team_id <> '__all__') AS teams_checked,
                   sum(checked) FILTER (WHERE team_id = '__all__') AS all_checked,
                   sum(failed) FILTER (WHERE team_id <> '__all__') AS teams_failed,
                   sum(failed) FILTER (WHERE team_id = '__all__') AS all_failed
            FROM dq_results GROUP BY ALL)
        WHERE teams_checked <> all_checked OR teams_failed <> all_failed
    """) == 0


def test_dq_score_between_0_and_100_for_every_team_and_month(con):
    rows = con.execute("SELECT team_id, month, value, numerator, denominator FROM metric_values"
                       " WHERE metric_id = 'dq_score'").fetchall()
    teams = _scalar(con, "SELECT count(*) FROM core.team_list")
    months = _scalar(con, "SELECT count(*) FROM core.calendar")
    assert len(rows) == len({(r[0], r[1]) for r in rows}) == teams * months
    values = [r[2] for r in rows if r[2] is not None]
    assert values and all(0 <= v <= 100 for v in values)
    assert all(r[2] is not None for r in rows if r[0] == "__all__")
    assert all(r[2] == pytest.approx(100 * r[3] / r[4]) for r in rows if r[2] is not None)


def test_fix_list_of_every_team(con):
    teams = [r[0] for r in con.execute("SELECT team_id FROM core.team_list WHERE team_id <> '__all__'"
                                       ).fetchall()]
    sizes = {t: len(fixlist_frame(con, t)) for t in teams}
    assert sum(sizes.values()) == len(fixlist_frame(con, "__all__")) > 0
    whole = fixlist_frame(con, "__all__")
    blanked = whole[(whole["rule_id"] == "DQ01") & whole["reason"].notna()]
    assert set(blanked["raw_value"]) <= set(
        r[0] for r in con.execute("SELECT raw_value FROM load_rejects WHERE column_name = 'birth_date'").fetchall())


def test_dq10_is_exactly_what_keeps_an_integration_from_counting(con):
    # per month: counted integrations (metric, __all__) = persons with an integration that passes DQ10
    rows = con.execute("""
        WITH passing AS (
            SELECT i.person_id, c.month
            FROM staging.integrations i
            JOIN core.calendar c ON i.integration_date BETWEEN c.month AND c.month_end
            WHERE i.integration_id NOT IN (SELECT record_id FROM dq_findings WHERE rule_id = 'DQ10')
        )
        SELECT c.month, m.value, (SELECT count(DISTINCT person_id) FROM passing p WHERE p.month = c.month)
        FROM core.calendar c
        JOIN metric_values m ON m.month = c.month AND m.team_id = '__all__' AND m.metric_id = 'integrations'
    """).fetchall()
    assert rows and all(value == persons for _, value, persons in rows)
