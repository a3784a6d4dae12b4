"""Persons, benefit spells and team assignments of the synthetic job center.

Everything is simulated per spell *round* (first spell of every person, then the
second, ...), each round vectorised over all persons, so the cost grows with
the number of persons and not with a Python loop per person. Days are int64
days since 1970-01-01; ``OPEN`` marks an empty end date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from pipelines import sample_params as P

OPEN = np.int64(2**40)  # an empty (open) end date; larger than every real day
EPOCH = np.datetime64("1970-01-01", "D")


def to_day(d: date) -> int:
    """Day number of a date."""
    return int((np.datetime64(d, "D") - EPOCH).astype(np.int64))


def month_index(days: np.ndarray) -> np.ndarray:
    """Months since January 1970 (so ``% 12`` gives the month 0-11)."""
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def month_first(months: np.ndarray) -> np.ndarray:
    """First day of a month index."""
    return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def month_end(days: np.ndarray) -> np.ndarray:
    """Last day of the month of each day."""
    return month_first(month_index(days) + 1) - 1


def add_years(days: np.ndarray, years: int) -> np.ndarray:
    """The same calendar day ``years`` later (29 February becomes 1 March)."""
    d = days.astype("datetime64[D]")
    y = d.astype("datetime64[Y]")
    m = d.astype("datetime64[M]")
    dom = (d - m.astype("datetime64[D]")).astype(np.int64)
    new_m = (y + years).astype("datetime64[M]") + (m - y.astype("datetime64[M]")).astype(np.int64)
    return (new_m.astype("datetime64[D]").astype(np.int64) + dom).astype(np.int64)


@dataclass
class Persons:
    """Person attributes; index = internal person number."""

    region: np.ndarray
    initial: np.ndarray  # in benefit at the window start
    cls: np.ndarray  # distance to the labour market: 0 close, 1 medium, 2 far
    birth: np.ndarray
    sex: np.ndarray  # index into SEX_LABELS
    single_parent: np.ndarray
    disabled: np.ndarray
    qual: np.ndarray  # index into QUAL_LABELS
    bg: np.ndarray  # Bedarfsgemeinschaft number
    first_start: np.ndarray
    nonemp_only: np.ndarray
    reha: np.ndarray  # looked after by the Reha team


@dataclass
class Spells:
    """Benefit spells in chronological order of their start."""

    person: np.ndarray
    start: np.ndarray
    end: np.ndarray  # OPEN = ongoing
    employable: np.ndarray
    reason: np.ndarray  # index into REASONS, -1 = ongoing
    initial: np.ndarray  # began before the window (start = window start)
    prev_end: np.ndarray  # end of the person's previous spell, -OPEN if none
    exit_day: np.ndarray  # the day the person left (= integration date for integrations)


@dataclass
class Segments:
    """Team assignments: one row per stretch of an employable spell with one team."""

    person: np.ndarray
    spell: np.ndarray
    team: np.ndarray
    start: np.ndarray
    end: np.ndarray  # OPEN = open assignment
    first: np.ndarray  # first segment of its spell


def make_persons(rng: np.random.Generator, n: int, w0: int, end: int) -> Persons:
    """Draw person attributes and the start of each person's first spell."""
    idx = np.arange(n)
    # households: a follower shares BG, entry date and initial status with the person before it
    follower = (rng.random(n) < P.BG_SHARE) & (idx > 0)
    leader = np.maximum.accumulate(np.where(follower, 0, idx))
    bg = np.cumsum(~follower)
    initial = (rng.random(n) < P.INITIAL_SHARE)[leader]
    months = month_index(np.array([w0, end]))
    n_months = int(months[1] - months[0] + 1)
    month_no = (months[0] + np.arange(n_months)) % 12
    weights = P.SEASON_ENTRY[month_no] / P.SEASON_ENTRY[month_no].sum()
    m = months[0] + rng.choice(n_months, size=n, p=weights)
    lo = np.maximum(month_first(m), w0 + 1)
    hi = np.minimum(month_first(m + 1) - 1, end)
    entry = lo + np.floor(rng.random(n) * (hi - lo + 1)).astype(np.int64)
    first_start = np.where(initial, w0, entry[leader]).astype(np.int64)

    cls = np.where(
        initial, rng.choice(3, size=n, p=P.CLASS_P_INITIAL), rng.choice(3, size=n, p=P.CLASS_P_ENTRANT)
    ).astype(np.int8)
    # age at the first spell start: under 25 for about 30 % (entrants more often), the rest 25-64; the
    # share sizes the two U25 teams (about a quarter of the stock, as in a real job center)
    young = rng.random(n) < np.where(initial, P.YOUNG_P_INITIAL, P.YOUNG_P_ENTRANT)
    young_age = 15 + rng.choice(10, size=n, p=[0.03, 0.05, 0.09, 0.14, 0.13, 0.12, 0.12, 0.11, 0.11, 0.10])
    old_age = 25 + np.floor(40 * rng.beta(1.3, 1.7, size=n))
    age = np.where(young, young_age, old_age) + rng.random(n)
    max_age = 66.6 - (end - first_start) / 365.25  # nobody passes the retirement age in the window
    age = np.clip(age, 15.05, np.maximum(max_age, 15.05))
    birth = first_start - np.round(age * 365.25).astype(np.int64)

    sex = rng.choice(4, size=n, p=[0.47, 0.52, 0.003, 0.007]).astype(np.int8)
    age_i = np.floor(age)
    p_single = np.where((sex == 1) & (age_i >= 20) & (age_i <= 50), 0.30, 0.0)
    p_single = np.where((sex == 0) & (age_i >= 22) & (age_i <= 55), 0.03, p_single)
    single_parent = rng.random(n) < p_single
    disabled = rng.random(n) < np.clip(0.03 + 0.0025 * (age_i - 25), 0.02, 0.14)
    qual_p = np.where(young[:, None], [[0.40, 0.45, 0.14, 0.01]], [[0.30, 0.28, 0.34, 0.08]])
    qual = (rng.random(n)[:, None] > np.cumsum(qual_p, axis=1)).sum(axis=1).astype(np.int8)
    return Persons(
        region=rng.choice(4, size=n, p=P.REGION_P)[leader].astype(np.int8),
        initial=initial, cls=cls, birth=birth, sex=sex, single_parent=single_parent,
        disabled=disabled, qual=qual, bg=bg, first_start=first_start,
        nonemp_only=rng.random(n) < P.NONEMP_ONLY_SHARE,
        reha=rng.random(n) < np.where(disabled, P.REHA_P, P.REHA_OTHER_P),
    )


