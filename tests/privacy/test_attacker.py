"""An attacker with nothing but what a manager and a team member can see: no hidden small figure comes back.

The job center is the committed sample (teams of 40-230 eLb, so most monthly counts are small). The attacker
collects every figure the read side publishes for a manager who sees every team -- every page's frames for
every team, month and period, the to-do counts of the review, and the default exports (checked to be the
same frames) -- and for a team member (its own team, the job center and its own fix list). Each visible figure
is an equation over the true counts (the attacker knows how the figures are defined: the metric headers'
``protect`` declarations, checked against the data in test_protect_declarations.py, team sums, the case
identities). A hidden figure about 1 to k-1 persons is *recovered* when it lies in the row space of those
equations (any linear combination: running sums against months, year-on-year, teams against totals, rule
counts against stocks, case totals against their parts). The solver is plain linear algebra on blocks of
unknowns that share equations, written here independently of pipelines/disclosure.py.

The same attacker against the primary-only pattern (hiding each small figure on its own, as the product did
before) recovers many figures: the test shows the attacker works, and that the protection is what stops it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from pipelines.load import load_folder
from pipelines.protection import Protection
from pipelines.publish import ALL, Snapshot, Viewer
from tests.conftest import ROOT  # noqa: F401  (rootdir)

K = 5
STEERING = str(Path(ROOT) / ".venv" / "bin" / "steering")


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("attacker")
    shutil.copytree(Path(ROOT) / "sample_data", folder / "export")
    out = folder / "steering.duckdb"
    load_folder(folder / "export", out)
    return out


@pytest.fixture(scope="module")
def con(db: Path):
    connection = duckdb.connect(str(db), read_only=True)
    yield connection
    connection.close()


def every_team(snapshot: Snapshot) -> frozenset[str]:
    return frozenset(snapshot._values["team_id"]) - {ALL}


# --- what the attacker knows about the figures ----------------------------------------------------------------

class Equations:
    """Sparse linear forms over named unknowns, with the published value (NaN: the figure is hidden)."""

    def __init__(self, teams: list[str], units: dict[str, list[str]] | None = None) -> None:
        self.teams = teams
        self.units = units or {}  # a unit's subtotal is the sum of its teams ("unit:" + name)
        self.rows: list[tuple[dict, float, float, str]] = []  # form, published value, true value, label

    def members(self, team: str) -> list[str]:
        if team.startswith("unit:"):
            return self.units[team[5:]]
        return self.teams if team == ALL else [team]

    def add(self, keys: list[tuple[tuple, float]], published: float, true: float, label: str) -> None:
        form: dict = defaultdict(float)
        for key, coef in keys:
            form[key] += coef
        form = {k: c for k, c in form.items() if c}
        if form:
            self.rows.append((form, published, true, label))

    def atoms(self, atom: str, team: str, months: list[pd.Timestamp], coef: float = 1.0) -> list:
        return [((atom, t, m), coef) for t in self.members(team) for m in months]


def side_keys(eq: Equations, spec: dict, metric: str, side: str, team: str, month: pd.Timestamp) -> list:
    atom = spec.get("atom")
    atom = f"{metric}.{side}" if atom == "own" else atom
    end = month - pd.DateOffset(months=spec.get("lag", 0))
    if spec.get("since") == "january":
        start = month.replace(month=1)
    elif spec.get("since") == "december":
        start = month.replace(month=1) - pd.DateOffset(months=1)
    else:
        start = end - pd.DateOffset(months=spec.get("window", 1) - 1)
    months = list(pd.date_range(start, end, freq="MS"))
    keys = eq.atoms(atom, team, months, 1.0 / len(months) if spec.get("mean") else 1.0)
    if "minus_lag" in spec:
        keys += eq.atoms(atom, team, [month - pd.DateOffset(months=spec["minus_lag"])], -1.0)
    return keys


def metric_equations(eq: Equations, shown: pd.DataFrame, exact: pd.DataFrame, catalog: pd.DataFrame) -> None:
    specs = {m: json.loads(p) for m, p in zip(catalog["metric_id"], catalog["protect"], strict=True)}
    truth = exact.set_index(["team_id", "month", "metric_id"])
    for row in shown.itertuples(index=False):
        spec = specs[row.metric_id]
        true = truth.loc[(row.team_id, row.month, row.metric_id)]
        month = pd.Timestamp(row.month)
        for side in ("numerator", "denominator"):
            if side in spec and pd.notna(true[side]):
                eq.add(side_keys(eq, spec[side], row.metric_id, side, row.team_id, month), getattr(row, side),
                       true[side], f"{row.metric_id}.{side} {row.team_id} {month:%Y-%m}")
        if spec.get("complement") and pd.notna(true["denominator"]):
            keys = side_keys(eq, spec["denominator"], row.metric_id, "denominator", row.team_id, month)
            keys += [(k, -c) for k, c in side_keys(eq, spec["numerator"], row.metric_id, "numerator", row.team_id,
                                                   month)]
            published = row.denominator - row.numerator if pd.notna(row.value) else np.nan
            eq.add(keys, published, true["denominator"] - true["numerator"],
                   f"{row.metric_id}.complement {row.team_id} {month:%Y-%m}")


def unit_frames(snapshot: Snapshot, viewer: Viewer) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every unit subtotal the viewer sees, as shown and as true, in the shape of metric_values ("unit:" ids)."""
    exact = Viewer("analyst", viewer.teams, exact=True)
    months = sorted(set(snapshot._values["month"]))
    frames = []
    for who in (viewer, exact):
        parts = [snapshot.unit_month_values(who, m.date()).assign(month=m) for m in months]
        frame = pd.concat(parts, ignore_index=True)
        frames.append(frame.assign(team_id="unit:" + frame["unit"].astype(str)))
    return frames[0], frames[1]


