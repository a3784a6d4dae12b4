"""The one read side: every figure a person sees -- dashboard pages, exports, the team review, the fix list --
comes from here, already protected for the viewer.

Two things happen here and nowhere else:

* **Scope**: a viewer sees its teams and the job center (``__all__``); a fix list
  only where it may (``Viewer.fixlists``); load runs and rejected rows only as an
  analyst. Asking for more raises ``OutOfScope``.
* **Small cells** (docs/datenschutz.md): the cells ``pipelines/protection.py``
  hides for ``privacy.min_cell_size`` are blanked in every frame (column
  ``suppressed``), worked out once per snapshot for all teams, so the pattern is
  the same whoever looks. An analyst may ask for exact figures (``Viewer.exact``):
  then nothing is blanked and the frames say so (``attrs["exact"]``).

``Snapshot`` wraps one database file; the dashboard keeps one per file and
minimum (``dashboard/data.py``), the CLI one per command.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from functools import cached_property
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipelines.protection import Protection, Tables, protection
from pipelines.publish.case_reads import CaseReads
from pipelines.publish.viewer import ALL, UNASSIGNED, OutOfScope, Viewer, _mark, _visible

__all__ = ["ALL", "UNASSIGNED", "OutOfScope", "Snapshot", "Viewer"]

CASE_TABLES = ("case_cohorts", "case_variants", "case_transitions", "survival_curves", "survival_summary")
SUPPRESSED_TEXT = "–"
GOAL_FIGURES = ("actual", "expected_linear", "expected_seasonal", "attainment_pct", "forecast_year_end",
                "forecast_low", "forecast_high")


def explanation(min_size: int) -> str:
    """The sentence shown beside a table or chart with hidden cells."""
    return (f"„{SUPPRESSED_TEXT}“: zum Schutz der Sozialdaten nicht ausgewiesen. Die Zahl beträfe weniger als "
            f"{min_size} Personen, oder sie ließe sich sonst aus anderen gezeigten Zahlen errechnen (aus Summen "
            "wie „Jobcenter gesamt“, aus Jahres- und Vorjahreswerten oder aus Zähler und Nenner).")


def read_fix_list(con: duckdb.DuckDBPyConnection, team_id: str) -> pd.DataFrame:
    """The open findings of a team (or ``__all__``) from the ``fix_list`` mart, one row per finding."""
    from pipelines.errors import LoadError
    from pipelines.fixlist import COLUMNS

    teams = [r[0] for r in con.execute("SELECT team_id FROM core.team_list ORDER BY team_id").fetchall()]
    if team_id not in teams:
        raise LoadError("--team", f"unbekanntes Team {team_id!r}", expected="eines von " + ", ".join(teams))
    if not con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main'"
                       " AND table_name = 'fix_list'").fetchone()[0]:
        raise LoadError("--db", "die Datenbank hat noch keine Korrekturliste",
                        expected="eine mit dieser Version geladene Datenbank ('steering load QUELLORDNER')")
    frame = con.execute(f"SELECT {', '.join(COLUMNS)} FROM fix_list WHERE ? = ? OR team_id = ?"
                        " ORDER BY rule_id, month DESC, team_id, table_name, record_id",
                        [team_id, ALL, team_id]).df()
    frame["month"] = pd.to_datetime(frame["month"]).dt.date
    return frame[list(COLUMNS)]


def store_protection(con: duckdb.DuckDBPyConnection, min_cell_size: int) -> int:
    """At load time: work out the hidden cells for ``min_cell_size`` and keep them in the snapshot."""
    from pipelines.protection import store

    return store(con, Snapshot(con.cursor, min_cell_size).compute_protection(), min_cell_size)


class Snapshot(CaseReads):
    """One database file, read on behalf of people. ``connect`` gives a read-only cursor."""

    def __init__(self, connect: Callable[[], duckdb.DuckDBPyConnection], min_cell_size: int) -> None:
        self._connect = connect
        self.k = int(min_cell_size)
        self._lock = threading.Lock()

    # --- unprotected reads (private) ----------------------------------------------------------------------------

    def _df(self, sql: str, params: list | tuple = ()) -> pd.DataFrame:
        con = self._connect()
        try:
            return con.execute(sql, list(params)).df()
        finally:
            con.close()

    @cached_property
    def tables(self) -> set[str]:
        frame = self._df("SELECT table_schema || '.' || table_name AS t FROM information_schema.tables")
        names = set(frame["t"])
        return names | {t.split(".", 1)[1] for t in names if t.startswith("main.")}

    def has(self, table: str) -> bool:
        return table in self.tables

    @cached_property
    def catalog(self) -> pd.DataFrame:
        if not self.has("metric_catalog"):
            return pd.DataFrame(columns=["metric_id", "label_de", "unit", "direction", "definition_de", "theme_de",
                                         "display_order", "key_figure", "team_table", "protect", "goal_kind"])
        return self._df("SELECT * FROM metric_catalog ORDER BY display_order, metric_id")

    @cached_property
    def _values(self) -> pd.DataFrame:
        if not self.has("metric_values"):
            return pd.DataFrame(columns=["team_id", "month", "metric_id", "value", "numerator", "denominator"])
        frame = self._df("SELECT * FROM metric_values ORDER BY team_id, metric_id, month")
        frame["month"] = pd.to_datetime(frame["month"])
        return frame

    @cached_property
    def _units(self) -> pd.DataFrame | None:
        frame = self._optional("unit_values", "unit, metric_id, month")
        if frame is not None:
            frame["month"] = pd.to_datetime(frame["month"])
        return frame

    @cached_property
    def _team_units(self) -> pd.DataFrame:
        if not self.has("unit_values"):  # a database loaded before subtotals: its team list has no unit column
            return pd.DataFrame(columns=["team_id", "unit"])
        return self._df("SELECT team_id, unit FROM core.team_list WHERE unit IS NOT NULL ORDER BY team_id")

    def _optional(self, table: str, order: str) -> pd.DataFrame | None:
        return self._df(f"SELECT * FROM {table} ORDER BY {order}") if self.has(table) else None

    @cached_property
    def _dq(self) -> pd.DataFrame | None:
        return self._optional("dq_results", "team_id, month, rule_id")

    @cached_property
    def _goals(self) -> pd.DataFrame | None:
        return self._optional("goal_status", "year, team_id, metric_id")

    @cached_property
    def _cases(self) -> dict[str, pd.DataFrame] | None:
        if not all(self.has(t) for t in CASE_TABLES):
            return None
        return {t: self._df(f"SELECT * FROM {t}") for t in CASE_TABLES}

    @cached_property
    def protection(self) -> Protection:
        """The hidden cells of this snapshot for ``k`` (worked out once, shared by every viewer)."""
        with self._lock:
            if "_protection" not in self.__dict__:
                from pipelines.protection import read_stored

                con = self._connect()
                try:
                    stored = read_stored(con, self.k)
                finally:
                    con.close()
                self.__dict__["_protection"] = stored or self.compute_protection()
            return self.__dict__["_protection"]

    def compute_protection(self) -> Protection:
        """Work the hidden cells out from the output tables (``pipelines.protection``)."""
        cases = self._cases or {}
        rules = self._optional("dq_rules", "rule_id")
        return protection(Tables(self._values, self.catalog, self._dq, rules, self._goals, cases.get("case_cohorts"),
                                 cases.get("survival_summary"), cases.get("case_variants"),
                                 cases.get("case_transitions"), self._units, self._team_units), self.k)

    # --- lists ----------------------------------------------------------------------------------------------

    def teams(self) -> pd.DataFrame:
        """Teams in fixed order (by id), never ranked; names and units are no social data."""
        return self._df("SELECT team_id, team_name, unit FROM staging.teams ORDER BY team_id")

    def months(self) -> list[dt.date]:
        return [m.date() for m in sorted(set(self._values["month"]), reverse=True)]

    def dq_rules(self) -> pd.DataFrame:
        if not self.has("dq_rules"):
            return pd.DataFrame(columns=["rule_id", "dimension", "table_name", "label_de", "description_de"])
        return self._df("SELECT * FROM dq_rules ORDER BY rule_id")

    def as_of(self) -> dt.date | None:
        if not self.has("load_runs"):
            return None
        value = self._df("SELECT max(as_of) AS a FROM load_runs WHERE status = 'success'")["a"].iloc[0]
        return None if pd.isna(value) else pd.Timestamp(value).date()

    # --- metrics --------------------------------------------------------------------------------------------

    @cached_property
    def _protected_values(self) -> pd.DataFrame:
        out = self._values.copy()
        hidden = self.protection.metric_values
        mask = np.fromiter(((t, m, i) in hidden for t, m, i in zip(out["team_id"], out["month"], out["metric_id"],
                                                                      strict=True)), bool, len(out))
        for col in ("value", "numerator", "denominator"):
            out[col] = out[col].astype("float64").mask(mask)
        out["suppressed"] = mask
        return out

    def _metric_frame(self, viewer: Viewer) -> pd.DataFrame:
        if viewer.exact:
            return self._values.assign(suppressed=False)
        return self._protected_values

    def metric_values(self, viewer: Viewer, team_id: str) -> pd.DataFrame:
        """Every metric of one team (or ``__all__``) over every month."""
        viewer.check(team_id)
        frame = self._metric_frame(viewer)
        return _mark(frame[frame["team_id"] == team_id].reset_index(drop=True), viewer.exact)

    def all_metric_values(self, viewer: Viewer) -> pd.DataFrame:
        """Every visible team's metrics (the export ``metrics``)."""
        frame = self._metric_frame(viewer)
        return _mark(frame[_visible(frame, viewer)].reset_index(drop=True), viewer.exact)

    def month_values(self, viewer: Viewer, month: dt.date) -> pd.DataFrame:
        """Every visible team's metrics in ``month`` with the same month a year earlier (``prev_value``)."""
        frame = self.all_metric_values(viewer)
        now = frame[frame["month"] == pd.Timestamp(month)]
        before = frame[frame["month"] == pd.Timestamp(month) - pd.DateOffset(months=12)]
        before = before[["team_id", "metric_id", "value"]].rename(columns={"value": "prev_value"})
        out = now.merge(before, on=["team_id", "metric_id"], how="left").sort_values(["team_id", "metric_id"])
        return _mark(out.reset_index(drop=True), viewer.exact)

    def all_unit_values(self, viewer: Viewer) -> pd.DataFrame:
        """Every subtotal (``unit_values``) of the units whose every team the viewer may see, hidden cells blank
        (``suppressed``): a subtotal less the teams one sees would otherwise give the teams one may not see."""
        columns = ["unit", "month", "metric_id", "value", "numerator", "denominator", "teams", "suppressed"]
        if self._units is None or self._team_units.empty:
            return _mark(pd.DataFrame(columns=columns), viewer.exact)
        members = self._team_units.groupby("unit")["team_id"].agg(list)
        seen = {u for u, teams in members.items() if all(viewer.may_see(t) for t in teams)}
        frame = self._units[self._units["unit"].isin(seen)].copy()
        hidden = set() if viewer.exact else self.protection.unit_values
        mask = np.fromiter(((u, m, i) in hidden for u, m, i in zip(frame["unit"], frame["month"], frame["metric_id"],
                                                                    strict=True)), bool, len(frame))
        for col in ("value", "numerator", "denominator"):
            frame[col] = frame[col].astype("float64").mask(mask)
        frame["suppressed"] = mask
        return _mark(frame[columns].reset_index(drop=True), viewer.exact)

    def unit_month_values(self, viewer: Viewer, month: dt.date) -> pd.DataFrame:
        """The visible subtotals in ``month`` with the same month a year earlier (``prev_value``)."""
        frame = self.all_unit_values(viewer)
        now = frame[frame["month"] == pd.Timestamp(month)]
        before = frame[frame["month"] == pd.Timestamp(month) - pd.DateOffset(months=12)]
        before = before[["unit", "metric_id", "value"]].rename(columns={"value": "prev_value"})
        out = now.merge(before, on=["unit", "metric_id"], how="left").sort_values(["unit", "metric_id"])
        return _mark(out.reset_index(drop=True), viewer.exact)

    # --- data quality ---------------------------------------------------------------------------------------

    def dq_results(self, viewer: Viewer) -> pd.DataFrame | None:
        """``dq_results`` of the visible teams with hidden cells blank (``suppressed``)."""
        if self._dq is None:
            return None
        out = self._dq.copy()
        out = out[_visible(out, viewer)].reset_index(drop=True)
        # a team that may see its fix list knows its findings record by record: its own counts are no secret to
        # it (the job center's cells are protected against that knowledge, pipelines/protection.py "insiders")
        hidden = set() if viewer.exact else self.protection.dq_results
        own = viewer.fixlists if viewer.role == "team" else frozenset()
        mask = np.fromiter(((t, pd.Timestamp(m), r) in hidden and t not in own for t, m, r in zip(
            out["team_id"], out["month"], out["rule_id"], strict=True)), bool, len(out))
        for col in ("checked", "failed"):
            out[col] = out[col].astype("float64").mask(mask)
        out["suppressed"] = mask
        return _mark(out, viewer.exact)

    def dq_pass_rates(self, viewer: Viewer, month: dt.date) -> pd.DataFrame:
        """Pass rate in percent per visible team and rule in ``month`` (NULL where nothing was checked)."""
        results = self.dq_results(viewer)
        if results is None:
            return pd.DataFrame(columns=["team_id", "rule_id", "checked", "failed", "pass_rate", "suppressed"])
        part = results[pd.to_datetime(results["month"]) == pd.Timestamp(month)].copy()
        part["pass_rate"] = np.where(part["checked"] > 0, 100.0 * (part["checked"] - part["failed"])
                                     / part["checked"].where(part["checked"] > 0), np.nan)
        return _mark(part[["team_id", "rule_id", "checked", "failed", "pass_rate", "suppressed"]]
                     .sort_values(["team_id", "rule_id"]).reset_index(drop=True), viewer.exact)

    def fix_list(self, viewer: Viewer, team_id: str) -> pd.DataFrame:
        """The team's open findings, record by record (``fix_list``): for the team itself and those allowed."""
        allowed = viewer.role == "analyst" if team_id == ALL else team_id in viewer.fixlists
        if not allowed:
            raise OutOfScope("Die Korrekturliste ist für diesen Zugang nicht freigegeben.")
        con = self._connect()
        try:
            return read_fix_list(con, team_id)
        finally:
            con.close()

    def write_fix_list(self, viewer: Viewer, team_id: str, out: Path) -> int:
        """The fix list as ``.csv`` or ``.xlsx`` (``pipelines.fixlist``); returns the number of findings."""
        from pipelines.fixlist import write_fixlist

        frame = self.fix_list(viewer, team_id)
        rules = list(self.dq_rules()[["rule_id", "label_de", "description_de"]].itertuples(index=False, name=None))
        months = self.months()
        names = dict(self.teams()[["team_id", "team_name"]].itertuples(index=False, name=None))
        return write_fixlist(frame, rules, team_id, months[0] if months else None, self.as_of(), out,
                             names.get(team_id))

    def todo(self, viewer: Viewer, team_id: str) -> tuple[pd.DataFrame, int | None]:
        """Open findings per rule (``rule_id, label_de, description_de, findings``) and their total.

        From the fix list where the viewer may see it; otherwise from the quality cells of the fix list's
        months, and a rule whose cells are hidden there shows no count (NaN; total None).
        """
        from pipelines.review import todo_list

        viewer.check(team_id)
        if team_id in viewer.fixlists and self.has("fix_list") and team_id != ALL:
            findings = self.fix_list(viewer, team_id)
            return todo_list(findings), len(findings)
        rules = self.dq_rules()
        results = self.dq_results(viewer)
        if results is None or "population" not in rules:
            return todo_list(pd.DataFrame()), None
        months = sorted(set(pd.to_datetime(results["month"])))
        if not months:
            return todo_list(pd.DataFrame()), None
        last = months[-1]
        own = results[results["team_id"] == team_id].assign(month=lambda f: pd.to_datetime(f["month"]))
        rows = []
        for rule in rules.itertuples(index=False):
            first = last if rule.population == "stock" else last - pd.DateOffset(months=2)
            part = own[(own["rule_id"] == rule.rule_id) & (own["month"] >= first)]
            count = np.nan if part["suppressed"].any() else float(part["failed"].sum())
            if not (count == 0):
                rows.append({"rule_id": rule.rule_id, "label_de": rule.label_de,
                             "description_de": rule.description_de, "findings": count})
        frame = pd.DataFrame(rows, columns=["rule_id", "label_de", "description_de", "findings"])
        frame = frame.sort_values(["findings", "rule_id"], ascending=[False, True], na_position="last")
        total = None if frame["findings"].isna().any() else int(frame["findings"].sum())
        return frame.reset_index(drop=True), total

    # --- goals ----------------------------------------------------------------------------------------------

    def goal_status(self, viewer: Viewer) -> pd.DataFrame | None:
        """Goals of the visible teams and the job center; a hidden goal keeps its target only."""
        if self._goals is None:
            return None
        out = self._goals[_visible(self._goals, viewer)].reset_index(drop=True)
        hidden = set() if viewer.exact else self.protection.goal_status
        mask = np.fromiter(((y, t, m) in hidden for y, t, m in zip(out["year"], out["team_id"], out["metric_id"],
                                                                  strict=True)), bool, len(out))
        for col in GOAL_FIGURES:
            if col in out:
                out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64").mask(mask)
        if "status" in out:
            out["status"] = out["status"].astype(object).where(~mask, None)
        out["suppressed"] = mask
        return _mark(out, viewer.exact)

    def goal_backtest(self, viewer: Viewer) -> pd.DataFrame | None:
        """How well the forecasts did (shares of forecasts, no persons), for the visible teams and pooled rows."""
        frame = self._optional("goal_backtest", "metric_id, team_id, month_position")
        if frame is None:
            return None
        return frame[frame["team_id"].map(lambda t: t == "*" or viewer.may_see(t))].reset_index(drop=True)

    # --- pipeline (analysts) --------------------------------------------------------------------------------

    def _analyst(self, viewer: Viewer) -> None:
        if viewer.role != "analyst":
            raise OutOfScope("Ladeläufe und abgewiesene Zeilen sieht nur das Controlling.")

    def load_runs(self) -> pd.DataFrame:
        """Load runs (when, status, as-of date): no figures about persons, shown on every page's sidebar."""
        return self._df("SELECT * FROM load_runs ORDER BY run_id DESC")

    def load_run_tables(self, viewer: Viewer, run_id: int) -> pd.DataFrame:
        self._analyst(viewer)
        return self._df("SELECT * FROM load_run_tables WHERE run_id = ? ORDER BY table_name", [run_id])

    def load_rejects(self, viewer: Viewer, run_id: int | None = None, limit: int = 5000) -> pd.DataFrame:
        """Rejected rows and blanked values; a rejected row's person id is not shown (file and line find it)."""
        self._analyst(viewer)
        return self._df("SELECT run_id, table_name, file_name, line, column_name,"
                        " CASE WHEN action = 'row_rejected' AND column_name LIKE '%person_id%'"
                        "      THEN '(Personenkennung ausgeblendet)' ELSE raw_value END AS raw_value,"
                        " CASE WHEN action = 'row_rejected' AND column_name LIKE '%person_id%'"
                        # the id in a duplicate key's reason too (and in a Datenstand of an English version)
                        "      THEN regexp_replace(reason, '^(doppelter Schlüssel|duplicate key) .*, "
                        "(das erste Vorkommen|first occurrence)', '\\1, \\2') ELSE reason END AS reason,"
                        " action FROM load_rejects WHERE ? IS NULL OR run_id = ?"
                        " ORDER BY run_id DESC, table_name, line, column_name LIMIT ?", [run_id, run_id, limit])

    def rejects_count(self, viewer: Viewer, run_id: int) -> int:
        self._analyst(viewer)
        return int(self._df("SELECT count(*) AS n FROM load_rejects WHERE run_id = ?", [run_id])["n"].iloc[0])

    # --- statistics of the protection -----------------------------------------------------------------------

    def suppression_rate(self, viewer: Viewer) -> dict[str, float]:
        """Share of team-month cells hidden, per table (the Pipeline page; benchmarks/suppression_rate.py)."""
        self._analyst(viewer)
        values = self._protected_values
        teams = values[values["team_id"] != ALL]
        out = {"metric_values": float(teams["suppressed"].mean()) if len(teams) else 0.0}
        dq = self.dq_results(Viewer("analyst", frozenset(set(values["team_id"]))))
        if dq is not None and len(dq):
            out["dq_results"] = float(dq.loc[dq["team_id"] != ALL, "suppressed"].mean())
        return out
