"""Case-progress benchmark: build time of the event log and its marts, and the Fallverläufe page's render time.

Prints medians over several runs: the event log (marts.case_spells + main.case_events),
the other case marts, the Kaplan–Meier step (pipelines/survival.py), and the page
rendered with AppTest cold (caches cleared) and warm. The SQL steps run on a copy of
the database, so the one given is never changed.

    python benchmarks/bench_case_progress.py --db data/steering.duckdb
    python benchmarks/bench_case_progress.py --persons 200000 --seed 7   # generate and load first (~1 min)
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from pipelines.load import load_folder  # noqa: E402
from pipelines.sample import write_sample  # noqa: E402
from pipelines.sqlmodels import build_table, discover  # noqa: E402
from pipelines.survival import build_survival  # noqa: E402

APP = str(ROOT / "dashboard" / "app.py")
EVENT_LOG = ["marts.case_spells", "main.case_events"]


def timed(step) -> float:
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


def sql_steps(db: Path, runs: int) -> None:
    models = {m.name: m for m in discover(layers=("marts",)) if ".case_" in m.name}
    rest = [m for name, m in models.items() if name not in EVENT_LOG]
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "copy.duckdb"
        shutil.copy(db, copy)
        con = duckdb.connect(str(copy))
        try:
            times: dict[str, list[float]] = {"event log": [], "other case marts": [], "survival (lifelines)": []}
            for _ in range(runs):
                times["event log"].append(timed(lambda: [build_table(con, models[n]) for n in EVENT_LOG]))
                times["other case marts"].append(timed(lambda: [build_table(con, m) for m in rest]))
                times["survival (lifelines)"].append(timed(lambda: build_survival(con)))
            counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
                      for t in ["marts.case_spells", "case_events", "case_variants", "survival_curves"]}
        finally:
            con.close()
    print("rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
    print(f"{'step':<24}{'median s':>10}{'min s':>10}")
    for name, values in times.items():
        print(f"{name:<24}{statistics.median(values):>10.2f}{min(values):>10.2f}")


def render(team: str) -> float:
    start = time.perf_counter()
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["team"] = team
    at.run()
    at.switch_page("app_pages/case_progress.py").run()
    elapsed = time.perf_counter() - start
    if at.exception:
        raise SystemExit(f"case_progress: {at.exception}")
    return elapsed


def page(db: Path, runs: int) -> None:
    os.environ["STEERING_DATABASE_PATH"] = str(db)
    con = duckdb.connect(str(db), read_only=True)
    team = con.execute("SELECT min(team_id) FROM staging.teams").fetchall()[0][0]
    con.close()
    cold, warm = [], []
    for _ in range(runs):
        st.cache_data.clear()
        st.cache_resource.clear()
        cold.append(render(team))
        warm.append(render(team))
    print(f"{'page':<24}{'cold s':>10}{'warm s':>10}")
    print(f"{'case_progress':<24}{statistics.median(cold):>10.2f}{statistics.median(warm):>10.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, help="a database written by steering load")
    parser.add_argument("--persons", type=int, default=200_000, help="sample size when no --db is given")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db
        if db is None:
            source = Path(tmp) / "source"
            print(f"sample: {args.persons:,} persons, seed {args.seed}")
            write_sample(source, persons=args.persons, seed=args.seed)
            db = Path(tmp) / "bench.duckdb"
            print(f"load: {timed(lambda: load_folder(source, db)):.1f} s")
        print(f"database: {db}")
        sql_steps(db, args.runs)
        page(db, args.runs)


if __name__ == "__main__":
    main()
