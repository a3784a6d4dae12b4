"""Targets for the current year, derived from what the clean synthetic data gives.

Real targets are agreed at the start of a year from last year's figures plus an
ambition; we do the same on the clean (defect-free) simulation so goal status
in the demo shows a realistic mix of on-track and behind. The figures follow
metrics.md closely but not exactly (e.g. no at-most-one-per-month rule), which
is fine for a target.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from pipelines import sample_params as P
from pipelines.sample_events import Table
from pipelines.sample_population import OPEN, Persons, Segments, Spells, add_years, month_end, to_day

ALL = "__all__"


def _month_ends(year: int, last_month: int) -> np.ndarray:
    return month_end(np.array([to_day(date(year, m, 1)) for m in range(1, last_month + 1)]))


class _Snapshot:
    """Stock, team and per-person flags on one reporting date, from the clean tables."""

    def __init__(self, n: int, seg: Segments, d: int) -> None:
        cover = (seg.start <= d) & (seg.end >= d)
        self.team = np.full(n, -1, np.int64)
        self.team[seg.person[cover]] = seg.team[cover]
        self.stock = self.team >= 0

    def count(self, mask: np.ndarray) -> np.ndarray:
        """Per team (index 0..N_TEAMS-1) and, last, the whole job center."""
        per_team = np.bincount(self.team[mask & self.stock], minlength=P.N_TEAMS)
        return np.append(per_team, (mask & self.stock).sum()).astype(float)


def make_targets(
    ps: Persons, sp: Spells, seg: Segments, contacts: Table, plans: Table, integ: Table, end: date
) -> list[tuple[int, str, str, float]]:
    """(year, team_id, metric_id, target_value) rows for the year of ``end``."""
    n = ps.cls.size
    year = end.year
    prev = _month_ends(year - 1, 12)
    prev2_dec = _month_ends(year - 2, 12)[-1:]
    everyone = np.ones(n, bool)
    emp = sp.employable
    s_start, s_end = sp.start[emp], np.minimum(sp.end[emp], OPEN)

    def snapshot_counts(d: int) -> dict[str, np.ndarray]:
        snap = _Snapshot(n, seg, d)
        overlap = np.clip(np.minimum(s_end, d) - np.maximum(s_start, d - 729) + 1, 0, None)
        days = np.bincount(sp.person[emp], weights=overlap, minlength=n)
        ltb = (days >= 638) & (add_years(ps.birth, 17) <= d)
        cur = (plans["day"] <= d) & (np.where(plans["review"] == OPEN, plans["day"] + 183, plans["review"]) >= d)
        covered = np.zeros(n, bool)
        covered[plans["person"][cur]] = True
        recent = (contacts["day"] <= d) & (contacts["day"] >= d - 89)
        seen = np.zeros(n, bool)
        seen[contacts["person"][recent]] = True
        return {
            "stock": snap.count(everyone), "ltb": snap.count(ltb), "covered": snap.count(covered),
            "unseen": snap.count(~seen),
        }

    # integration rate: integrations of the previous year over the mean stock Dec(Y-2)..Nov(Y-1)
    stock_dates = np.concatenate([prev2_dec, prev[:-1]])
    stock_mean = np.mean([snapshot_counts(int(d))["stock"] for d in stock_dates], axis=0)
    in_prev = (integ["day"] > prev2_dec[0]) & (integ["day"] <= prev[-1])
    team = integ["team"][in_prev].astype(np.int64)
    n_int = np.append(np.bincount(team[team >= 0], minlength=P.N_TEAMS), in_prev.sum()).astype(float)
    late = [snapshot_counts(int(d)) for d in prev[6:]]  # July..December of the previous year
    ltb = np.mean([s["ltb"] for s in late], axis=0)
    stock = np.mean([s["stock"] for s in late], axis=0)
    covered = np.mean([s["covered"] for s in late], axis=0)
    unseen = np.mean([s["unseen"] for s in late], axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        values = {
            "integrations": np.round(n_int * 1.03),
            "integration_rate_12m": np.round(100 * n_int / stock_mean * 1.03, 1),
            "ltb_stock": np.round(ltb * 0.97),
            "coop_plan_coverage": np.minimum(np.round(100 * covered / stock + 2, 1), 95.0),
            "no_contact_90d_rate": np.maximum(np.round(100 * unseen / stock - 2, 1), 1.0),
        }
    team_ids = [t.team_id for t in P.TEAMS] + [ALL]
    rows = []
    for i, tid in enumerate(team_ids):
        for metric, v in values.items():
            if np.isfinite(v[i]) and stock_mean[i] > 0:
                rows.append((year, tid, metric, float(v[i])))
    return rows
