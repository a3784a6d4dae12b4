"""Writing the synthetic tables as a German-style export: `;`, cp1252, CRLF, DD.MM.YYYY.

Values are formatted with vectorised numpy string operations from lookup
tables (one string per calendar day, one per minute of the day), and files are
written in chunks, so a million persons fit in modest memory.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import yaml

from pipelines import sample_params as P
from pipelines.sample_population import OPEN, to_day

Formatter = Callable[[np.ndarray], np.ndarray]
Column = tuple[Formatter, np.ndarray]
CHUNK = 200_000

_DAY0 = to_day(date(1900, 1, 1))
_DAYS = np.arange(_DAY0, to_day(date(2100, 12, 31)) + 1)
_ISO = np.datetime_as_string(_DAYS.astype("datetime64[D]"))
_DD_MM = np.strings.add(np.strings.add(np.strings.slice(_ISO, 8, 10), "."), np.strings.slice(_ISO, 5, 7))
DATE_TABLE = np.strings.add(np.strings.add(_DD_MM, "."), np.strings.slice(_ISO, 0, 4))
TIME_TABLE = np.array([f"{m // 60:02d}:{m % 60:02d}" for m in range(1440)])


def fmt_date(days: np.ndarray) -> np.ndarray:
    """DD.MM.YYYY, empty where the day is OPEN."""
    out = DATE_TABLE[np.clip(days - _DAY0, 0, DATE_TABLE.size - 1)]
    return np.where(days == OPEN, "", out)


def fmt_datetime(minutes: np.ndarray) -> np.ndarray:
    """DD.MM.YYYY HH:MM from minutes since 1970-01-01."""
    return np.strings.add(np.strings.add(fmt_date(minutes // 1440), " "), TIME_TABLE[minutes % 1440])


def fmt_id(prefix: str | np.ndarray, width: int) -> Formatter:
    """Zero-padded running numbers with a prefix, e.g. K00001234."""
    def f(nums: np.ndarray) -> np.ndarray:
        return np.strings.add(prefix, np.strings.zfill(nums.astype(str), width))
    return f


def fmt_code(labels: tuple[str, ...] | list[str]) -> Formatter:
    """Code index -> label; -1 -> empty."""
    table = np.array([*labels, ""])
    return lambda codes: table[codes]


fmt_bool = fmt_code(("nein", "ja"))


def fmt_str(values: np.ndarray) -> np.ndarray:
    return values.astype(str)


def write_csv(path: Path, header: list[str], cols: list[Column], overrides: dict[int, dict[int, str]]) -> int:
    """Write one table; ``overrides[col][row]`` replaces a formatted value (loader-level defects)."""
    n = cols[0][1].size if cols else 0
    with open(path, "wb") as f:
        f.write((";".join(header) + "\r\n").encode("cp1252"))
        for lo in range(0, n, CHUNK):
            hi = min(lo + CHUNK, n)
            line: np.ndarray | None = None
            for j, (fmt, values) in enumerate(cols):
                part = fmt(values[lo:hi])
                here = {r - lo: text for r, text in overrides.get(j, {}).items() if lo <= r < hi}
                if here:
                    part = part.astype(object)
                    part[list(here)] = list(here.values())
                line = part if line is None else np.strings.add(np.strings.add(line, ";"), part)
            assert line is not None
            f.write(("\r\n".join(line.tolist()) + "\r\n").encode("cp1252"))
    return n


def mapping() -> dict:
    """The mapping.yaml content: headers -> contract columns, German codes -> contract codes."""
    values = {
        "persons": {
            "sex": dict(zip(P.SEX_LABELS, P.SEX_CODES, strict=False)),
            "highest_qualification": dict(zip(P.QUAL_LABELS, P.QUAL_CODES, strict=True)),
        },
        "benefit_spells": {"exit_reason": dict(zip(P.REASON_LABELS, P.REASONS, strict=True))},
        "contacts": {"contact_type": dict(zip(P.CONTACT_LABELS, P.CONTACT_TYPES, strict=False))},
        "measures": {"measure_type": dict(zip(P.MEASURE_LABELS, P.MEASURE_TYPES, strict=True))},
        "integrations": {"integration_type": dict(zip(P.INTEGRATION_LABELS, P.INTEGRATION_TYPES, strict=True))},
        "targets": {
            "team_id": {P.ALL_TEAMS_LABEL: "__all__"},
            "metric_id": {label: metric for metric, label in P.TARGET_LABELS.items()},
        },
    }
    tables = {}
    for table, headers in P.HEADERS.items():
        spec: dict = {"file": f"{table}.csv", "columns": {h: c for h, c in headers.items() if c is not None}}
        if table in values:
            spec["values"] = values[table]
        tables[table] = spec
    return {"encoding": "cp1252", "delimiter": ";", "tables": tables}


def write_mapping(path: Path) -> None:
    """mapping.yaml as UTF-8 with a short comment on where it comes from."""
    text = yaml.safe_dump(mapping(), allow_unicode=True, sort_keys=False, default_flow_style=False, width=120)
    text = text.replace("\ndelimiter: ;\n", '\ndelimiter: ";"\n')  # the same value, easier to read
    head = "# Mapping of the synthetic German-style export (steering sample) onto data contract v1.\n"
    path.write_text(head + text, encoding="utf-8")
