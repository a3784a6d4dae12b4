"""The dashboard process fails closed: every case of docs/access.md "Wann niemand Daten sieht", one test each.

AppTest runs the real app on databases written by the real loader: one from
synthetic data (the committed sample, marked by ``steering sample``) and one
from the same files without the marker, as a real export would arrive. A page
"shows no data" when it has no table, tile, chart or download. The served
process and a real identity provider are in test_serve.py and test_login_e2e.py.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from pipelines import synthetic
from pipelines.load import load_folder
from tests.conftest import ROOT, SAMPLE_DIR, page_faults

APP = str(ROOT / "dashboard" / "app.py")
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "k" * 48,
        "client_id": "steering", "client_secret": "s3cret",
        "server_metadata_url": "https://login.jobcenter.example/.well-known/openid-configuration"}
ACCESS = ("users:\n  - login: leitung@jobcenter.example\n    role: manager\n"
          "groups:\n  - group: JC-Team-T02\n    role: team\n    team: T02\n")


@pytest.fixture(scope="module")
def dbs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("gate")
    real_src = root / "export"
    shutil.copytree(SAMPLE_DIR, real_src)
    (real_src / synthetic.MANIFEST).unlink()  # the same rows, but nothing says they are invented
    out = {"synthetic": root / "synthetic.duckdb", "real": root / "real.duckdb"}
    load_folder(SAMPLE_DIR, out["synthetic"])
    load_folder(real_src, out["real"])
    access = root / "access.yaml"
    access.write_text(ACCESS, encoding="utf-8")
    out["access"] = access
    return out


@pytest.fixture
def env(dbs: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    monkeypatch.delenv("STEERING_CONFIG", raising=False)
    monkeypatch.delenv("STEERING_DEMO_USER", raising=False)
    monkeypatch.setenv("STEERING_DATABASE_PATH", str(dbs["synthetic"]))
    monkeypatch.setenv("STEERING_ACCESS_FILE", str(dbs["access"]))
    yield monkeypatch


def run(secrets: dict | None = None, user: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if secrets is not None:
        at.secrets["auth"] = secrets
    if user is not None:
        at.user = user
    at.run()
    assert not page_faults(at), page_faults(at)
    return at


def shows_no_data(at: AppTest) -> bool:
    return not (at.dataframe or at.metric or at.get("plotly_chart") or at.get("download_button")
                or at.sidebar.selectbox)


def message(at: AppTest) -> str:
    """The page's messages as a reader sees them (Markdown escapes removed)."""
    return " ".join(e.value for kind in ("error", "warning", "info") for e in getattr(at, kind)).replace("\\", "")


def signed_in(email: str, **claims: object) -> dict:
    return {"is_logged_in": True, "email": email, "iat": int(time.time()), **claims}


# --- demo mode ------------------------------------------------------------------------------------------------

def test_demo_on_synthetic_data_on_loopback_shows_data(env: pytest.MonkeyPatch) -> None:
    at = run()
    assert not shows_no_data(at) and "Demo-Modus ohne Anmeldung" in message(at)


def test_no_mode_configured_shows_no_data(env: pytest.MonkeyPatch) -> None:
    env.delenv("STEERING_ACCESS_MODE")
    at = run()
    assert shows_no_data(at) and "access.mode ist nicht gesetzt" in message(at)


def test_unknown_mode_shows_no_data(env: pytest.MonkeyPatch) -> None:
    env.setenv("STEERING_ACCESS_MODE", "offen")
    at = run()
    assert shows_no_data(at) and "'offen' ist keiner von demo, login" in message(at)


