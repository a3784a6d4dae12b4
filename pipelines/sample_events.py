"""Contacts, cooperation plans, measures and integrations of the synthetic job center.

Event series (contacts, plan renewals) are renewal processes drawn for all
assignments at once: gaps are allocated generously per group, summed within the
group and cut at the group's end, so no Python loop runs per person.
Every table is a dict of numpy arrays; ``rec`` is recorded_at in minutes since
1970-01-01 and ``team`` the responsible team on the event date (-1 = none).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from pipelines import sample_params as P
from pipelines.sample_population import OPEN, Persons, Segments, Spells, add_years, month_index, team_at

Table = dict[str, np.ndarray]
UNITS = ("U25", "Ü25", "Fallmanagement", "Reha")
TEAM_UNIT_IDX = np.array([UNITS.index(u) for u in P.TEAM_UNIT])
RENEWAL_BLOCK = 100_000  # groups per block in renewal()


def renewal(
    first: np.ndarray, stop: np.ndarray, expected: np.ndarray, gaps: Callable[[np.ndarray], np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Events ``first``, ``first + gap``, ... up to ``stop`` for every group, vectorised.

    ``expected`` is the expected number of events per group; ``gaps(group)``
    draws one gap per allocated slot. Returns (group index, day) per event.
    Groups are processed in blocks so the over-allocation stays small in memory.
    """
    out_g, out_d = [], []
    for lo in range(0, first.size, RENEWAL_BLOCK):
        hi = min(lo + RENEWAL_BLOCK, first.size)
        n_alloc = np.where(first[lo:hi] <= stop[lo:hi], np.ceil(expected[lo:hi] * 1.4).astype(np.int64) + 4, 0)
        grp = np.repeat(np.arange(lo, hi, dtype=np.int32), n_alloc)
        g = gaps(grp).astype(float)
        used = n_alloc > 0
        head = (np.cumsum(n_alloc) - n_alloc)[used]
        g[head] = 0.0
        cs = np.cumsum(g)
        cs -= np.repeat(cs[head], n_alloc[used])
        days = first[grp] + np.round(cs).astype(np.int64)
        keep = days <= stop[grp]
        out_g.append(grp[keep])
        out_d.append(days[keep])
    if not out_g:
        return np.zeros(0, np.int32), np.zeros(0, np.int64)
    return np.concatenate(out_g), np.concatenate(out_d)


