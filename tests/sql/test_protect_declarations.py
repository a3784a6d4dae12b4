"""The ``protect:`` declaration of every metric (what its numerator and denominator sum up) holds in the data.

The small-cell protection (pipelines/protection.py) and the attacker test both rely on these declarations; a
wrong window or lag would protect the wrong sums. Each declared sum is recomputed from the counts it names
(published metrics, or core.team_month for the counts no metric shows) and compared with the stored figure.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.load import load_folder

ROOT = Path(__file__).resolve().parents[2]
CORE_ATOMS = ("elb_stock_single_parent", "integrations_single_parent", "integrations_ltb")


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    folder = tmp_path_factory.mktemp("declarations")
    shutil.copytree(ROOT / "sample_data", folder / "export")
    load_folder(folder / "export", folder / "db.duckdb")
    connection = duckdb.connect(str(folder / "db.duckdb"), read_only=True)
    yield connection
    connection.close()


def atoms(con) -> dict[tuple, float]:
    values = con.execute("SELECT team_id, month, metric_id, value FROM metric_values WHERE metric_id IN"
                         " ('elb_stock', 'integrations', 'ltb_stock', 'entries', 'exits')").fetchall()
    out = {(m, t, pd.Timestamp(d)): v for t, d, m, v in values if v is not None}
    core = con.execute(f"SELECT team_id, month, {', '.join(CORE_ATOMS)} FROM core.team_month").fetchall()
    for team, month, *figures in core:
        for name, value in zip(CORE_ATOMS, figures, strict=True):
            if value is not None:
                out[(name, team, pd.Timestamp(month))] = value
    return out


def declared(spec: dict, atom_values: dict, team: str, month: pd.Timestamp) -> float | None:
    end = month - pd.DateOffset(months=spec.get("lag", 0))
    if spec.get("since") == "january":
        start = month.replace(month=1)
    elif spec.get("since") == "december":
        start = month.replace(month=1) - pd.DateOffset(months=1)
    else:
        start = end - pd.DateOffset(months=spec.get("window", 1) - 1)
    months = list(pd.date_range(start, end, freq="MS"))
    try:
        total = sum(atom_values[(spec["atom"], team, m)] for m in months)
        if "minus_lag" in spec:
            total -= atom_values[(spec["atom"], team, month - pd.DateOffset(months=spec["minus_lag"]))]
    except KeyError:
        return None  # a month before the data: the metric has no value there either
    return total / len(months) if spec.get("mean") else total


def test_every_declared_sum_is_the_stored_figure(con) -> None:
    specs = {m: json.loads(p) for m, p in con.execute("SELECT metric_id, protect FROM metric_catalog").fetchall()}
    values = atoms(con)
    frame = con.execute("SELECT * FROM metric_values").df()
    checked = 0
    for row in frame.itertuples(index=False):
        spec = specs[row.metric_id]
        for side in ("numerator", "denominator"):
            if side not in spec or spec[side]["atom"] == "own" or pd.isna(getattr(row, side)):
                continue
            expected = declared(spec[side], values, row.team_id, pd.Timestamp(row.month))
            assert expected is not None, (row.metric_id, side, row.team_id, row.month)
            assert expected == pytest.approx(getattr(row, side), abs=1e-9), (row.metric_id, side, row.team_id,
                                                                             row.month)
            checked += 1
    assert checked > 5_000


def test_every_metric_declares_what_it_sums(con) -> None:
    specs = dict(con.execute("SELECT metric_id, protect FROM metric_catalog").fetchall())
    for metric_id, text in specs.items():
        spec = json.loads(text)
        assert metric_id == "dq_score" or "numerator" in spec, metric_id