def test_broken_configuration_file_shows_no_data(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bad = tmp_path / "steering.toml"
    bad.write_text("[access\nmode = 'demo'\n", encoding="utf-8")
    env.setenv("STEERING_CONFIG", str(bad))
    at = run()
    assert shows_no_data(at) and "Konfiguration lässt sich nicht verwenden" in message(at)
    env.setenv("STEERING_CONFIG", str(tmp_path / "gone.toml"))
    at = run()
    assert shows_no_data(at) and "gibt es nicht" in message(at)


@pytest.mark.parametrize("address", ["0.0.0.0", "", "192.0.2.10", "jobcenter.example"])
def test_demo_on_a_non_loopback_address_shows_no_data(env: pytest.MonkeyPatch, address: str) -> None:
    st_config.set_option("server.address", address or None)  # unset: Streamlit listens on every interface
    at = run()
    assert shows_no_data(at) and "Demo-Modus ist abgeschaltet" in message(at)


def test_demo_on_a_database_of_real_data_shows_no_data(env: pytest.MonkeyPatch, dbs: dict[str, Path]) -> None:
    env.setenv("STEERING_DATABASE_PATH", str(dbs["real"]))
    at = run()
    assert shows_no_data(at) and "nur Beispieldaten" in message(at)


# --- login mode -----------------------------------------------------------------------------------------------

@pytest.fixture
def login(env: pytest.MonkeyPatch, dbs: dict[str, Path]) -> pytest.MonkeyPatch:
    env.setenv("STEERING_ACCESS_MODE", "login")
    env.setenv("STEERING_DATABASE_PATH", str(dbs["real"]))
    return env


def test_login_with_a_known_account_shows_its_scope(login: pytest.MonkeyPatch) -> None:
    at = run(AUTH, signed_in("Leitung@Jobcenter.example"))
    assert not shows_no_data(at) and "Demo-Modus" not in message(at)
    assert any("Angemeldet" in c.value for c in at.sidebar.caption)


def test_login_through_a_directory_group(login: pytest.MonkeyPatch) -> None:
    at = run(AUTH, signed_in("neu@jobcenter.example", groups=["JC-Alle", "JC-Team-T02"]))
    assert [o[-5:] for o in at.sidebar.selectbox(key="filter_team").options] == ["(T02)"]


def test_login_without_auth_section_shows_no_data(login: pytest.MonkeyPatch) -> None:
    at = run(None, signed_in("leitung@jobcenter.example"))
    assert shows_no_data(at) and "der Abschnitt [auth] mit dem Identitätsanbieter fehlt" in message(at)


@pytest.mark.parametrize("broken, words", [
    ({"cookie_secret": "kurz"}, "cookie_secret muss"),
    ({"client_id": ""}, "client_id fehlt"),
    ({"server_metadata_url": "http://login.jobcenter.example/.well-known/openid-configuration"}, "muss https"),
    ({"redirect_uri": "https://steuerung.jobcenter.example/"}, "/oauth2callback"),
])
def test_login_with_a_broken_auth_section_shows_no_data(login: pytest.MonkeyPatch, broken: dict, words: str) -> None:
    at = run({**AUTH, **broken}, signed_in("leitung@jobcenter.example"))
    assert shows_no_data(at) and words in message(at)


@pytest.mark.parametrize("content, words", [
    (None, "gibt es nicht"),
    (b"\xff\xfe users", "lässt sich nicht lesen"),
    (b"users: [login: x", "kein gültiges YAML"),
    (b"users:\n  - login: a@b\n    role: chef\n", "role 'chef' ist keine"),
    (b"a: &a [x, x]\nb: &b [*a, *a]\nusers: *b\n", "Anker"),
    (b"users: []\n", "gibt niemandem Zugang"),
])
def test_login_with_an_unusable_access_file_shows_no_data(login: pytest.MonkeyPatch, tmp_path: Path,
                                                          content: bytes | None, words: str) -> None:
    path = tmp_path / "access.yaml"
    if content is not None:
        path.write_bytes(content)
    login.setenv("STEERING_ACCESS_FILE", str(path))
    at = run(AUTH, signed_in("leitung@jobcenter.example"))
    assert shows_no_data(at) and words in message(at)


def test_login_access_file_that_is_a_folder_shows_no_data(login: pytest.MonkeyPatch, tmp_path: Path) -> None:
    login.setenv("STEERING_ACCESS_FILE", str(tmp_path))
    at = run(AUTH, signed_in("leitung@jobcenter.example"))
    assert shows_no_data(at) and "lässt sich nicht lesen" in message(at)


def test_login_not_signed_in_sees_only_the_login_button(login: pytest.MonkeyPatch) -> None:
    at = run(AUTH, {"is_logged_in": False})
    assert shows_no_data(at) and [b.label for b in at.button] == ["Anmelden"]


def test_login_unknown_account_shows_no_data(login: pytest.MonkeyPatch) -> None:
    at = run(AUTH, signed_in("fremd@example.org", groups=["Andere-Gruppe"]))
    assert shows_no_data(at) and "kein Zugang eingerichtet" in message(at)
    assert [b.label for b in at.button] == ["Abmelden"]


def test_login_account_whose_groups_the_provider_left_out(login: pytest.MonkeyPatch) -> None:
    claims = signed_in("neu@jobcenter.example", _claim_names={"groups": "src1"})
    at = run(AUTH, claims)
    assert shows_no_data(at) and "so vielen Gruppen" in message(at)


def test_login_older_than_the_session_limit_shows_no_data(login: pytest.MonkeyPatch) -> None:
    login.setenv("STEERING_ACCESS_SESSION_HOURS", "8")
    at = run(AUTH, {**signed_in("leitung@jobcenter.example"), "iat": int(time.time()) - 9 * 3600})
    assert shows_no_data(at) and "abgelaufen" in message(at) and [b.label for b in at.button] == ["Neu anmelden"]
    at = run(AUTH, {"is_logged_in": True, "email": "leitung@jobcenter.example"})  # no issue time: not trusted
    assert shows_no_data(at) and "abgelaufen" in message(at)


def test_login_with_a_secrets_file_the_process_was_not_started_with(login: pytest.MonkeyPatch,
                                                                    tmp_path: Path) -> None:
    login.setenv("STEERING_ACCESS_SECRETS_FILE", str(tmp_path / "secrets.toml"))
    at = run(AUTH, signed_in("leitung@jobcenter.example"))
    assert shows_no_data(at) and "nicht mit der eingestellten Geheimnisdatei" in message(at)