def make_spells(rng: np.random.Generator, ps: Persons, w0: int, end: int) -> Spells:
    """Simulate each person's benefit history as a chain of spells, one vectorised round per spell."""
    n = ps.cls.size
    nxt_start = ps.first_start.copy()
    nxt_emp = ~ps.nonemp_only
    prev_end = np.full(n, -OPEN)
    alive = np.ones(n, bool)
    parts: list[dict[str, np.ndarray]] = []
    for _ in range(P.MAX_SPELLS):
        who = np.flatnonzero(alive & (nxt_start <= end))
        if who.size == 0:
            break
        s, emp, c = nxt_start[who], nxt_emp[who], ps.cls[who]
        hazard = np.where(emp, P.EXIT_HAZARD[c], P.NONEMP_HAZARD)
        exit_day = s + 7 + np.ceil(rng.exponential(30.44 / hazard)).astype(np.int64)
        ongoing = exit_day > end
        month = month_index(np.minimum(exit_day, end)) % 12
        p_int = np.where(emp, P.P_INTEGRATION[c] * P.SEASON_INTEGRATION[month], 0.0)
        u = rng.random(who.size)
        other_cum = np.cumsum(P.P_OTHER_REASONS) / P.P_OTHER_REASONS.sum()
        v = (u - p_int) / (1 - p_int)
        other = 1 + np.searchsorted(other_cum, np.clip(v, 0, 1 - 1e-12), side="right")
        reason = np.where(u < p_int, 0, other)
        reason = np.where(~emp & (reason == 3), 4, reason)  # no "not employable" exit from Sozialgeld
        reason = np.where(ongoing, -1, reason).astype(np.int8)
        # benefit mostly stops at the month end; an integration either on its day or at the month end
        to_month_end = rng.random(who.size) < np.where(reason == 0, 0.65, 0.5)
        stop = np.where(to_month_end, np.minimum(month_end(np.minimum(exit_day, end)), end), exit_day)
        stop = np.where(ongoing, OPEN, stop)
        parts.append({
            "person": who, "start": s, "end": stop, "employable": emp, "reason": reason,
            "initial": s == w0, "prev_end": prev_end[who], "exit_day": np.where(ongoing, OPEN, exit_day),
        })
        # what comes next: Sozialgeld after "not employable", otherwise maybe a re-entry
        to_nonemp = reason == 3
        back_from_nonemp = ~emp & (rng.random(who.size) < 0.35)
        p_back = np.where(reason == 2, 0.15, P.REENTRY_P[c])
        reenter = emp & ~to_nonemp & (rng.random(who.size) < p_back)
        gap = 31 + np.floor(rng.exponential(P.REENTRY_GAP_MEAN, who.size)).astype(np.int64)
        nxt_start[who] = np.where(to_nonemp, stop + 1, stop + gap)
        nxt_emp[who] = ~to_nonemp
        prev_end[who] = stop
        alive[who] = ~ongoing & (to_nonemp | reenter | back_from_nonemp)
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = np.lexsort((cols["person"], cols["start"]))
    return Spells(**{k: v[order] for k, v in cols.items()})