def office_minute(rng: np.random.Generator, n: int, lo: int = 7 * 60 + 30, hi: int = 17 * 60) -> np.ndarray:
    """A time of day in office hours, in 5-minute steps."""
    return lo + 5 * rng.integers(0, (hi - lo) // 5, n)


def pick_by_unit(rng: np.random.Generator, unit: np.ndarray, mix: dict[str, list[float]]) -> np.ndarray:
    """Draw a category per row from the row's unit-specific distribution."""
    cum = np.cumsum(np.array([mix[u] for u in UNITS]), axis=1)
    cum /= cum[:, -1:]
    u = rng.random(unit.size)
    out = np.zeros(unit.size, np.int8)
    for i in range(len(UNITS)):  # one pass per unit, not per row: no n x k matrix in memory
        rows = unit == i
        out[rows] = np.minimum(np.searchsorted(cum[i], u[rows], side="left"), cum.shape[1] - 1)
    return out


def make_contacts(rng: np.random.Generator, n_persons: int, sp: Spells, seg: Segments, end: int) -> Table:
    """Erstgespräch after a new spell, then follow-ups at the team's rhythm."""
    stop = np.minimum(seg.end, end)
    engagement = rng.lognormal(0.0, 0.35, n_persons)  # some persons are seen far less often
    gap = P.TEAM_GAP[seg.team] * engagement[seg.person]
    has_fi = seg.first & ~sp.initial[seg.spell] & (rng.random(seg.team.size) < P.TEAM_FIRST_P[seg.team])
    lag = P.TEAM_FIRST_LAG[seg.team]
    fi_day = seg.start + np.round(rng.gamma(1.5, lag / 1.5)).astype(np.int64)
    has_fi &= fi_day <= stop
    shape = 2.5
    first = np.where(
        has_fi,
        fi_day + np.round(rng.gamma(shape, gap / shape)).astype(np.int64),
        seg.start + np.floor(rng.random(gap.size) * gap).astype(np.int64),
    )
    expected = np.maximum(stop - first, 0) / gap
    grp, day = renewal(first, stop, expected, lambda g: rng.gamma(shape, gap[g] / shape))
    fi = np.flatnonzero(has_fi)
    grp = np.concatenate([fi, grp])
    day = np.concatenate([fi_day[fi], day])
    kind = np.concatenate([
        np.zeros(fi.size, np.int8), 1 + pick_by_unit(rng, TEAM_UNIT_IDX[seg.team[grp[fi.size:]]], P.CONTACT_MIX)
    ]).astype(np.int8)
    # small dtypes throughout: contacts are by far the biggest table
    n = day.size
    i16 = np.int16
    minute = 8 * 60 + 5 * rng.integers(0, 96, n, dtype=i16)
    u = rng.random(n, dtype=np.float32)
    lag_days = np.where(
        u < 0.65, i16(0), np.where(u < 0.90, rng.integers(1, 4, n, dtype=i16), rng.integers(4, 8, n, dtype=i16))
    )
    del u
    rec_min = np.where(
        lag_days == 0, minute + rng.integers(10, 150, n, dtype=i16), office_minute(rng, n).astype(i16)
    )
    del minute
    remark = np.where(
        rng.random(n, dtype=np.float32) < 0.25, rng.integers(0, len(P.REMARKS), n, dtype=np.int8), np.int8(-1)
    )
    return {
        "person": seg.person[grp].astype(np.int32), "day": day.astype(np.int32), "kind": kind,
        "rec": (day + lag_days) * 1440 + rec_min, "remark": remark, "team": seg.team[grp],
    }


def make_plans(rng: np.random.Generator, sp: Spells, seg: Segments, w0: int, end: int) -> Table:
    """A cooperation plan soon after each new spell, renewed about every six months."""
    si = np.flatnonzero(sp.employable)
    person, s = sp.person[si], sp.start[si]
    stop = np.minimum(sp.end[si], end)
    team0 = team_at(seg, person, s)
    t = np.where(team0 >= 0, team0, 3)
    has = rng.random(si.size) < 0.93
    first = np.where(
        sp.initial[si],
        w0 - rng.integers(0, 181, si.size),  # the plan that was current when the history starts
        s + np.round(rng.gamma(2.0, P.TEAM_FIRST_LAG[t])).astype(np.int64),
    )
    first = np.where(has, first, OPEN)
    late = P.TEAM_PLAN_LATE[t]

    def gaps(g: np.ndarray) -> np.ndarray:
        delay = rng.normal(7, 10, g.size) + (rng.random(g.size) < late[g]) * rng.uniform(30, 120, g.size)
        return P.PLAN_REVIEW_DAYS + np.maximum(delay, -20)

    expected = np.maximum(stop - np.minimum(first, stop), 0) / P.PLAN_REVIEW_DAYS
    grp, day = renewal(first, stop, expected, gaps)
    n = day.size
    review = day + np.clip(np.round(rng.normal(P.PLAN_REVIEW_DAYS, 8, n)), 150, 200).astype(np.int64)
    review = np.where(rng.random(n) < 0.04, OPEN, review)
    u = rng.random(n)
    lag_days = np.where(u < 0.5, 0, np.where(u < 0.95, rng.integers(1, 6, n), rng.integers(6, 21, n)))
    return {
        "person": person[grp], "day": day, "review": review,
        "rec": (day + lag_days) * 1440 + office_minute(rng, n), "team": team_at(seg, person[grp], day),
    }


def make_measures(rng: np.random.Generator, sp: Spells, seg: Segments, end: int, export_day: int) -> Table:
    """Measures during assignments, with type mix by unit and realistic durations."""
    stop = np.minimum(seg.end, end)
    room = np.maximum(stop - seg.start - 14, 0)
    count = rng.poisson(P.TEAM_MEASURE_RATE[seg.team] * room / 365.25)
    grp = np.repeat(np.arange(count.size), count)
    n = grp.size
    start = seg.start[grp] + 14 + np.floor(rng.random(n) * (room[grp] + 1)).astype(np.int64)
    kind = pick_by_unit(rng, TEAM_UNIT_IDX[seg.team[grp]], P.MEASURE_MIX).astype(np.int8)
    lo, hi = P.MEASURE_DAYS[kind, 0], P.MEASURE_DAYS[kind, 1]
    retraining = (kind == 0) & (rng.random(n) < 0.10)  # Umschulung: up to two years
    lo, hi = np.where(retraining, 540, lo), np.where(retraining, 730, hi)
    dur = lo + np.floor(rng.random(n) * (hi - lo + 1)).astype(np.int64)
    broken = rng.random(n) < 0.08
    dur = np.where(broken, np.maximum(7, np.floor(dur * rng.uniform(0.1, 0.9, n))), dur).astype(np.int64)
    stop_day = np.where(rng.random(n) < 0.02, OPEN, start + dur)
    status = np.where(stop_day >= export_day, 0, np.where(broken, 2, 1)).astype(np.int8)
    booked = start - rng.integers(0, 22, n)
    return {
        "person": seg.person[grp], "start": start, "end": stop_day, "kind": kind, "status": status,
        "rec": booked * 1440 + office_minute(rng, n), "team": seg.team[grp], "spell": seg.spell[grp],
    }


def make_integrations(rng: np.random.Generator, ps: Persons, sp: Spells, seg: Segments, end: int) -> Table:
    """Integrations that end a spell, plus part-time jobs taken up while staying in benefit."""
    ex = np.flatnonzero(sp.employable & (sp.reason == 0))
    si = np.flatnonzero(sp.employable)
    stop = np.minimum(sp.end[si], end)
    years = (stop - sp.start[si] + 1) / 365.25
    count = rng.poisson(P.IN_BENEFIT_INTEGRATION[ps.cls[sp.person[si]]] * years)
    grp = np.repeat(np.arange(si.size), count)
    day_in = sp.start[si][grp] + np.floor(rng.random(grp.size) * (stop[grp] - sp.start[si][grp] + 1))
    day_in = day_in.astype(np.int64)
    season = P.SEASON_INTEGRATION / P.SEASON_INTEGRATION.max()
    keep = rng.random(grp.size) < season[month_index(day_in) % 12]
    person = np.concatenate([sp.person[ex], sp.person[si][grp][keep]])
    day = np.concatenate([sp.exit_day[ex], day_in[keep]])
    in_benefit = np.arange(person.size) >= ex.size
    n = person.size
    young = day < add_years(ps.birth[person], 25)
    summer = np.isin(month_index(day) % 12, [7, 8])
    mix = np.where(
        young[:, None],
        np.where(summer[:, None], [[0.18, 0.17, 0.62, 0.03]], [[0.35, 0.25, 0.37, 0.03]]),
        [[0.58, 0.34, 0.02, 0.06]],
    )
    mix = np.where(in_benefit[:, None], [[0.20, 0.75, 0.0, 0.05]], mix)
    kind = (rng.random(n)[:, None] > np.cumsum(mix, axis=1)).sum(axis=1).astype(np.int8)
    kind = np.minimum(kind, 3)
    u = rng.random(n)
    lag_days = np.where(u < 0.15, -rng.integers(1, 11, n), np.minimum(np.floor(rng.exponential(4, n)), 14))
    return {
        "person": person, "day": day, "kind": kind,
        "rec": (day + lag_days.astype(np.int64)) * 1440 + office_minute(rng, n),
        "team": team_at(seg, person, day),
    }
