"""How much the small-cell protection hides, and how long it takes: figures for docs/datenschutz.md.

    .venv/bin/python benchmarks/suppression_rate.py DB [DB ...] [--k 5] [--runs 3]

For each loaded database: the share of team-month cells (teams and ``__unassigned__``, not the job center)
hidden in ``metric_values`` and ``dq_results``, split into cells hidden for their own size (primary) and
cells hidden so that those cannot be worked out (complementary); the job center's cells hidden; the other
tables; and the median time of working the protection out, against the median time of reading the tables it
needs (the baseline, measured in the same run).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import duckdb

from pipelines.publish import ALL, Snapshot


def share(hidden: set, primary: set, kind: str, rows: list[tuple]) -> str:
    teams = [r for r in rows if r[0] != ALL]
    centre = [r for r in rows if r[0] == ALL]
    h = sum(1 for r in teams if r in hidden)
    p = sum(1 for r in teams if (kind, *r) in primary)
    c = sum(1 for r in centre if r in hidden)
    return (f"{100 * h / max(1, len(teams)):5.1f} % of {len(teams):,} team cells hidden "
            f"({100 * p / max(1, len(teams)):.1f} % primary, {100 * (h - p) / max(1, len(teams)):.1f} % "
            f"complementary); job center: {c} of {len(centre)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db", nargs="+", type=Path)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    for db in args.db:
        con = duckdb.connect(str(db), read_only=True)
        reads, works = [], []
        for _ in range(args.runs):
            snapshot = Snapshot(con.cursor, args.k)
            start = time.perf_counter()
            _ = snapshot._values, snapshot._dq, snapshot._goals, snapshot._cases, snapshot.catalog
            reads.append(time.perf_counter() - start)
            start = time.perf_counter()
            protection = snapshot.compute_protection()
            works.append(time.perf_counter() - start)
        values = [(t, m, i) for t, m, i in snapshot._values[["team_id", "month", "metric_id"]].itertuples(
            index=False, name=None)]
        import pandas as pd

        dq = [(t, pd.Timestamp(m), r) for t, m, r in snapshot._dq[["team_id", "month", "rule_id"]].itertuples(
            index=False, name=None)]
        print(f"{db} (k = {args.k}, {protection.cells:,} cells, {protection.rounds} rounds)")
        print("  metric_values:", share(protection.metric_values, protection.primary, "metric", values))
        print("  dq_results:   ", share(protection.dq_results, protection.primary, "dq", dq))
        for name in ("goal_status", "case_cohorts", "survival_summary", "case_variants", "case_transitions"):
            print(f"  {name}: {len(getattr(protection, name)):,} cells hidden")
        read, work = statistics.median(reads), statistics.median(works)
        print(f"  time: {work:.2f} s to work out (median of {args.runs}), {read:.2f} s to read the tables;"
              f" ratio {work / read:.0f}x")
        con.close()


if __name__ == "__main__":
    main()
