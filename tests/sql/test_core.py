"""The core layer (sql/core) on a few rows each: calendar, responsible team, eLb days, person-month facts.

Staging tables are created here directly from the contract (typed columns plus
``_line``), so each rule can be checked on exactly the rows that matter; the
end-to-end path through the loader is covered by test_metrics_hand.py.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from pipelines.contract import load_contract
from pipelines.sqlmodels import SQL_DIR, build_table, discover, duplicate_grain_rows

D = dt.date.fromisoformat
CORE = discover(SQL_DIR, layers=("core",))


def build_core(tables: dict[str, list[dict]], as_of: str) -> duckdb.DuckDBPyConnection:
    """An in-memory database with every staging table of the contract and the core layer built on it."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA staging")
    for name, table in load_contract().items():
        cols = ", ".join(f'"{c.name}" {c.duckdb_type}' for c in table.columns)
        con.execute(f'CREATE TABLE staging."{name}" (_line BIGINT, {cols})')
        rows = tables.get(name, [])
        if rows:
            marks = ", ".join("?" for _ in range(len(table.columns) + 1))
            con.executemany(f'INSERT INTO staging."{name}" VALUES ({marks})',
                            [[i + 2] + [row.get(c) for c in table.column_names] for i, row in enumerate(rows)])
    con.execute("CREATE TABLE staging.params AS SELECT CAST(? AS DATE) AS as_of", [D(as_of)])
    for model in CORE:
        build_table(con, model)
    return con


def spell(spell_id, person_id, start, end=None, employable=True):
    return {"spell_id": spell_id, "person_id": person_id, "spell_start": D(start),
            "spell_end": D(end) if end else None, "employable": employable}


def assignment(person_id, team_id, valid_from, valid_to=None):
    return {"person_id": person_id, "team_id": team_id, "valid_from": D(valid_from),
            "valid_to": D(valid_to) if valid_to else None}


def rows(con, sql, *params):
    return con.execute(sql, list(params)).fetchall()


# --- params and calendar -----------------------------------------------------------------------

@pytest.mark.parametrize("as_of, last_month, n_months", [
    ("2023-03-31", "2023-03-01", 3),  # as_of on a month end: that month is complete
    ("2023-03-30", "2023-02-01", 2),  # one day short: March is not
    ("2023-01-30", "2022-12-01", 0),  # no complete month yet: empty calendar
])
def test_params_and_calendar(as_of, last_month, n_months):
    con = build_core({"benefit_spells": [spell("S1", "P1", "2023-01-17"), spell("S2", "P2", "2023-02-01")]}, as_of)
    assert rows(con, "SELECT * FROM core.params") == [(D(as_of), D("2023-01-01"), D(last_month))]
    calendar = rows(con, "SELECT month, month_end FROM core.calendar ORDER BY month")
    assert len(calendar) == n_months
    if n_months:
        assert calendar[0] == (D("2023-01-01"), D("2023-01-31"))
        assert calendar[-1] == (D(last_month), D(last_month).replace(day=28 if n_months == 2 else 31))


def test_no_spells_no_calendar():
    con = build_core({}, "2024-01-10")
    assert rows(con, "SELECT start_date FROM core.params") == [(None,)]
    assert rows(con, "SELECT count(*) FROM core.calendar") == [(0,)]
    assert rows(con, "SELECT count(*) FROM core.person_month") == [(0,)]


def test_start_is_the_month_of_any_earliest_spell():
    # decision: the earliest spell_start of any spell, employable or not
    con = build_core({"benefit_spells": [spell("S1", "P1", "2022-11-20", employable=False),
                                         spell("S2", "P2", "2023-01-05")]}, "2023-02-15")
    assert rows(con, "SELECT start_date FROM core.params") == [(D("2022-11-01"),)]


