"""One typed place for configuration: defaults in ``defaults.toml``, overridden
by a job center's TOML file and by ``STEERING_<SECTION>_<NAME>`` variables.

Why a file and not constants: a job center's IT must be able to see and change
every knob (paths, memory limits) without touching code.
"""

from __future__ import annotations

import functools
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

DEFAULTS_FILE = Path(__file__).with_name("defaults.toml")


@dataclass(frozen=True)
class DatabaseSettings:
    path: str = "data/steering.duckdb"
    memory_limit: str = "40%"
    temp_directory: str = ""
    threads: int = 0


@dataclass(frozen=True)
class LoadSettings:
    max_file_mb: int = 4096
    max_line_kb: int = 1024
    encodings: list[str] = field(default_factory=lambda: ["utf-8", "cp1252"])
    date_ranges: list[str] = field(default_factory=lambda: ["*=1990-01-01..as_of+1y",
                                                            "persons.birth_date=1900-01-01..as_of"])
    time_zone: str = "Europe/Berlin"


@dataclass(frozen=True)
class DashboardSettings:
    port: int = 8501
    address: str = "localhost"


@dataclass(frozen=True)
class ReviewSettings:
    path: str = ""
    backup_dir: str = ""
    backup_keep: int = 10


@dataclass(frozen=True)
class AccessSettings:
    mode: str = ""
    file: str = "access.yaml"
    secrets_file: str = ""
    demo_user: str = "analyst"
    identity_claim: str = "email"
    groups_claim: str = "groups"
    session_hours: int = 12
    manager_fixlists: bool = False


@dataclass(frozen=True)
class PrivacySettings:
    min_cell_size: int = 5
    pseudonym_key_file: str = ""


@dataclass(frozen=True)
class ArchiveSettings:
    path: str = ""
    keep: int = 36


@dataclass(frozen=True)
class Settings:
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    load: LoadSettings = field(default_factory=LoadSettings)
    dashboard: DashboardSettings = field(default_factory=DashboardSettings)
    reviews: ReviewSettings = field(default_factory=ReviewSettings)
    access: AccessSettings = field(default_factory=AccessSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)
    archive: ArchiveSettings = field(default_factory=ArchiveSettings)


SECTIONS = {"database": DatabaseSettings, "load": LoadSettings, "dashboard": DashboardSettings,
            "reviews": ReviewSettings, "access": AccessSettings, "privacy": PrivacySettings,
            "archive": ArchiveSettings}


class SettingsError(ValueError):
    """A configuration file or variable that does not fit the settings."""


def _coerce(value: Any, default: Any, where: str) -> Any:
    if isinstance(default, bool):
        if isinstance(value, str):
            return value.strip().lower() in {"1", "true", "yes", "ja"}
        return bool(value)
    if isinstance(default, int):
        try:
            return int(value)
        except (TypeError, ValueError):
            raise SettingsError(f"{where}: erwartet eine ganze Zahl, gefunden {value!r}") from None
    if isinstance(default, list):
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return list(value)
    return str(value)


def load_settings(config_file: str | Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Defaults, then the config file (argument or STEERING_CONFIG), then env overrides."""
    env = dict(os.environ if env is None else env)
    data: dict[str, dict[str, Any]] = {}
    files = [DEFAULTS_FILE]
    config_file = config_file or env.get("STEERING_CONFIG")
    if config_file:
        path = Path(config_file)
        if not path.is_file():
            raise SettingsError(f"die Konfigurationsdatei {path} gibt es nicht")
        files.append(path)
    for path in files:
        try:
            parsed = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{path}: lässt sich nicht lesen ({exc})") from None
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{path}: kein gültiges TOML ({exc})") from None
        for section, values in parsed.items():
            if section in SECTIONS and not isinstance(values, dict):
                raise SettingsError(f"{path}: {section} muss ein Abschnitt [{section}] sein")
            if section not in SECTIONS:
                raise SettingsError(f"{path}: unbekannter Abschnitt [{section}]; bekannt: {', '.join(SECTIONS)}")
            data.setdefault(section, {}).update(values)
    built: dict[str, Any] = {}
    for section, cls in SECTIONS.items():
        defaults = cls()
        values: dict[str, Any] = {}
        known = {f.name for f in fields(cls)}
        for key in data.get(section, {}):
            if key not in known:
                raise SettingsError(f"unbekannte Einstellung {section}.{key}; bekannt: {', '.join(sorted(known))}")
        for f in fields(cls):
            raw = data.get(section, {}).get(f.name, getattr(defaults, f.name))
            raw = env.get(f"STEERING_{section.upper()}_{f.name.upper()}", raw)
            values[f.name] = _coerce(raw, getattr(defaults, f.name), f"{section}.{f.name}")
        built[section] = cls(**values)
    from pipelines.dateranges import DateRangeError, DateRanges  # here: it needs the contract, not vice versa

    try:
        DateRanges.parse(built["load"].date_ranges)
    except DateRangeError as exc:
        raise SettingsError(str(exc)) from None
    _check_time_zone(built["load"].time_zone)
    return Settings(**built)


@functools.cache
def _time_zones() -> frozenset[str]:
    """Every zone name DuckDB's built-in time-zone database knows (read once per process)."""
    import duckdb

    with duckdb.connect() as con:
        return frozenset(row[0] for row in con.execute("SELECT name FROM pg_timezone_names()").fetchall())


def _check_time_zone(name: str) -> None:
    """The zone must be one DuckDB's built-in time-zone database knows (it converts the timestamps).

    A connection of its own: the dashboard reads the settings from several session threads at once, and
    DuckDB's module-level default connection is not safe for that (a result fetched by another thread
    surfaced as an ``IndexError`` on a served page).
    """
    if name not in _time_zones():
        raise SettingsError(f"load.time_zone: unbekannte Zeitzone {name!r}, erwartet z. B. 'Europe/Berlin'")
