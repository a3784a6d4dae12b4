"""Every metric of metrics.md on a hand-built job center, end to end through the loader.

Two teams (T1, T2), ten persons, 36 complete months: spells start 2022-01-01
(M0 = January 2022) and the as-of date is 2025-01-10, so January 2022 to
December 2024 are complete. 36 months are the least that shows every window
rule: ltb_stock needs 730 days of history (first value December 2023), and
ltb_change_yoy / ltb_integration_rate_12m need twelve more months of it (only
December 2024 has a value).

The persons and what each one is for:
  P01 T1 throughout, single parent; eLb from 2022-01-03 (LZB from Dec 2023);
      measure Jan-Mar 2024; plan Jun-Nov 2023; two integrations in May 2024
      (counted once); contact on d(Dec 2024) - 89.
  P02 T1, T2 from Jul 2023, T1 from Jul 2024; spell ends 2022-05-31 (a month
      end), 92-day gap, new spell 2022-09-01..2024-08-15: exactly 638 eLb days
      on 2023-12-31 (LZB); integrates in Jul 2024 as an LZB of T2's June stock.
  P03 T2, no birth date, no single-parent flag; spell ends 2022-05-30 (93-day
      gap): 637 days until April 2024 (not LZB), 639 on 2024-05-31.
  P04 T1 until 2023-03-15; two overlapping spells 2022-06-10..2022-12-31 and
      2022-10-01..2023-03-15; integrates 2023-03-20 after leaving benefit and
      the team (counted via d(M-1), team __unassigned__).
  P05 enters 2023-01-20, first assignment (T2) 2023-03-03: the 31-day fallback
      puts d(Jan) and d(Feb) in T2 but the entry itself in __unassigned__.
  P06 enters 2023-05-10, first assignment (T1) 2023-07-02: __unassigned__ on
      d(May) (32 days before), T1 on d(Jun) by fallback.
  P07 T2 from 2022-03-01 with a later-starting T1 assignment Aug-Oct 2022 (the
      latest valid_from wins while both cover the day); measure from 2023-11-20.
  P08 T2, single parent; new entrant 2023-04-12..2023-04-30 who integrates on
      2023-04-20 (an integration recorded for 2023-04-05, before the spell, does
      not count and does not displace it); new spell 2024-12-20 (December
      cohort not yet complete).
  P09 T2, only a non-employable spell: never eLb, so its integration, measure
      and stock do not count, but its contact row does.
  P10 T2, eLb from 2022-01-01, born 2007-06-15: not LZB until 17 (June 2024);
      integrates in Mar 2024 (not an LZB integration).

Expected values are worked out by hand from the fact sheets; each one carries
its reason.
"""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import pytest

from pipelines.contract import load_contract
from pipelines.load import load_folder
from pipelines.sqlmodels import SQL_DIR, discover
from tests.conftest import write_canonical