def test_team_list():
    con = build_core({
        "teams": [{"team_id": "T1", "team_name": "Nord"}, {"team_id": "T2", "team_name": "Süd"}],
        "assignments": [assignment("P1", "T9", "2023-01-01"), assignment("P2", None, "2023-01-01")],
    }, "2023-02-15")
    assert [r[0] for r in rows(con, "SELECT team_id FROM core.team_list ORDER BY 1")] == [
        "T1", "T2", "T9", "__all__", "__unassigned__"]  # T9 only in assignments; NULL team ignored


# --- the responsible team --------------------------------------------------------------------

def team_on(con, person, day):
    return rows(con, "SELECT team_id, team_id_strict FROM core.person_day_team WHERE person_id = ? AND day = ?",
                person, D(day))


@pytest.fixture(scope="module")
def team_con():
    contacts = [
        ("P1", "2023-03-10"), ("P1", "2023-03-11"), ("P1", "2023-06-01"),
        ("P2", "2023-03-01"), ("P2", "2023-01-30"), ("P2", "2023-01-29"), ("P2", "2023-04-20"),
        ("P3", "2023-02-10"), ("P4", "2023-02-10"), ("P5", "2023-02-10"),
    ]
    return build_core({
        "benefit_spells": [spell("S1", "P1", "2023-01-01")],
        "assignments": [
            assignment("P1", "T2", "2023-01-01"),                # open
            assignment("P1", "T1", "2023-03-01", "2023-03-10"),  # later valid_from wins while it covers
            assignment("P2", "T1", "2023-01-01", "2023-01-28"),
            assignment("P2", "T3", "2023-03-01", "2023-03-31"),  # starts 31 days after 2023-01-29
            assignment("P2", "T2", "2023-04-30"),                # starts 10 days after 2023-04-20
            assignment("P3", "T1", "2023-02-01", "2023-01-15"),  # valid_to before valid_from: covers nothing
            assignment("P4", None, "2023-02-01"),                 # no team: ignored
            assignment("P4", "T4", "2023-03-01"),
            assignment("P5", "T5", "2023-02-20", "2023-02-01"),  # inverted, but its valid_from is a start
        ],
        "contacts": [{"contact_id": f"C{i}", "person_id": p, "contact_date": D(d), "contact_type": "phone"}
                     for i, (p, d) in enumerate(contacts)],
    }, "2023-06-30")


@pytest.mark.parametrize("person, day, team, strict", [
    ("P1", "2023-03-10", "T1", "T1"),  # both cover: the latest valid_from, valid_to inclusive
    ("P1", "2023-03-11", "T2", "T2"),  # T1 ended the day before
    ("P1", "2023-01-31", "T2", "T2"),  # d(Jan) of the stock
    ("P2", "2023-01-30", "T3", None),  # no cover; T3 starts 30 days later: fallback
    ("P2", "2023-01-29", "T3", None),  # exactly 31 days later: still the fallback
    ("P2", "2023-03-01", "T3", "T3"),  # covered on valid_from itself
    ("P2", "2023-04-20", "T2", None),  # fallback to the next assignment
    ("P3", "2023-02-10", "__unassigned__", None),  # inverted interval covers no day
    ("P4", "2023-02-10", "T4", None),  # team-less assignment ignored, fallback to T4 (19 days)
    ("P5", "2023-02-10", "T5", None),  # fallback looks at valid_from only (decision 7)
])
def test_responsible_team(team_con, person, day, team, strict):
    assert team_on(team_con, person, day) == [(team, strict)]


def test_fallback_ends_after_31_days():
    con = build_core({
        "contacts": [{"contact_id": "C1", "person_id": "P1", "contact_date": D("2023-01-28"),
                      "contact_type": "phone"}],
        "assignments": [assignment("P1", "T1", "2023-02-28")],  # 31 days after 2023-01-28
    }, "2023-03-31")
    assert team_on(con, "P1", "2023-01-28") == [("T1", None)]
    con = build_core({
        "contacts": [{"contact_id": "C1", "person_id": "P1", "contact_date": D("2023-01-28"),
                      "contact_type": "phone"}],
        "assignments": [assignment("P1", "T1", "2023-03-01")],  # 32 days after
    }, "2023-03-31")
    assert team_on(con, "P1", "2023-01-28") == [("__unassigned__", None)]


