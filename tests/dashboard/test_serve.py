"""``steering serve`` and ``steering check`` as a job center's IT runs them: the real CLI as a subprocess, the
served app in headless Chromium.

* one configuration for every process: ``steering --config F serve`` serves what F says (mode, minimum cell
  size, database), with no STEERING_* variable to help;
* the start of issue 13 (login configured, demo shown on 0.0.0.0) is impossible;
* demo mode on real data or on a non-loopback address shows no data, whether started by ``steering serve``
  (which refuses) or by hand (the served page refuses);
* stopping ``steering serve`` stops the server: no process survives SIGTERM or SIGINT;
* ``steering check`` names each open point of a set-up in German and exits non-zero.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines import synthetic
from pipelines.load import load_folder
from tests.conftest import SAMPLE_DIR
from tests.dashboard.served import (
    STEERING,
    chromium,
    clean_env,
    discovery_document,
    free_port,
    needs_chromium,
    processes_mentioning,
    served,
    stop,
    streamlit_by_hand,
    wait_healthy,
)

AS_OF = dt.date(2026, 6, 15)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A synthetic database with its own Datenstand, a real-data one, an access file and a secrets file."""
    root = tmp_path_factory.mktemp("serve")
    real_src = root / "export"
    shutil.copytree(SAMPLE_DIR, real_src)
    (real_src / synthetic.MANIFEST).unlink()
    paths = {"root": root, "synthetic": root / "demo.duckdb", "real": root / "jobcenter.duckdb"}
    load_folder(SAMPLE_DIR, paths["synthetic"], as_of=AS_OF)
    load_folder(real_src, paths["real"])
    paths["access"] = root / "access.yaml"
    paths["access"].write_text("users:\n  - login: controlling@jobcenter.example\n    role: analyst\n"
                               "groups:\n  - group: JC-Team-T01\n    role: team\n    team: T01\n", encoding="utf-8")
    return paths


def secrets_file(folder: Path, metadata_url: str, port: int = 8501, mode: int = 0o600, **changes: str) -> Path:
    auth = {"redirect_uri": f"http://localhost:{port}/oauth2callback", "cookie_secret": "c0ffee" * 8,
            "client_id": "steering", "client_secret": "geheim", "server_metadata_url": metadata_url, **changes}
    path = folder / "secrets.toml"
    path.write_text("[auth]\n" + "".join(f'{k} = "{v}"\n' for k, v in auth.items()), encoding="utf-8")
    path.chmod(mode)
    return path


def config_file(folder: Path, **sections: dict[str, object]) -> Path:
    path = folder / "steering.toml"
    lines = []
    for section, values in sections.items():
        lines.append(f"[{section}]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in values.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(STEERING), *args], capture_output=True, text=True, env=env or clean_env(),
                          cwd=cwd, timeout=120)


@pytest.fixture(scope="module")
def metadata_server() -> Iterator[str]:
    with discovery_document() as url:
        yield url


# --- one configuration for every process ----------------------------------------------------------------------

@pytest.mark.browser
@needs_chromium
def test_the_configuration_file_reaches_the_served_app(site: dict[str, Path], tmp_path: Path) -> None:
    port = free_port()
    config = config_file(tmp_path, access={"mode": "demo"}, privacy={"min_cell_size": 10},
                         database={"path": str(site["synthetic"])},
                         dashboard={"port": port, "address": "127.0.0.1"})
    with served([str(STEERING), "--config", str(config), "serve"], clean_env(), tmp_path / "serve.log", port) as url, \
            chromium() as browser:
        page = browser.new_page()
        page.goto(f"{url}/team", wait_until="domcontentloaded")
        expect = pytest.importorskip("playwright.sync_api").expect
        expect(page.locator("h1").first).to_contain_text("Team", timeout=30_000)
        expect(page.get_by_text("weniger als 10 Personen").first).to_be_visible(timeout=20_000)  # privacy
        expect(page.locator('[data-testid="stSidebar"]')).to_contain_text(f"Datenstand {AS_OF:%d.%m.%Y}")  # database
        expect(page.get_by_text("Demo-Modus ohne Anmeldung").first).to_be_visible()  # access.mode


