"""The small-cell problem of one snapshot: every published figure as a linear form, then ``disclosure.protect``.

Which figure is which sum is declared with each metric (``protect:`` in its SQL
header, carried into ``metric_catalog.protect``): the *atom* it counts (e.g.
``integrations`` of a team in a month), over which months (``window``, ``lag``,
``since``), and whether the numerator's persons are part of the denominator's
(``complement``). Quality rules, goals and the case-progress tables have a fixed
shape and are built here. A team ``__all__`` is always the sum of the teams
(``__unassigned__`` included), a unit's subtotal (``unit_values``) the sum of its teams.

The result is one set of hidden cells for the whole snapshot and a given k, the
same whoever looks; ``pipelines/publish/`` blanks them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

import duckdb
import numpy as np
import pandas as pd

from pipelines.disclosure import Cell, Problem, protect

ALL = "__all__"
UNIT = "__unit__:"  # inside the builder, a unit's subtotal is the pseudo team UNIT + unit
NAN = float("nan")
TOP_VARIANTS = 10  # the case-progress page lists the ten most frequent variants of a team
TERMINAL_STAGES = frozenset({"open", "exit"})

# weights of the cost of hiding a cell (complementary suppression takes the cheapest first)
DETAIL, RUNNING, TOTAL = 1.0, 3.0, 4.0
# a unit's subtotal is hidden before a team's cell: the team is the unit people read and reflect on (measured
# on the 12,000-person demo: 2.0 hid 2,578 team cells, 0.5 hid 2,446; 2,350 without subtotals)
SUBTOTAL = 0.5


@dataclass(frozen=True)
class Tables:
    """The unprotected output tables the problem is built from (frames as read from the snapshot)."""

    metric_values: pd.DataFrame
    catalog: pd.DataFrame  # metric_id, protect (JSON), goal_kind
    dq_results: pd.DataFrame | None = None
    dq_rules: pd.DataFrame | None = None  # rule_id, population
    goal_status: pd.DataFrame | None = None
    case_cohorts: pd.DataFrame | None = None
    survival_summary: pd.DataFrame | None = None
    case_variants: pd.DataFrame | None = None
    case_transitions: pd.DataFrame | None = None
    unit_values: pd.DataFrame | None = None  # unit, month, metric_id, value, numerator, denominator
    team_units: pd.DataFrame | None = None  # team_id, unit (core.team_list)


@dataclass
class Protection:
    """Hidden cells per table, as sets of keys."""

    metric_values: set[tuple]  # (team_id, month, metric_id)
    dq_results: set[tuple]  # (team_id, month, rule_id)
    dq_score: set[tuple]  # (team_id, month)
    goal_status: set[tuple]  # (year, team_id, metric_id)
    case_cohorts: set[tuple]  # (team_id, cohort_month, step)
    survival_summary: set[tuple]  # (team_id, period): cases and everything
    survival_integrations: set[tuple]  # (team_id, period): integrations and the Kaplan-Meier figures
    case_variants: set[tuple]  # (team_id, period, variant)
    case_transitions: set[tuple]  # (team_id, period, step, from_stage, to_stage)
    unit_values: set[tuple]  # (unit, month, metric_id)
    primary: set[tuple]  # (kind, *key) of the cells hidden for their own size (the rest: complementary)
    cells: int  # cells the problem had
    rounds: int = 0


@lru_cache(maxsize=4096)
def _month(value) -> pd.Timestamp:
    return pd.Timestamp(value).to_period("M").to_timestamp()


@lru_cache(maxsize=4096)
def _span(start: pd.Timestamp, end: pd.Timestamp) -> tuple[pd.Timestamp, ...]:
    return tuple(pd.date_range(start, end, freq="MS"))


class _Builder:
    def __init__(self, tables: Tables, k: int) -> None:
        self.t = tables
        self.k = k
        values = tables.metric_values
        self.teams = sorted(set(values["team_id"]) - {ALL})
        self.problem = Problem()
        self.specs = {m: json.loads(p) if isinstance(p, str) else (p or {})
                      for m, p in zip(tables.catalog["metric_id"], tables.catalog["protect"], strict=True)}
        units = tables.team_units if tables.team_units is not None else pd.DataFrame(columns=["team_id", "unit"])
        self.units = {u: sorted(part["team_id"]) for u, part in units.dropna(subset=["unit"]).groupby("unit")}

    def members(self, team: str, pool: list[str] | None = None) -> list[str]:
        """The teams a figure of ``team`` adds up: itself, for a unit (``UNIT`` + name) its teams, or for
        ``__all__`` every team (of ``pool``: a table that has rows only for teams with cases says by a missing
        row that a team has none)."""
        if team.startswith(UNIT):
            return self.units[team[len(UNIT):]]
        return (self.teams if pool is None else pool) if team == ALL else [team]

    def sum_form(self, atom: str, team: str, months: list[pd.Timestamp], coef: float = 1.0,
                 pool: list[str] | None = None) -> list:
        return [((atom, t, m), coef) for t in self.members(team, pool) for m in months]

    # --- metrics --------------------------------------------------------------------------------------------

    def spec_form(self, spec: dict, metric_id: str, team: str, month: pd.Timestamp, side: str) -> tuple[list, int]:
        """The form of one side (numerator/denominator) of a metric in a month, and how many months it spans."""
        atom = spec.get("atom", "own")
        if atom == "own":
            atom = f"{metric_id}.{side}"
        lag = int(spec.get("lag", 0))
        end = month - pd.DateOffset(months=lag)
        since = spec.get("since")
        if since == "january":
            start = month.replace(month=1)
        elif since == "december":
            start = month.replace(month=1) - pd.DateOffset(months=1)
        else:
            start = end - pd.DateOffset(months=int(spec.get("window", 1)) - 1)
        months = list(_span(start, end))
        keys = self.sum_form(atom, team, months, 1.0 / len(months) if spec.get("mean") else 1.0)
        if "minus_lag" in spec:
            keys += self.sum_form(atom, team, [month - pd.DateOffset(months=int(spec["minus_lag"]))], -1.0)
        return keys, len(months)

    def metrics(self) -> list[int]:
        out = [self.metric_cell(row, row.team_id, ("metric", row.team_id, _month(row.month), row.metric_id),
                                TOTAL if row.team_id == ALL else 1.0)
               for row in self.t.metric_values.itertuples(index=False)]
        units = self.t.unit_values
        if units is not None:
            out += [self.metric_cell(row, UNIT + row.unit, ("unit", row.unit, _month(row.month), row.metric_id),
                                     SUBTOTAL) for row in units.itertuples(index=False) if row.unit in self.units]
        return out

    def metric_cell(self, row, team: str, key: tuple, scale: float) -> int:  # noqa: ANN001 (a frame row)
        """The cell of one metric figure (of a team, ``__all__`` or a unit): its sides as forms over the atoms."""
        p = self.problem
        spec = self.specs.get(row.metric_id) or {}
        if row.metric_id == "dq_score" or not spec or (
                pd.isna(row.value) and pd.isna(row.numerator) and pd.isna(row.denominator)):
            return -1
        month = _month(row.month)
        forms, complements, running = [], [], False
        sides = {}
        for side in ("numerator", "denominator"):
            if side in spec and pd.notna(getattr(row, side)):
                keys, n = self.spec_form(spec[side], row.metric_id, team, month, side)
                running = running or n > 1
                sides[side] = (p.form(keys), float(getattr(row, side)), keys)
                forms.append(sides[side][:2])
        if spec.get("complement") and len(sides) == 2:
            num, den = sides["numerator"], sides["denominator"]
            complements.append((p.form([*den[2], *[(k, -c) for k, c in num[2]]]), den[1] - num[1]))
        weight = (RUNNING if running else DETAIL) * scale
        size = max([abs(v) for _, v in forms if np.isfinite(v)] or [0.0])
        return p.add(Cell(key, forms, weight * 1000 + size, complements))

    # --- data quality ---------------------------------------------------------------------------------------

    def quality(self) -> tuple[list[int], list[int], pd.DataFrame]:
        p = self.problem
        results, rules = self.t.dq_results, self.t.dq_rules
        if results is None or rules is None or results.empty:
            return [], [], pd.DataFrame(columns=["team_id", "month"])
        stock = set(rules.loc[rules["population"] == "stock", "rule_id"])
        insiders = self.insiders(results)
        cells = []
        shares: dict[tuple, list] = {}
        for row in results.itertuples(index=False):
            month = _month(row.month)
            checked_atom = "elb_stock" if row.rule_id in stock else f"dq_checked.{row.rule_id}"
            checked = p.form(self.sum_form(checked_atom, row.team_id, [month]))
            failed = p.form(self.sum_form(f"dq_failed.{row.rule_id}", row.team_id, [month]))
            forms = [(checked, float(row.checked)), (failed, float(row.failed))]
            complement = {**checked}
            for v, c in failed.items():
                complement[v] = complement.get(v, 0.0) - c
            share_targets = []
            if row.checked > 0:
                share = p.form([(("dq_share", row.rule_id, row.team_id, month), 1.0)])
                forms.append((share, NAN))
                share_targets.append(share)
                shares.setdefault((row.team_id, month), []).append(("dq_share", row.rule_id, row.team_id, month))
            weight = DETAIL * (TOTAL if row.team_id == ALL else 1.0)
            cells.append(p.add(Cell(("dq", row.team_id, month, row.rule_id), forms,
                                    weight * 1000 + float(row.checked),
                                    [(complement, float(row.checked - row.failed))], share_targets),
                               primary=(row.rule_id, month) in insiders and row.team_id == ALL))
        score_cells, score_keys = [], []
        for (team, month), keys in shares.items():
            weight = RUNNING * (TOTAL if team == ALL else 1.0)
            score_cells.append(p.add(Cell(("dq_score", team, month), [(p.form((k, 1.0) for k in keys), NAN)],
                                          weight * 1000)))
            score_keys.append((team, month))
        return cells, score_cells, pd.DataFrame(score_keys, columns=["team_id", "month"])

    def insiders(self, results: pd.DataFrame) -> set[tuple]:
        """(rule, month) where the job center's count, less one team's, is 1 to k-1.

        A team knows its own records (its fix list; its own quality figures are shown to it exactly), so it
        could work out the other teams' counts together from the job center's; there the job center's cell is
        hidden.
        """
        out = set()
        for (rule, month), part in results.assign(month=results["month"].map(_month)).groupby(["rule_id", "month"]):
            for column in ("failed", "checked", "passed"):
                counts = part["checked"] - part["failed"] if column == "passed" else part[column]
                total = counts[part["team_id"] == ALL].sum()
                others = total - counts[part["team_id"] != ALL]
                if ((others > 0) & (others < self.k)).any():
                    out.add((rule, month))
        return out

    # --- goals ----------------------------------------------------------------------------------------------

    def goals(self) -> list[int]:
        p, goals = self.problem, self.t.goal_status
        if goals is None or goals.empty:
            return []
        kinds = dict(zip(self.t.catalog["metric_id"], self.t.catalog["goal_kind"], strict=True))
        values = self.t.metric_values.assign(month=pd.to_datetime(self.t.metric_values["month"]))
        indexed = values.set_index(["team_id", "month", "metric_id"])
        out = []
        for row in goals.itertuples(index=False):
            month = _month(row.as_of_month)
            kind = kinds.get(row.metric_id, "level")
            forms = []
            if pd.notna(row.actual):
                if kind in ("cumulative", "average"):
                    atom = self.specs.get(row.metric_id, {}).get("numerator", {}).get("atom", row.metric_id)
                    months = list(pd.date_range(month.replace(month=1), month, freq="MS"))
                    coef = 1.0 / len(months) if kind == "average" else 1.0  # a mean stock: its persons ~ the mean
                    forms.append((p.form(self.sum_form(atom, row.team_id, months, coef)), float(row.actual)))
                else:
                    tracked = "integration_progress_ytd" if kind == "progress" else row.metric_id
                    spec = self.specs.get(tracked) or {}
                    key = (row.team_id, month, tracked)
                    for side in ("numerator", "denominator"):
                        if side in spec and key in indexed.index and pd.notna(indexed.loc[key, side]):
                            keys, _ = self.spec_form(spec[side], tracked, row.team_id, month, side)
                            forms.append((p.form(keys), float(indexed.loc[key, side])))
            weight = RUNNING * (TOTAL if row.team_id == ALL else 1.0)
            size = max([abs(v) for _, v in forms] or [0.0])
            out.append(p.add(Cell(("goal", row.year, row.team_id, row.metric_id), forms, weight * 1000 + size)))
        return out

    # --- case progress --------------------------------------------------------------------------------------

    def cases(self) -> dict[str, list[int]]:
        p, t = self.problem, self.t
        out: dict[str, list[int]] = {"cohorts": [], "survival": [], "variants": [], "transitions": []}
        if t.case_cohorts is None or t.survival_summary is None:
            return out
        cohorts = t.case_cohorts.assign(cohort_month=pd.to_datetime(t.case_cohorts["cohort_month"]))
        months_of: dict[str, list[pd.Timestamp]] = {}
        all_months = sorted(set(cohorts["cohort_month"]))
        for m in all_months:
            months_of.setdefault(str(m.year), []).append(m)
        years = sorted(months_of)

        def period_months(period: str) -> list[pd.Timestamp]:
            return all_months if period == "all" else months_of.get(period, [])

        def period_years(period: str) -> list[str]:
            return years if period == "all" else [period]

        for row in cohorts.itertuples(index=False):
            if row.is_open:
                out["cohorts"].append(-1)
                continue
            cases = p.form(self.sum_form("first_contact_14d_rate.denominator", row.team_id, [row.cohort_month]))
            atom = ("first_contact_14d_rate.numerator" if row.step == "first_contact_14d" else f"reached.{row.step}")
            reached = p.form(self.sum_form(atom, row.team_id, [row.cohort_month]))
            complement = {**cases}
            for v, c in reached.items():
                complement[v] = complement.get(v, 0.0) - c
            weight = DETAIL * (TOTAL if row.team_id == ALL else 1.0)
            out["cohorts"].append(p.add(Cell(("cohort", row.team_id, row.cohort_month, row.step),
                                             [(cases, float(row.cases)), (reached, float(row.reached))],
                                             weight * 1000 + float(row.cases),
                                             [(complement, float(row.cases - row.reached))])))
        summary = t.survival_summary
        pools = {period: sorted(set(part["team_id"]) - {ALL}) for period, part in summary.groupby("period")}
        for row in summary.itertuples(index=False):
            pool = pools[row.period]
            cases = p.form(self.sum_form("first_contact_14d_rate.denominator", row.team_id,
                                         period_months(row.period), pool=pool))
            integ = p.form([(("survival_integrations", tm, y), 1.0) for tm in self.members(row.team_id, pool)
                            for y in period_years(row.period)])
            weight = RUNNING * (TOTAL if row.team_id == ALL else 1.0)
            out["survival"].append(p.add(Cell(("survival", row.team_id, row.period), [(cases, float(row.cases))],
                                              weight * 1000 + float(row.cases))))
            # the integrations, with the Kaplan-Meier figures that rest on them: hidden on their own
            out["survival"].append(p.add(Cell(("survival_int", row.team_id, row.period),
                                              [(integ, float(row.integrations))],
                                              weight * 1000 + float(row.integrations))))
        variants = t.case_variants
        if variants is not None and not variants.empty:
            for (team, period), part in variants[variants["team_id"] != ALL].groupby(["team_id", "period"]):
                # every case has one variant: the variants add up to the cases (explicit for "all" as well, so
                # that its remainder, the "sonstige Verläufe", is checked like a year's)
                keys = [(("variant", team, y, v), 1.0) for v in part["variant"] for y in period_years(period)]
                keys += [(k, -1.0) for k, _ in self.sum_form("first_contact_14d_rate.denominator", team,
                                                              period_months(period))]
                p.identity(p.form(keys))
            for row in variants.itertuples(index=False):
                if row.rank > TOP_VARIANTS:
                    continue
                cases = p.form([(("variant", tm, y, row.variant), 1.0) for tm in self.members(row.team_id)
                                for y in period_years(row.period)])
                still = p.form([(("variant_open", tm, y, row.variant), 1.0) for tm in self.members(row.team_id)
                                for y in period_years(row.period)])
                complement = {**cases}
                for v, c in still.items():
                    complement[v] = complement.get(v, 0.0) - c
                weight = DETAIL * (TOTAL if row.team_id == ALL else 1.0)
                out["variants"].append(p.add(Cell(
                    ("variant", row.team_id, row.period, row.variant),
                    [(cases, float(row.cases)), (still, float(row.open_cases))], weight * 1000 + float(row.cases),
                    [(complement, float(row.cases - row.open_cases))])))
        links = t.case_transitions
        if links is not None and not links.empty:
            real = links[(links["team_id"] != ALL) & (links["period"] != "all")]
            for (team, period), part in real.groupby(["team_id", "period"]):
                def key(r, team: str = team, period: str = period) -> tuple:
                    return ("link", team, period, int(r.step), r.from_stage, r.to_stage)
                first = [(key(r), 1.0) for r in part.itertuples() if r.step == 1]
                first += [(k, -1.0) for k, _ in self.sum_form("first_contact_14d_rate.denominator", team,
                                                               period_months(period))]
                p.identity(p.form(first))
                for step in sorted(set(part["step"])):
                    if step == 1:
                        continue
                    for node in set(part.loc[part["step"] == step, "from_stage"]) - TERMINAL_STAGES:
                        ins = [(key(r), 1.0) for r in part.itertuples() if r.step == step - 1 and r.to_stage == node]
                        outs = [(key(r), -1.0) for r in part.itertuples() if r.step == step and r.from_stage == node]
                        p.identity(p.form(ins + outs))
            for row in links.itertuples(index=False):
                form = p.form([(("link", tm, y, int(row.step), row.from_stage, row.to_stage), 1.0)
                               for tm in self.members(row.team_id) for y in period_years(row.period)])
                weight = DETAIL * (TOTAL if row.team_id == ALL else 1.0)
                out["transitions"].append(p.add(Cell(
                    ("link", row.team_id, row.period, int(row.step), row.from_stage, row.to_stage),
                    [(form, float(row.cases))], weight * 1000 + float(row.cases))))
        return out


def build_problem(tables: Tables, k: int) -> tuple[Problem, _Builder]:
    builder = _Builder(tables, k)
    builder.metrics()
    builder.quality()
    builder.goals()
    builder.cases()
    return builder.problem, builder


def protection(tables: Tables, k: int) -> Protection:
    """Which cells of the snapshot to hide for a minimum of ``k`` persons."""
    problem, _ = build_problem(tables, k)
    result = protect(problem, k)
    hidden: dict[str, set[tuple]] = {name: set() for name in _FIELDS}
    primary = set()
    for cell, is_hidden, is_primary in zip(problem.cells, result.hidden, result.primary, strict=True):
        if is_hidden:
            hidden[cell.key[0]].add(tuple(cell.key[1:]))
        if is_primary:
            primary.add(cell.key)
    return _protection(hidden, primary, len(problem.cells), result.rounds)


def _protection(hidden: dict[str, set[tuple]], primary: set[tuple], cells: int, rounds: int) -> Protection:
    metric = hidden["metric"] | {(team, month, "dq_score") for team, month in hidden["dq_score"]}
    return Protection(metric_values=metric, dq_results=hidden["dq"], dq_score=hidden["dq_score"],
                      goal_status=hidden["goal"], case_cohorts=hidden["cohort"], survival_summary=hidden["survival"],
                      survival_integrations=hidden["survival_int"], case_variants=hidden["variant"],
                      case_transitions=hidden["link"], unit_values=hidden.get("unit", set()), primary=primary,
                      cells=cells, rounds=rounds)


# --- stored with the snapshot -----------------------------------------------------------------------------------
# The load works the hidden cells out once for privacy.min_cell_size and keeps them in ``small_cells`` (one row
# per hidden cell, its key in typed columns) and ``small_cells_run`` (the minimum and the counts), so that no page
# or export waits for the audit; another minimum is worked out on first use (publish.Snapshot).

_FIELDS = {  # kind -> the fields of its key, in order
    "metric": ("team_id", "month", "item"), "dq": ("team_id", "month", "item"), "dq_score": ("team_id", "month"),
    "goal": ("year", "team_id", "item"), "cohort": ("team_id", "month", "item"), "survival": ("team_id", "period"),
    "survival_int": ("team_id", "period"),
    "variant": ("team_id", "period", "item"), "link": ("team_id", "period", "step", "from_stage", "to_stage"),
    "unit": ("unit", "month", "item"),
}
_COLUMNS = {"kind": "VARCHAR", "team_id": "VARCHAR", "unit": "VARCHAR", "month": "DATE", "item": "VARCHAR",
            "period": "VARCHAR",
            "year": "INTEGER", "step": "INTEGER", "from_stage": "VARCHAR", "to_stage": "VARCHAR",
            "is_primary": "BOOLEAN"}


def store(con: duckdb.DuckDBPyConnection, protected: Protection, k: int) -> int:
    """Write the hidden cells into ``small_cells`` and ``small_cells_run`` (replacing both); returns their number."""
    hidden = {"metric": {key for key in protected.metric_values if key[2] != "dq_score"},
              "dq": protected.dq_results, "dq_score": protected.dq_score, "goal": protected.goal_status,
              "cohort": protected.case_cohorts, "survival": protected.survival_summary,
              "survival_int": protected.survival_integrations,
              "variant": protected.case_variants, "link": protected.case_transitions, "unit": protected.unit_values}
    rows = []
    for kind, keys in hidden.items():
        for key in sorted(keys, key=str):
            row = dict.fromkeys(_COLUMNS)
            row.update(zip(_FIELDS[kind], key, strict=True))
            row.update(kind=kind, is_primary=(kind, *key) in protected.primary)
            rows.append(row)
    frame = pd.DataFrame(rows, columns=list(_COLUMNS))
    frame["month"] = pd.to_datetime(frame["month"]).dt.date
    columns = ", ".join(f"{c} {t}" for c, t in _COLUMNS.items())
    con.execute(f"CREATE OR REPLACE TABLE small_cells ({columns})")
    con.register("small_cells_frame", frame)
    casts = ", ".join(f"CAST({c} AS {t})" for c, t in _COLUMNS.items())
    con.execute(f"INSERT INTO small_cells SELECT {casts} FROM small_cells_frame")
    con.unregister("small_cells_frame")
    con.execute("CREATE OR REPLACE TABLE small_cells_run AS SELECT ?::INTEGER AS min_cell_size,"
                " ?::INTEGER AS cells, ?::INTEGER AS hidden, ?::INTEGER AS primary_hidden, ?::INTEGER AS rounds",
                [k, protected.cells, len(frame), int(frame["is_primary"].sum()), protected.rounds])
    return len(frame)


def read_stored(con: duckdb.DuckDBPyConnection, k: int) -> Protection | None:
    """The hidden cells the load stored for ``k``, or None (another minimum, or an older database)."""
    names = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables"
                                       " WHERE table_schema = 'main'").fetchall()}
    if not {"small_cells", "small_cells_run"} <= names:
        return None
    run = con.execute("SELECT min_cell_size, cells, rounds FROM small_cells_run").fetchone()
    if run is None or int(run[0]) != k:
        return None
    columns = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns"
                                         " WHERE table_schema = 'main' AND table_name = 'small_cells'").fetchall()}
    if "unit" not in columns:
        return None  # stored before unit subtotals had cells of their own: work it out again (fails closed)
    frame = con.execute("SELECT * FROM small_cells").df()
    hidden: dict[str, set[tuple]] = {kind: set() for kind in _FIELDS}
    primary = set()
    for row in frame.itertuples(index=False):
        key = []
        for name in _FIELDS[row.kind]:
            value = getattr(row, name)
            key.append(pd.Timestamp(value) if name == "month" else int(value) if name in ("year", "step") else value)
        hidden[row.kind].add(tuple(key))
        if row.is_primary:
            primary.add((row.kind, *key))
    return _protection(hidden, primary, int(run[1]), int(run[2]))
