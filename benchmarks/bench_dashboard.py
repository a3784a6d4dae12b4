"""Print AppTest render times per dashboard page: cold (caches cleared) and warm, medians of 3.

Usage: python benchmarks/bench_dashboard.py [--db FILE]
Without --db it loads ``sample_data/`` (or the small demo job center) into a temp file.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from tests.dashboard.demo_center import build_database  # noqa: E402

PAGES = ["overview", "team", "data_quality", "goals", "case_progress", "team_review", "pipeline"]
APP = str(ROOT / "dashboard" / "app.py")


def render(page: str) -> tuple[float, AppTest]:
    """Seconds for one page view in a fresh session (the app's frame plus the page)."""
    start = time.perf_counter()
    at = AppTest.from_file(APP, default_timeout=120)
    if page != "overview":
        at.switch_page(f"app_pages/{page}.py")
    at.run()
    elapsed = time.perf_counter() - start
    if at.exception:
        raise SystemExit(f"{page}: {at.exception}")
    return elapsed, at


def filter_change(at: AppTest) -> float:
    """Seconds to rerun a page after choosing another team in the sidebar."""
    box = next(s for s in at.sidebar.selectbox if s.label == "Team")
    other = next(o for o in box.options if o != box.value)
    start = time.perf_counter()
    box.select(other).run()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path)
    parser.add_argument("--pages", nargs="+", default=PAGES, choices=PAGES)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or build_database(Path(tmp))
        os.environ["STEERING_DATABASE_PATH"] = str(db)
        print(f"database: {db}")
        print("medians of 3; cold = caches cleared, warm = same page again, filter = another team chosen")
        print(f"{'page':<14}{'cold s':>10}{'warm s':>10}{'filter s':>10}")
        for page in args.pages:
            cold, warm, change = [], [], []
            for _ in range(3):
                st.cache_data.clear()
                st.cache_resource.clear()
                cold.append(render(page)[0])
                seconds, at = render(page)
                warm.append(seconds)
                change.append(filter_change(at))
            print(f"{page:<14}{statistics.median(cold):>10.2f}{statistics.median(warm):>10.2f}"
                  f"{statistics.median(change):>10.2f}", flush=True)

if __name__ == "__main__":
    main()
