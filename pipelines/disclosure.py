"""Cell suppression over linked tables: which published cells to hide so that no small figure can be worked out.

The method (docs/datenschutz.md, "Kleine Fallzahlen"): every published figure is a
*linear form* over unknown counts (the "variables": integrations of a team in a
month, its stock at a month end, the cases of a variant, ...). A 12-month sum is the
sum of twelve monthly variables, the job center's figure the sum of its teams', a
rate publishes its numerator and its denominator. What an attacker can learn from
the visible cells is exactly the row space of their forms (plus identities everybody
knows, such as "every case starts with one first step"). So:

1. **Primary suppression**: a cell is hidden when one of its forms counts 1 to k−1
   persons, or when a rate's complement does (denominator minus numerator, when
   the numerator's persons are part of the denominator's).
2. **Audit**: a hidden small figure ("target") must not lie in the row space of
   the visible forms. Checked in two steps: first *peeling* (a visible form with
   one unknown variable determines it; repeated until nothing changes, which is
   how sums, differences of running sums and chains are solved by hand), then
   exact linear algebra (SVD) on what is left, component by component.
3. **Remainders**: the part of a visible sum that is hidden (a total minus its
   visible parts) must be 0 or at least k as well, else it is itself a small
   figure about the hidden cells together.
4. **Complementary (secondary) suppression**: for each violation, one more cell
   is hidden -- the cheapest among those the derivation used (fewest persons,
   detailed cells before totals and running sums) -- and the audit runs again
   until it finds nothing. This is the audit-and-repair scheme of statistical
   offices' cell suppression, with a greedy choice instead of an optimisation.

The engine knows nothing about metrics; ``pipelines/protection.py`` builds the
problem from the output tables.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

import numpy as np

Form = dict[int, float]  # variable index -> coefficient
TOL = 1e-6


def svd(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Thin SVD of a component's forms. NumPy's divide-and-conquer driver (gesdd) is fast but can fail to
    converge on large, badly conditioned matrices (it stopped a 12,000-person demo load once in several
    runs, under multithreaded BLAS); the slower QR-iteration driver (gesvd) then gives the same factors."""
    try:
        return np.linalg.svd(matrix, full_matrices=False)
    except np.linalg.LinAlgError:
        return svd_robust(matrix)


