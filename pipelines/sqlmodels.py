"""Discover the SQL models under ``sql/`` and run them in dependency order.

SQL is data, Python is plumbing: every staging table, core table, metric and
quality rule is one ``.sql`` file whose metadata sits in a YAML block at the top
of the same file::

    /* ---
    kind: table              # table | metric | rule
    name: core.person_month  # tables only: schema.name of the table it builds
    depends_on: [core.calendar]
    grain: [person_id, month]
    --- */
    with ... select * from final

* ``kind: table`` builds ``CREATE OR REPLACE TABLE <name> AS <body>``.
* ``kind: metric`` returns rows ``(team_id, month, metric_id, value, numerator,
  denominator)`` that are appended to ``metric_values``; its ``metrics:`` list
  carries the fact sheet of each metric id it produces and how the metric is
  presented, targeted and protected (-> ``metric_catalog``; the keys are
  ``METRIC_KEYS`` below, described in docs/metrics-decisions.md).
* ``kind: rule`` returns the rule's *population*, one row per checked record,
  with ``(table_name, record_id, person_id, team_id, month, failed)``; the
  failing rows become ``dq_findings`` and the counts ``dq_results``; its header
  (``population``, ``fields``, labels) becomes ``dq_rules``.

Keeping the metadata in the file means the catalogues are generated from the
SQL, never typed twice, and a new metric or rule is a new file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import yaml

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
LAYERS = ("staging", "core", "metrics", "rules", "marts")
_HEADER = re.compile(r"\A\s*/\*\s*---\s*\n(?P<meta>.*?)\n\s*---\s*\*/", re.DOTALL)


class SqlModelError(ValueError):
    """A SQL file whose header or dependencies are inconsistent."""


UNITS = ("count", "percent", "per_100", "score")
DIRECTIONS = ("higher_better", "lower_better", "neutral")
GOAL_KINDS = ("cumulative", "progress", "average", "level")
PROTECTED_BY = ("count", "denominator", "none")
POPULATIONS = ("stock", "events")
# Keys of one entry of a metric file's ``metrics:`` list -> what its value must be. Every key is
# required except the three goal keys with a default (``_metric_sheet``).
METRIC_KEYS: dict[str, tuple[str, ...] | type] = {
    "id": str,
    "label_de": str,
    "label_en": str,
    "unit": UNITS,
    "direction": DIRECTIONS,
    "definition_de": str,
    "theme_de": str,           # the Team page's theme
    "display_order": int,      # order within the theme and in every list; unique over all metrics
    "key_figure": bool,        # a tile on the Überblick, a row of the review's "Unsere Kennzahlen"
    "team_table": bool,        # a column of the Überblick's team table
    "goal_kind": GOAL_KINDS,   # how a target is tracked (sql/marts/goal_kind.sql)
    "goal_capable": bool,      # default: goal_kind cumulative or direction not neutral
    "tracked_metric_id": str,  # default: the metric itself
    "signed": bool,            # default: false (values never below 0)
    "protected_by": PROTECTED_BY,  # the persons behind a figure in small-cell suppression
    "protect": dict,           # which counts numerator and denominator sum up (pipelines/protection.py)
    "ready_after": str,        # when month M's value can exist: "14d" = d(M) + 14 days, "3m" = end of M + 3 months
    "count_noun_de": str,      # what a count counts, for whole sentences ("26 Personen, 2 weniger als …")
    "stands_in_for": str,      # a quarter sum: the monthly count it stands in for on the Team page
}
OPTIONAL_TEXT = {"count_noun_de", "stands_in_for"}  # may stay empty (only a count needs a noun)
PROTECT_SIDE_KEYS = {"atom": str, "window": int, "lag": int, "since": ("january", "december"), "minus_lag": int,
                     "mean": bool}


@dataclass(frozen=True)
class SqlModel:
    """One SQL file with its parsed metadata."""

    path: Path
    layer: str
    kind: str
    name: str
    body: str
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def depends_on(self) -> list[str]:
        return list(self.meta.get("depends_on", []))

    @property
    def grain(self) -> list[str]:
        return list(self.meta.get("grain", []))


def parse_file(path: Path, layer: str) -> SqlModel:
    """Split a SQL file into its YAML header and its body."""
    text = path.read_text(encoding="utf-8")
    match = _HEADER.match(text)
    if not match:
        raise SqlModelError(f"{path}: missing '/* --- ... --- */' metadata header")
    meta = yaml.safe_load(match.group("meta")) or {}
    body = text[match.end():].strip().rstrip(";").strip()
    kind = meta.get("kind")
    if kind not in {"table", "metric", "rule"}:
        raise SqlModelError(f"{path}: kind must be table, metric or rule, not {kind!r}")
    if kind == "table":
        name = meta.get("name")
        if not name or "." not in name:
            raise SqlModelError(f"{path}: a table needs 'name: schema.table'")
    elif kind == "metric":
        if not meta.get("metrics") or not isinstance(meta["metrics"], list):
            raise SqlModelError(f"{path}: a metric file needs a 'metrics:' list")
        meta["metrics"] = [_metric_sheet(path, sheet) for sheet in meta["metrics"]]
        name = f"metric.{path.stem}"
    else:
        if not meta.get("rule_id"):
            raise SqlModelError(f"{path}: a rule file needs 'rule_id'")
        if meta.get("population") not in POPULATIONS:
            raise SqlModelError(f"{path}: 'population' must be one of {', '.join(POPULATIONS)},"
                                f" not {meta.get('population')!r}")
        fields = meta.get("fields") or []
        if not isinstance(fields, list) or not all(isinstance(f, str) and f for f in fields):
            raise SqlModelError(f"{path}: 'fields' must be a list of column names, not {fields!r}")
        meta["fields"] = fields
        name = f"rule.{meta['rule_id']}"
    return SqlModel(path=path, layer=layer, kind=kind, name=name, body=body, meta=meta)


def _metric_sheet(path: Path, sheet: object) -> dict[str, Any]:
    """One entry of a ``metrics:`` list, checked, with the defaults of the optional goal keys filled in."""
    if not isinstance(sheet, dict):
        raise SqlModelError(f"{path}: each entry of 'metrics:' must be a mapping, not {sheet!r}")
    where = f"{path}: metric {sheet.get('id')!r}"
    unknown = sorted(set(sheet) - set(METRIC_KEYS))
    if unknown:
        raise SqlModelError(f"{where}: unknown key(s) {', '.join(unknown)}; expected {', '.join(METRIC_KEYS)}")
    sheet = dict(sheet)
    sheet.setdefault("tracked_metric_id", sheet.get("id"))
    sheet.setdefault("signed", False)
    sheet.setdefault("ready_after", "0d")
    sheet.setdefault("count_noun_de", "")
    sheet.setdefault("stands_in_for", "")
    if not re.fullmatch(r"\d{1,3}[dm]", str(sheet["ready_after"])):
        raise SqlModelError(f"{where}: 'ready_after' must be a number of days or months like 14d or 3m, "
                            f"not {sheet['ready_after']!r}")
    if "goal_capable" not in sheet and sheet.get("goal_kind") in GOAL_KINDS and sheet.get("direction") in DIRECTIONS:
        sheet["goal_capable"] = sheet["goal_kind"] == "cumulative" or sheet["direction"] != "neutral"
    for key, expected in METRIC_KEYS.items():
        if key not in sheet:
            raise SqlModelError(f"{where}: the key '{key}' is missing")
        value = sheet[key]
        if isinstance(expected, tuple):
            ok, wanted = value in expected, "one of " + ", ".join(expected)
        elif expected is bool:
            ok, wanted = isinstance(value, bool), "true or false"
        elif expected is dict:
            ok, wanted = isinstance(value, dict), "a mapping"
        elif expected is int:
            ok, wanted = isinstance(value, int) and not isinstance(value, bool) and value > 0, "a positive integer"
        else:
            ok, wanted = isinstance(value, str) and (bool(value.strip()) or key in OPTIONAL_TEXT), "a non-empty text"
        if not ok:
            raise SqlModelError(f"{where}: '{key}' must be {wanted}, not {value!r}")
    if sheet["protected_by"] == "count" and sheet["unit"] != "count":
        raise SqlModelError(f"{where}: 'protected_by: count' needs 'unit: count' (the value itself counts persons)")
    if sheet["protected_by"] == "denominator" and sheet["unit"] == "count":
        raise SqlModelError(f"{where}: a count has no denominator; use 'protected_by: count'")
    if sheet["unit"] == "count" and not sheet["count_noun_de"].strip():
        raise SqlModelError(f"{where}: a count needs 'count_noun_de' (what it counts, e.g. Personen)")
    _check_protect(where, sheet["protect"])
    sheet["definition_de"] = sheet["definition_de"].strip()
    return sheet


def _check_protect(where: str, protect: dict) -> None:
    """``protect: {numerator: {atom, window, lag, since, minus_lag, mean}, denominator: {...}, complement}``."""
    unknown = sorted(set(protect) - {"numerator", "denominator", "complement"})
    if unknown:
        raise SqlModelError(f"{where}: 'protect' has unknown key(s) {', '.join(unknown)}")
    if not isinstance(protect.get("complement", False), bool):
        raise SqlModelError(f"{where}: 'protect.complement' must be true or false")
    for side in ("numerator", "denominator"):
        spec = protect.get(side)
        if spec is None:
            continue
        if not isinstance(spec, dict) or not isinstance(spec.get("atom"), str):
            raise SqlModelError(f"{where}: 'protect.{side}' needs an 'atom' (a count such as integrations, or own)")
        for key, value in spec.items():
            expected = PROTECT_SIDE_KEYS.get(key)
            ok = (expected is not None and (value in expected if isinstance(expected, tuple)
                                            else isinstance(value, expected) and not (
                                                expected is int and (isinstance(value, bool) or value < 0))))
            if not ok:
                raise SqlModelError(f"{where}: 'protect.{side}.{key}: {value!r}' is not valid;"
                                    f" keys are {', '.join(PROTECT_SIDE_KEYS)}")


def discover(sql_dir: Path = SQL_DIR, layers: tuple[str, ...] = LAYERS) -> list[SqlModel]:
    """All models of the given layers, in an order that respects ``depends_on``."""
    models: list[SqlModel] = []
    for layer in layers:
        folder = sql_dir / layer
        if folder.is_dir():
            models += [parse_file(p, layer) for p in sorted(folder.glob("*.sql"))]
    return _toposort(models)


def _toposort(models: list[SqlModel]) -> list[SqlModel]:
    by_name = {m.name: m for m in models}
    if len(by_name) != len(models):
        raise SqlModelError("two SQL files build the same table")
    ordered: list[SqlModel] = []
    state: dict[str, str] = {}

    def visit(model: SqlModel, trail: tuple[str, ...]) -> None:
        if state.get(model.name) == "done":
            return
        if state.get(model.name) == "visiting":
            raise SqlModelError("dependency cycle: " + " -> ".join(trail + (model.name,)))
        state[model.name] = "visiting"
        for dep in model.depends_on:
            if dep in by_name:
                visit(by_name[dep], trail + (model.name,))
        state[model.name] = "done"
        ordered.append(model)

    for model in models:
        visit(model, ())
    return ordered


def build_table(con: duckdb.DuckDBPyConnection, model: SqlModel) -> None:
    """Materialise a ``kind: table`` model."""
    schema, _ = model.name.split(".", 1)
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    con.execute(f"CREATE OR REPLACE TABLE {model.name} AS {model.body}")


def duplicate_grain_rows(con: duckdb.DuckDBPyConnection, table: str, grain: list[str]) -> int:
    """Number of grain values that occur more than once (0 = the grain holds)."""
    cols = ", ".join(f'"{c}"' for c in grain)
    return con.execute(
        f"SELECT count(*) FROM (SELECT {cols} FROM {table} GROUP BY ALL HAVING count(*) > 1)"
    ).fetchall()[0][0]