def test_same_valid_from_smallest_team_wins():
    """Staging keys make (person_id, valid_from) unique, but the rule is total: ties go to the smallest team_id."""
    con = build_core({
        "contacts": [{"contact_id": "C1", "person_id": "P1", "contact_date": D("2023-02-10"),
                      "contact_type": "phone"},
                     {"contact_id": "C2", "person_id": "P1", "contact_date": D("2023-01-20"),
                      "contact_type": "phone"}],
        "assignments": [assignment("P1", "TB", "2023-02-01"), assignment("P1", "TA", "2023-02-01")],
    }, "2023-03-31")
    assert team_on(con, "P1", "2023-02-10") == [("TA", "TA")]
    assert team_on(con, "P1", "2023-01-20") == [("TA", None)]


def test_every_needed_day_is_evaluated():
    con = build_core({
        "benefit_spells": [spell("S1", "P1", "2023-01-10", "2023-02-20")],
        "integrations": [{"integration_id": "I1", "person_id": "P2", "integration_date": D("2023-02-03")}],
        "contacts": [{"contact_id": "C1", "person_id": "P3", "contact_date": D("2023-02-04")}],
        "measures": [{"measure_id": "M1", "person_id": "P4", "start_date": D("2023-02-05")}],
        "cooperation_plans": [{"plan_id": "K1", "person_id": "P5", "plan_date": D("2023-02-06")}],
    }, "2023-03-31")
    assert rows(con, "SELECT person_id, day FROM core.person_day_team ORDER BY 1, 2") == [
        ("P1", D("2023-01-10")), ("P1", D("2023-01-31")), ("P1", D("2023-02-20")),  # start, d(Jan), end
        ("P2", D("2023-02-03")), ("P3", D("2023-02-04")), ("P4", D("2023-02-05")), ("P5", D("2023-02-06")),
    ]


# --- eLb intervals, stock and person-month facts ---------------------------------------------------

def test_elb_intervals_merge_overlapping_and_touching_spells():
    con = build_core({"benefit_spells": [
        spell("A1", "PA", "2023-01-01", "2023-03-31"),
        spell("A2", "PA", "2023-02-01", "2023-02-15"),  # inside A1
        spell("A3", "PA", "2023-04-01", "2023-04-30"),  # touches A1
        spell("A4", "PA", "2023-06-01"),                # after a gap, open
        spell("A5", "PA", "2023-07-01", "2023-07-31"),  # inside the open one
        spell("B1", "PB", "2023-01-01", "2023-12-31", employable=False),
        spell("C1", "PC", "2023-05-01", "2023-04-01"),  # end before start: no day
    ]}, "2023-12-31")
    assert rows(con, "SELECT * FROM core.elb_intervals ORDER BY 1, 2") == [
        ("PA", D("2023-01-01"), D("2023-04-30")), ("PA", D("2023-06-01"), None)]


@pytest.fixture(scope="module")
def pm_con():
    return build_core({
        "benefit_spells": [
            spell("S1", "P1", "2021-01-01"),
            spell("S2", "P2", "2021-01-01"),
            spell("S3", "P3", "2021-01-01", "2022-12-31"),
            spell("S3b", "P3", "2022-06-01", "2023-01-31"),  # overlaps S3
            spell("S4", "P4", "2021-01-01"),
        ],
        "persons": [
            {"person_id": "P1", "birth_date": D("2004-02-29"), "single_parent": True},
            {"person_id": "P2", "birth_date": D("2008-02-29")},
            {"person_id": "P3", "birth_date": None},
            # P4 is missing from persons
        ],
        "contacts": [{"contact_id": "C1", "person_id": "P1", "contact_date": D("2021-01-05")},
                     {"contact_id": "C2", "person_id": "P1", "contact_date": D("2021-02-27")}],
        "measures": [{"measure_id": "M1", "person_id": "P1", "start_date": D("2021-02-28"),
                      "end_date": D("2021-02-28")}],
        "cooperation_plans": [{"plan_id": "K1", "person_id": "P1", "plan_date": D("2021-01-31"),
                               "next_review_date": D("2021-01-30")}],  # review before plan: never current
    }, "2024-03-31")


