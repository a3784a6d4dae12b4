"""pipelines/goals.py: targets that name an unknown metric or team stop the load, and the
targets template (``steering targets-template``) through the real command line.

Uses the hand-computed job center of tests/sql/test_goals_hand.py (T1, T2; complete
months December 2022 .. February 2024; T1 had 4 integrations in 2023).
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.errors import LoadError
from pipelines.load import load_folder
from tests.conftest import run_cli, write_canonical
from tests.sql.test_goals_hand import AS_OF, goal_scenario


def _targets(rows: list[tuple[str, str, str, str]]) -> dict[str, list[dict]]:
    tables = goal_scenario()
    tables["targets"] = [dict(zip(["year", "team_id", "metric_id", "target_value"], r, strict=True))
                         for r in rows]
    return tables


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("goals_cli")
    source = write_canonical(root / "source", goal_scenario())
    db = root / "goals.duckdb"
    load_folder(source, db, as_of=AS_OF)
    return source, db


# --- validation -----------------------------------------------------------------------------------------

def test_unknown_metric_stops_the_load_and_names_line_column_and_choices(tmp_path, loaded):
    _, good_db = loaded
    db = tmp_path / "db.duckdb"
    shutil.copy(good_db, db)
    before = db.read_bytes()
    source = write_canonical(tmp_path / "source", _targets([
        ("2024", "T1", "integrations", "10"),
        ("2024", "T1", "integration", "10"),  # line 3: typo
        ("2024", "T2", "ltb_stok", "5"),  # line 4: typo
    ]))
    with pytest.raises(LoadError) as err:
        load_folder(source, db, as_of=AS_OF)
    exc = err.value
    assert (exc.file, exc.line, exc.column) == ("targets.csv", 3, "metric_id")
    assert "unbekannte Kennzahl „integration“" in exc.problem and "Zeile 4: „ltb_stok“" in exc.problem
    for metric in ("integrations", "integration_rate_12m", "ltb_stock"):
        assert metric in exc.expected
    assert db.read_bytes() == before  # the old snapshot is untouched


def test_unknown_team_and_unassigned_are_refused(tmp_path):
    source = write_canonical(tmp_path / "source", _targets([
        ("2024", "__unassigned__", "integrations", "1"),  # line 2: no one steers "unassigned"
        ("2024", "T9", "integrations", "1"),
    ]))
    with pytest.raises(LoadError) as err:
        load_folder(source, tmp_path / "db.duckdb", as_of=AS_OF)
    exc = err.value
    assert (exc.line, exc.column) == (2, "team_id")
    assert "unbekanntes Team „__unassigned__“" in exc.problem and "Zeile 3: „T9“" in exc.problem
    assert exc.expected.endswith("__all__, T1, T2")
    assert not (tmp_path / "db.duckdb").exists()


def test_year_typo_is_refused(tmp_path):
    source = write_canonical(tmp_path / "source", _targets([("24", "T1", "integrations", "1")]))
    with pytest.raises(LoadError, match=r"Zeile 2, Spalte „year“: unbekanntes Jahr „24“"):
        load_folder(source, tmp_path / "db.duckdb", as_of=AS_OF)


def test_message_uses_the_files_header_and_mapping_labels(tmp_path):
    source = write_canonical(tmp_path / "source", _targets([]))
    (source / "targets.csv").write_text(
        "Jahr;Team;Kennzahl;Zielwert\n2024;Gesamt;Anzahl Integrationen;6\n2024;Gesamt;Integrationsqoute;30\n",
        encoding="utf-8")
    (source / "mapping.yaml").write_text(
        "tables:\n  targets:\n    columns: {Jahr: year, Team: team_id, Kennzahl: metric_id, Zielwert: target_value}\n"
        "    values:\n      team_id: {Gesamt: __all__}\n"
        "      metric_id: {Anzahl Integrationen: integrations, Integrationsquote: integration_rate_12m}\n",
        encoding="utf-8")
    result = run_cli("load", str(source), "--db", str(tmp_path / "db.duckdb"), "--as-of", AS_OF.isoformat())
    assert result.returncode == 1
    text = " ".join(result.stderr.split())
    assert "targets.csv, Zeile 3, Spalte „Kennzahl (metric_id)“: unbekannte Kennzahl „Integrationsqoute“" in text
    assert "die mapping.yaml umschlüsselt: Anzahl Integrationen, Integrationsquote" in text
    assert "Traceback" not in result.stderr


# --- the template through the CLI -------------------------------------------------------------------------

def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


def test_template_lists_every_team_and_goal_metric_with_last_years_figures(tmp_path, loaded):
    _, db = loaded
    out = tmp_path / "targets.csv"
    result = run_cli("targets-template", "--year", "2024", "--out", str(out), "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel and any mapping encoding read it
    rows = _read(out)
    assert list(rows[0])[:4] == ["year", "team_id", "metric_id", "target_value"]
    assert "actual_2023" in rows[0] and "forecast_2023_year_end" in rows[0]
    con = duckdb.connect(str(db), read_only=True)
    try:
        capable = {r[0] for r in con.execute("SELECT metric_id FROM marts.goal_kind WHERE goal_capable").fetchall()}
    finally:
        con.close()
    assert {"integrations", "integration_rate_12m", "ltb_stock", "coop_plan_coverage"} <= capable
    assert not capable & {"integration_progress_ytd", "ltb_change_yoy", "elb_stock"}
    assert {(r["team_id"], r["metric_id"]) for r in rows} == {(t, m) for t in ("__all__", "T1", "T2")
                                                              for m in capable}
    assert len(rows) == 3 * len(capable) and f"{len(rows)} Zeilen nach {out} geschrieben" in result.stdout
    assert rows[0]["team_id"] == "__all__" and rows[0]["metric_id"] == "integration_rate_12m"  # official first
    assert {r["year"] for r in rows} == {"2024"} and {r["target_value"] for r in rows} == {""}
    t1 = {r["metric_id"]: r for r in rows if r["team_id"] == "T1"}
    assert t1["integrations"]["team_name"] == "Team Nord"
    assert t1["integrations"]["actual_2023_as_of"] == "2023-12"
    assert t1["integrations"]["actual_2023"] == "4"  # four integrations in 2023
    assert t1["integration_rate_12m"]["actual_2023"] == "100"  # 100 x 4 / mean stock 4
    assert t1["ltb_stock"]["actual_2023"] == ""  # no LZB figure without two years of history


def test_filled_template_loads_and_extra_columns_are_reported(tmp_path, loaded):
    source, db = loaded
    folder = tmp_path / "source"
    shutil.copytree(source, folder)
    out = folder / "targets.csv"
    out.unlink()
    assert run_cli("targets-template", "--year", "2024", "--out", str(out), "--db", str(db)).returncode == 0
    rows = _read(out)
    for r in rows:  # the analyst fills in two targets, in German number format, and leaves the rest
        if r["team_id"] == "T1" and r["metric_id"] in ("integrations", "integration_rate_12m"):
            r["target_value"] = "10" if r["metric_id"] == "integrations" else "52,5"
    with out.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), delimiter=";")
        writer.writeheader()
        writer.writerows(rows)
    new_db = tmp_path / "new.duckdb"
    result = run_cli("load", str(folder), "--db", str(new_db), "--as-of", AS_OF.isoformat(), "--json")
    assert result.returncode == 0, result.stderr
    assert "actual_2023" in result.stdout  # the dropped columns are in the load report
    con = duckdb.connect(str(new_db), read_only=True)
    try:
        goals = con.execute("SELECT metric_id, target_value, status FROM goal_status ORDER BY metric_id").fetchall()
    finally:
        con.close()
    # rows left empty are no target; 2 / (10 x 1/4) = 80 %; JFW 50 / (52.5 x 1/4) = 381 %
    assert goals == [("integration_rate_12m", 52.5, "on_track"), ("integrations", 10.0, "behind")]


def test_template_refuses_to_overwrite_and_needs_a_database(tmp_path, loaded):
    _, db = loaded
    out = tmp_path / "targets.csv"
    out.write_text("year;team_id;metric_id;target_value\n2024;T1;integrations;7\n", encoding="utf-8")
    result = run_cli("targets-template", "--year", "2025", "--out", str(out), "--db", str(db))
    assert result.returncode == 1 and "--force" in result.stderr
    assert "integrations;7" in out.read_text(encoding="utf-8")
    assert run_cli("targets-template", "--year", "2025", "--out", str(out), "--db", str(db),
                   "--force").returncode == 0
    missing = run_cli("targets-template", "--year", "2025", "--out", str(tmp_path / "x.csv"),
                      "--db", str(tmp_path / "none.duckdb"))
    assert missing.returncode == 1 and "steering load" in missing.stderr


def test_export_goals_and_backtest(tmp_path, loaded):
    _, db = loaded
    for what, first in (("goals", "year,team_id,metric_id,as_of_month"), ("backtest", "metric_id,team_id")):
        out = tmp_path / f"{what}.csv"
        result = run_cli("export", what, "--out", str(out), "--db", str(db))
        assert result.returncode == 0, result.stderr
        assert out.read_text(encoding="utf-8").startswith(first)


def test_goals_export_blanks_small_groups_unless_told_not_to(tmp_path, loaded):
    """With privacy.min_cell_size above every team's size, every team's goal about anybody loses its
    figures but keeps its target (a goal about nobody, actual 0, says nothing about anybody and stays);
    the job center's own row is about fewer persons too and is hidden like them (docs/datenschutz.md)."""
    _, db = loaded
    config = tmp_path / "strict.toml"
    config.write_text("[privacy]\nmin_cell_size = 1000000\n", encoding="utf-8")
    protected, raw = tmp_path / "goals.csv", tmp_path / "goals_raw.csv"
    assert run_cli("--config", str(config), "export", "goals", "--out", str(protected), "--db", str(db)).returncode == 0
    assert run_cli("--config", str(config), "export", "goals", "--out", str(raw), "--db", str(db),
                   "--no-suppression").returncode == 0
    shown, full = pd.read_csv(protected), pd.read_csv(raw)
    teams = shown["team_id"] != "__all__"
    somebody = teams & full["actual"].fillna(0).ne(0) & full["metric_id"].ne("dq_score")
    assert somebody.any() and (~teams).any()
    assert shown.loc[somebody, "actual"].isna().all() and shown.loc[somebody, "status"].isna().all()
    assert shown.loc[teams & ~somebody, "actual"].tolist() == full.loc[teams & ~somebody, "actual"].tolist()
    assert shown["target_value"].tolist() == full["target_value"].tolist()
    center = ~teams & full["actual"].fillna(0).ne(0)
    assert center.any() and shown.loc[center, "actual"].isna().all()
