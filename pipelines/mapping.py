"""The mapping file: the Power Query step as configuration.

A job center's export rarely uses our column names or codes. ``mapping.yaml``
renames columns and recodes values per table and may name the encoding,
delimiter and an extra date format::

    encoding: cp1252
    delimiter: ";"
    date_format: "%d/%m/%Y"
    tables:
      persons:
        file: Personen.csv
        columns: {Personen-ID: person_id, Geschlecht: sex}
        values: {sex: {männlich: m, weiblich: w}}
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipelines import safe_yaml
from pipelines.contract import Table
from pipelines.errors import LoadError

# Columns besides code columns whose values a mapping may recode (see sql/staging).
RECODABLE = {"team_id", "unit", "metric_id"}
_DATE_FORMAT = re.compile(r"^(%[dmYyHMS]|[ .\-/:T])+$")


@dataclass(frozen=True)
class TableMapping:
    file: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Mapping:
    encoding: str | None = None
    delimiter: str | None = None
    date_format: str | None = None
    tables: dict[str, TableMapping] = field(default_factory=dict)
    source: str | None = None

    def for_table(self, name: str) -> TableMapping:
        return self.tables.get(name, TableMapping())


def _text(value: Any) -> str:
    """YAML turns `ja`, `1` or `2024-01-01` into bools, ints, dates; mappings mean the text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def read_mapping(path: Path | None, contract: dict[str, Table]) -> Mapping:
    """Parse and validate a mapping file; ``None`` or a missing default gives an empty mapping."""
    if path is None:
        return Mapping()
    name = path.name
    try:
        raw = safe_yaml.load(safe_yaml.read_text(path))
    except safe_yaml.YamlRefused as exc:
        raise LoadError(name, f"abgelehnt: {exc}", line=exc.line,
                        expected="eine schlichte Zuordnungsdatei (ohne Anker und Verweise, wenige Ebenen, unter 1 MB)"
                        ) from None
    except UnicodeDecodeError:
        raise LoadError(name, "die Zuordnungsdatei ist kein UTF-8-Text", expected="eine YAML-Datei in UTF-8") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)  # the parser's own words stay English
        raise LoadError(name, f"kein gültiges YAML: {getattr(exc, 'problem', exc)}",
                        line=mark.line + 1 if mark else None) from None
    if raw is None:
        return Mapping(source=str(path))
    if not isinstance(raw, dict):
        raise LoadError(name, "die Zuordnung muss eine YAML-Zuordnung (Schlüssel: Wert) sein",
                        expected="die Schlüssel encoding, delimiter, tables")
    unknown = set(raw) - {"encoding", "delimiter", "date_format", "tables"}
    if unknown:
        raise LoadError(name, f"unbekannte Schlüssel {sorted(unknown)}",
                        expected="nur encoding, delimiter, date_format, tables")
    encoding = raw.get("encoding")
    if encoding is not None:
        try:
            encoding = codecs.lookup(str(encoding)).name
        except LookupError:
            raise LoadError(name, f"unbekannte Kodierung {encoding!r}",
                            expected="utf-8, utf-8-sig, cp1252 oder latin-1") from None
    delimiter = raw.get("delimiter")
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in "\"\r\n"):
        raise LoadError(name, f"das Trennzeichen (delimiter) {delimiter!r} ist nicht genau ein Zeichen",
                        expected="';' oder ','")
    date_format = raw.get("date_format")
    if date_format is not None and not _DATE_FORMAT.match(str(date_format)):
        raise LoadError(name, f"das date_format {date_format!r} wird nicht unterstützt",
                        expected="strftime-Codes %d %m %Y %y %H %M %S mit . - / : Leerzeichen oder T")
    tables: dict[str, TableMapping] = {}
    for table_name, body in (raw.get("tables") or {}).items():
        if table_name not in contract:
            raise LoadError(name, f"unbekannte Tabelle {table_name!r}", expected=", ".join(contract))
        body = body or {}
        file = body.get("file")
        if file is not None:
            file = str(file)
            if Path(file).name != file or file in {".", ".."}:
                raise LoadError(name, f"die Datei {file!r} der Tabelle {table_name} muss ein schlichter Dateiname "
                                "im Quellordner sein", expected="z. B. Personen.csv, ohne Ordner")
        columns = {_text(k).strip(): _text(v) for k, v in (body.get("columns") or {}).items()}
        known = set(contract[table_name].column_names)
        for source, target in columns.items():
            if target not in known:
                raise LoadError(name, f"die Spalte {source!r} der Tabelle {table_name} ist der unbekannten "
                                f"Spalte {target!r} zugeordnet", expected=", ".join(sorted(known)))
        values: dict[str, dict[str, str]] = {}
        for column, recode in (body.get("values") or {}).items():
            recodable = sorted(c.name for c in contract[table_name].columns
                               if c.codes or c.name in RECODABLE)
            if column not in recodable:
                raise LoadError(name, f"für die Spalte {column!r} der Tabelle {table_name} lassen sich keine "
                                "Werte umschlüsseln", expected=", ".join(recodable))
            values[column] = {_text(k): _text(v) for k, v in (recode or {}).items()}
        tables[table_name] = TableMapping(file=file, columns=columns, values=values)
    return Mapping(encoding=encoding, delimiter=delimiter,
                   date_format=str(date_format) if date_format else None, tables=tables, source=str(path))
