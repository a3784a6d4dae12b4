"""Settings: defaults, overrides, and every setting documented."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from pipelines.settings import SECTIONS, SettingsError, load_settings
from tests.conftest import ROOT


def test_every_setting_is_documented() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    for section, cls in SECTIONS.items():
        for f in fields(cls):
            assert f"`{section}.{f.name}`" in doc, f"{section}.{f.name} is not in docs/configuration.md"


def test_file_and_environment_override_defaults(tmp_path: Path) -> None:
    config = tmp_path / "steering.toml"
    config.write_text('[database]\npath = "/srv/x.duckdb"\nthreads = 2\n', encoding="utf-8")
    settings = load_settings(config, env={"STEERING_DATABASE_THREADS": "1"})
    assert settings.database.path == "/srv/x.duckdb"
    assert settings.database.threads == 1
    assert settings.dashboard.port == 8501


def test_unknown_setting_is_a_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "steering.toml"
    config.write_text("[database]\npaht = 'x'\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="unbekannte Einstellung database.paht"):
        load_settings(config, env={})


def test_settings_can_be_read_from_many_threads_at_once() -> None:
    """The served dashboard reads the settings from every session's thread. Checking the time zone through
    DuckDB's shared default connection broke a page now and then (another thread's result was fetched:
    ``IndexError``); each read must succeed however many run at once."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=8) as pool:
        zones = list(pool.map(lambda _: load_settings().load.time_zone, range(400)))
    assert set(zones) == {load_settings().load.time_zone}