def quality_equations(eq: Equations, shown: pd.DataFrame, exact: pd.DataFrame, stock: set[str]) -> None:
    truth = exact.set_index(["team_id", "month", "rule_id"])
    for row in shown.itertuples(index=False):
        month = pd.Timestamp(row.month)
        true = truth.loc[(row.team_id, row.month, row.rule_id)]
        checked = eq.atoms("elb_stock" if row.rule_id in stock else f"checked.{row.rule_id}", row.team_id, [month])
        failed = eq.atoms(f"failed.{row.rule_id}", row.team_id, [month])
        label = f"{row.rule_id} {row.team_id} {month:%Y-%m}"
        eq.add(checked, row.checked, true["checked"], f"checked {label}")
        eq.add(failed, row.failed, true["failed"], f"failed {label}")
        eq.add(checked + [(k, -c) for k, c in failed], row.checked - row.failed, true["checked"] - true["failed"],
               f"passed {label}")


def case_equations(eq: Equations, snapshot: Snapshot, viewer: Viewer, teams: list[str]) -> None:
    exact = Viewer("analyst", viewer.teams, exact=True)
    periods = [*snapshot.case_periods(), "all"]
    cohorts = snapshot._cases["case_cohorts"]
    months = sorted(pd.to_datetime(cohorts["cohort_month"]).unique())
    by_year: dict[str, list] = defaultdict(list)
    for m in months:
        by_year[str(pd.Timestamp(m).year)].append(pd.Timestamp(m))

    def period_months(p: str) -> list:
        return [pd.Timestamp(m) for m in months] if p == "all" else by_year[p]

    def years(p: str) -> list[str]:
        return sorted(by_year) if p == "all" else [p]

    shown = snapshot.case_cohorts(viewer, tuple(teams), None, max(months).date())
    true = snapshot.case_cohorts(exact, tuple(teams), None, max(months).date())
    for row, t in zip(shown.itertuples(index=False), true.itertuples(index=False), strict=True):
        if t.is_open:
            continue
        m = pd.Timestamp(row.cohort_month)
        cases = eq.atoms("first_contact_14d_rate.denominator", row.team_id, [m])
        reached = eq.atoms("first_contact_14d_rate.numerator" if row.step == "first_contact_14d"
                           else f"reached.{row.step}", row.team_id, [m])
        label = f"cohort {row.step} {row.team_id} {m:%Y-%m}"
        eq.add(cases, row.cases, t.cases, f"{label} cases")
        eq.add(reached, row.reached, t.reached, f"{label} reached")
        eq.add(cases + [(k, -c) for k, c in reached], row.cases - row.reached, t.cases - t.reached,
               f"{label} not reached")
    for period in periods:
        shown = snapshot.survival_summary(viewer, period)
        true = snapshot.survival_summary(exact, period).set_index("team_id")
        present = sorted(set(snapshot._cases["survival_summary"].query("period == @period")["team_id"]) - {ALL})
        for row in shown.itertuples(index=False):
            members = present if row.team_id == ALL else [row.team_id]  # no row: no cases
            cases = [(("first_contact_14d_rate.denominator", t, m), 1.0) for t in members
                     for m in period_months(period)]
            eq.add(cases, row.cases, true.loc[row.team_id, "cases"], f"survival cases {row.team_id} {period}")
            eq.add([(("survival_integrations", t, y), 1.0) for t in members for y in years(period)],
                   row.integrations, true.loc[row.team_id, "integrations"],
                   f"survival integrations {row.team_id} {period}")
        for team in teams:
            variants = snapshot.case_variants(viewer, team, period)
            everything = snapshot.case_variants(exact, team, period, limit=10**6)
            truth = dict(zip(everything["variant"], everything["cases"], strict=True))
            for row in variants.itertuples(index=False):
                if row.variant == "*":
                    continue  # "sonstige": the total less the rows shown, nothing new
                eq.add([(("variant", t, y, row.variant), 1.0) for t in eq.members(team) for y in years(period)],
                       row.cases, truth[row.variant], f"variant {team} {period} {row.variant_de}")
            links, _ = snapshot.case_transitions(viewer, team, period)
            all_links, _ = snapshot.case_transitions(exact, team, period)
            truth = {(r.step, r.from_stage, r.to_stage): r.cases for r in all_links.itertuples()}
            total = float(all_links.loc[all_links["step"] == 1, "cases"].sum())
            for row in links.itertuples(index=False):
                eq.add([(("link", t, y, row.step, row.from_stage, row.to_stage), 1.0) for t in eq.members(team)
                        for y in years(period)], row.cases, truth[(row.step, row.from_stage, row.to_stage)],
                       f"link {team} {period} {row.from_stage}->{row.to_stage} ({row.step})")
                if not pd.isna(row.share) and row.share > 0:  # share = cases / the case total: the total
                    eq.add([(("first_contact_14d_rate.denominator", t, m), 1.0) for t in eq.members(team)
                            for m in period_months(period)], round(100.0 * row.cases / row.share), total,
                           f"link share {team} {period}")
    # what everybody knows about cases: every case has one variant and one first step; a stage is left as
    # often as it is reached, except where a case ends
    variants = snapshot._cases["case_variants"]
    links = snapshot._cases["case_transitions"]
    for team in [t for t in teams if t != ALL]:
        for year in sorted(by_year):
            cases = [(k, -c) for k, c in eq.atoms("first_contact_14d_rate.denominator", team, by_year[year])]
            part = variants[(variants["team_id"] == team) & (variants["period"] == year)]
            eq.add([(("variant", team, year, v), 1.0) for v in part["variant"]] + cases, 0.0, 0.0, "identity")
            part = links[(links["team_id"] == team) & (links["period"] == year)]
            eq.add([(("link", team, year, r.step, r.from_stage, r.to_stage), 1.0)
                    for r in part.itertuples() if r.step == 1] + cases, 0.0, 0.0, "identity")
            for step in sorted(set(part["step"]) - {1}):
                for node in set(part.loc[part["step"] == step, "from_stage"]) - {"open", "exit"}:
                    ins = [(("link", team, year, r.step, r.from_stage, r.to_stage), 1.0) for r in part.itertuples()
                           if r.step == step - 1 and r.to_stage == node]
                    outs = [(("link", team, year, r.step, r.from_stage, r.to_stage), -1.0)
                            for r in part.itertuples() if r.step == step and r.from_stage == node]
                    eq.add(ins + outs, 0.0, 0.0, "identity")


