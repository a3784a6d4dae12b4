"""Data-quality defects DQ01-DQ16 and loader-level defects for the synthetic export.

Defects are injected into copies of the clean tables at small, team-specific
rates (base rate x the team's quality factor), so the dashboard shows real
differences between teams. Every defect kind is forced to occur at least once,
so even a tiny sample exercises every rule.
"""

from __future__ import annotations

import numpy as np

from pipelines import sample_params as P
from pipelines.sample_events import Table, office_minute
from pipelines.sample_population import OPEN, Persons, Segments, Spells, team_at

RATE_SCALE = 1.0  # global knob, 1 = the rates of DEFECT_BASE


def pick(
    rng: np.random.Generator, rule: str, team: np.ndarray, eligible: np.ndarray | None = None,
    scale: float = 1.0, minimum: int = 1,
) -> np.ndarray:
    """Rows hit by a defect: Bernoulli at the team's rate, topped up to ``minimum`` rows."""
    q = np.where(team >= 0, P.TEAM_QUALITY[np.clip(team, 0, None)], 1.0)
    ok = np.ones(team.size, bool) if eligible is None else eligible
    hit = ok & (rng.random(team.size) < P.DEFECT_BASE[rule] * RATE_SCALE * scale * q)
    missing = minimum - int(hit.sum())
    if missing > 0:
        rest = np.flatnonzero(ok & ~hit)
        hit[rng.choice(rest, size=min(missing, rest.size), replace=False)] = True
    return np.flatnonzero(hit)


def last_team(n_persons: int, seg: Segments) -> np.ndarray:
    """The team that keeps each person's record now: the team of their latest assignment."""
    order = np.lexsort((seg.start, seg.person))
    p = seg.person[order]
    last = np.append(p[1:] != p[:-1], True)
    out = np.full(n_persons, -1, np.int8)
    out[p[last]] = seg.team[order][last]
    return out


def person_defects(
    rng: np.random.Generator, ps: Persons, seg: Segments, events: list[tuple[np.ndarray, np.ndarray]], w0: int
) -> Table:
    """Persons table with DQ01-DQ05 and DQ15 (persons missing who appear in ``events``).

    ``events`` are (person, day) of contacts, measures and integrations: a missing person is
    picked from each, so DQ15 finds rows in all three tables.
    """
    n = ps.cls.size
    team = last_team(n, seg)
    in_stock = team >= 0
    birth, sex, qual = ps.birth.copy(), ps.sex.copy(), ps.qual.copy()
    birth[pick(rng, "DQ01", team, in_stock)] = OPEN
    sex[pick(rng, "DQ02", team, in_stock)] = -1
    sex[pick(rng, "DQ03", team, in_stock & (sex >= 0), minimum=3)] = 4  # 'u', unmapped
    qual[pick(rng, "DQ04", team, in_stock)] = -1
    typo = pick(rng, "DQ05", team, in_stock & (birth != OPEN) & (ps.first_start > w0), minimum=2)
    young = rng.random(typo.size) < 0.5
    years = np.where(young, rng.uniform(4, 12, typo.size), rng.uniform(68, 80, typo.size))
    birth[typo] = ps.first_start[typo] - np.round(years * 365.25).astype(np.int64)
    if young.all() or not young.any():  # both directions at least once
        birth[typo[0]] = ps.first_start[typo[0]] - 75 * 365
    unknown = rng.random((2, n)) < 0.015  # booleans not filled in
    single = np.where(unknown[0], -1, ps.single_parent.astype(np.int8))
    disabled = np.where(unknown[1], -1, ps.disabled.astype(np.int8))
    lag = rng.integers(0, 4, n)
    keep = np.ones(n, bool)
    for i, (person, day) in enumerate(events):
        has_rows = np.zeros(n, bool)
        has_rows[person[day <= day.max() - 30]] = True
        eligible = in_stock & has_rows
        if i == 0:
            keep[pick(rng, "DQ15", team, eligible, minimum=2)] = False
        elif not (eligible & ~keep).any() and eligible.any():
            keep[rng.choice(np.flatnonzero(eligible))] = False
    table = {
        "person": np.arange(n), "bg": ps.bg, "birth": birth, "sex": sex, "single": single,
        "disabled": disabled, "qual": qual, "rec": (ps.first_start + lag) * 1440 + office_minute(rng, n),
        "in_stock": in_stock,
    }
    return {k: v[keep] for k, v in table.items()}


def spell_defects(rng: np.random.Generator, sp: Spells, seg: Segments) -> Table:
    """Benefit spells with DQ07: some employable spells entered twice, overlapping."""
    t = team_at(seg, sp.person, sp.start)
    long_enough = sp.employable & (np.minimum(sp.end, sp.start + 400) - sp.start >= 62)
    dup = pick(rng, "DQ07", t, long_enough, minimum=2)
    shift = rng.integers(0, 21, dup.size)
    cols = {
        "person": sp.person, "start": sp.start, "end": sp.end, "employable": sp.employable,
        "reason": sp.reason,
    }
    extra = {k: v[dup] for k, v in cols.items()}
    extra["start"] = extra["start"] + shift
    return {k: np.concatenate([cols[k], extra[k]]) for k in cols}


