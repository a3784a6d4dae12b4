"""Data-quality rules DQ01–DQ16 on a hand-built job center, end to end through the loader.

Every rule is broken at least once and passed at least once; the expected
checked/failed counts and every single finding are worked out by hand below,
each with a one-line reason. Calendar: spells start 2023-02-01 (M0 = February
2023), as-of 2023-04-10, so the complete months are February (d = 2023-02-28, a
common year: the 29-February rule of DQ05 matters) and March (d = 2023-03-31);
January events lie before start and April events in an incomplete month, so
neither is checked.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.compute import compute_all
from pipelines.contract import load_contract
from pipelines.load import load_folder
from pipelines.sqlmodels import SQL_DIR, discover
from tests.conftest import write_canonical

FEB, MAR = dt.date(2023, 2, 1), dt.date(2023, 3, 1)
AS_OF = dt.date(2023, 4, 10)
UN = "__unassigned__"

# Rows in contract column order; "" = empty. Comments say why a row is there.
ROWS: dict[str, list[tuple]] = {
    "teams": [
        ("T1", "Team Nord", "Ü25"),
        ("T2", "Team Süd", "U25"),
        ("T3", "Team Reha", "Reha"),  # no persons, no events: every rule checks 0, dq_score NULL
    ],
    # person_id, bg_id, birth_date, sex, single_parent, severely_disabled, highest_qualification, recorded_at
    "persons": [
        ("P01", "B1", "1980-05-05", "w", "false", "false", "vocational", "2023-01-05 10:00:00"),  # clean
        ("P02", "B2", "1990-02-30", "", "", "", "", "2023-01-05 10:00:00"),  # date unreadable -> blanked
        ("P03", "B3", "2008-02-29", "q", "false", "false", "school", "2023-01-05 10:00:00"),  # code q; 14 on 28.2.
        ("P04", "B4", "1955-03-20", "m", "false", "false", "none", "2023-01-05 10:00:00"),  # 67 in Feb, 68 in Mar
        # P05 is missing from persons on purpose
        ("P06", "B6", "1985-01-01", "d", "false", "false", "academic", "2023-01-05 10:00:00"),  # no assignment
        ("P07", "B7", "1990-06-01", "x", "false", "false", "", "2023-01-05 10:00:00"),  # no qualification
        ("P08", "B8", "1975-07-07", "m", "false", "false", "vocational", "2023-01-05 10:00:00"),  # 2 spells
        ("P09", "B9", "", "", "", "", "", "2023-01-05 10:00:00"),  # never eLb: never in a stock population
        ("P10", "B10", "2000-01-01", "w", "false", "false", "none", "2023-01-05 10:00:00"),  # leaves 5 March
        ("P11", "B11", "1970-01-01", "m", "false", "false", "school", "2023-01-05 10:00:00"),  # no spells
        ("P12", "B12", "1995-01-01", "m", "false", "false", "school", "2023-01-05 10:00:00"),  # enters 5 March
    ],
    # spell_id, person_id, spell_start, spell_end, employable, exit_reason
    "benefit_spells": [
        ("S01", "P01", "2023-02-01", "", "true", ""),
        ("S02", "P02", "2023-02-01", "", "true", ""),
        ("S03", "P03", "2023-02-10", "", "true", ""),
        ("S04", "P04", "2023-02-01", "", "true", ""),
        ("S05", "P05", "2023-02-01", "", "true", ""),
        ("S06", "P06", "2023-02-01", "", "true", ""),
        ("S07", "P07", "2023-02-01", "", "true", ""),
        ("S08a", "P08", "2023-02-01", "", "true", ""),
        ("S08b", "P08", "2023-02-15", "2023-03-10", "true", "other"),  # overlaps S08a on 28.2., not on 31.3.
        ("S09", "P09", "2023-02-01", "", "false", ""),  # not employable
        ("S10", "P10", "2023-02-01", "2023-03-05", "true", "integration"),
        ("S12", "P12", "2023-03-05", "", "true", ""),
    ],
    # person_id, team_id, valid_from, valid_to
    "assignments": [
        ("P01", "T1", "2022-01-01", ""),
        ("P02", "T1", "2022-01-01", ""),
        ("P03", "T2", "2022-01-01", ""),
        ("P04", "T2", "2022-01-01", "2023-03-10"),
        ("P04", "T1", "2023-03-11", ""),  # T2 in February, T1 in March
        ("P05", "T2", "2022-01-01", ""),
        ("P07", "T2", "2023-03-15", ""),  # starts after 28.2. but within 31 days: T2 by fallback, DQ06
        ("P08", "T1", "2022-01-01", ""),
        ("P09", "T2", "2022-01-01", ""),
        ("P10", "T1", "2022-01-01", ""),
        ("P12", "T2", "2022-01-01", ""),
        ("PY", "T1", "2023-01-01", ""),  # PY is missing from persons but has a team
    ],
    # contact_id, person_id, contact_date, contact_type, recorded_at
    "contacts": [
        ("C01", "P01", "2023-02-10", "follow_up", "2023-02-10 09:00:00"),
        ("C02", "P01", "2023-02-10", "follow_up", "2023-02-11 09:00:00"),  # same as C01, larger id: DQ14
        ("C03", "P01", "2023-02-10", "phone", "2023-02-10 10:00:00"),  # other type: no duplicate
        ("C04", "P02", "2023-03-01", "first_interview", "2023-03-09 10:00:00"),  # 8 days late: DQ11
        ("C05", "P02", "2023-03-02", "follow_up", "2023-03-09 23:59:00"),  # exactly 7 days: passes
        ("C06", "P03", "2023-03-20", "video", "2023-03-19 16:00:00"),  # dated after recording: DQ13
        ("C07", "PZ", "2023-02-05", "phone", "2023-02-05 12:00:00"),  # PZ not in persons: DQ15
        ("C08", "P01", "2023-04-02", "phone", "2023-04-01 12:00:00"),  # April: not checked (would fail DQ13)
        ("C09", "P01", "2023-01-20", "phone", "2023-03-20 12:00:00"),  # January: not checked (would fail DQ11)
        ("C10", "P03", "2023-03-25", "written", "gestern"),  # recorded_at unreadable -> empty -> passes
    ],
    # plan_id, person_id, plan_date, next_review_date, recorded_at
    "cooperation_plans": [
        ("K1", "P01", "2023-02-15", "2023-08-15", "2023-02-15 10:00:00"),
        ("K2", "P02", "2023-03-10", "2023-03-01", "2023-03-10 10:00:00"),  # review before plan: DQ16
        ("K3", "P03", "2023-03-12", "", "2023-03-12 10:00:00"),  # no review date: passes
        ("K4", "P04", "2023-04-01", "2023-01-01", "2023-04-01 10:00:00"),  # April: not checked
    ],
    # measure_id, person_id, measure_type, start_date, end_date, recorded_at
    "measures": [
        ("M1", "P01", "fbw", "2023-02-10", "2023-05-10", "2023-02-10 10:00:00"),
        ("M2", "P01", "agh", "2023-03-05", "2023-03-01", "2023-03-05 10:00:00"),  # ends before start: DQ08
        ("M3", "P09", "fbw", "2023-03-10", "", "2023-03-10 10:00:00"),  # P09 not eLb: DQ09
        ("M4", "P10", "other", "2023-03-20", "", "2023-03-20 10:00:00"),  # P10 left 5.3.: DQ09
        ("M5", "PX", "fbw", "2023-02-20", "", "2023-02-20 10:00:00"),  # unknown person: DQ09 and DQ15
        ("M6", "P01", "fbw", "2023-01-15", "2023-01-10", "2023-01-15 10:00:00"),  # January: not checked
        ("M7", "P01", "agh", "2023-04-03", "2023-04-01", "2023-04-03 10:00:00"),  # April: not checked
        ("M8", "P02", "fbw", "2023-02-28", "2023-02-28", "2023-02-28 10:00:00"),  # one-day measure: passes
        ("M9", "P01", "reha", "2023-03-01", "2023-02-31", "2023-03-01 10:00:00"),  # end unreadable -> passes
    ],
    # integration_id, person_id, integration_date, integration_type, recorded_at
    "integrations": [
        ("I1", "P01", "2023-03-10", "employment_full", "2023-03-12 09:00:00"),
        ("I2", "P10", "2023-03-20", "employment_part", "2023-04-05 09:00:00"),  # eLb 28.2.; 16 days: DQ12
        ("I3", "P09", "2023-03-15", "employment_full", "2023-03-29 18:00:00"),  # never eLb: DQ10; 14 days ok
        ("I4", "P11", "2023-02-15", "apprenticeship", "2023-02-15 09:00:00"),  # no spells: DQ10
        ("I5", "PY", "2023-03-01", "self_employment", "2023-03-01 09:00:00"),  # DQ10 and DQ15, team T1
        ("I6", "P12", "2023-03-20", "employment_full", "2023-03-21 09:00:00"),  # eLb on the date only: ok
        ("I7", "P10", "2023-04-02", "employment_full", "2023-04-03 09:00:00"),  # April: not checked
    ],
}

# Stock (hand-derived from spells and assignments):
#   February (d = 28.2.): T1 P01 P02 P08 P10 | T2 P03 P04 P05 P07(fallback) | unassigned P06  -> 9
#   March    (d = 31.3.): T1 P01 P02 P04 P08 | T2 P03 P05 P07 P12            | unassigned P06  -> 9
STOCK_CHECKED = 18

# Every expected finding: (rule_id, table_name, record_id, person_id, team_id, month)  # reason
FINDINGS = {
    ("DQ01", "persons", "P02", "P02", "T1", FEB),  # birth date unreadable, blanked by the loader
    ("DQ01", "persons", "P02", "P02", "T1", MAR),
    ("DQ01", "persons", "P05", "P05", "T2", FEB),  # P05 missing from persons
    ("DQ01", "persons", "P05", "P05", "T2", MAR),
    ("DQ02", "persons", "P02", "P02", "T1", FEB),  # sex empty
    ("DQ02", "persons", "P02", "P02", "T1", MAR),
    ("DQ02", "persons", "P05", "P05", "T2", FEB),  # missing person
    ("DQ02", "persons", "P05", "P05", "T2", MAR),
    ("DQ03", "persons", "P03", "P03", "T2", FEB),  # sex 'q' is no code
    ("DQ03", "persons", "P03", "P03", "T2", MAR),
    ("DQ04", "persons", "P02", "P02", "T1", FEB),  # qualification empty
    ("DQ04", "persons", "P02", "P02", "T1", MAR),
    ("DQ04", "persons", "P05", "P05", "T2", FEB),  # missing person
    ("DQ04", "persons", "P05", "P05", "T2", MAR),
    ("DQ04", "persons", "P07", "P07", "T2", FEB),  # qualification empty
    ("DQ04", "persons", "P07", "P07", "T2", MAR),
    ("DQ05", "persons", "P03", "P03", "T2", FEB),  # born 29.2.2008: still 14 on 28.2.2023 (15 on 1.3.)
    ("DQ05", "persons", "P04", "P04", "T1", MAR),  # born 20.3.1955: 68 on 31.3.2023 (67 on 28.2.: ok)
    ("DQ06", "persons", "P06", "P06", UN, FEB),  # no assignment at all
    ("DQ06", "persons", "P06", "P06", UN, MAR),
    ("DQ06", "persons", "P07", "P07", "T2", FEB),  # assignment starts 15.3.: T2 only by the fallback
    ("DQ07", "persons", "P08", "P08", "T1", FEB),  # S08a and S08b both cover 28.2.
    ("DQ08", "measures", "M2", "P01", "T1", MAR),  # ends 1.3., starts 5.3.
    ("DQ09", "measures", "M3", "P09", "T2", MAR),  # P09 only has a non-employable spell
    ("DQ09", "measures", "M4", "P10", "T1", MAR),  # P10's spell ended 5.3., measure starts 20.3.
    ("DQ09", "measures", "M5", "PX", UN, FEB),  # PX has no spells (and no assignment)
    ("DQ10", "integrations", "I3", "P09", "T2", MAR),  # P09 never eLb
    ("DQ10", "integrations", "I4", "P11", UN, FEB),  # P11 has no spells, no assignment
    ("DQ10", "integrations", "I5", "PY", "T1", MAR),  # PY has no spells
    ("DQ11", "contacts", "C04", "P02", "T1", MAR),  # recorded 8 days after the contact
    ("DQ12", "integrations", "I2", "P10", "T1", MAR),  # recorded 16 days after the integration
    ("DQ13", "contacts", "C06", "P03", "T2", MAR),  # contact 20.3. recorded 19.3.
    ("DQ14", "contacts", "C02", "P01", "T1", FEB),  # C01 has the same person, date and type
    ("DQ15", "contacts", "C07", "PZ", UN, FEB),  # PZ not in persons
    ("DQ15", "measures", "M5", "PX", UN, FEB),  # PX not in persons
    ("DQ15", "integrations", "I5", "PY", "T1", MAR),  # PY not in persons; team from its assignment
    ("DQ16", "cooperation_plans", "K2", "P02", "T1", MAR),  # review 1.3. before plan 10.3.
}

# (checked, failed) per rule for __all__, summed over February and March.
TOTALS = {
    "DQ01": (STOCK_CHECKED, 4),
    "DQ02": (STOCK_CHECKED, 4),
    "DQ03": (STOCK_CHECKED, 2),
    "DQ04": (STOCK_CHECKED, 6),
    "DQ05": (STOCK_CHECKED, 2),
    "DQ06": (STOCK_CHECKED, 3),
    "DQ07": (STOCK_CHECKED, 1),
    "DQ08": (7, 1),  # measures M1 M5 M8 (Feb), M2 M3 M4 M9 (Mar)
    "DQ09": (7, 3),
    "DQ10": (6, 3),  # integrations I4 (Feb), I1 I2 I3 I5 I6 (Mar)
    "DQ11": (8, 1),  # contacts C01 C02 C03 C07 (Feb), C04 C05 C06 C10 (Mar)
    "DQ12": (6, 1),
    "DQ13": (8, 1),
    "DQ14": (8, 1),
    "DQ15": (21, 3),  # 8 contacts + 7 measures + 6 integrations
    "DQ16": (3, 1),  # plans K1 (Feb), K2 K3 (Mar)
}

# (team, month, rule) -> (checked, failed), a hand-checked slice per team.
SLICES = {
    ("T1", FEB, "DQ01"): (4, 1),  # P01 P02 P08 P10; P02
    ("T2", FEB, "DQ01"): (4, 1),  # P03 P04 P05 P07; P05
    (UN, FEB, "DQ06"): (1, 1),  # P06
    ("T2", FEB, "DQ06"): (4, 1),  # P07 by fallback
    ("T2", MAR, "DQ06"): (4, 0),  # P07 now covered
    ("T1", MAR, "DQ05"): (4, 1),  # P04 moved to T1 on 11.3.
    ("T2", MAR, "DQ05"): (4, 0),  # P03 is 15 now
    ("T1", FEB, "DQ14"): (3, 1),  # C01 C02 C03
    (UN, FEB, "DQ15"): (3, 2),  # C07 M5 fail, I4 (P11 in persons) passes
    ("T1", FEB, "DQ15"): (5, 0),  # C01 C02 C03 M1 M8
    ("T1", MAR, "DQ15"): (8, 1),  # C04 C05 M2 M4 M9 I1 I2 pass, I5 (PY) fails
    ("T2", MAR, "DQ15"): (5, 0),  # C06 C10 M3 I3 I6
    ("T3", MAR, "DQ01"): (0, 0),  # no persons
}


def write_scenario(folder: Path) -> Path:
    contract = load_contract()
    tables = {name: [dict(zip(contract[name].column_names, row, strict=True)) for row in rows]
              for name, rows in ROWS.items()}
    return write_canonical(folder, tables)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dq_hand")
    path = root / "hand.duckdb"
    load_folder(write_scenario(root / "source"), path, as_of=AS_OF)
    return path


@pytest.fixture(scope="module")
def con(db: Path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(db), read_only=True)
    yield connection
    connection.close()


def test_calendar_is_february_and_march(con):
    assert [r[0] for r in con.execute("SELECT month FROM core.calendar ORDER BY month").fetchall()] == [FEB, MAR]


def test_dq_rules_generated_from_the_files(con):
    files = {m.meta["rule_id"]: m.meta for m in discover(SQL_DIR, layers=("rules",))}
    rows = con.execute("SELECT rule_id, dimension, table_name, label_de, description_de FROM dq_rules"
                       " ORDER BY rule_id").fetchall()
    assert [r[0] for r in rows] == [f"DQ{i:02d}" for i in range(1, 17)] == sorted(files)
    for rule_id, dimension, table_name, label, hint in rows:
        meta = files[rule_id]
        assert {"rule_id", "dimension", "table_name", "population", "fields", "label_de", "description_de",
                "depends_on"} <= set(meta), rule_id
        assert (dimension, table_name, label, hint) == (
            meta["dimension"], meta["table_name"], meta["label_de"], meta["description_de"])
        assert meta["population"] in {"stock", "events"}
        assert len(hint) > 60, f"{rule_id}: the hint should tell a team what to correct"


def test_every_finding_by_hand(con):
    got = con.execute("SELECT rule_id, table_name, record_id, person_id, team_id, month FROM dq_findings"
                      ).fetchall()
    assert len(got) == len(set(got))
    assert set(got) == FINDINGS


def test_checked_and_failed_per_rule(con):
    got = dict(((r[0]), (r[1], r[2])) for r in con.execute(
        "SELECT rule_id, sum(checked)::INT, sum(failed)::INT FROM dq_results WHERE team_id = '__all__'"
        " GROUP BY rule_id").fetchall())
    assert got == TOTALS
    for rule_id, (checked, failed) in TOTALS.items():
        assert 0 < failed < checked, f"{rule_id} must both fail and pass in the scenario"


def test_per_team_slices(con):
    for (team, month, rule), expected in SLICES.items():
        got = con.execute("SELECT checked, failed FROM dq_results WHERE team_id = ? AND month = ?"
                          " AND rule_id = ?", [team, month, rule]).fetchone()
        assert got == expected, (team, month, rule)


def test_teams_add_up_to_all(con):
    diff = con.execute("""
        SELECT rule_id, month,
               sum(checked) FILTER (WHERE team_id <> '__all__') - sum(checked) FILTER (WHERE team_id = '__all__'),
               sum(failed) FILTER (WHERE team_id <> '__all__') - sum(failed) FILTER (WHERE team_id = '__all__')
        FROM dq_results GROUP BY ALL
    """).fetchall()
    assert all(r[2] == 0 and r[3] == 0 for r in diff)


def test_blanked_birth_date_is_a_dq01_finding_with_its_raw_value(con):
    raw = con.execute("SELECT raw_value, action FROM load_rejects WHERE table_name = 'persons'"
                      " AND record_id = 'P02' AND column_name = 'birth_date'").fetchall()
    assert raw == [("1990-02-30", "value_blanked")]
    assert con.execute("SELECT count(*) FROM dq_findings WHERE rule_id = 'DQ01' AND record_id = 'P02'"
                       ).fetchone()[0] == 2


def test_dq_score_by_hand(con):
    rows = {(r[0], r[1]): r[2:] for r in con.execute(
        "SELECT team_id, month, value, numerator, denominator FROM metric_values WHERE metric_id = 'dq_score'"
    ).fetchall()}
    teams = {r[0] for r in con.execute("SELECT team_id FROM core.team_list").fetchall()}
    assert set(rows) == {(t, m) for t in teams for m in (FEB, MAR)}
    # T1, February: 14 rules checked something (DQ10, DQ12 had no T1 integration in February).
    # Pass shares: DQ01 DQ02 DQ04 DQ07 3/4 each; DQ14 2/3; DQ03 DQ05 DQ06 DQ08 DQ09 DQ11 DQ13 DQ15 DQ16 1 each.
    value, numerator, denominator = rows[("T1", FEB)]
    assert denominator == 14
    assert numerator == pytest.approx(4 * 0.75 + 2 / 3 + 9)
    assert value == pytest.approx(100 * (4 * 0.75 + 2 / 3 + 9) / 14)
    # unassigned, February: stock P06 (DQ06 fails), events M5 (DQ08 ok, DQ09 and DQ15 fail),
    # I4 (DQ10 fails, DQ12 ok, DQ15 ok), C07 (DQ11 DQ13 DQ14 ok, DQ15 fails): 15 rules.
    value, numerator, denominator = rows[(UN, FEB)]
    assert denominator == 15
    assert numerator == pytest.approx(6 + 1 + 0 + 0 + 1 + 1 + 1 + 1 + 1 / 3)
    # T3 has nothing checked: NULL value, not 0 and not 100
    assert rows[("T3", FEB)] == (None, 0.0, 0.0)
    for value, _, _ in rows.values():
        assert value is None or 0 <= value <= 100


NEW_RULE = """/* ---
kind: rule
rule_id: DQ99
dimension: completeness
table_name: persons
population: stock
fields: [bg_id]
label_de: Bedarfsgemeinschaft fehlt
description_de: Bitte die Nummer der Bedarfsgemeinschaft ergänzen.
depends_on: [core.person_month]
--- */
select 'persons' as table_name, m.person_id as record_id, m.person_id, m.team_id, m.month,
       p.bg_id is null as failed
from core.person_month m left join staging.persons p on p.person_id = m.person_id
"""


def test_a_new_rule_is_a_new_file(db, tmp_path):
    sql_dir = shutil.copytree(SQL_DIR, tmp_path / "sql")
    (sql_dir / "rules" / "DQ99.sql").write_text(NEW_RULE, encoding="utf-8")
    copy = shutil.copy(db, tmp_path / "copy.duckdb")
    with duckdb.connect(str(copy)) as con:
        compute_all(con, sql_dir=sql_dir)
        assert con.execute("SELECT label_de FROM dq_rules WHERE rule_id = 'DQ99'").fetchone() == (
            "Bedarfsgemeinschaft fehlt",)
        # P05 (missing from persons) has no bg_id, in February and March
        assert con.execute("SELECT sum(checked), sum(failed) FROM dq_results WHERE rule_id = 'DQ99'"
                           " AND team_id = '__all__'").fetchone() == (STOCK_CHECKED, 2)
        # dq_score picks the rule up: T1 in February now averages over 15 rules instead of 14
        assert con.execute("SELECT denominator FROM metric_values WHERE metric_id = 'dq_score'"
                           " AND team_id = 'T1' AND month = ?", [FEB]).fetchone() == (15,)
