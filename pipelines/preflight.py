"""The checks a set-up must pass before anybody sees data: ``steering check``, ``steering serve`` and the
dashboard process itself run the same ones (docs/access.md, docs/betrieb.md).

Why the serving process checks again: ``steering serve`` may be bypassed
(``streamlit run`` by hand, a changed file after the start), and with social
data (§ 35 SGB I) one start in the wrong mode is a data breach. So every rule
here fails closed: what cannot be read or confirmed counts as a problem.
Messages are German: job-center IT reads them.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import tomllib
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.access import AccessError, check_mode, read_rules
from pipelines.settings import Settings

MIN_COOKIE_SECRET = 32
MIN_CELL_SIZE_FLOOR = 3  # the Statistik der BA never publishes a cell of fewer than 3 persons
AUTH_KEYS = ("redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url")
SNAPSHOT_ORIGIN_SQL = """
SELECT coalesce(synthetic, false) AS synthetic FROM load_runs
WHERE status = 'success' ORDER BY run_id DESC LIMIT 1"""


@dataclass(frozen=True)
class Finding:
    """One check: what was found and, where it failed, what to configure."""

    check: str
    ok: bool
    message: str
    fix: str = ""


def is_loopback(address: str | None) -> bool:
    """True when ``address`` reaches this machine only. Empty means every interface (Streamlit's default)."""
    address = (address or "").strip().strip("[]")
    if not address:
        return False
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(address, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0].split("%")[0]).is_loopback for i in infos)


def _url_problem(value: object, name: str) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return f"{name} fehlt"
    url = urllib.parse.urlsplit(value)
    if url.scheme not in ("http", "https") or not url.hostname:
        return f"{name} ist keine http(s)-Adresse"
    if url.scheme == "http" and not is_loopback(url.hostname):
        return f"{name} muss https verwenden (http nur auf dieser Maschine selbst)"
    return None


def auth_findings(secrets: Mapping[str, object] | None) -> list[Finding]:
    """The ``[auth]`` section Streamlit's ``st.login`` uses: present, complete, a strong cookie secret."""
    name = "Anmeldung ([auth])"
    auth = secrets.get("auth") if secrets else None
    fix = ("im Abschnitt [auth] der Geheimnisdatei (access.secrets_file) redirect_uri, cookie_secret, client_id, "
           "client_secret und server_metadata_url eintragen (docs/access.md)")
    if not isinstance(auth, Mapping):
        return [Finding(name, False, "der Abschnitt [auth] mit dem Identitätsanbieter fehlt", fix)]
    problems = [f"{key} fehlt" for key in ("client_id", "client_secret") if not str(auth.get(key) or "").strip()]
    for key in ("redirect_uri", "server_metadata_url"):
        problem = _url_problem(auth.get(key), key)
        if problem:
            problems.append(problem)
    redirect = str(auth.get("redirect_uri") or "")
    if redirect and not urllib.parse.urlsplit(redirect).path.endswith("/oauth2callback"):
        problems.append("redirect_uri muss auf /oauth2callback enden")
    secret = str(auth.get("cookie_secret") or "")
    if len(secret) < MIN_COOKIE_SECRET or "openssl" in secret or "…" in secret:
        problems.append(f"cookie_secret muss eine zufällige Zeichenfolge von mindestens {MIN_COOKIE_SECRET} "
                        "Zeichen sein (z. B. openssl rand -hex 32)")
    if problems:
        return [Finding(name, False, "; ".join(problems), fix)]
    return [Finding(name, True, f"Identitätsanbieter {auth['server_metadata_url']}, Client {auth['client_id']}")]