@pytest.mark.browser
@needs_chromium
def test_login_configured_in_the_file_always_shows_the_login_page(site: dict[str, Path], tmp_path: Path) -> None:
    """Issue 13's start: prod.toml with access.mode = "login" on 0.0.0.0 came up in demo mode. Now: the login."""
    port = free_port()
    secrets = secrets_file(tmp_path, "http://127.0.0.1:9/.well-known/openid-configuration", port)
    config = config_file(tmp_path, access={"mode": "login", "file": str(site["access"]),
                                           "secrets_file": str(secrets)},
                         privacy={"min_cell_size": 10}, database={"path": str(site["real"])},
                         dashboard={"port": port, "address": "0.0.0.0"})
    with served([str(STEERING), "--config", str(config), "serve"], clean_env(), tmp_path / "serve.log", port) as url, \
            chromium() as browser:
        page = browser.new_page()
        for path in ("", "pipeline", "team?team=T01"):
            page.goto(f"{url}/{path}", wait_until="domcontentloaded")
            expect = pytest.importorskip("playwright.sync_api").expect
            expect(page.get_by_role("button", name="Anmelden")).to_be_visible(timeout=30_000)
            assert page.get_by_text("Demo-Modus").count() == 0
            assert page.locator('[data-testid="stDataFrame"], [data-testid="stMetric"], .js-plotly-plot').count() == 0


# --- demo mode only on loopback and synthetic data ------------------------------------------------------------

def test_serve_refuses_demo_mode_on_real_data(site: dict[str, Path]) -> None:
    result = cli("serve", "--demo", "--db", str(site["real"]), "--port", str(free_port()))
    assert result.returncode == 1
    assert "nicht aus synthetischen Daten geladen" in result.stdout and "wird nicht gestartet" in result.stderr


@pytest.mark.parametrize("address", ["0.0.0.0", "", "192.0.2.10"])
def test_serve_refuses_demo_mode_on_a_non_loopback_address(site: dict[str, Path], address: str) -> None:
    env = clean_env(STEERING_DASHBOARD_ADDRESS=address)
    result = cli("serve", "--demo", "--db", str(site["synthetic"]), "--port", str(free_port()), env=env)
    assert result.returncode == 1 and "darf nicht auf" in result.stdout, result.stdout + result.stderr


def test_serve_refuses_when_no_mode_is_set(site: dict[str, Path]) -> None:
    result = cli("serve", "--db", str(site["synthetic"]))
    assert result.returncode == 1 and "access.mode ist nicht gesetzt" in result.stdout


@pytest.mark.browser
@needs_chromium
@pytest.mark.parametrize("case", ["real data", "every interface"])
def test_a_dashboard_started_by_hand_refuses_demo_mode(site: dict[str, Path], tmp_path: Path, case: str) -> None:
    """Without ``steering serve`` in front, the served page itself refuses."""
    port = free_port()
    db = site["real"] if case == "real data" else site["synthetic"]
    address = "127.0.0.1" if case == "real data" else "0.0.0.0"
    env = clean_env(STEERING_ACCESS_MODE="demo", STEERING_DATABASE_PATH=str(db))
    expected = "nur Beispieldaten" if case == "real data" else "Demo-Modus ist abgeschaltet"
    with served(streamlit_by_hand(port, address), env, tmp_path / "by-hand.log", port) as url, \
            chromium() as browser:
        page = browser.new_page()
        page.goto(url, wait_until="domcontentloaded")
        expect = pytest.importorskip("playwright.sync_api").expect
        expect(page.get_by_text(expected).first).to_be_visible(timeout=30_000)
        assert page.locator('[data-testid="stDataFrame"], [data-testid="stMetric"], .js-plotly-plot').count() == 0
        assert page.locator('[data-testid="stSidebar"] select, [data-testid="stSelectbox"]').count() == 0


# --- stopping stops it ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stopping_serve_leaves_no_process(site: dict[str, Path], tmp_path: Path, sig: int) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as fh:
        proc = subprocess.Popen([str(STEERING), "serve", "--demo", "--db", str(site["synthetic"]), "--port",
                                 str(port)], env=clean_env(), stdout=fh, stderr=subprocess.STDOUT)
        try:
            wait_healthy(f"http://127.0.0.1:{port}", proc, log)
            assert processes_mentioning(f"--server.port {port}") == [proc.pid]  # one process: serve became it
            proc.send_signal(sig)
            proc.wait(timeout=20)
        finally:
            stop(proc)
    assert processes_mentioning(f"--server.port {port}") == []
    assert processes_mentioning(str(site["synthetic"])) == []


