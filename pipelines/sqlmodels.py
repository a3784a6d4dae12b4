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
  carries the fact sheet of each metric id it produces (-> ``metric_catalog``).
* ``kind: rule`` returns the rule's *population*, one row per checked record,
  with ``(table_name, record_id, person_id, team_id, month, failed)``; the
  failing rows become ``dq_findings`` and the counts ``dq_results``.

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
        if not meta.get("metrics"):
            raise SqlModelError(f"{path}: a metric file needs a 'metrics:' list")
        name = f"metric.{path.stem}"
    else:
        if not meta.get("rule_id"):
            raise SqlModelError(f"{path}: a rule file needs 'rule_id'")
        name = f"rule.{meta['rule_id']}"
    return SqlModel(path=path, layer=layer, kind=kind, name=name, body=body, meta=meta)


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