def read_secrets(settings: Settings) -> tuple[Path, dict[str, object] | None, str]:
    """The secrets file ``steering serve`` hands to Streamlit, parsed; (path, content or None, problem)."""
    path = Path(settings.access.secrets_file or ".streamlit/secrets.toml")
    try:
        return path, tomllib.loads(path.read_text(encoding="utf-8")), ""
    except FileNotFoundError:
        return path, None, f"die Geheimnisdatei {path} gibt es nicht"
    except (OSError, UnicodeDecodeError) as exc:
        return path, None, f"die Geheimnisdatei {path} lässt sich nicht lesen ({exc})"
    except tomllib.TOMLDecodeError as exc:
        return path, None, f"die Geheimnisdatei {path} ist kein gültiges TOML ({exc})"


def address_findings(mode: str, address: str | None) -> list[Finding]:
    name = "Adresse"
    if mode == "demo" and not is_loopback(address):
        shown = address or "alle Netzwerkadressen"
        return [Finding(name, False, f"der Demo-Modus hat keine Anmeldung und darf nicht auf {shown} lauschen",
                        'dashboard.address = "localhost" oder access.mode = "login" (docs/access.md)')]
    where = address or "alle Netzwerkadressen"
    note = "" if is_loopback(address) else " (nur hinter einem Reverse-Proxy mit TLS betreiben, docs/betrieb.md)"
    return [Finding(name, True, f"lauscht auf {where}{note}")]


def snapshot_synthetic(con: duckdb.DuckDBPyConnection) -> bool | None:
    """Whether the current snapshot was loaded from synthetic data; None when nothing was loaded yet."""
    rows = con.execute(SNAPSHOT_ORIGIN_SQL).fetchall()
    return bool(rows[0][0]) if rows else None


def _database(path: Path) -> tuple[bool | None, set[tuple[str, str | None]], str]:
    """(synthetic, teams, problem) of the database file, read-only."""
    if not path.is_file():
        return None, set(), f"die Datenbank {path} gibt es nicht (erst steering load ausführen)"
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        return None, set(), f"die Datenbank {path} lässt sich nicht lesen ({str(exc).splitlines()[0]})"
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if "load_runs" not in tables:
            return None, set(), f"in {path} ist noch nichts geladen"
        synthetic = snapshot_synthetic(con)
        if synthetic is None:
            return None, set(), f"in {path} gibt es noch keinen erfolgreichen Ladelauf"
        teams = set(con.execute("SELECT team_id, unit FROM staging.teams").fetchall()) if "teams" in tables else set()
        return synthetic, teams, ""
    except duckdb.Error as exc:
        return None, set(), f"die Datenbank {path} lässt sich nicht lesen ({str(exc).splitlines()[0]})"
    finally:
        con.close()


def database_findings(mode: str, path: Path) -> tuple[list[Finding], set[tuple[str, str | None]]]:
    name = "Datenbank"
    synthetic, teams, problem = _database(path)
    if problem:
        return [Finding(name, False, problem, "database.path prüfen und steering load ausführen")], teams
    if mode == "demo" and not synthetic:
        return [Finding(name, False, f"{path} wurde nicht aus synthetischen Daten geladen; der Demo-Modus zeigt nur "
                        "Beispieldaten von steering sample",
                        'für echte Daten access.mode = "login" einrichten (docs/access.md)')], teams
    if mode == "login" and synthetic:
        return [Finding(name, False, f"{path} enthält synthetische Beispieldaten, nicht die Daten des Jobcenters",
                        "den Export des Fachverfahrens laden: steering load ORDNER")], teams
    kind = "synthetische Beispieldaten" if synthetic else "Daten des Jobcenters"
    return [Finding(name, True, f"{path} lesbar, {kind}")], teams


