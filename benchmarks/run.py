"""Pipeline benchmark: load, compute by layer, peak memory and database size per sample size.

Prints medians over several runs and the ratio against a floor measured in the
same run (DuckDB reading every input file once, doing nothing else), because
these machines are shared and noisy: the ratio is what to compare over time.

    python benchmarks/run.py                              # 12,000, 200,000 and 1,000,000 persons, 3 runs
    python benchmarks/run.py --persons 12000 200000       # the quick part (about 4 minutes)
    python benchmarks/run.py --persons 2000 --runs 5 --memory-limit 2GB

After the pipeline table it prints the dashboard's page render times (AppTest, cold,
warm and after a filter change) on each size's database.

Columns: read = files into raw text tables, stage = typing/rejects, core, rules,
metrics, goals (goal status, forecast, backtest), cases (case-progress marts),
survival (Kaplan–Meier), swap, total = the whole `steering load`; floor =
DuckDB reading the same files once into memory; to file = the same into a database
file (what keeping the input costs); ratio = total / floor.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines.sample import write_sample  # noqa: E402

CHILD = r"""
import json, re, sys, time
from pathlib import Path
from pipelines.load import load_folder
from pipelines.settings import load_settings
phases = {}
LAYERS = {"Kern": "core", "Regeln": "rules", "Kennzahlen": "metrics", "Auswertungen": "marts", "Verbleib": "survival"}
state = {"phase": "read", "t": time.perf_counter()}
def progress(message):
    now = time.perf_counter()
    phases[state["phase"]] = phases.get(state["phase"], 0.0) + now - state["t"]
    # the loader's progress lines are German (pipelines/load.py, compute.py, survival.py); the phases keep
    # their English names in the benchmark's output
    head = LAYERS.get(message.split(":", 1)[0])
    if message.startswith(("Datenstand:", "Aufbereitung")):
        head = "stage"
    elif head is None:
        head = "read" if state["phase"] == "read" and not message.startswith("der neue Datenstand") else state["phase"]
    if head == "marts":  # goal attainment and case progress, reported separately
        head = "goals" if ".goal_" in message else "cases"
    if message.startswith(("der neue Datenstand", "archiviert")):
        head = "swap"
    state["phase"], state["t"] = head, now
t0 = time.perf_counter()
report = load_folder(Path(sys.argv[1]), Path(sys.argv[2]), settings=load_settings(sys.argv[3] or None),
                     progress=progress)
progress("end")
elapsed = time.perf_counter() - t0
print(json.dumps({"seconds": elapsed, "phases": phases, "rows": report.rows_read,
                  # VmHWM: this process's own peak (ru_maxrss would carry the parent's over exec)
                  "peak_mb": int(re.search(r"VmHWM:\s+(\d+)", Path("/proc/self/status").read_text()).group(1))
                             / 1024}))
"""


def utf8_copies(source: Path, target: Path) -> Path:
    """UTF-8 copies of the Windows-1252 export, made outside the timing: DuckDB reads only UTF-8."""
    target.mkdir()
    for path in source.glob("*.csv"):
        (target / path.name).write_text(path.read_text(encoding="cp1252"), encoding="utf-8")
    return target


def read_floor(utf8: Path, db_file: Path | None = None) -> float:
    """Seconds DuckDB needs to read every CSV once into a table (the floor no pipeline can beat).

    With ``db_file`` the tables go into a database file instead of memory: what any
    load that keeps its input pays, shown beside the floor to explain the ratio.
    """
    if db_file is not None:
        db_file.unlink(missing_ok=True)
    con = duckdb.connect(str(db_file) if db_file is not None else ":memory:")
    t0 = time.perf_counter()
    for path in sorted(utf8.glob("*.csv")):
        con.execute("CREATE OR REPLACE TABLE t AS SELECT * FROM read_csv(?, delim = ';', header = true,"
                    " all_varchar = true)", [str(path)])
    con.execute("CHECKPOINT")
    seconds = time.perf_counter() - t0
    con.close()
    if db_file is not None:
        db_file.unlink(missing_ok=True)
    return seconds


def one_load(source: Path, db: Path, config: str) -> dict:
    db.unlink(missing_ok=True)
    out = subprocess.run([sys.executable, "-c", CHILD, str(source), str(db), config], cwd=ROOT,
                         capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


PHASES = ["read", "stage", "core", "rules", "metrics", "goals", "cases", "survival", "swap"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, nargs="+", default=[12_000, 200_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--memory-limit", default="", help="DuckDB memory limit, e.g. 2GB")
    parser.add_argument("--no-dashboard", action="store_true", help="skip the AppTest page renders")
    args = parser.parse_args()
    config = ""
    if args.memory_limit:
        config = str(Path(tempfile.mkdtemp()) / "bench.toml")
        Path(config).write_text(f'[database]\nmemory_limit = "{args.memory_limit}"\n', encoding="utf-8")
    print("medians over", args.runs, "runs; seconds unless stated")
    print(f"{'persons':>9} {'rows':>11} {'gen':>6} {'floor':>6} {'to file':>7} " + " ".join(f"{p:>7}" for p in PHASES)
          + f" {'total':>7} {'ratio':>6} {'peak MB':>8} {'db MB':>7}")
    dashboards: dict[int, str] = {}
    for persons in args.persons:
        with tempfile.TemporaryDirectory(prefix="steering-bench-") as tmp:
            source, db = Path(tmp) / "src", Path(tmp) / "bench.duckdb"
            t0 = time.perf_counter()
            write_sample(source, persons=persons, seed=7)
            gen = time.perf_counter() - t0
            utf8 = utf8_copies(source, Path(tmp) / "utf8")
            floors, file_floors, results = [], [], []
            for _ in range(args.runs):
                floors.append(read_floor(utf8))
                file_floors.append(read_floor(utf8, Path(tmp) / "floor.duckdb"))
                results.append(one_load(source, db, config))
            floor = statistics.median(floors)
            file_floor = statistics.median(file_floors)
            load = statistics.median(r["seconds"] for r in results)
            phases = " ".join(f"{statistics.median(r['phases'].get(p, 0.0) for r in results):>7.2f}"
                              for p in PHASES)
            print(f"{persons:>9,} {results[0]['rows']:>11,} {gen:>6.1f} {floor:>6.2f} {file_floor:>7.2f} "
                  f"{phases} {load:>7.2f} "
                  f"{load / floor:>6.1f} {max(r['peak_mb'] for r in results):>8.0f} "
                  f"{db.stat().st_size / 2**20:>7.1f}", flush=True)
            if not args.no_dashboard:
                dashboards[persons] = dashboard_renders(db)
    for persons, table in dashboards.items():
        print(f"\ndashboard at {persons:,} persons (AppTest, medians of 3):\n{table}", flush=True)


def dashboard_renders(db: Path) -> str:
    """Cold/warm/filter-change render times of every page on this database (benchmarks/bench_dashboard.py)."""
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_dashboard.py"), "--db", str(db)],
                         cwd=ROOT, capture_output=True, text=True)
    if out.returncode:
        return f"(failed: {out.stderr.strip().splitlines()[-1] if out.stderr.strip() else out.returncode})"
    return "\n".join(line for line in out.stdout.splitlines() if not line.startswith("database:"))


if __name__ == "__main__":
    main()
