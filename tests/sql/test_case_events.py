"""Case-progress analytics on a hand-built event history: event log, cohorts, variants, stage paths.

Datenstand 30.06.2024. Cases are employable benefit spells (case_id = spell_id);
the team is the one responsible on the entry day.

  S1 P1 T1  02.01.2023–30.04.2023 (integration): contact 05.01., plan 20.01.,
            integration 15.04.                      -> integrated after 103 days
  S2 P2 T1  10.01.2023– open: contact 20.02. (41 days: too late for 14), plan
            01.03., measure 01.04.–30.09.2023        -> running, censored at 537 days
  S3 P3 T1  15.01.2023–31.03.2023 (moved): contact 20.01.; a contact on 01.05.
            lies after the exit                     -> censored at its exit, 75 days
  S4 P4 T1  01.02.2023–31.12.2023 (integration): contact 03.02., plan 10.02.,
            measure 01.03.–31.05., moves to T2 on 01.07., integration 01.12.
                                                    -> integrated after 303 days
  S8 P8 T1  05.06.2023–31.08.2023 (other): contact 07.06. -> censored at 87 days
  S6 P6 T2  20.01.2023– open: no contact, plan 25.01. -> censored at 527 days
  S7 P7 T2  01.03.2023–31.05.2023 (other_income): integration 10.06.2023, after
            the exit but the spell lasted to 31.05. = d(M-1) -> integrated after 101 days
  S5 P5 T2  06.05.2024– open: contact 08.05.; a plan on 10.07.2024 lies after the
            Datenstand                              -> censored at 55 days
  S9 P9     a non-employable spell from 01.06.2022: no case, but the data begin in June 2022 (M0).
  S11 P11   employable from 15.06.2022, in M0: no case (M0 holds the spells already running when
            an export's history begins). S10 P10: starts after the Datenstand: no case.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import duckdb
import pytest

from pipelines.load import load_folder
from pipelines.publish.exports import export
from pipelines.sqlmodels import SQL_DIR, discover, duplicate_grain_rows
from tests.conftest import write_canonical

AS_OF = dt.date(2024, 6, 30)
D = dt.date


def _person(pid: str) -> dict:
    return {"person_id": pid, "bg_id": "B" + pid, "birth_date": "1985-05-05", "sex": "w", "single_parent": "false",
            "severely_disabled": "false", "highest_qualification": "school", "recorded_at": "2023-01-01 09:00:00"}


def _spell(sid, pid, start, end="", reason="", employable="true") -> dict:
    return {"spell_id": sid, "person_id": pid, "spell_start": start, "spell_end": end, "employable": employable,
            "exit_reason": reason}


def _assign(pid, team, start, end="") -> dict:
    return {"person_id": pid, "team_id": team, "valid_from": start, "valid_to": end}


def _contact(cid, pid, day, kind="first_interview") -> dict:
    return {"contact_id": cid, "person_id": pid, "contact_date": day, "contact_type": kind,
            "recorded_at": f"{day} 10:00:00"}


def _plan(kid, pid, day) -> dict:
    return {"plan_id": kid, "person_id": pid, "plan_date": day, "next_review_date": "",
            "recorded_at": f"{day} 10:00:00"}


def _measure(mid, pid, start, end, kind="fbw") -> dict:
    return {"measure_id": mid, "person_id": pid, "measure_type": kind, "start_date": start, "end_date": end,
            "recorded_at": f"{start} 10:00:00"}


def _integration(iid, pid, day) -> dict:
    return {"integration_id": iid, "person_id": pid, "integration_date": day, "integration_type": "employment_full",
            "recorded_at": f"{day} 10:00:00"}


def case_history() -> dict[str, list[dict]]:
    """The hand-built job center of this module's docstring, in canonical columns."""
    return {
        "teams": [{"team_id": "T1", "team_name": "Team Eins", "unit": "Ü25"},
                  {"team_id": "T2", "team_name": "Team Zwei", "unit": "Ü25"}],
        "persons": [_person(f"P{i}") for i in range(1, 12)],
        "benefit_spells": [
            _spell("S1", "P1", "2023-01-02", "2023-04-30", "integration"),
            _spell("S2", "P2", "2023-01-10"),
            _spell("S3", "P3", "2023-01-15", "2023-03-31", "moved"),
            _spell("S4", "P4", "2023-02-01", "2023-12-31", "integration"),
            _spell("S5", "P5", "2024-05-06"),
            _spell("S6", "P6", "2023-01-20"),
            _spell("S7", "P7", "2023-03-01", "2023-05-31", "other_income"),
            _spell("S8", "P8", "2023-06-05", "2023-08-31", "other"),
            _spell("S9", "P9", "2022-06-01", "", "", employable="false"),
            _spell("S10", "P10", "2024-07-15"),
            _spell("S11", "P11", "2022-06-15"),
        ],
        "assignments": [
            _assign("P1", "T1", "2023-01-01"), _assign("P2", "T1", "2023-01-10"), _assign("P3", "T1", "2023-01-15"),
            _assign("P4", "T1", "2023-02-01", "2023-06-30"), _assign("P4", "T2", "2023-07-01"),
            _assign("P5", "T2", "2024-05-06"), _assign("P6", "T2", "2023-01-01"), _assign("P7", "T2", "2023-03-01"),
            _assign("P8", "T1", "2023-06-05"), _assign("P9", "T2", "2022-06-01"), _assign("P10", "T1", "2024-07-15"),
            _assign("P11", "T1", "2022-06-15"),
        ],
        "contacts": [
            _contact("C1", "P1", "2023-01-05"), _contact("C1b", "P1", "2023-02-01", "follow_up"),
            _contact("C2", "P2", "2023-02-20"), _contact("C3", "P3", "2023-01-20", "phone"),
            _contact("C3b", "P3", "2023-05-01"), _contact("C4", "P4", "2023-02-03"),
            _contact("C5", "P5", "2024-05-08"), _contact("C8", "P8", "2023-06-07"), _contact("C9", "P9", "2023-06-02"),
        ],
        "cooperation_plans": [
            _plan("K1", "P1", "2023-01-20"), _plan("K2", "P2", "2023-03-01"), _plan("K4", "P4", "2023-02-10"),
            _plan("K4b", "P4", "2023-08-10"), _plan("K5", "P5", "2024-07-10"), _plan("K6", "P6", "2023-01-25"),
        ],
        "measures": [_measure("M1", "P2", "2023-04-01", "2023-09-30"),
                     _measure("M2", "P4", "2023-03-01", "2023-05-31", "agh")],
        "integrations": [_integration("I1", "P1", "2023-04-15"), _integration("I4", "P4", "2023-12-01"),
                         _integration("I7", "P7", "2023-06-10")],
    }