def access_findings(settings: Settings, teams: set[tuple[str, str | None]]) -> list[Finding]:
    name = "Zugriffsdatei"
    fix = "die Zugriffsdatei (access.file) nach access.example.yaml anlegen (docs/access.md)"
    try:
        rules = read_rules(Path(settings.access.file))
    except AccessError as exc:
        return [Finding(name, False, str(exc), fix)]
    if rules.empty:
        return [Finding(name, False, f"{settings.access.file} gibt niemandem Zugang", fix)]
    problems = []
    if teams:
        unknown = sorted(rules.team_ids() - {t for t, _ in teams})
        if unknown:
            problems.append(f"Teams, die es im Datenstand nicht gibt: {', '.join(unknown)}")
        units = sorted(rules.unit_names() - {u for _, u in teams if u})
        if units:
            problems.append(f"Bereiche, die es im Datenstand nicht gibt: {', '.join(units)}")
    if rules.groups and not settings.access.groups_claim:
        problems.append("die Datei vergibt Zugang an Gruppen, aber access.groups_claim ist leer")
    if problems:
        return [Finding(name, False, "; ".join(problems), "die Einträge an teams.csv des Exports anpassen")]
    return [Finding(name, True, f"{settings.access.file}: {len(rules.users)} Konten, {len(rules.groups)} Gruppen")]


def privacy_findings(settings: Settings) -> list[Finding]:
    k = settings.privacy.min_cell_size
    if k < MIN_CELL_SIZE_FLOOR:
        return [Finding("Mindestfallzahl", False, f"privacy.min_cell_size = {k} ist kleiner als "
                        f"{MIN_CELL_SIZE_FLOOR}; so kleine Gruppen lassen auf einzelne Personen schließen",
                        f"privacy.min_cell_size auf mindestens {MIN_CELL_SIZE_FLOOR} setzen (Vorgabe: 5)")]
    return [Finding("Mindestfallzahl", True, f"Gruppen unter {k} Personen werden nicht ausgewiesen")]


def provider_findings(secrets: Mapping[str, object] | None, timeout: float = 5.0) -> list[Finding]:
    """Whether the identity provider answers with its OpenID configuration (``steering check`` only)."""
    auth = secrets.get("auth") if secrets else None
    url = str(auth.get("server_metadata_url") or "") if isinstance(auth, Mapping) else ""
    if not url:
        return []
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - the configured provider
            meta = json.loads(response.read(1_000_000))
        if not isinstance(meta, dict) or not meta.get("authorization_endpoint"):
            raise ValueError("keine OpenID-Konfiguration")
    except (OSError, ValueError) as exc:
        return [Finding("Identitätsanbieter", False, f"{url} antwortet nicht mit einer OpenID-Konfiguration ({exc})",
                        "Adresse und Netzweg zum Identitätsanbieter prüfen")]
    return [Finding("Identitätsanbieter", True, f"erreichbar, Aussteller {meta.get('issuer')}")]


def run_checks(settings: Settings, db: Path, probe_provider: bool = True) -> list[Finding]:
    """Every check of the set-up ``settings`` describes, as ``steering check`` and ``steering serve`` run them."""
    try:
        mode = check_mode(settings)
    except AccessError as exc:
        return [Finding("Zugriffsmodus", False, str(exc), 'in der Konfiguration [access] mode = "login" setzen')]
    findings = [Finding("Zugriffsmodus", True, "Anmeldung über den Identitätsanbieter" if mode == "login"
                        else "Demo ohne Anmeldung (nur Beispieldaten, nur auf dieser Maschine)")]
    findings += address_findings(mode, settings.dashboard.address)
    db_findings, teams = database_findings(mode, db)
    findings += db_findings
    findings += privacy_findings(settings)
    if mode == "login":
        path, secrets, problem = read_secrets(settings)
        if problem:
            findings.append(Finding("Anmeldung ([auth])", False, problem,
                                    "access.secrets_file auf die Datei mit [auth] setzen (docs/access.md)"))
        elif path.stat().st_mode & 0o007:
            findings.append(Finding("Anmeldung ([auth])", False, f"die Geheimnisdatei {path} ist für alle Konten "
                                    "dieser Maschine lesbar", f"chmod 600 {path} (nur das Dienstkonto liest sie)"))
        else:
            findings += auth_findings(secrets)
            if probe_provider and all(f.ok for f in findings if f.check == "Anmeldung ([auth])"):
                findings += provider_findings(secrets)
        findings += access_findings(settings, teams)
    return findings