def todo_equations(eq: Equations, snapshot: Snapshot, viewer: Viewer, teams: list[str], stock: set[str],
                   last: pd.Timestamp) -> None:
    exact = Viewer("analyst", viewer.teams, viewer.teams, exact=True)
    for team in teams:
        if team == ALL:
            continue
        shown, _ = snapshot.todo(viewer, team)
        true = dict(zip(*snapshot.todo(exact, team)[0][["rule_id", "findings"]].to_numpy().T, strict=True))
        for row in shown.itertuples(index=False):
            months = [last] if row.rule_id in stock else list(pd.date_range(last - pd.DateOffset(months=2), last,
                                                                             freq="MS"))
            eq.add(eq.atoms(f"failed.{row.rule_id}", team, months), row.findings, true.get(row.rule_id, 0.0),
                   f"to-do {row.rule_id} {team}")


# --- the solver ------------------------------------------------------------------------------------------------

def recovered(eq: Equations) -> list[str]:
    """Labels of hidden figures about 1 to K-1 persons that the visible equations determine.

    First by hand, as an analyst would: an equation with one unknown left gives it, and a sum of counts that
    leaves nothing over makes each of them 0 (repeated until nothing changes). Then whatever is left, block
    by block: a figure is determined when its form lies in the row space of the remaining equations (SVD).
    """
    visible = [(dict(f), v) for f, v, _, _ in eq.rows if pd.notna(v)]
    targets = [(f, label) for f, v, t, label in eq.rows
               if pd.isna(v) and 0 < abs(t) < K and (all(c > 0 for c in f.values()) or "complement" in label
                                                     or "passed" in label or "not reached" in label)]
    known: dict = {}
    changed = True
    while changed:  # one unknown left: solved; a sum of counts with nothing left over: each count is 0
        changed = False
        for form, value in visible:
            rest = [k for k in form if k not in known]
            if not rest:
                continue
            left = value - sum(c * known[k] for k, c in form.items() if k in known)
            if len(rest) == 1:
                known[rest[0]] = left / form[rest[0]]
                changed = True
            elif abs(left) < 1e-9 and all(form[k] > 0 for k in rest):
                known.update(dict.fromkeys(rest, 0.0))
                changed = True
    reduced = [{k: c for k, c in f.items() if k not in known} for f, _ in visible]
    reduced = [f for f in reduced if len(f) >= 2]
    parent: dict = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for form in reduced:
        first = next(iter(form))
        for key in form:
            parent[find(key)] = find(first)
    blocks: dict = defaultdict(list)
    for form in reduced:
        blocks[find(next(iter(form)))].append(form)
    bases: dict = {}
    out = []
    for form, label in targets:
        rest = {k: c for k, c in form.items() if k not in known}
        if any(k not in parent for k in rest):
            continue  # a count no remaining equation mentions
        determined = True
        for root in {find(k) for k in rest}:
            if root not in bases:
                cols = sorted({k for f in blocks[root] for k in f}, key=str)
                index = {k: j for j, k in enumerate(cols)}
                matrix = np.zeros((len(blocks[root]), len(cols)))
                for i, f in enumerate(blocks[root]):
                    for k, c in f.items():
                        matrix[i, index[k]] = c
                _, s, vt = np.linalg.svd(matrix, full_matrices=False)
                bases[root] = (index, vt[s > 1e-9 * max(1.0, s.max())])
            index, basis = bases[root]
            t = np.zeros(len(index))
            for k, c in rest.items():
                if find(k) == root:
                    t[index[k]] = c
            if np.linalg.norm(t - basis.T @ (basis @ t)) > 1e-6 * max(1.0, np.linalg.norm(t)):
                determined = False
                break
        if determined:
            out.append(label)
    return out