def make_segments(rng: np.random.Generator, ps: Persons, sp: Spells) -> Segments:
    """Split every employable spell into team assignments.

    U25 persons move to their Ü25 team (or Reha) on the first of the month after
    their 25th birthday; some Ü25 persons are handed to Fallmanagement and later
    back. A spell of the initial stock is handed over anywhere in the window, not
    just early: its history before the window is cut, and with early handovers
    alone Fallmanagement would be nearly empty by the last year.
    """
    si = np.flatnonzero(sp.employable)
    person = sp.person[si]
    s, e = sp.start[si], sp.end[si]
    region = ps.region[person]
    ue25 = np.where(ps.reha[person], P.REHA_TEAM, P.UE25_BY_REGION[region])
    turn25 = month_first(month_index(add_years(ps.birth[person], 25)) + 1)
    young = s < turn25
    team0 = np.where(young, P.U25_BY_REGION[region], ue25)
    m1 = young & (turn25 <= e)
    fm = ~young & (team0 != P.REHA_TEAM) & (rng.random(si.size) < P.P_FM[ps.cls[person]])
    lo, hi = np.where(sp.initial[si][:, None], P.FM_HANDOVER_INITIAL_DAYS, P.FM_HANDOVER_DAYS).T
    c2 = s + rng.integers(lo, hi + 1)
    m2 = fm & (c2 <= e)
    c3 = c2 + rng.integers(P.FM_STAY_DAYS[0], P.FM_STAY_DAYS[1] + 1, si.size)
    m3 = m2 & (c3 <= e)
    k = np.arange(si.size)
    pos = np.concatenate([k, k[m1], k[m2], k[m3]])
    start = np.concatenate([s, turn25[m1], c2[m2], c3[m3]])
    team = np.concatenate([team0, ue25[m1], np.full(m2.sum(), P.FM_TEAM), ue25[m3]]).astype(np.int8)
    order = np.lexsort((start, pos))
    pos, start, team = pos[order], start[order], team[order]
    same_next = np.append(pos[1:] == pos[:-1], False)
    seg_end = np.where(same_next, np.append(start[1:], 0) - 1, e[pos])
    first = np.insert(pos[1:] != pos[:-1], 0, True)
    return Segments(person=person[pos], spell=si[pos], team=team, start=start, end=seg_end, first=first)


def team_at(seg: Segments, person: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Responsible team (index) of each person on each day; -1 where no segment covers it."""
    key_seg = seg.person.astype(np.int64) * 2**24 + seg.start
    order = np.argsort(key_seg, kind="stable")
    pos = np.searchsorted(key_seg[order], person.astype(np.int64) * 2**24 + day, side="right") - 1
    pos = order[np.clip(pos, 0, None)]
    ok = (seg.person[pos] == person) & (seg.start[pos] <= day) & (seg.end[pos] >= day)
    return np.where(ok, seg.team[pos], -1).astype(np.int8)
