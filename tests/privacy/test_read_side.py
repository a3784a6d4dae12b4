"""Nothing but the read side (pipelines/publish/) reads the output tables on a person's behalf.

A scan of the code: a SQL read (FROM/JOIN) of a protected table anywhere else is a finding, except in the
modules that build the tables at load time. The dashboard's pages hold no SQL at all.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROTECTED = ("metric_values", "dq_results", "dq_findings", "goal_status", "fix_list", "case_cohorts",
             "case_variants", "case_transitions", "case_events", "case_spells", "case_durations",
             "survival_curves", "survival_summary")
READ = re.compile(r"\b(FROM|JOIN)\s+(main\.|marts\.)?\"?(" + "|".join(PROTECTED) + r")\b", re.IGNORECASE)
# modules that build (write) these tables during a load, never for a viewer
BUILDERS = {"pipelines/compute.py", "pipelines/load.py", "pipelines/survival.py", "pipelines/archive.py"}


def python_files() -> list[Path]:
    return sorted(p for folder in ("pipelines", "dashboard") for p in (ROOT / folder).rglob("*.py"))


def test_only_the_read_side_reads_the_output_tables() -> None:
    findings = []
    for path in python_files():
        name = path.relative_to(ROOT).as_posix()
        if name.startswith("pipelines/publish/") or name in BUILDERS:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if READ.search(line):
                findings.append(f"{name}:{number}: {line.strip()}")
    assert findings == []


def test_the_scan_finds_a_read() -> None:
    assert READ.search('con.execute("SELECT * FROM metric_values WHERE team_id = ?")')
    assert READ.search("left join dq_findings f on true")
    assert not READ.search("the team's protected metric_values (all months)")


def test_dashboard_pages_hold_no_sql() -> None:
    sql = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE)\b\s")
    pages = [p for p in (ROOT / "dashboard").rglob("*.py") if p.name != "data.py"]
    offenders = [f"{p.relative_to(ROOT)}:{n}" for p in pages
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1) if sql.search(line)]
    assert offenders == []