def assignment_defects(rng: np.random.Generator, seg: Segments) -> Table:
    """Assignments with DQ06: a late first assignment, or none at all, for some spells."""
    start = seg.start.copy()
    firsts = np.flatnonzero(seg.first)
    length = np.minimum(seg.end[firsts], seg.start[firsts] + 400) - seg.start[firsts]
    hit = firsts[pick(rng, "DQ06", seg.team[firsts], length >= 62, minimum=3)]
    drop = rng.random(hit.size) < 0.2
    if hit.size >= 2:
        drop[:2] = [True, False]  # both kinds at least once
    late = hit[~drop]
    start[late] += rng.integers(10, 51, late.size)
    keep = ~np.isin(seg.spell, seg.spell[hit[drop]])
    return {"person": seg.person[keep], "team": seg.team[keep], "start": start[keep], "end": seg.end[keep]}


def contact_defects(rng: np.random.Generator, c: Table, end: int) -> Table:
    """Contacts with DQ11 (late entry), DQ13 (entered before it happened), DQ14 (entered twice)."""
    c = dict(c, rec=c["rec"].copy())  # copy only what changes: contacts are the biggest table
    n = c["day"].size
    late = pick(rng, "DQ11", c["team"], minimum=2)
    c["rec"][late] = (c["day"][late] + rng.integers(8, 41, late.size)) * 1440 + office_minute(rng, late.size)
    early_ok = np.ones(n, bool)
    early_ok[late] = False
    early_ok &= c["day"] <= end - 15
    early = pick(rng, "DQ13", c["team"], early_ok, minimum=2)
    c["rec"][early] = (c["day"][early] - rng.integers(1, 11, early.size)) * 1440 + office_minute(
        rng, early.size
    )
    dup = pick(rng, "DQ14", c["team"], c["day"] <= end - 3, minimum=2)
    extra = {k: v[dup] for k, v in c.items()}
    extra["rec"] = extra["rec"] + rng.integers(1, 301, dup.size)
    return {k: np.concatenate([c[k], extra[k]]) for k in c}


def plan_defects(rng: np.random.Generator, pl: Table) -> Table:
    """Cooperation plans with DQ16: the review date typed before the plan date."""
    pl = dict(pl, review=pl["review"].copy())
    hit = pick(rng, "DQ16", pl["team"], minimum=2)
    pl["review"][hit] = pl["day"][hit] - rng.integers(1, 61, hit.size)
    return pl


def measure_defects(rng: np.random.Generator, m: Table, sp: Spells, w0: int) -> Table:
    """Measures with DQ08 (end before start) and DQ09 (start before the benefit began)."""
    m = dict(m, start=m["start"].copy(), end=m["end"].copy())
    swapped = pick(rng, "DQ08", m["team"], minimum=2)
    m["end"][swapped] = m["start"][swapped] - rng.integers(1, 91, swapped.size)
    s = m["spell"]
    room = (~sp.initial[s]) & (sp.start[s] >= w0 + 90) & (sp.prev_end[s] < sp.start[s] - 70)
    room[swapped] = False
    early = pick(rng, "DQ09", m["team"], room, minimum=2)
    m["start"][early] = sp.start[s[early]] - rng.integers(5, 61, early.size)
    return m


def integration_defects(
    rng: np.random.Generator, it: Table, ps: Persons, sp: Spells, seg: Segments, end: int
) -> Table:
    """Integrations with DQ12 (recorded late) and DQ10 (person not in benefit)."""
    it = dict(it, rec=it["rec"].copy())
    late = pick(rng, "DQ12", it["team"], minimum=2)
    it["rec"][late] = (it["day"][late] + rng.integers(15, 76, late.size)) * 1440 + office_minute(
        rng, late.size
    )
    # DQ10: a job found weeks after the person left, or a person who never was employable
    order = np.lexsort((sp.start, sp.person))
    is_last = np.zeros(sp.person.size, bool)
    is_last[order] = _last_per_person(sp.person[order])
    gone = is_last & sp.employable & np.isin(sp.reason, [1, 2, 4, 5]) & (sp.end + 40 <= end)
    nonemp = ~sp.employable & ps.nonemp_only[sp.person] & (sp.start <= end)
    cand = gone | nonemp
    team = last_team(ps.cls.size, seg)[sp.person]
    scale = it["day"].size / max(int(cand.sum()), 1)
    hit = pick(rng, "DQ10", team, cand, scale=scale, minimum=2)
    after = sp.end[hit] + rng.integers(40, 151, hit.size)
    inside = sp.start[hit] + np.floor(rng.random(hit.size) * (np.minimum(sp.end[hit], end) - sp.start[hit]))
    day = np.where(sp.employable[hit], np.minimum(after, end), inside.astype(np.int64))
    n = hit.size
    extra = {
        "person": sp.person[hit], "day": day, "kind": rng.integers(0, 2, n).astype(np.int8),
        "rec": (day + rng.integers(0, 8, n)) * 1440 + office_minute(rng, n), "team": np.full(n, -1, np.int8),
    }
    return {k: np.concatenate([it[k], extra[k]]) for k in it}


def _last_per_person(person_sorted: np.ndarray) -> np.ndarray:
    """True at the last row of each person in a person-sorted array."""
    return np.append(person_sorted[1:] != person_sorted[:-1], True)