def published_equations(snapshot: Snapshot, viewer: Viewer, teams: list[str], fixlist_team: str | None = None
                        ) -> Equations:
    every = sorted(every_team(snapshot))
    eq = Equations(every, snapshot._team_units.groupby("unit")["team_id"].agg(list).to_dict())
    exact_viewer = Viewer("analyst", frozenset(every), exact=True)
    shown = snapshot.all_metric_values(viewer)
    shown = shown[shown["team_id"].isin(teams) & (shown["metric_id"] != "dq_score")]
    metric_equations(eq, shown, snapshot.all_metric_values(exact_viewer), snapshot.catalog)
    metric_equations(eq, *unit_frames(snapshot, viewer), snapshot.catalog)
    rules = snapshot.dq_rules()
    stock = set(rules.loc[rules["population"] == "stock", "rule_id"])
    quality = snapshot.dq_results(viewer)
    quality_equations(eq, quality[quality["team_id"].isin(teams)], snapshot.dq_results(exact_viewer), stock)
    case_equations(eq, snapshot, viewer, teams)
    last = max(pd.to_datetime(snapshot._dq["month"]))
    todo_equations(eq, snapshot, viewer, teams, stock, last)
    if fixlist_team:  # the team's own fix list: its findings, exactly
        findings = snapshot.fix_list(viewer, fixlist_team)
        counts = findings.groupby(["rule_id", "month"]).size()
        exact = snapshot.dq_results(exact_viewer).set_index(["team_id", "month", "rule_id"])["failed"]
        for (rule, month), n in counts.items():
            m = pd.Timestamp(month)
            eq.add(eq.atoms(f"failed.{rule}", fixlist_team, [m]), float(n), exact[(fixlist_team, m, rule)],
                   f"fix list {rule} {fixlist_team} {m:%Y-%m}")
    return eq


