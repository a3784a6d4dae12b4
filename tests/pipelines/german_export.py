"""Turn canonical test rows into a German-style export (the shape real exports have)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from pipelines.contract import load_contract

HEADERS = {
    "teams": ["Team-ID", "Teamname", "Bereich"],
    "persons": ["Personen-ID", "BG-Nummer", "Geburtsdatum", "Geschlecht", "Alleinerziehend", "Schwerbehindert",
                "Höchster Abschluss", "Erfasst am"],
    "benefit_spells": ["Leistungsfall-ID", "Personen-ID", "Beginn", "Ende", "Erwerbsfähig", "Abgangsgrund"],
    "assignments": ["Personen-ID", "Team-ID", "Gültig ab", "Gültig bis"],
    "contacts": ["Kontakt-ID", "Personen-ID", "Kontaktdatum", "Kontaktart", "Erfasst am"],
    "cooperation_plans": ["Kooperationsplan-ID", "Personen-ID", "Datum", "Nächste Überprüfung", "Erfasst am"],
    "measures": ["Maßnahme-ID", "Personen-ID", "Maßnahmeart", "Beginn", "Ende", "Erfasst am"],
    "integrations": ["Integrations-ID", "Personen-ID", "Integrationsdatum", "Art der Integration", "Erfasst am"],
    "targets": ["Jahr", "Team-ID", "Kennzahl", "Zielwert"],
}
CODES = {
    ("persons", "sex"): {"männlich": "m", "weiblich": "w", "divers": "d", "ohne Angabe": "x"},
    ("contacts", "contact_type"): {"Erstgespräch": "first_interview", "Folgegespräch": "follow_up",
                                   "Telefonat": "phone", "Videotermin": "video", "schriftlich": "written"},
    ("measures", "measure_type"): {"Arbeitsgelegenheit": "agh", "FbW": "fbw"},
}


def _german(value: str, kind: str, recode: dict[str, str] | None) -> str:
    if value == "":
        return ""
    if recode:
        back = {v: k for k, v in recode.items()}
        return back.get(value, value)
    if kind == "date":
        return dt.date.fromisoformat(value).strftime("%d.%m.%Y")
    if kind == "datetime":
        return dt.datetime.fromisoformat(value).strftime("%d.%m.%Y %H:%M")
    if kind == "bool":
        return {"true": "ja", "false": "nein"}[value]
    if kind == "float":
        return value.replace(".", ",")
    return value


def write_german(folder: Path, tables: dict[str, list[dict]]) -> Path:
    """cp1252, ';', DD.MM.YYYY, German headers and codes, plus mapping.yaml."""
    folder.mkdir(parents=True, exist_ok=True)
    contract = load_contract()
    mapping: dict = {"encoding": "cp1252", "delimiter": ";", "tables": {}}
    for name, rows in tables.items():
        cols = contract[name].columns
        lines = [";".join(HEADERS[name] + (["Bemerkung"] if name == "contacts" else []))]
        for row in rows:
            cells = [_german(row.get(c.name, ""), c.type, CODES.get((name, c.name))) for c in cols]
            if name == "contacts":
                cells.append('"Termin wahrgenommen; Unterlagen fehlen"')
            lines.append(";".join(cells))
        (folder / f"{name}.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
        entry: dict = {"columns": dict(zip(HEADERS[name], [c.name for c in cols], strict=True))}
        values = {c.name: CODES[(name, c.name)] for c in cols if (name, c.name) in CODES}
        if values:
            entry["values"] = values
        mapping["tables"][name] = entry
    (folder / "mapping.yaml").write_text(yaml.safe_dump(mapping, allow_unicode=True, sort_keys=False),
                                         encoding="utf-8")
    return folder
