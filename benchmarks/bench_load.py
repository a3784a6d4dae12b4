"""Load benchmark: load + compute time and peak memory per sample size.

Prints medians over several runs and the ratio against a floor measured in the
same run (DuckDB reading every input file once, doing nothing else), because
these machines are shared and noisy: the ratio is what to compare over time.

    python benchmarks/bench_load.py                      # 12,000 and 200,000 persons, 3 runs
    python benchmarks/bench_load.py --persons 2000 --runs 5
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

CHILD = """
import json, resource, sys, time
from pathlib import Path
from pipelines.load import load_folder
t0 = time.perf_counter()
report = load_folder(Path(sys.argv[1]), Path(sys.argv[2]))
elapsed = time.perf_counter() - t0
print(json.dumps({"seconds": elapsed, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "rows": report.rows_read}))
"""


def utf8_copies(source: Path, target: Path) -> Path:
    """UTF-8 copies of the Windows-1252 export, made outside the timing: DuckDB reads only UTF-8."""
    target.mkdir()
    for path in source.glob("*.csv"):
        (target / path.name).write_text(path.read_text(encoding="cp1252"), encoding="utf-8")
    return target


def read_floor(utf8: Path) -> float:
    """Seconds DuckDB needs to read every CSV once into a table (the floor no pipeline can beat)."""
    con = duckdb.connect()
    t0 = time.perf_counter()
    for path in sorted(utf8.glob("*.csv")):
        con.execute("CREATE OR REPLACE TABLE t AS SELECT * FROM read_csv(?, delim = ';', header = true,"
                    " all_varchar = true)", [str(path)])
    con.close()
    return time.perf_counter() - t0


def one_load(source: Path, db: Path) -> dict:
    db.unlink(missing_ok=True)
    out = subprocess.run([sys.executable, "-c", CHILD, str(source), str(db)], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, nargs="+", default=[12_000, 200_000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"{'persons':>9} {'rows':>11} {'gen s':>7} {'floor s':>8} {'load s':>8} {'ratio':>6} "
          f"{'peak MB':>8} {'db MB':>7}")
    for persons in args.persons:
        with tempfile.TemporaryDirectory(prefix="steering-bench-") as tmp:
            source, db = Path(tmp) / "src", Path(tmp) / "bench.duckdb"
            t0 = time.perf_counter()
            write_sample(source, persons=persons, seed=7)
            gen = time.perf_counter() - t0
            utf8 = utf8_copies(source, Path(tmp) / "utf8")
            floors, loads, peaks, rows = [], [], [], 0
            for _ in range(args.runs):
                floors.append(read_floor(utf8))
                result = one_load(source, db)
                loads.append(result["seconds"])
                peaks.append(result["peak_mb"])
                rows = result["rows"]
            floor, load = statistics.median(floors), statistics.median(loads)
            print(f"{persons:>9,} {rows:>11,} {gen:>7.1f} {floor:>8.2f} {load:>8.2f} {load / floor:>6.1f} "
                  f"{max(peaks):>8.0f} {db.stat().st_size / 2**20:>7.1f}", flush=True)


if __name__ == "__main__":
    main()