AS_OF = dt.date(2025, 1, 10)
TEAMS = ["T1", "T2", "__unassigned__", "__all__"]
UN, ALL = "__unassigned__", "__all__"
MONTHS = [dt.date(2022 + i // 12, i % 12 + 1, 1) for i in range(36)]

# Rows in contract column order; "" = empty.
ROWS: dict[str, list[tuple]] = {
    "teams": [("T1", "Team Nord", "Ü25"), ("T2", "Team Süd", "U25")],
    # person_id, bg_id, birth_date, sex, single_parent, severely_disabled, highest_qualification, recorded_at
    "persons": [
        ("P01", "BG01", "1980-04-01", "w", "true", "false", "vocational", "2022-01-03 09:00:00"),
        ("P02", "BG02", "1970-02-02", "m", "false", "false", "school", "2022-01-03 09:00:00"),
        ("P03", "BG03", "", "m", "", "false", "none", "2022-01-03 09:00:00"),
        ("P04", "BG04", "1985-07-07", "w", "false", "false", "vocational", "2022-06-10 09:00:00"),
        ("P05", "BG05", "1992-03-03", "m", "false", "false", "academic", "2023-01-20 09:00:00"),
        ("P06", "BG06", "1995-09-09", "w", "false", "false", "school", "2023-05-10 09:00:00"),
        ("P07", "BG07", "1990-11-11", "m", "false", "true", "none", "2022-03-01 09:00:00"),
        ("P08", "BG08", "1988-12-12", "w", "true", "false", "vocational", "2023-04-12 09:00:00"),
        ("P09", "BG09", "1975-05-05", "m", "false", "false", "school", "2023-01-02 09:00:00"),
        ("P10", "BG10", "2007-06-15", "d", "false", "false", "none", "2022-01-03 09:00:00"),
    ],
    # spell_id, person_id, spell_start, spell_end, employable, exit_reason
    "benefit_spells": [
        ("S01", "P01", "2022-01-03", "", "true", ""),
        ("S02a", "P02", "2022-01-01", "2022-05-31", "true", "other_income"),
        ("S02b", "P02", "2022-09-01", "2024-08-15", "true", "integration"),
        ("S03a", "P03", "2022-01-01", "2022-05-30", "true", "moved"),
        ("S03b", "P03", "2022-09-01", "", "true", ""),
        ("S04a", "P04", "2022-06-10", "2022-12-31", "true", "other"),
        ("S04b", "P04", "2022-10-01", "2023-03-15", "true", "integration"),
        ("S05", "P05", "2023-01-20", "", "true", ""),
        ("S06", "P06", "2023-05-10", "", "true", ""),
        ("S07", "P07", "2022-03-01", "", "true", ""),
        ("S08a", "P08", "2023-04-12", "2023-04-30", "true", "integration"),
        ("S08b", "P08", "2024-12-20", "", "true", ""),
        ("S09", "P09", "2023-01-01", "", "false", ""),
        ("S10", "P10", "2022-01-01", "", "true", ""),
    ],
    # person_id, team_id, valid_from, valid_to
    "assignments": [
        ("P01", "T1", "2022-01-03", ""),
        ("P02", "T1", "2022-01-01", "2023-06-30"),
        ("P02", "T2", "2023-07-01", "2024-06-30"),
        ("P02", "T1", "2024-07-01", ""),
        ("P03", "T2", "2022-01-01", ""),
        ("P04", "T1", "2022-06-10", "2023-03-15"),
        ("P05", "T2", "2023-03-03", ""),
        ("P06", "T1", "2023-07-02", ""),
        ("P07", "T2", "2022-03-01", ""),
        ("P07", "T1", "2022-08-01", "2022-10-31"),
        ("P08", "T2", "2023-04-12", ""),
        ("P09", "T2", "2023-01-01", ""),
        ("P10", "T2", "2022-01-01", ""),
    ],
    # contact_id, person_id, contact_date, contact_type, recorded_at
    "contacts": [
        ("C01", "P01", "2022-01-10", "first_interview", "2022-01-10 10:00:00"),
        ("C02", "P01", "2022-01-10", "phone", "2022-01-10 15:00:00"),
        ("C03", "P07", "2022-02-25", "phone", "2022-02-25 11:00:00"),
        ("C04", "P04", "2022-06-10", "first_interview", "2022-06-10 09:30:00"),
        ("C05", "P02", "2022-09-15", "follow_up", "2022-09-15 14:00:00"),
        ("C06", "P03", "2022-09-16", "first_interview", "2022-09-16 10:00:00"),
        ("C07", "P05", "2023-01-25", "first_interview", "2023-01-25 10:00:00"),
        ("C08", "P08", "2023-04-12", "first_interview", "2023-04-12 13:00:00"),
        ("C09", "P09", "2023-09-05", "phone", "2023-09-05 08:45:00"),
        ("C10", "P06", "2024-10-02", "video", "2024-10-02 10:00:00"),
        ("C11", "P01", "2024-10-03", "follow_up", "2024-10-03 10:00:00"),
        ("C12", "P08", "2024-12-22", "first_interview", "2024-12-23 09:00:00"),
    ],
    # plan_id, person_id, plan_date, next_review_date, recorded_at
    "cooperation_plans": [
        ("K01", "P01", "2023-06-15", "2023-12-15", "2023-06-15 12:00:00"),
        ("K02", "P07", "2023-01-10", "", "2023-01-10 12:00:00"),  # current until 2023-07-12 (+183 days)
        ("K03", "P02", "2024-01-31", "2024-01-31", "2024-01-31 12:00:00"),  # current on d(Jan 2024) only
        ("K04", "P10", "2024-03-01", "", "2024-03-01 12:00:00"),  # + 183 days = 2024-08-31 = d(Aug 2024)
    ],
    # measure_id, person_id, measure_type, start_date, end_date, recorded_at
    "measures": [
        ("M01", "P01", "fbw", "2024-01-15", "2024-03-31", "2024-01-10 12:00:00"),
        ("M02", "P07", "agh", "2023-11-20", "", "2023-11-15 12:00:00"),
        ("M03", "P03", "activation_45", "2024-06-30", "2024-07-15", "2024-06-20 12:00:00"),
        ("M04", "P09", "other", "2023-10-01", "", "2023-09-20 12:00:00"),
    ],
    # integration_id, person_id, integration_date, integration_type, recorded_at
    "integrations": [
        ("I01", "P04", "2023-03-20", "employment_part", "2023-03-22 12:00:00"),
        ("I02", "P08", "2023-04-20", "employment_full", "2023-04-21 12:00:00"),
        ("I03", "P09", "2023-09-05", "employment_full", "2023-09-06 12:00:00"),
        ("I04", "P10", "2024-03-10", "apprenticeship", "2024-03-11 12:00:00"),
        ("I05", "P01", "2024-05-25", "employment_part", "2024-05-27 12:00:00"),
        ("I06", "P01", "2024-05-20", "employment_full", "2024-05-21 12:00:00"),
        ("I07", "P02", "2024-07-10", "self_employment", "2024-07-12 12:00:00"),
        ("I08", "P08", "2023-04-05", "employment_part", "2023-04-06 12:00:00"),  # before P08's spell
    ],
}


def runs(*pairs: tuple[float | None, int]) -> list[float | None]:
    """A 36-month series written as (value, number of months) runs from January 2022."""
    series = [v for v, n in pairs for _ in range(n)]
    assert len(series) == 36, len(series)
    return series


def sparse(**cells: float) -> list[float]:
    """A 36-month series that is 0 except in the given months (keyword m2023_04 = April 2023)."""
    series = [0.0] * 36
    for key, value in cells.items():
        series[MONTHS.index(dt.date(int(key[1:5]), int(key[6:8]), 1))] = value
    return series


def quarterly(*quarters: float) -> list[float | None]:
    """A 36-month series of quarter sums: the twelve quarters Q1 2022 .. Q4 2024 in their last month, NULL
    in the others."""
    assert len(quarters) == 12, len(quarters)
    return [quarters[i // 3] if i % 3 == 2 else None for i in range(36)]


# Full series (value = numerator, denominator NULL) of the count metrics, per team.
COUNT_SERIES: dict[str, dict[str, list[float | None]]] = {
    "elb_stock": {
        # P01+P02 (P02 away Jun-Aug 22, P04 from Jun 22) | +P07 in T1 | P02 back | P07 back to T2 |
        # P04 gone | P06 by fallback | P02 to T2 | P02 back | P02 gone
        "T1": runs((2, 7), (3, 1), (4, 2), (3, 4), (2, 3), (3, 1), (2, 12), (3, 1), (2, 5)),
        # P03+P10 | +P07 | P03 left 30 May | P07 in T1 | P03 back | P07 back | +P05 by fallback | +P08 |
        # P08 left | +P02 | P02 to T1/gone | P08 back 20 Dec
        "T2": runs((2, 2), (3, 2), (2, 3), (1, 1), (2, 2), (3, 2), (4, 3), (5, 1), (4, 2), (5, 12), (4, 5),
                   (5, 1)),
        # only P06 on 2023-05-31: its assignment starts 32 days later, beyond the fallback
        UN: sparse(m2023_05=1),
        # every eLb person once, whatever the team
        ALL: runs((4, 2), (5, 2), (4, 4), (6, 4), (7, 2), (6, 1), (7, 16), (6, 4), (7, 1)),
    },
    "entries": {
        # S01+S02a; S04a; S02b; S04b (an overlapping spell is its own entry)
        "T1": sparse(m2022_01=2, m2022_06=1, m2022_09=1, m2022_10=1),
        # S03a+S10; S07; S03b; S08a; S08b
        "T2": sparse(m2022_01=2, m2022_03=1, m2022_09=1, m2023_04=1, m2024_12=1),
        # S05 (assignment 42 days after spell_start) and S06 (53 days after): no fallback
        UN: sparse(m2023_01=1, m2023_05=1),
        # every employable spell once; S09 is not employable
        ALL: sparse(m2022_01=4, m2022_03=1, m2022_06=1, m2022_09=2, m2022_10=1, m2023_01=1, m2023_04=1,
                    m2023_05=1, m2024_12=1),
    },
    "exits": {
        # S02a ends on a month end; S04a although S04b runs on; S04b (valid_to covers its last day); S02b
        "T1": sparse(m2022_05=1, m2022_12=1, m2023_03=1, m2024_08=1),
        # S03a; S08a
        "T2": sparse(m2022_05=1, m2023_04=1),
        UN: sparse(),
        ALL: sparse(m2022_05=2, m2022_12=1, m2023_03=1, m2023_04=1, m2024_08=1),
    },
    "integrations": {
        # I06 (earliest of P01's two in May; I05 not counted); I07 (team on the date is T1 again)
        "T1": sparse(m2024_05=1, m2024_07=1),
        # I02 new entrant (eLb on the date, not on d(M-1)); I04
        "T2": sparse(m2023_04=1, m2024_03=1),
        # I01: eLb on d(Feb 2023) but no assignment on or after 2023-03-20
        UN: sparse(m2023_03=1),
        # I03 (P09 never eLb) does not count
        ALL: sparse(m2023_03=1, m2023_04=1, m2024_03=1, m2024_05=1, m2024_07=1),
    },
    # the sums of a calendar quarter, in its last month (NULL in every other month), Q1 2022 .. Q4 2024
    "entries_quarter": {
        # S01+S02a (Jan 22); S04a (Jun); S02b (Sep); S04b (Oct)
        "T1": quarterly(2, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0),
        # S05 (Jan 23), S06 (May 23)
        UN: quarterly(0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0),
        # Jan 22 (4) + Mar 22 (1); Jun; Sep (2); Oct; Jan 23; Apr + May 23; Dec 24
        ALL: quarterly(5, 1, 2, 1, 1, 2, 0, 0, 0, 0, 0, 1),
    },
    "exits_quarter": {
        # May 22, Dec 22, Mar 23, Aug 24
        "T1": quarterly(0, 1, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0),
    },
    "integrations_quarter": {
        # I02 (Apr 23), I04 (Mar 24)
        "T2": quarterly(0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0),
        # I01 (Mar 23), I02 (Apr 23), I04 (Mar 24), I06 (May 24), I07 (Jul 24): one per quarter
        ALL: quarterly(0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 1, 0),
    },
    "ltb_stock": {
        # NULL until d(M)-729 >= 2022-01-01 (first: 2023-12-31); P01 | +P02 back from T2 | P01
        "T1": runs((None, 23), (1, 7), (2, 1), (1, 5)),
        # P02 (exactly 638 days) + P07 | +P03 (639 days; 637 until April) | +P10 (17 on 2024-06-15) |
        # P02 to T1 | +P05 (651 days on 2024-10-31, 620 on 2024-09-30)
        "T2": runs((None, 23), (2, 5), (3, 1), (4, 1), (3, 3), (4, 3)),
        UN: runs((None, 23), (0, 13)),
        ALL: runs((None, 23), (3, 5), (4, 1), (5, 2), (4, 2), (5, 3)),
    },
}

# (metric, team, month, value, numerator, denominator, reason)
CELLS: list[tuple[str, str, str, float | None, float | None, float | None, str]] = [
    # --- integration_rate_12m: integrations M-11..M over mean stock M-12..M-1
    ("integration_rate_12m", ALL, "2022-12", None, None, None, "window M-12 reaches before start"),
    ("integration_rate_12m", ALL, "2023-01", 0, 0, 58 / 12, "first month with 12 months of stock (Jan-Dec 22)"),
    ("integration_rate_12m", ALL, "2023-04", 200 / (65 / 12), 2, 65 / 12,
     "I01+I02 over stock Apr 22-Mar 23 (May 22-Apr 23 would be 67)"),
    ("integration_rate_12m", "T2", "2023-04", 37.5, 1, 32 / 12, "I02 over T2 stock Apr 22-Mar 23"),
    ("integration_rate_12m", UN, "2023-04", None, 1, 0, "I01 but no unassigned stock: denominator 0"),
    ("integration_rate_12m", "T1", "2024-12", 96.0, 2, 25 / 12, "I06+I07 over T1 stock Dec 23-Nov 24"),
    ("integration_rate_12m", "T2", "2024-12", 100 / (55 / 12), 1, 55 / 12, "I04 over T2 stock Dec 23-Nov 24"),
    ("integration_rate_12m", ALL, "2024-12", 45.0, 3, 80 / 12, "from summed numbers, not a mean of teams"),
    # --- integration_rate_single_parents_12m: P01 (T1) and P08 (T2) only
    ("integration_rate_single_parents_12m", "T2", "2023-04", None, 1, 0, "I02 but no single parent before"),
    ("integration_rate_single_parents_12m", "T2", "2024-03", 1200.0, 1, 1 / 12,
     "I02 over P08 in one month of twelve"),
    ("integration_rate_single_parents_12m", "T2", "2024-04", 0, 0, 1 / 12, "I02 (Apr 23) left the window"),
    ("integration_rate_single_parents_12m", ALL, "2024-03", 100 / (13 / 12), 1, 13 / 12,
     "I02 over P01 twelve months + P08 one"),
    ("integration_rate_single_parents_12m", "T1", "2024-12", 100.0, 1, 1, "I06 over P01 every month"),
    ("integration_rate_single_parents_12m", ALL, "2022-12", None, None, None, "not twelve months of history"),
    # --- integration_covering_3m: share not eLb on d(M+3)
    ("integration_covering_3m", UN, "2023-03", 100.0, 1, 1, "P04 not eLb on 2023-06-30"),
    ("integration_covering_3m", "T1", "2023-03", None, 0, 0, "no integration in T1"),
    ("integration_covering_3m", ALL, "2023-03", 100.0, 1, 1, "only I01"),
    ("integration_covering_3m", "T2", "2023-04", 100.0, 1, 1, "P08's spell ended 2023-04-30"),
    ("integration_covering_3m", "T2", "2024-03", 0.0, 0, 1, "P10 still eLb on 2024-06-30"),
    ("integration_covering_3m", "T1", "2024-05", 0.0, 0, 1, "P01 still eLb on 2024-08-31; I05 not counted"),
    ("integration_covering_3m", "T1", "2024-07", 100.0, 1, 1, "P02's spell ended 2024-08-15"),
    ("integration_covering_3m", ALL, "2024-09", None, 0, 0, "Dec 2024 complete, no integration"),
    ("integration_covering_3m", ALL, "2024-10", None, None, None, "Jan 2025 is not complete"),
    ("integration_covering_3m", "T1", "2024-12", None, None, None, "Mar 2025 is not complete"),
    # --- ltb_change_yoy: only Dec 2024 has ltb_stock twelve months before
    ("ltb_change_yoy", "T1", "2024-12", 0.0, 0, 1, "P01 then and now"),
    ("ltb_change_yoy", "T2", "2024-12", 100.0, 2, 2, "P07,P03,P10,P05 now; P02,P07 then"),
    ("ltb_change_yoy", ALL, "2024-12", 200 / 3, 2, 3, "5 now, 3 then"),
    ("ltb_change_yoy", UN, "2024-12", None, 0, 0, "no LZB then: denominator 0"),
    ("ltb_change_yoy", ALL, "2024-11", None, None, None, "ltb_stock of Nov 2023 is undefined"),
    # --- ltb_integration_rate_12m: LZB of the previous month; mean ltb_stock Dec 23-Nov 24
    ("ltb_integration_rate_12m", "T1", "2024-12", 200 / (13 / 12), 2, 13 / 12,
     "I06 (P01 LZB in Apr) + I07 (P02 LZB in T2 in Jun)"),
    ("ltb_integration_rate_12m", "T2", "2024-12", 0.0, 0, 34 / 12, "I04: P10 was 16 in Feb 2024"),
    ("ltb_integration_rate_12m", ALL, "2024-12", 200 / (47 / 12), 2, 47 / 12, "summed over teams"),
    ("ltb_integration_rate_12m", UN, "2024-12", None, 0, 0, "no unassigned LZB"),
    ("ltb_integration_rate_12m", ALL, "2024-11", None, None, None, "ltb_stock of Nov 2023 is undefined"),
    # --- activation_rate: measure running on d(M)
    ("activation_rate", "T1", "2024-02", 50.0, 1, 2, "P01's measure Jan 15-Mar 31"),
    ("activation_rate", "T1", "2024-03", 50.0, 1, 2, "measure ends exactly on d(M)"),
    ("activation_rate", "T1", "2024-04", 0.0, 0, 2, "measure ended"),
    ("activation_rate", "T2", "2023-10", 0.0, 0, 5, "P09's measure does not count: not in stock"),
    ("activation_rate", "T2", "2023-11", 20.0, 1, 5, "P07's measure from Nov 20"),
    ("activation_rate", "T2", "2024-06", 40.0, 2, 5, "P07, and P03's measure starting on d(M)"),
    ("activation_rate", "T2", "2024-07", 25.0, 1, 4, "P03's measure ended Jul 15"),
    ("activation_rate", ALL, "2024-06", 200 / 7, 2, 7, "P07 and P03 of seven"),
    ("activation_rate", UN, "2023-06", None, 0, 0, "no unassigned stock"),
    # --- ltb_activation_rate
    ("ltb_activation_rate", "T1", "2024-02", 100.0, 1, 1, "P01 is LZB and active"),
    ("ltb_activation_rate", "T2", "2023-12", 50.0, 1, 2, "P07 active, P02 not"),
    ("ltb_activation_rate", "T2", "2024-06", 50.0, 2, 4, "P07, P03 of P02, P07, P03, P10"),
    ("ltb_activation_rate", ALL, "2024-06", 40.0, 2, 5, "plus P01 not active"),
    ("ltb_activation_rate", UN, "2024-06", None, 0, 0, "no unassigned LZB"),
    ("ltb_activation_rate", ALL, "2023-11", None, None, None, "ltb_stock undefined"),
    # --- integration_progress_ytd: Jan..M over mean stock Dec(Y-1)..M-1
    ("integration_progress_ytd", ALL, "2022-12", None, None, None, "Dec 2021 lies before start"),
    ("integration_progress_ytd", ALL, "2023-01", 0.0, 0, 6, "stock Dec 2022"),
    ("integration_progress_ytd", ALL, "2023-04", 200 / 6.5, 2, 6.5, "I01+I02 over stock Dec 22-Mar 23"),
    ("integration_progress_ytd", "T2", "2023-12", 100 / (53 / 12), 1, 53 / 12,
     "I02 over T2 stock Dec 22-Nov 23 (= the 12-month rate)"),
    ("integration_progress_ytd", "T1", "2024-07", 100.0, 2, 2, "I06+I07 over T1 stock Dec 23-Jun 24"),
    # --- first_contact_14d_rate: cohort of spells starting in M, contact spell_start..+14
    ("first_contact_14d_rate", "T1", "2022-01", 50.0, 1, 2, "S01 contact on day 7, S02a none"),
    ("first_contact_14d_rate", "T2", "2022-01", 0.0, 0, 2, "S03a, S10 without contact"),
    ("first_contact_14d_rate", ALL, "2022-01", 25.0, 1, 4, "one of four"),
    ("first_contact_14d_rate", "T2", "2022-03", 0.0, 0, 1, "P07's contact lies before spell_start"),
    ("first_contact_14d_rate", "T1", "2022-06", 100.0, 1, 1, "contact on the day of spell_start"),
    ("first_contact_14d_rate", "T1", "2022-09", 100.0, 1, 1, "contact on spell_start + 14"),
    ("first_contact_14d_rate", "T2", "2022-09", 0.0, 0, 1, "contact on spell_start + 15"),
    ("first_contact_14d_rate", "T1", "2022-10", 0.0, 0, 1, "S04b: P04's contact long before"),
    ("first_contact_14d_rate", UN, "2023-01", 100.0, 1, 1, "S05, contact after 5 days"),
    ("first_contact_14d_rate", "T1", "2023-01", None, 0, 0, "no entries in T1"),
    ("first_contact_14d_rate", UN, "2023-05", 0.0, 0, 1, "S06 without contact"),
    ("first_contact_14d_rate", ALL, "2024-11", None, 0, 0, "complete but no entries"),
    ("first_contact_14d_rate", "T2", "2024-12", None, None, None, "d(M)+14 = 2025-01-14 > as_of"),
    # --- coop_plan_coverage: plan_date <= d(M) <= coalesce(next_review_date, plan_date + 183)
    ("coop_plan_coverage", "T1", "2023-05", 0.0, 0, 2, "P01's plan dated after d(M)"),
    ("coop_plan_coverage", "T1", "2023-06", 100 / 3, 1, 3, "P01 of P01, P02, P06"),
    ("coop_plan_coverage", "T2", "2023-06", 25.0, 1, 4, "P07's plan current until 2023-07-12"),
    ("coop_plan_coverage", ALL, "2023-06", 200 / 7, 2, 7, "two of seven"),
    ("coop_plan_coverage", "T2", "2023-07", 0.0, 0, 5, "P07's plan 183 days old"),
    ("coop_plan_coverage", "T1", "2023-11", 50.0, 1, 2, "review date 2023-12-15 still ahead"),
    ("coop_plan_coverage", "T1", "2023-12", 0.0, 0, 2, "review date passed"),
    ("coop_plan_coverage", "T2", "2024-01", 20.0, 1, 5, "P02's plan dated and due on d(M)"),
    ("coop_plan_coverage", "T2", "2024-02", 0.0, 0, 5, "P02's plan due date passed"),
    ("coop_plan_coverage", UN, "2023-05", 0.0, 0, 1, "P06 without plan"),
    ("coop_plan_coverage", "T2", "2024-08", 25.0, 1, 4, "P10's plan: 2024-03-01 + 183 days = d(M)"),
    ("coop_plan_coverage", "T2", "2024-09", 0.0, 0, 4, "P10's plan expired"),
    # --- no_contact_90d_rate: no contact dated d(M)-89 .. d(M); NULL while d(M)-89 < start (spec v2)
    ("no_contact_90d_rate", "T1", "2022-01", None, None, None, "Jan 31 - 89 = Nov 3, 2021: before the start"),
    ("no_contact_90d_rate", ALL, "2022-01", None, None, None, "the same for the job center"),
    ("no_contact_90d_rate", "T2", "2022-02", None, None, None, "Feb 28 - 89 = Dec 1, 2021: before the start"),
    ("no_contact_90d_rate", "T1", "2022-03", 50.0, 1, 2, "Mar 31 - 89 = Jan 1 = start: defined; Jan 10 counts"),
    ("no_contact_90d_rate", "T1", "2022-04", 100.0, 2, 2, "Jan 10 before Jan 31 .. Apr 30"),
    ("no_contact_90d_rate", "T2", "2022-03", 200 / 3, 2, 3, "P07's contact of Feb 25 counts"),
    ("no_contact_90d_rate", "T1", "2024-11", 0.0, 0, 2, "P01 Oct 3, P06 Oct 2"),
    ("no_contact_90d_rate", "T1", "2024-12", 50.0, 1, 2, "Oct 3 = d(M)-89 counts, Oct 2 = d(M)-90 not"),
    ("no_contact_90d_rate", "T2", "2024-12", 80.0, 4, 5, "only P08 (Dec 22)"),
    ("no_contact_90d_rate", ALL, "2024-12", 500 / 7, 5, 7, "five of seven"),
    ("no_contact_90d_rate", UN, "2023-05", 100.0, 1, 1, "P06 without contact"),
    # --- contacts_per_100: every contact row dated in M, by team on contact_date, over stock(M)
    ("contacts_per_100", "T1", "2022-01", 100.0, 2, 2, "two rows on one day both count"),
    ("contacts_per_100", "T2", "2022-01", 0.0, 0, 2, "no contact"),
    ("contacts_per_100", ALL, "2022-01", 50.0, 2, 4, "two contacts, four eLb"),
    ("contacts_per_100", "T2", "2022-02", 50.0, 1, 2, "P07 before its assignment: T2 by fallback"),
    ("contacts_per_100", UN, "2023-01", None, 1, 0, "P05's contact, no assignment within 31 days"),
    ("contacts_per_100", ALL, "2023-01", 100 / 7, 1, 7, "one contact, seven eLb"),
    ("contacts_per_100", "T2", "2023-09", 20.0, 1, 5, "P09 not eLb but its contact row counts"),
    ("contacts_per_100", "T1", "2024-10", 100.0, 2, 2, "P06 and P01"),
    ("contacts_per_100", "T2", "2024-12", 20.0, 1, 5, "P08's contact"),
]

# First month with a value (numerator not NULL) for every team; NULL everywhere before.
FIRST_DEFINED = {
    "integration_rate_12m": "2023-01",  # M-12 >= 2022-01
    "integration_rate_single_parents_12m": "2023-01",
    "integration_progress_ytd": "2023-01",  # December 2022 >= start
    "ltb_stock": "2023-12",  # d(M)-729 >= 2022-01-01
    "ltb_activation_rate": "2023-12",
    "ltb_change_yoy": "2024-12",  # needs ltb_stock(M-12)
    "ltb_integration_rate_12m": "2024-12",  # needs ltb_stock for every month M-12..M-1
}
# Last month with a value; NULL in every later month.
LAST_DEFINED = {
    "integration_covering_3m": "2024-09",  # d(M+3) <= as_of
    "first_contact_14d_rate": "2024-11",  # d(M) + 14 <= as_of
}


def month(text: str) -> dt.date:
    return dt.date(int(text[:4]), int(text[5:7]), 1)


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("hand_metrics")
    contract = load_contract()
    tables = {name: [dict(zip(contract[name].column_names, row, strict=True)) for row in rows]
              for name, rows in ROWS.items()}
    source = write_canonical(tmp / "source", tables)
    db = tmp / "hand.duckdb"
    load_folder(source, db, as_of=AS_OF)
    connection = duckdb.connect(str(db), read_only=True)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def values(con) -> dict[tuple[str, str, dt.date], tuple]:
    rows = con.execute("SELECT metric_id, team_id, month, value, numerator, denominator FROM metric_values")
    return {(m, t, d): (v, n, q) for m, t, d, v, n, q in rows.fetchall()}


def test_calendar_is_the_36_complete_months(con):
    assert [r[0] for r in con.execute("SELECT month FROM core.calendar ORDER BY month").fetchall()] == MONTHS


def test_every_metric_is_hand_checked(con):
    catalog = {r[0] for r in con.execute("SELECT metric_id FROM metric_catalog").fetchall()}
    checked = set(COUNT_SERIES) | {c[0] for c in CELLS}
    assert checked == catalog - {"dq_score"}
    files = {sheet["id"] for m in discover(SQL_DIR, layers=("metrics",)) for sheet in m.meta["metrics"]}
    assert files == catalog


def test_full_grid_one_row_per_team_month_metric(con):
    n_metrics = con.execute("SELECT count(*) FROM metric_catalog").fetchone()[0]
    assert con.execute("SELECT count(*) FROM metric_values").fetchone()[0] == len(TEAMS) * 36 * n_metrics
    dupes = con.execute("SELECT count(*) FROM (SELECT team_id, month, metric_id FROM metric_values"
                        " GROUP BY ALL HAVING count(*) > 1)").fetchone()[0]
    assert dupes == 0
    teams = {r[0] for r in con.execute("SELECT DISTINCT team_id FROM metric_values").fetchall()}
    assert teams == set(TEAMS)


@pytest.mark.parametrize("metric", sorted(COUNT_SERIES))
def test_count_series(values, metric):
    for team, series in COUNT_SERIES[metric].items():
        got = [values[(metric, team, m)] for m in MONTHS]
        expected = [(v, v, None) for v in series]
        assert got == expected, f"{metric} {team}: " + ", ".join(
            f"{m:%Y-%m}: got {g[0]}, expected {e[0]}" for m, g, e in zip(MONTHS, got, expected, strict=True)
            if g != e)


@pytest.mark.parametrize("metric, team, when, value, numerator, denominator, reason", CELLS,
                         ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CELLS])
def test_cell(values, metric, team, when, value, numerator, denominator, reason):
    got = values[(metric, team, month(when))]
    assert got == pytest.approx((value, numerator, denominator), abs=1e-9), reason


@pytest.mark.parametrize("metric", sorted(FIRST_DEFINED))
def test_null_until_enough_history(values, metric):
    first = month(FIRST_DEFINED[metric])
    for team in TEAMS:
        for m in MONTHS:
            value, numerator, denominator = values[(metric, team, m)]
            if m < first:
                assert (value, numerator, denominator) == (None, None, None), (team, m)
            else:
                assert numerator is not None, (team, m)


@pytest.mark.parametrize("metric", sorted(LAST_DEFINED))
def test_null_while_the_follow_up_is_incomplete(values, metric):
    last = month(LAST_DEFINED[metric])
    for team in TEAMS:
        for m in MONTHS:
            value, numerator, denominator = values[(metric, team, m)]
            if m > last:
                assert (value, numerator, denominator) == (None, None, None), (team, m)
            else:
                assert numerator is not None and denominator is not None, (team, m)


def test_progress_equals_the_12_month_rate_in_december(values):
    for team in TEAMS:
        for year in (2023, 2024):
            december = dt.date(year, 12, 1)
            ytd = values[("integration_progress_ytd", team, december)]
            rate = values[("integration_rate_12m", team, december)]
            assert ytd == pytest.approx(rate, abs=1e-9, nan_ok=True), (team, year)


def test_which_integrations_count(con):
    rows = dict(con.execute("SELECT integration_id, counts FROM core.integration_facts").fetchall())
    assert rows == {
        "I01": True,   # eLb on d(Feb 2023), left benefit before the integration
        "I02": True,   # new entrant: eLb on the integration date only
        "I03": False,  # P09 never eLb (DQ10)
        "I04": True,
        "I05": False,  # P01's second integration in May 2024: a later date than I06
        "I06": True,   # earliest of the month, although its id is larger
        "I07": True,
        "I08": False,  # P08 not yet eLb on 2023-04-05 nor on 2023-03-31; does not block I02
    }


def test_rates_are_100_times_numerator_over_denominator(values):
    for (metric, team, m), (value, numerator, denominator) in values.items():
        if metric in COUNT_SERIES or metric in ("entries", "exits", "integrations") or value is None:
            continue
        assert not math.isnan(value)
        assert value == pytest.approx(100 * numerator / denominator), (metric, team, m)