def primary_only(protection: Protection) -> Protection:
    """The old pattern: every small figure hidden on its own, nothing hidden to protect it."""
    keep = protection.primary
    pick = {kind: {key for key in getattr(protection, attr) if (kind, *key) in keep} for kind, attr in (
        ("metric", "metric_values"), ("dq", "dq_results"), ("dq_score", "dq_score"), ("goal", "goal_status"),
        ("cohort", "case_cohorts"), ("survival", "survival_summary"), ("survival_int", "survival_integrations"),
        ("variant", "case_variants"),
        ("link", "case_transitions"), ("unit", "unit_values"))}
    from pipelines.protection import _protection

    return _protection(pick, keep, protection.cells, 0)


# --- the tests -------------------------------------------------------------------------------------------------

def test_manager_recovers_nothing(con) -> None:
    snapshot = Snapshot(con.cursor, K)
    teams = every_team(snapshot)
    viewer = Viewer("manager", teams)
    eq = published_equations(snapshot, viewer, sorted(teams) + [ALL])
    hidden = sum(1 for _, v, t, _ in eq.rows if pd.isna(v) and 0 < abs(t) < K)
    assert hidden > 1000  # a job center with many small cells
    assert recovered(eq) == []


def test_team_member_with_its_fix_list_recovers_nothing(con) -> None:
    snapshot = Snapshot(con.cursor, K)
    viewer = Viewer("team", frozenset({"T08"}), frozenset({"T08"}))
    eq = published_equations(snapshot, viewer, ["T08", ALL], fixlist_team="T08")
    assert recovered(eq) == []


def test_the_attacker_recovers_small_figures_from_the_primary_only_pattern(con) -> None:
    snapshot = Snapshot(con.cursor, K)
    snapshot.__dict__["protection"] = primary_only(snapshot.protection)  # cached_property
    teams = every_team(snapshot)
    found = recovered(published_equations(snapshot, Viewer("manager", teams), sorted(teams) + [ALL]))
    kinds = {label.split(" ")[0].split(".")[0] for label in found}
    assert len(found) > 100
    assert {"integrations", "ltb_stock"} <= kinds  # from running sums and year-on-year figures, as in issue 14


def test_unit_subtotals_give_hidden_teams_back_unless_they_have_cells_of_their_own(con) -> None:
    """Without cells of their own (each subtotal shown unless it is small itself), a unit's subtotal less its
    shown teams gives a hidden team back; with them, nothing comes back (test_manager_recovers_nothing)."""
    snapshot = Snapshot(con.cursor, K)
    teams = every_team(snapshot)
    manager = Viewer("manager", teams)
    shown, _ = unit_frames(snapshot, manager)
    assert shown["value"].notna().sum() > 500 and shown["suppressed"].sum() > 100  # subtotals shown and hidden
    protected = snapshot.protection
    small = {key for key in protected.unit_values if ("unit", *key) in protected.primary}
    snapshot.__dict__["protection"] = replace(protected, unit_values=small)  # cached_property
    found = recovered(published_equations(snapshot, manager, sorted(teams) + [ALL]))
    assert len(found) > 10
    assert any(label.split(" ")[1] in teams for label in found)  # a team's own figure, by differencing


def test_default_exports_are_the_read_side(db: Path, con, tmp_path: Path) -> None:
    snapshot = Snapshot(con.cursor, K)
    teams = every_team(snapshot)
    manager = Viewer("manager", teams)
    for what, frame in (("metrics", snapshot.all_metric_values(manager)), ("units", snapshot.all_unit_values(manager)),
                        ("dq", snapshot.dq_results(manager))):
        out = tmp_path / f"{what}.csv"
        subprocess.run([STEERING, "export", what, "--db", str(db), "--out", str(out)], check=True,
                       capture_output=True)
        exported = pd.read_csv(out)
        value = "failed" if what == "dq" else "value"
        assert exported[value].isna().sum() == frame[value].isna().sum() > 0