def svd_robust(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The fallback of ``svd``: LAPACK's gesvd through SciPy."""
    import scipy.linalg

    return scipy.linalg.svd(matrix, full_matrices=False, lapack_driver="gesvd")


@dataclass
class Cell:
    """One published unit (a table row, a chart point): shown or hidden as a whole."""

    key: Hashable
    forms: list[tuple[Form, float]]
    cost: float
    complements: list[tuple[Form, float]] = field(default_factory=list)
    always_hidden_targets: list[Form] = field(default_factory=list)  # sensitive whatever their size


@dataclass
class Result:
    hidden: np.ndarray  # bool per cell
    primary: np.ndarray  # bool per cell
    rounds: int


class Problem:
    """Variables, cells and identities of one snapshot."""

    def __init__(self) -> None:
        self.variables: dict[Hashable, int] = {}
        self.cells: list[Cell] = []
        self.identities: list[tuple[Form, float]] = []
        self.extra_primary: set[int] = set()
        self.index: list[int] = []  # in a subproblem: the cells' positions in the whole problem

    def var(self, key: Hashable) -> int:
        index = self.variables.get(key)
        if index is None:
            index = self.variables[key] = len(self.variables)
        return index

    def form(self, keys: Iterable[tuple[Hashable, float]]) -> Form:
        out: Form = defaultdict(float)
        for key, coef in keys:
            out[self.var(key)] += coef
        return {v: c for v, c in out.items() if abs(c) > TOL}

    def add(self, cell: Cell, primary: bool = False) -> int:
        self.cells.append(cell)
        if primary:
            self.extra_primary.add(len(self.cells) - 1)
        return len(self.cells) - 1

    def identity(self, form: Form, value: float = 0.0) -> None:
        if form:
            self.identities.append((form, value))


def small(value: float | None, k: int) -> bool:
    """A count of 1 to k-1 (NaN: a figure that is not a count, such as a share)."""
    return value is not None and bool(np.isfinite(value)) and TOL < abs(value) < k - TOL


def counts(form: Form) -> bool:
    """A sum of counts (every coefficient positive): a figure about persons. A difference, such as the change
    of a stock against the year before, is not, whatever its size (complements are declared as such)."""
    return bool(form) and all(c > 0 for c in form.values())


def _sensitive(cell: Cell, k: int) -> list[tuple[Form, float]]:
    return [(f, v) for f, v in cell.forms if counts(f) and small(v, k)] + [
        (f, v) for f, v in cell.complements if small(v, k)]


def primary_mask(problem: Problem, k: int) -> np.ndarray:
    mask = np.zeros(len(problem.cells), bool)
    for i, cell in enumerate(problem.cells):
        mask[i] = i in problem.extra_primary or bool(_sensitive(cell, k))
    return mask


@dataclass
class _Target:
    form: Form
    value: float | None  # None: sensitive whatever its size
    cell: int


def _targets(problem: Problem, hidden: np.ndarray, k: int, cells: Iterable[int] | None = None) -> list[_Target]:
    """The small figures of the hidden cells (of ``cells`` only, if given)."""
    out = []
    for i in np.flatnonzero(hidden) if cells is None else sorted(cells):
        cell = problem.cells[i]
        out += [_Target(f, v, i) for f, v in _sensitive(cell, k)]
        out += [_Target(f, None, i) for f in cell.always_hidden_targets]
    return out


class _Audit:
    """What the visible cells determine: peeling, then linear algebra per component."""

    def __init__(self, problem: Problem, hidden: np.ndarray, cache: dict | None = None,
                 keep: set[int] | None = None) -> None:
        self.problem = problem
        self.keep = keep or set()  # variables of the targets: never pruned
        self.cache = {} if cache is None else cache  # component content -> SVD, kept across rounds
        self.rows: list[tuple[Form, float, int]] = []  # form, value, cell (-1: identity)
        self.row_ids: list[tuple[int, int]] = []  # stable id of each row: (cell or -1-identity, form position)
        for i, cell in enumerate(problem.cells):
            if not hidden[i]:
                for j, (f, v) in enumerate(cell.forms):
                    if f:
                        self.rows.append((f, v, i))
                        self.row_ids.append((i, j))
        for j, (f, v) in enumerate(problem.identities):
            self.rows.append((f, v, -1))
            self.row_ids.append((-1, j))
        self.known: dict[int, float] = {}
        self.source: dict[int, int] = {}  # variable -> row that determined it
        self._peel()
        self._components()

    def _peel(self) -> None:
        """Solve what can be solved by hand: a row with one unknown left gives it; a sum of counts (every
        coefficient positive) whose unknown part is 0 makes each of those counts 0 (counts are never negative).
        Repeated until nothing changes. Each row keeps its number of unknowns and the sum of its known part."""
        by_var: dict[int, list[int]] = defaultdict(list)
        for r, (form, _, _) in enumerate(self.rows):
            for v in form:
                by_var[v].append(r)
        unknown = [len(form) for form, _, _ in self.rows]
        known_part = [0.0] * len(self.rows)
        positive = [all(c > 0 for c in form.values()) for form, _, _ in self.rows]
        known = self.known

        def learn(var: int, value: float, r: int, queue: list[int]) -> None:
            known[var] = value
            self.source[var] = r
            for other in by_var[var]:
                unknown[other] -= 1
                known_part[other] += self.rows[other][0][var] * value
                queue.append(other)

        queue = list(range(len(self.rows)))
        while queue:
            r = queue.pop()
            if unknown[r] == 0:
                continue
            form, value, _ = self.rows[r]
            remainder = value - known_part[r]
            if unknown[r] == 1:  # (a share's value is NaN: it is still determined, its size does not matter)
                var = next(v for v in form if v not in known)
                learn(var, remainder / form[var], r, queue)
            elif positive[r] and np.isfinite(remainder) and abs(remainder) < TOL:
                for v in [v for v in form if v not in known]:
                    learn(v, 0.0, r, queue)

    def reduce(self, form: Form, value: float | None) -> tuple[Form, float | None]:
        rest = {v: c for v, c in form.items() if v not in self.known}
        if value is None:
            return rest, None
        return rest, value - sum(c * self.known[v] for v, c in form.items() if v in self.known)

    def _prune(self, rows: list[tuple[Form, float, int]]) -> list[tuple[Form, float, int]]:
        """Drop rows holding a variable no other row and no target holds, repeatedly: such a row cannot help
        to determine anything else (its private variable absorbs it), and leaving it out keeps the linear
        algebra small (unpublished variants, hidden links)."""
        count: dict[int, int] = defaultdict(int)
        where: dict[int, list[int]] = defaultdict(list)
        for i, (rest, _, _) in enumerate(rows):
            for v in rest:
                count[v] += 1
                where[v].append(i)
        alive = [True] * len(rows)
        queue = [v for v, n in count.items() if n == 1 and v not in self.keep]
        while queue:
            v = queue.pop()
            live = [i for i in where[v] if alive[i]]
            if len(live) != 1 or v in self.keep:
                continue
            alive[live[0]] = False
            for other in rows[live[0]][0]:
                count[other] -= 1
                if count[other] == 1 and other not in self.keep:
                    queue.append(other)
        return [row for row, ok in zip(rows, alive, strict=True) if ok]

    def _components(self) -> None:
        parent: dict[int, int] = {}

        def find(x: int) -> int:
            parent.setdefault(x, x)
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        self.remainders: list[tuple[Form, float, int]] = []  # every visible row still holding unknowns
        for r, (form, value, _) in enumerate(self.rows):
            rest, rest_value = self.reduce(form, value)
            if len(rest) >= 2:
                self.remainders.append((rest, rest_value, r))
        self.reduced = self._prune(self.remainders)
        for rest, _, _ in self.reduced:
            first = next(iter(rest))
            for v in rest:
                parent[find(v)] = find(first)
        self.component_of = {v: find(v) for v in parent}
        self.by_component: dict[int, list[int]] = defaultdict(list)
        for i, (rest, _, _) in enumerate(self.reduced):
            self.by_component[self.component_of[next(iter(rest))]].append(i)
        self._basis: dict[int, tuple[list[int], np.ndarray, np.ndarray]] = {}

    def _component_matrix(self, comp: int) -> tuple[dict[int, int], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Column index, SVD factors (U, s, Vt, rank-trimmed) of one component's reduced forms."""
        if comp not in self._basis:
            rows = self.by_component[comp]
            signature = tuple((self.row_ids[self.reduced[i][2]], tuple(sorted(self.reduced[i][0].items())))
                              for i in rows)
            if signature not in self.cache:
                cols = sorted({v for i in rows for v in self.reduced[i][0]})
                index = {v: j for j, v in enumerate(cols)}
                matrix = np.zeros((len(rows), len(cols)))
                for a, i in enumerate(rows):
                    for v, c in self.reduced[i][0].items():
                        matrix[a, index[v]] = c
                u, s, vt = svd(matrix)
                keep = s > TOL * max(1.0, s.max() if s.size else 1.0)
                self.cache[signature] = (index, u[:, keep], s[keep], vt[keep])
            self._basis[comp] = self.cache[signature]
        return self._basis[comp]

    def determined(self, forms: list[Form]) -> list[list[int] | None]:
        """For each form: the rows (of ``self.rows``) that determine it, or None if the visible cells do not.

        A form whose unknown variables fall into several components is determined when each component
        determines its part (the row space is the direct sum of the components' row spaces).
        """
        out: list[list[int] | None] = [None] * len(forms)
        pending: dict[int, int] = {}  # form -> parts still to check
        by_comp: dict[int, list[tuple[int, Form]]] = defaultdict(list)
        known, source = self.known, self.source
        for i, form in enumerate(forms):
            rest = {v: c for v, c in form.items() if v not in known}
            if not rest:
                out[i] = sorted({source[v] for v in form if v in source})
                continue
            parts: dict[int, Form] = defaultdict(dict)
            for v, c in rest.items():
                comp = self.component_of.get(v)
                if comp is None:  # a variable no visible form pins down
                    parts = {}
                    break
                parts[comp][v] = c
            if not parts:
                continue
            pending[i] = len(parts)
            for comp, part in parts.items():
                by_comp[comp].append((i, part))
        failed: set[int] = set()
        used: dict[int, set[int]] = {}
        for comp, items in by_comp.items():
            items = [(i, part) for i, part in items if i not in failed]
            if not items:
                continue
            index, u, s, vt = self._component_matrix(comp)
            targets = np.zeros((len(items), len(index)))
            for a, (_, part) in enumerate(items):
                for v, c in part.items():
                    targets[a, index[v]] = c
            projected = targets @ vt.T
            residual = np.linalg.norm(targets - projected @ vt, axis=1)
            scale = np.maximum(1.0, np.linalg.norm(targets, axis=1))
            rows = self.by_component[comp]
            for a, (i, _) in enumerate(items):
                if residual[a] > 1e-6 * scale[a]:
                    failed.add(i)
                    continue
                coef = u @ (projected[a] / s)  # the min-norm combination of the component's rows giving the part
                used[i] = used.get(i, set()) | {self.reduced[rows[j]][2] for j in np.flatnonzero(np.abs(coef) > 1e-7)}
        for i in pending:
            if i in failed:
                continue
            peeled = {source[v] for v in forms[i] if v in source}
            out[i] = sorted(peeled | used.get(i, set()))
        return out


def _unit_cells(problem: Problem, hidden: np.ndarray) -> dict[int, list[int]]:
    """Variable -> the visible cells that publish it on its own (a one-variable form)."""
    out: dict[int, list[int]] = defaultdict(list)
    for i, cell in enumerate(problem.cells):
        if not hidden[i]:
            for form, _ in cell.forms:
                if len(form) == 1:
                    out[next(iter(form))].append(i)
    return out


def _cheapest(problem: Problem, audit: _Audit, rows: Iterable[int], hidden: np.ndarray,
              units: dict[int, list[int]], var_cost: dict[int, float], exclude: set[int]) -> list[int]:
    """The cells to hide to break a derivation: one visible cell it used, or every visible cell publishing one of
    the variables it used on its own (whichever costs least). Looks further back along the peeling (the rows that
    determined the variables used) until it finds something to hide."""
    seen: set[int] = set()
    frontier = list(rows)
    for _ in range(6):
        best: tuple[float, list[int]] | None = None
        following: list[int] = []
        for r in frontier:
            if r in seen:
                continue
            seen.add(r)
            form, _, cell = audit.rows[r]
            # a row with one variable publishes that variable, as other cells may too: hiding the cell alone
            # would only move the derivation to the next one, so such a row is broken at its variable (below)
            if cell >= 0 and len(form) > 1 and not hidden[cell] and cell not in exclude:
                option = (problem.cells[cell].cost, [cell])
                best = option if best is None or option < best else best
            for v in form:
                cells = units.get(v)
                if cells:
                    cost = var_cost[v]
                    if (best is None or cost < best[0]) and not exclude.intersection(cells):
                        best = (cost, cells)
                if v in audit.source:
                    following.append(audit.source[v])
        if best is not None:
            return best[1]
        frontier = following
    return []


def _independent(problem: Problem) -> list[Problem]:
    """Split into subproblems that share no variable: each converges on its own, and a round of one does not
    recompute the others."""
    parent = list(range(len(problem.variables)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def join(form: Form) -> None:
        first = next(iter(form), None)
        for v in form:
            parent[find(v)] = find(first)

    for cell in problem.cells:
        for form in [f for f, _ in cell.forms] + [f for f, _ in cell.complements] + cell.always_hidden_targets:
            join(form)
        joined = [next(iter(f)) for f, _ in cell.forms if f]
        for a, b in zip(joined, joined[1:], strict=False):
            parent[find(a)] = find(b)
    for form, _ in problem.identities:
        join(form)
    groups: dict[int, Problem] = {}
    for i, cell in enumerate(problem.cells):
        anchor = next((v for f, _ in cell.forms for v in f), None)
        sub = groups.setdefault(-1 if anchor is None else find(anchor), Problem())
        sub.variables = problem.variables
        sub.cells.append(cell)
        sub.index.append(i)
        if i in problem.extra_primary:
            sub.extra_primary.add(len(sub.cells) - 1)
    for form, value in problem.identities:
        anchor = find(next(iter(form)))
        if anchor in groups:
            groups[anchor].identities.append((form, value))
    return list(groups.values())


def protect(problem: Problem, k: int, max_rounds: int = 500, debug: bool = False) -> Result:
    """Primary suppression, then audit and complementary suppression until nothing small can be worked out."""
    hidden = np.zeros(len(problem.cells), bool)
    primary = np.zeros(len(problem.cells), bool)
    rounds = 0
    for sub in _independent(problem):
        result = _protect_one(sub, k, max_rounds, debug)
        hidden[sub.index] = result.hidden
        primary[sub.index] = result.primary
        rounds = max(rounds, result.rounds)
    return Result(hidden=hidden, primary=primary, rounds=rounds)


def _protect_one(problem: Problem, k: int, max_rounds: int, debug: bool) -> Result:
    primary = primary_mask(problem, k)
    hidden = primary.copy()
    rounds = 0
    cache: dict = {}
    fresh = set(np.flatnonzero(hidden).tolist())  # cells hidden since the last round
    again: set[tuple] = set()  # targets the last round found determined
    while rounds < max_rounds:
        rounds += 1
        # Hiding only takes knowledge away: a target the visible cells did not determine stays undetermined, so
        # a round checks the targets of newly hidden cells and those it had to repair, not all of them again.
        targets = [t for t in _targets(problem, hidden, k, fresh | {cell for cell, _ in again})
                   if t.cell in fresh or (t.cell, id(t.form)) in again]
        audit = _Audit(problem, hidden, cache, {v for t in targets for v in t.form})
        units = _unit_cells(problem, hidden)
        var_cost = {v: sum(problem.cells[c].cost for c in cells) for v, cells in units.items()}
        to_hide: set[int] = set()
        again = set()
        for target, rows in zip(targets, audit.determined([t.form for t in targets]), strict=True):
            if rows is not None:
                again.add((target.cell, id(target.form)))
                to_hide.update(_cheapest(problem, audit, rows, hidden, units, var_cost, to_hide))
        for rest, value, r in audit.remainders:  # remainders of visible sums
            if small(value, k) and (all(c > 0 for c in rest.values()) or all(c < 0 for c in rest.values())):
                to_hide.update(_cheapest(problem, audit, [r], hidden, units, var_cost, to_hide))
        if not to_hide:
            break
        if debug:
            from collections import Counter
            print(rounds, len(to_hide), Counter(problem.cells[c].key[0] for c in to_hide))
        hidden[sorted(to_hide)] = True
        fresh = to_hide
    return Result(hidden=hidden, primary=primary, rounds=rounds)