def fact(con, person, month, column):
    return rows(con, f"SELECT {column} FROM core.person_month WHERE person_id = ? AND month = ?",
                person, D(month))[0][0]


@pytest.mark.parametrize("person, month, age", [
    ("P1", "2021-02-01", 16),  # born 29 Feb 2004: not yet 17 on 28 Feb 2021
    ("P1", "2021-03-01", 17),  # reached on 1 March in a common year
    ("P2", "2024-01-01", 15),
    ("P2", "2024-02-01", 16),  # 29 Feb 2024 exists: reached on the day
    ("P3", "2022-01-01", None),  # no birth date
    ("P4", "2022-01-01", None),  # not in persons
])
def test_age(pm_con, person, month, age):
    assert fact(pm_con, person, month, "age") == age


def test_person_month_facts(pm_con):
    assert fact(pm_con, "P1", "2021-02-01", "has_active_measure") is True  # one-day measure on d(M)
    assert fact(pm_con, "P1", "2021-03-01", "has_active_measure") is False
    assert fact(pm_con, "P1", "2021-01-01", "has_current_plan") is False
    assert fact(pm_con, "P1", "2021-02-01", "last_contact_date") == D("2021-02-27")
    assert fact(pm_con, "P1", "2021-04-01", "last_contact_date") == D("2021-02-27")
    assert fact(pm_con, "P1", "2021-04-01", "no_contact_90d") is False  # 27 Feb >= 30 Apr - 89 = 31 Jan
    assert fact(pm_con, "P1", "2021-05-01", "no_contact_90d") is True
    assert fact(pm_con, "P2", "2021-01-01", "last_contact_date") is None
    assert fact(pm_con, "P1", "2021-01-01", "single_parent") is True
    assert fact(pm_con, "P4", "2021-01-01", "in_persons") is False
    assert fact(pm_con, "P3", "2022-12-01", "n_spells") == 2  # both spells cover 31 Dec 2022
    assert fact(pm_con, "P3", "2023-01-01", "n_spells") == 1
    assert rows(pm_con, "SELECT count(*) FROM core.person_month WHERE person_id = 'P3'") == [(25,)]  # to Jan 23
    assert rows(pm_con, "SELECT DISTINCT team_id, team_id_strict FROM core.person_month") == [
        ("__unassigned__", None)]


def test_ltb_flag(pm_con):
    # start 2021-01-01: the 730-day window is complete from d(M) = 2022-12-31
    assert fact(pm_con, "P1", "2022-11-01", "is_ltb") is None
    assert fact(pm_con, "P1", "2022-11-01", "elb_days_730") == 699  # counted anyway: 2021-01-01 .. 2022-11-30
    assert fact(pm_con, "P1", "2022-12-01", "elb_days_730") == 730
    assert fact(pm_con, "P1", "2022-12-01", "is_ltb") is True
    assert fact(pm_con, "P2", "2022-12-01", "is_ltb") is False  # 14 years old
    assert fact(pm_con, "P2", "2024-03-01", "is_ltb") is False  # born 29 Feb 2008: 16 on 31 Mar 2024
    assert fact(pm_con, "P3", "2022-12-01", "is_ltb") is True   # no birth date: age condition met
    assert fact(pm_con, "P4", "2022-12-01", "is_ltb") is True   # not in persons: age condition met


@pytest.mark.parametrize("model", [m for m in CORE if m.grain], ids=lambda m: m.name)
def test_core_grain_holds(pm_con, team_con, model):
    for con in (pm_con, team_con):
        assert duplicate_grain_rows(con, model.name, model.grain) == 0


def test_params_has_one_row(pm_con):
    assert rows(pm_con, "SELECT count(*) FROM core.params") == [(1,)]
