"""A small synthetic job center for dashboard tests while ``sample_data/`` is not committed yet.

Why not only ``tiny_job_center()``: the dashboard compares each month with the
same month a year earlier and draws 24-month sparklines, so it needs a few years
of history and a handful of teams. Deterministic (seeded), canonical columns,
written with ``tests.conftest.write_canonical``; a few defects so the
data-quality page has findings to show.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

TEAMS = [
    {"team_id": "T01", "team_name": "U25 Nord", "unit": "U25"},
    {"team_id": "T02", "team_name": "Ü25 Mitte", "unit": "Ü25"},
    {"team_id": "T03", "team_name": "Ü25 Süd – Oelde", "unit": "Ü25"},
    {"team_id": "T04", "team_name": "Fallmanagement", "unit": "Fallmanagement"},
]
START = dt.date(2021, 1, 1)
END = dt.date(2024, 6, 30)


def _day(rng: random.Random, lo: dt.date, hi: dt.date) -> dt.date:
    return lo + dt.timedelta(days=rng.randrange(max((hi - lo).days, 1)))


def _ts(day: dt.date, delay: int = 0) -> str:
    return f"{day + dt.timedelta(days=delay):%Y-%m-%d} 10:00:00"


def demo_job_center(persons: int = 800, seed: int = 7) -> dict[str, list[dict]]:
    rng = random.Random(seed)
    out: dict[str, list[dict]] = {k: [] for k in ("persons", "benefit_spells", "assignments", "contacts",
                                                 "cooperation_plans", "measures", "integrations")}
    out["teams"] = list(TEAMS)
    for i in range(1, persons + 1):
        pid = f"P{i:04d}"
        team = TEAMS[i % len(TEAMS)]["team_id"]
        born = _day(rng, dt.date(1960, 1, 1), dt.date(2005, 1, 1))
        start = _day(rng, START, dt.date(2024, 3, 1)) if i % 3 else START
        long_term = i % 5 == 0
        end = None if long_term else start + dt.timedelta(days=rng.randrange(120, 900))
        end = None if end and end > END else end
        defect = i % 17 == 0
        out["persons"].append({
            "person_id": pid, "bg_id": f"B{i:04d}", "birth_date": "" if defect else f"{born:%Y-%m-%d}",
            "sex": rng.choice("mwwm") if i % 23 else "", "single_parent": str(i % 9 == 0).lower(),
            "severely_disabled": "false", "highest_qualification": "" if i % 19 == 0 else rng.choice(
                ["none", "school", "vocational", "academic"]), "recorded_at": _ts(start)})
        integrated = end is not None and rng.random() < 0.55
        out["benefit_spells"].append({
            "spell_id": f"S{i:04d}", "person_id": pid, "spell_start": f"{start:%Y-%m-%d}",
            "spell_end": f"{end:%Y-%m-%d}" if end else "", "employable": "true",
            "exit_reason": ("integration" if integrated else "other") if end else ""})
        if i % 29:  # a few persons without any assignment: DQ06
            out["assignments"].append({"person_id": pid, "team_id": team, "valid_from": f"{start:%Y-%m-%d}",
                                       "valid_to": ""})
        last = end or END
        day, n = start + dt.timedelta(days=rng.randrange(3, 20)), 0
        while day <= last:
            n += 1
            late = 12 if rng.random() < 0.08 else 1
            out["contacts"].append({"contact_id": f"C{i:04d}{n:03d}", "person_id": pid,
                                    "contact_date": f"{day:%Y-%m-%d}",
                                    "contact_type": "first_interview" if n == 1 else rng.choice(
                                        ["follow_up", "phone", "video", "written"]),
                                    "recorded_at": _ts(day, late)})
            day += dt.timedelta(days=rng.randrange(25, 110))
        plan = start + dt.timedelta(days=rng.randrange(10, 60))
        if plan <= last:
            out["cooperation_plans"].append({"plan_id": f"K{i:04d}", "person_id": pid,
                                             "plan_date": f"{plan:%Y-%m-%d}", "next_review_date": "",
                                             "recorded_at": _ts(plan)})
        if rng.random() < 0.45:
            ms = _day(rng, start, last)
            me = ms + dt.timedelta(days=rng.randrange(60, 300))
            out["measures"].append({"measure_id": f"M{i:04d}", "person_id": pid,
                                    "measure_type": rng.choice(["fbw", "agh", "activation_45", "other"]),
                                    "start_date": f"{ms:%Y-%m-%d}", "end_date": f"{me:%Y-%m-%d}",
                                    "recorded_at": _ts(ms, 2)})
        if integrated:
            out["integrations"].append({"integration_id": f"I{i:04d}", "person_id": pid,
                                        "integration_date": f"{end:%Y-%m-%d}",
                                        "integration_type": rng.choice(["employment_full", "employment_part",
                                                                        "apprenticeship"]),
                                        "recorded_at": _ts(end, 30 if i % 11 == 0 else 3)})
    out["targets"] = [
        {"year": "2024", "team_id": "__all__", "metric_id": "integrations", "target_value": "60"},
        {"year": "2024", "team_id": "T02", "metric_id": "integration_rate_12m", "target_value": "25"},
    ]
    return out


def build_database(root: Path) -> Path:
    """A loaded database for dashboard tests: ``sample_data/`` when committed, else the demo center."""
    from pipelines.load import load_folder
    from tests.conftest import SAMPLE_DIR, write_canonical

    path = root / "steering.duckdb"
    if (SAMPLE_DIR / "mapping.yaml").is_file():
        load_folder(SAMPLE_DIR, path)
    else:
        load_folder(write_canonical(root / "source", demo_job_center()), path)
    return path