def build_hand_db(root: Path) -> Path:
    db = root / "cases.duckdb"
    load_folder(write_canonical(root / "source", case_history()), db, as_of=AS_OF)
    return db


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_hand_db(tmp_path_factory.mktemp("cases"))


@pytest.fixture(scope="module")
def con(db: Path):
    connection = duckdb.connect(str(db), read_only=True)
    yield connection
    connection.close()


def rows(con, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


# --- the event log ---------------------------------------------------------------------------------------------

def test_cases_are_the_employable_spells_up_to_the_datenstand(con):
    # S9 is not employable, S11 starts in the first month of the data (June 2022) and S10 after the
    # Datenstand; the team is the one on the entry day
    assert rows(con, "SELECT case_id, team_id, is_closed, case_end FROM marts.case_spells ORDER BY case_id") == [
        ("S1", "T1", True, D(2023, 4, 30)), ("S2", "T1", False, AS_OF), ("S3", "T1", True, D(2023, 3, 31)),
        ("S4", "T1", True, D(2023, 12, 31)), ("S5", "T2", False, AS_OF), ("S6", "T2", False, AS_OF),
        ("S7", "T2", True, D(2023, 5, 31)), ("S8", "T1", True, D(2023, 8, 31))]


def test_event_log_of_a_case_with_measure_team_change_and_integration(con):
    # S4: in time order; the team change carries the new team, the measure end the team of the case then (T1),
    # the integration and the exit the team responsible on their day (T2); the second plan (10.08.) is no event
    assert rows(con, "SELECT event_index, activity, activity_de, \"timestamp\"::date, team_id, detail, record_id"
                     " FROM case_events WHERE case_id = 'S4' ORDER BY event_index") == [
        (1, "entry", "Zugang", D(2023, 2, 1), "T1", None, "S4"),
        (2, "first_contact", "Erstkontakt", D(2023, 2, 3), "T1", "first_interview", "C4"),
        (3, "coop_plan", "Kooperationsplan", D(2023, 2, 10), "T1", None, "K4"),
        (4, "measure_start", "Maßnahmebeginn", D(2023, 3, 1), "T1", "agh", "M2"),
        (5, "measure_end", "Maßnahmeende", D(2023, 5, 31), "T1", "agh", "M2"),
        (6, "team_change", "Teamwechsel", D(2023, 7, 1), "T2", "T1 → T2", "P4|2023-07-01"),
        (7, "integration", "Integration", D(2023, 12, 1), "T2", "employment_full", "I4"),
        (8, "exit", "Abgang", D(2023, 12, 31), "T2", "integration", "S4"),
    ]


def test_event_boundaries(con):
    seq = dict(rows(con, "SELECT case_id, string_agg(activity, '>' ORDER BY event_index) FROM case_events"
                         " GROUP BY case_id"))
    assert seq["S3"] == "entry>first_contact>exit"              # the contact of 01.05. is after the exit
    assert seq["S5"] == "entry>first_contact"                   # the plan of 10.07.2024 is after the Datenstand
    assert seq["S7"] == "entry>exit>integration"                # integration in June after an exit on 31.05.
    assert seq["S2"] == "entry>first_contact>coop_plan>measure_start>measure_end"
    assert not {"S9", "S10", "S11"} & set(seq)                  # not cases
    assert rows(con, "SELECT count(*) FROM case_events")[0][0] == 31  # 5+5+3+8+2+2+3+3 events
    assert rows(con, "SELECT min(event_index), count(DISTINCT case_id) FROM case_events WHERE activity = 'entry'"
                ) == [(1, 8)]                                  # every case starts with its entry


def test_export_events_is_the_event_log_in_process_mining_shape(db, tmp_path, monkeypatch):
    from pipelines.pseudonyms import KEY_ENV, pseudonym

    key = "0123456789abcdef0123456789abcdef"
    monkeypatch.setenv(KEY_ENV, key)  # the export carries keyed pseudonyms of case, person and record ids
    out = tmp_path / "events.csv"
    assert export("events", db, out) == 31
    with out.open(encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    assert list(table[0]) == ["case_id", "event_index", "activity", "activity_de", "timestamp", "person_id",
                              "team_id", "detail", "source_table", "record_id"]
    s4 = [r for r in table if r["case_id"] == pseudonym(key.encode(), "case", "S4")]
    assert [r["event_index"] for r in s4] == [str(i) for i in range(1, 9)]      # one case, in time order
    assert s4[0] == {"case_id": pseudonym(key.encode(), "case", "S4"), "event_index": "1", "activity": "entry",
                     "activity_de": "Zugang", "timestamp": "2023-02-01 00:00:00",
                     "person_id": pseudonym(key.encode(), "person", "P4"), "team_id": "T1", "detail": "",
                     "source_table": "benefit_spells", "record_id": pseudonym(key.encode(), "record", "S4")}
    cases = [r["case_id"] for r in table]
    assert cases == sorted(cases) and len(set(cases)) == 8                      # grouped by case


# --- entry cohorts -----------------------------------------------------------------------------------------------

def cohort(con, team: str, month: dt.date) -> dict[str, tuple]:
    return {step: (cases, reached, None if share is None else round(share, 6), is_open)
            for step, cases, reached, share, is_open in rows(
                con, "SELECT step, cases, reached, share, is_open FROM case_cohorts WHERE team_id = ?"
                     " AND cohort_month = ?", [team, month])}


def test_funnel_of_a_complete_cohort(con):
    # T1, January 2023: S1, S2, S3. Contact in 14 days: S1 (3 d), S3 (5 d), not S2 (41 d) -> 2/3;
    # plan in 60 days: S1, S2 (50 d) -> 2/3; measure in 6 months: S2 -> 1/3; integration in 12 months: S1 -> 1/3
    assert cohort(con, "T1", D(2023, 1, 1)) == {
        "first_contact_14d": (3, 2, 66.666667, False), "coop_plan_60d": (3, 2, 66.666667, False),
        "measure_6m": (3, 1, 33.333333, False), "integration_12m": (3, 1, 33.333333, False)}
    # the job center adds S6 (T2: no contact, plan after 5 days): 2/4, 3/4, 1/4, 1/4
    assert cohort(con, "__all__", D(2023, 1, 1)) == {
        "first_contact_14d": (4, 2, 50.0, False), "coop_plan_60d": (4, 3, 75.0, False),
        "measure_6m": (4, 1, 25.0, False), "integration_12m": (4, 1, 25.0, False)}
    # T2, March 2023: S7's integration after its exit lies within 12 months of the entry
    assert cohort(con, "T2", D(2023, 3, 1))["integration_12m"] == (1, 1, 100.0, False)


def test_young_cohorts_are_open_not_zero(con):
    # T2, May 2024: 31.05. + 14 days <= 30.06. is complete (S5 contacted after 2 days); 31.05. + 60 days is not
    assert cohort(con, "T2", D(2024, 5, 1)) == {
        "first_contact_14d": (1, 1, 100.0, False), "coop_plan_60d": (1, None, None, True),
        "measure_6m": (1, None, None, True), "integration_12m": (1, None, None, True)}
    # June 2024 (the last complete month): even 14 days have not passed for entries on 30.06.
    assert {v[3] for v in cohort(con, "T1", D(2024, 6, 1)).values()} == {True}
    # a complete cohort without entries has no share (NULL), and 0 reached
    assert cohort(con, "T2", D(2024, 4, 1))["first_contact_14d"] == (0, 0, None, False)
    # integration within 12 months: complete up to the cohort June 2023 (30.06.2023 + 12 months = 30.06.2024)
    complete = rows(con, "SELECT max(cohort_month) FROM case_cohorts WHERE step = 'integration_12m' AND NOT is_open")
    assert complete == [(D(2023, 6, 1),)]


# --- variants and stage paths ------------------------------------------------------------------------------------

def test_variants_of_team_1(con):
    # S3 and S8 share entry > first contact > exit (75 and 87 days: median 81); every other case is its own variant
    got = rows(con, "SELECT rank, variant, cases, round(share, 6), open_cases, median_duration_days"
                    " FROM case_variants WHERE team_id = 'T1' AND period = 'all' ORDER BY rank")
    assert got == [
        (1, "entry>first_contact>exit", 2, 40.0, 0, 81.0),
        (2, "entry>first_contact>coop_plan>integration>exit", 1, 20.0, 0, 118.0),           # S1 02.01.-30.04.
        (3, "entry>first_contact>coop_plan>measure_start>measure_end", 1, 20.0, 1, 263.0),  # S2 to 30.09.
        (4, "entry>first_contact>coop_plan>measure_start>measure_end>team_change>integration>exit", 1, 20.0, 0,
         333.0),                                                                             # S4 01.02.-31.12.
    ]
    assert rows(con, "SELECT variant_de FROM case_variants WHERE team_id = 'T1' AND period = 'all' AND rank = 1") == [
        ("Zugang → Erstkontakt → Abgang",)]
    # periods: T1's cases all entered in 2023; the job center has 8 cases in all, 7 of them from 2023
    assert rows(con, "SELECT period, sum(cases) FROM case_variants WHERE team_id = '__all__' GROUP BY period"
                     " ORDER BY period") == [("2023", 7), ("2024", 1), ("all", 8)]


def test_stage_paths_of_team_1(con):
    got = {(s, f, t): (n, round(share, 6), days) for s, f, t, n, share, days in rows(
        con, "SELECT step, from_stage, to_stage, cases, share, median_days FROM case_transitions"
             " WHERE team_id = 'T1' AND period = 'all'")}
    assert got == {
        (1, "entry", "first_contact"): (5, 100.0, 3.0),      # after 3, 41, 5, 2, 2 days
        (2, "first_contact", "coop_plan"): (3, 60.0, 9.0),   # S1 15 d, S2 9 d, S4 7 d
        (2, "first_contact", "exit"): (2, 40.0, 77.5),       # S3 70 d, S8 85 d
        (3, "coop_plan", "integration"): (1, 20.0, 85.0),    # S1
        (3, "coop_plan", "measure_start"): (2, 40.0, 25.0),  # S2 31 d, S4 19 d
        (4, "integration", "exit"): (1, 20.0, 15.0),         # S1
        (4, "measure_start", "open"): (1, 20.0, None),       # S2 is still running
        (4, "measure_start", "integration"): (1, 20.0, 275.0),  # S4 01.03.-01.12.
        (5, "integration", "exit"): (1, 20.0, 30.0),         # S4
    }
    assert rows(con, "SELECT DISTINCT to_stage_de FROM case_transitions WHERE to_stage = 'open'") == [("läuft noch",)]


# --- durations and declared grains -------------------------------------------------------------------------------

def test_case_durations(con):
    # days from the entry to the first integration, else to the exit or the Datenstand
    assert rows(con, "SELECT case_id, duration_days, event_observed FROM marts.case_durations ORDER BY case_id") == [
        ("S1", 103, True), ("S2", 537, False), ("S3", 75, False), ("S4", 303, True), ("S5", 55, False),
        ("S6", 527, False), ("S7", 101, True), ("S8", 87, False)]


CASE_MODELS = [m for m in discover(SQL_DIR, layers=("marts",)) if ".case_" in m.name]


@pytest.mark.parametrize("model", CASE_MODELS, ids=lambda m: m.name)
def test_declared_grain_holds(con, model):
    assert model.grain and duplicate_grain_rows(con, model.name, model.grain) == 0


def test_survival_grain_holds(con):
    from pipelines.survival import GRAIN

    for table, grain in GRAIN.items():
        assert duplicate_grain_rows(con, table, grain) == 0