# --- steering check -------------------------------------------------------------------------------------------

@pytest.fixture
def production(site: dict[str, Path], tmp_path: Path, metadata_server: str) -> dict[str, object]:
    """A complete login set-up; tests break one part at a time."""
    secrets = secrets_file(tmp_path, metadata_server)
    access = {"mode": "login", "file": str(site["access"]), "secrets_file": str(secrets)}
    return {"access": access, "database": {"path": str(site["real"])}, "privacy": {"min_cell_size": 5},
            "dashboard": {"address": "127.0.0.1"}, "_secrets": secrets, "_tmp": tmp_path}


def check(production: dict[str, object], *extra: str) -> subprocess.CompletedProcess:
    sections = {k: v for k, v in production.items() if not k.startswith("_")}
    config = config_file(production["_tmp"], **sections)  # type: ignore[arg-type]
    return cli("--config", str(config), "check", *extra)


def test_check_passes_a_complete_production_set_up(production: dict[str, object]) -> None:
    result = check(production)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Die Einrichtung ist vollständig." in result.stdout
    assert re.search(r"✓ Identitätsanbieter: erreichbar", result.stdout)
    assert "✗" not in result.stdout


def fails_with(result: subprocess.CompletedProcess, words: str) -> bool:
    return result.returncode == 1 and words in result.stdout and "✗" in result.stdout and "Abhilfe" in result.stdout


def test_check_names_a_synthetic_database_in_login_mode(production: dict[str, object], site: dict[str, Path]) -> None:
    production["database"] = {"path": str(site["synthetic"])}
    assert fails_with(check(production), "enthält synthetische Beispieldaten")


def test_check_names_a_missing_database(production: dict[str, object], tmp_path: Path) -> None:
    production["database"] = {"path": str(tmp_path / "none.duckdb")}
    assert fails_with(check(production), "gibt es nicht")


def test_check_names_a_missing_or_open_secrets_file(production: dict[str, object], tmp_path: Path) -> None:
    production["_secrets"].chmod(0o644)  # type: ignore[union-attr]
    assert fails_with(check(production), "für alle Konten dieser Maschine lesbar")
    production["access"]["secrets_file"] = str(tmp_path / "none.toml")  # type: ignore[index]
    assert fails_with(check(production), "die Geheimnisdatei")


def test_check_names_a_weak_cookie_secret(production: dict[str, object], tmp_path: Path,
                                          metadata_server: str) -> None:
    secrets_file(tmp_path, metadata_server, cookie_secret="geheim")
    assert fails_with(check(production), "cookie_secret muss")


def test_check_names_teams_and_units_the_data_do_not_know(production: dict[str, object], tmp_path: Path) -> None:
    access = tmp_path / "access.yaml"
    access.write_text("users:\n  - login: a@jobcenter.example\n    role: team\n    team: T99\n"
                      "  - login: b@jobcenter.example\n    role: manager\n    units: [Ü99]\n", encoding="utf-8")
    production["access"]["file"] = str(access)  # type: ignore[index]
    result = check(production)
    assert fails_with(result, "Teams, die es im Datenstand nicht gibt: T99") and "Ü99" in result.stdout


def test_check_names_a_too_small_minimum_cell_size(production: dict[str, object]) -> None:
    production["privacy"] = {"min_cell_size": 2}
    assert fails_with(check(production), "privacy.min_cell_size = 2")


def test_check_names_an_unreachable_identity_provider(production: dict[str, object], tmp_path: Path) -> None:
    secrets_file(tmp_path, f"http://127.0.0.1:{free_port()}/.well-known/openid-configuration")
    assert fails_with(check(production), "antwortet nicht mit einer OpenID-Konfiguration")


def test_check_of_demo_mode(site: dict[str, Path]) -> None:
    ok = cli("check", "--demo", "--db", str(site["synthetic"]))
    assert ok.returncode == 0 and "Demo ohne Anmeldung" in ok.stdout
    assert fails_with(cli("check", "--demo", "--db", str(site["real"])), "nicht aus synthetischen Daten")
    assert fails_with(cli("check"), "access.mode ist nicht gesetzt")
