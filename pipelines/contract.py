"""The input side of the data contract, read from ``sql/staging/contract.yaml``.

The loader uses it to validate headers, to know which columns are typed (so it
can report values it had to blank) and which columns form the key. Its German
labels (``label_de`` per column, ``types:`` per type) become
``core.contract_columns`` at load time, for the fix list.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from pipelines.sqlmodels import SQL_DIR

CONTRACT_FILE = SQL_DIR / "staging" / "contract.yaml"
DUCKDB_TYPES = {
    "str": "VARCHAR",
    "date": "DATE",
    "datetime": "TIMESTAMP",
    "bool": "BOOLEAN",
    "int": "BIGINT",
    "float": "DOUBLE",
}
# What a value of each type looks like, in German: TYPE_EXPECTATION for "(erwartet: ...)" in a LoadError,
# TYPE_MISMATCH for the reason of a blanked value in load_rejects (the Pipeline page shows it).
TYPE_EXPECTATION = {
    "date": "ein Datum (JJJJ-MM-TT oder TT.MM.JJJJ)",
    "datetime": "ein Datum mit Uhrzeit (JJJJ-MM-TT HH:MM[:SS] oder TT.MM.JJJJ HH:MM[:SS])",
    "bool": "einen Ja/Nein-Wert (true/false, 1/0, ja/nein, j/n, x)",
    "int": "eine ganze Zahl",
    "float": "eine Zahl (mit Dezimalkomma oder -punkt)",
}
TYPE_MISMATCH = {
    "date": "kein Datum (JJJJ-MM-TT oder TT.MM.JJJJ)",
    "datetime": "kein Datum mit Uhrzeit (JJJJ-MM-TT HH:MM[:SS] oder TT.MM.JJJJ HH:MM[:SS])",
    "bool": "kein Ja/Nein-Wert (true/false, 1/0, ja/nein, j/n, x)",
    "int": "keine ganze Zahl",
    "float": "keine Zahl (mit Dezimalkomma oder -punkt)",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool
    codes: tuple[str, ...] | None
    label_de: str = ""  # the German field name; the column name where the contract gives none

    @property
    def duckdb_type(self) -> str:
        return DUCKDB_TYPES[self.type]


@dataclass(frozen=True)
class Table:
    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    optional: bool

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


@cache
def load_contract(path: Path = CONTRACT_FILE) -> dict[str, Table]:
    """Tables of the contract by name, in the file's order."""
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    tables: dict[str, Table] = {}
    for name, body in spec["tables"].items():
        columns = tuple(
            Column(
                name=col,
                type=attrs["type"],
                nullable=bool(attrs.get("nullable", False)),
                codes=tuple(str(c) for c in attrs["codes"]) if "codes" in attrs else None,
                label_de=str(attrs.get("label_de") or col),
            )
            for col, attrs in body["columns"].items()
        )
        tables[name] = Table(name=name, key=tuple(body["key"]), columns=columns,
                             optional=bool(body.get("optional", False)))
    return tables


@cache
def load_type_labels(path: Path = CONTRACT_FILE) -> dict[str, str]:
    """The German description of each type's values (``types:`` in the contract), e.g. for "expected: ..."."""
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {name: str(body["label_de"]) for name, body in (spec.get("types") or {}).items()}
