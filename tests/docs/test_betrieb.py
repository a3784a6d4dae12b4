"""docs/betrieb.md, run: every code block of the operating guide is executed or checked here.

Why the blocks are read from the guide and not copied: a job center's IT copies them
verbatim, so the tested text must be the published text. The test substitutes only
what differs on a test machine (paths into a temp folder, free ports, a stand-in for
the identity provider, no service account) and runs the rest for real: the set-up
commands, ``steering check``, the unit's ``ExecStartPre``/``ExecStart``, nginx with TLS in
front of ``steering serve`` in headless Chromium, the monthly-load wrapper with a good
and a broken export, the cron lines, backup, restore, upgrade and rollback. Lines the
guide marks ``# kein Test: <Grund>`` (systemctl, useradd, pip install from the package
mirror) are left out; a block starting with that marker is only syntax-checked.
"""

from __future__ import annotations

import datetime as dt
import http.client
import http.server
import os
import re
import shlex
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from pipelines import agreements, synthetic
from pipelines.archive import datenstaende
from pipelines.load import load_folder
from tests.conftest import ROOT, SAMPLE_DIR
from tests.dashboard.served import (
    STEERING,
    chromium,
    clean_env,
    discovery_document,
    free_port,
    needs_chromium,
    processes_mentioning,
    served,
)

GUIDE = ROOT / "docs" / "betrieb.md"
VENV = Path(sys.executable).parent.parent  # not resolved: the venv's own bin/ holds steering and pip
NOT_RUN = "# kein Test:"
HOST = "steuerung.jobcenter-musterstadt.example"
PROVIDER = "https://login.jobcenter-musterstadt.example/realms/jc/.well-known/openid-configuration"
EXPORT_MONTH = "2026-06"
UNITS = ("steering.service", "steering-alarm@.service", "steering-monatslauf.service", "steering-monatslauf.timer",
         "steering-sicherung.service", "steering-sicherung.timer")
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).is_file()), None)

# Every titled block of the guide and the test that runs or checks it; test_every_block_is_run_or_says_why_not
# fails when the guide gains a block this list does not know, or loses one it names.
HANDLED = {
    "/etc/steering/steering.toml": "site (written), every test that runs steering",
    "/etc/steering/secrets.toml": "site (written with a stand-in provider and generated secrets)",
    "/etc/steering/access.yaml": "site (written); steering check checks it against the data",
    "rechte": "site (run); test_set_up_rights_first_load_and_check",
    "erstes-laden": "site (run); test_set_up_rights_first_load_and_check",
    "/etc/systemd/system/steering.service": "test_systemd_units, test_the_service_commands_run_as_the_unit_says",
    "/etc/systemd/system/steering-alarm@.service": "test_systemd_units",
    "dienst-einrichten": "test_systemd_units",
    "zertifikat": "test_nginx_serves_the_dashboard_with_tls_and_websocket",
    "/etc/nginx/sites-available/steering": "test_nginx_serves_the_dashboard_with_tls_and_websocket",
    "/usr/local/bin/steering-monatslauf.sh": "test_monthly_load_alerts_on_failure",
    "/etc/systemd/system/steering-monatslauf.service": "test_systemd_units, test_monthly_load_alerts_on_failure",
    "/etc/systemd/system/steering-monatslauf.timer": "test_systemd_units",
    "monatslauf-einrichten": "test_systemd_units",
    "/etc/cron.d/steering": "test_monthly_load_alerts_on_failure, test_backup_and_restore_into_another_folder",
    "nachladen": "test_monthly_load_alerts_on_failure",
    "/usr/local/bin/steering-sicherung.sh": "test_backup_and_restore_into_another_folder",
    "/etc/systemd/system/steering-sicherung.service": "test_systemd_units, test_backup_and_restore_...",
    "/etc/systemd/system/steering-sicherung.timer": "test_systemd_units",
    "sicherung-einrichten": "test_systemd_units",
    "wiederherstellen": "test_backup_and_restore_into_another_folder",
    "aktualisieren": "test_upgrade_and_rollback",
    "zurueck": "test_upgrade_and_rollback",
}
NOT_RUN_BLOCKS = {"installation", "nginx-einrichten", "alltag"}  # every command (or the block) marked "# kein Test:"


# --- the guide's blocks ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Block:
    lang: str
    title: str
    text: str
    line: int

    @property
    def skipped(self) -> bool:
        """A block whose first line is ``# kein Test: …`` is not run at all."""
        return self.text.lstrip().startswith(NOT_RUN)

    @property
    def commands(self) -> str:
        """The block without its ``# kein Test:`` lines: what the test runs."""
        if self.skipped:
            return ""
        return "".join(line for line in self.text.splitlines(keepends=True) if NOT_RUN not in line)


def read_guide() -> tuple[dict[str, Block], list[str]]:
    """(titled blocks, problems): every fenced block needs ``title=`` and a unique title."""
    blocks: dict[str, Block] = {}
    problems: list[str] = []
    lines = GUIDE.read_text(encoding="utf-8").splitlines(keepends=True)
    i = 0
    while i < len(lines):
        opening = lines[i].rstrip("\n")
        if not opening.startswith("```"):
            i += 1
            continue
        info, start = opening[3:].strip(), i + 1
        end = next((j for j in range(start, len(lines)) if lines[j].rstrip() == "```"), None)
        if end is None:
            problems.append(f"line {start}: the block is not closed")
            break
        match = re.search(r"\btitle=(\S+)", info)
        if not match:
            problems.append(f"line {start}: block without title= ({info or 'no info string'})")
        elif match.group(1) in blocks:
            problems.append(f"line {start}: second block titled {match.group(1)}")
        else:
            blocks[match.group(1)] = Block(info.split()[0], match.group(1), "".join(lines[start:end]), start)
        i = end + 1
    return blocks, problems


BLOCKS, PROBLEMS = read_guide()


def block(title: str) -> Block:
    assert title in BLOCKS, f"docs/betrieb.md has no block titled {title}"
    return BLOCKS[title]


# --- a machine laid out as the guide says, in a temp folder ---------------------------------------------------

@dataclass
class Site:
    """The guide's paths mapped into ``root``; ``shared`` maps guide paths onto another site's folders."""

    root: Path
    discovery: str
    shared: dict[str, Path] = field(default_factory=dict)
    first_load: str = ""  # the output of the guide's "erstes-laden" (load, then check)

    def __post_init__(self) -> None:
        dirs = {"/etc/steering": "etc", "/etc/systemd/system": "systemd", "/etc/ssl": "ssl",
                "/var/lib/steering": "var", "/srv/steering/export": "export", "/srv/sicherung/steering": "sicherung",
                "/usr/local/bin": "bin"}
        self.paths = {guide: self.shared.get(guide, self.root / name) for guide, name in dirs.items()}
        for path in [*self.paths.values(), self.root / "ssl" / "private", self.root / "ssl" / "certs", self.fakebin]:
            path.mkdir(parents=True, exist_ok=True)
        self.mapping = {"runuser -u steering -- ": "", "/opt/steering/venv": str(VENV), PROVIDER: self.discovery,
                        **{guide: str(path) for guide, path in self.paths.items()}}
        self.pattern = re.compile("|".join(re.escape(k) for k in sorted(self.mapping, key=len, reverse=True)))
        for tool in ("logger", "mail"):  # stand-ins for the alert commands: record how they were called
            fake = self.fakebin / tool
            fake.write_text(f'#!/bin/sh\n{{ printf "%s" "{tool}"; for a in "$@"; do printf " [%s]" "$a"; done; echo; '
                            f'cat; echo "--"; }} >> "{self.alarms}"\n', encoding="utf-8")
            fake.chmod(0o755)

    @property
    def fakebin(self) -> Path:
        return self.root / "fakebin"

    @property
    def alarms(self) -> Path:
        return self.root / "alarms.log"

    @property
    def db(self) -> Path:
        return self.path("/var/lib/steering/steering.duckdb")

    def render(self, text: str) -> str:
        """The guide's text with this site's paths, tools and provider (one pass: replacements never cascade)."""
        return self.pattern.sub(lambda m: self.mapping[m.group(0)], text)

    def path(self, guide_path: str) -> Path:
        return Path(self.render(guide_path))

    def env(self, **extra: str) -> dict[str, str]:
        return clean_env(PATH=f"{self.fakebin}:{os.environ.get('PATH', '/usr/bin:/bin')}", **extra)

    def run(self, script: str, env: dict[str, str] | None = None, cwd: Path | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess:
        """Run shell text from the guide (already rendered) with bash, stopping at the first failing command."""
        return subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True,
                              env=env or self.env(), cwd=cwd or self.root, timeout=timeout)

    def run_block(self, title: str, **kwargs: object) -> subprocess.CompletedProcess:
        return self.run(self.render(block(title).commands), **kwargs)  # type: ignore[arg-type]

    def write(self, title: str, text: str | None = None, mode: int = 0o644) -> Path:
        """Put a file block where the guide says (rendered)."""
        target = self.path(title)
        target.write_text(self.render(block(title).text) if text is None else text, encoding="utf-8")
        target.chmod(mode)
        return target


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout + result.stderr


def install_configuration(site: Site) -> subprocess.CompletedProcess:
    """/etc/steering as the guide has it: configuration, secrets (placeholders filled), access file, rights."""
    site.write("/etc/steering/steering.toml")
    secrets = site.render(block("/etc/steering/secrets.toml").text)
    cookie = subprocess.run(["openssl", "rand", "-hex", "32"], capture_output=True, text=True, check=True).stdout
    assert "openssl rand -hex 32" in GUIDE.read_text(encoding="utf-8")  # the command the guide names for it
    for key, value in {"cookie_secret": cookie.strip(), "client_secret": "test-client-secret"}.items():
        secrets, n = re.subn(rf'^{key} = "…"$', f'{key} = "{value}"', secrets, flags=re.M)
        assert n == 1, f"the guide's secrets.toml has no placeholder {key} = \"…\""
    site.write("/etc/steering/secrets.toml", secrets)
    site.write("/etc/steering/access.yaml")
    return site.run_block("rechte")


def load_runs(db: Path) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT * FROM load_runs ORDER BY run_id").fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def discovery() -> Iterator[str]:
    """Stands in for the identity provider: answers with an OpenID configuration, as ``steering check`` asks."""
    with discovery_document() as url:
        yield url


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, discovery: str) -> Site:
    """The set-up of the guide's "Einrichtung", on a real (not synthetic) export, first load and check done."""
    s = Site(tmp_path_factory.mktemp("betrieb"), discovery)
    ok(install_configuration(s))
    export = s.path(f"/srv/steering/export/{EXPORT_MONTH}")
    shutil.copytree(SAMPLE_DIR, export)
    (export / synthetic.MANIFEST).unlink()  # a job center's export: real data, as login mode requires
    for title in ("/usr/local/bin/steering-monatslauf.sh", "/usr/local/bin/steering-sicherung.sh"):
        s.write(title, mode=0o755)
    for name in UNITS:
        s.write(f"/etc/systemd/system/{name}")
    s.first_load = ok(s.run_block("erstes-laden"))
    return s


# --- the guide itself -----------------------------------------------------------------------------------------

def test_every_block_is_run_or_says_why_not() -> None:
    assert not PROBLEMS, PROBLEMS
    assert set(BLOCKS) == set(HANDLED) | NOT_RUN_BLOCKS, (
        f"blocks nobody runs: {sorted(set(BLOCKS) - set(HANDLED) - NOT_RUN_BLOCKS)}; "
        f"named here but gone from the guide: {sorted((set(HANDLED) | NOT_RUN_BLOCKS) - set(BLOCKS))}")
    for title in NOT_RUN_BLOCKS:  # each of their commands says why it is not run
        assert not block(title).commands.strip(), f"{title}: a command without '{NOT_RUN} <Grund>'"
    for title in set(HANDLED) & set(BLOCKS):
        assert block(title).commands.strip(), f"{title}: nothing left to run or check"
    for b in BLOCKS.values():
        for line in b.text.splitlines():
            if NOT_RUN in line:
                assert len(line.split(NOT_RUN, 1)[1].strip()) > 10, f"{b.title}: a '{NOT_RUN}' without a reason"
        if b.lang == "bash":  # skipped blocks too: at least they must be valid shell
            result = subprocess.run(["bash", "-n"], input=b.text, capture_output=True, text=True)
            assert result.returncode == 0, f"{b.title} (line {b.line}): {result.stderr}"


def test_set_up_rights_first_load_and_check(site: Site) -> None:
    modes = {"/etc/steering": 0o750, "/etc/steering/steering.toml": 0o640, "/etc/steering/access.yaml": 0o640,
             "/etc/steering/secrets.toml": 0o600, "/etc/steering/pseudonym.key": 0o600}
    for guide_path, mode in modes.items():
        assert site.path(guide_path).stat().st_mode & 0o777 == mode, guide_path
    assert re.fullmatch(r"[0-9a-f]{64}\n", site.path("/etc/steering/pseudonym.key").read_text())
    output = site.first_load
    assert "Die Einrichtung ist vollständig." in output and "✗" not in output
    assert "✓ Identitätsanbieter: erreichbar" in output  # check asked the (stand-in) provider
    assert "Anmeldung über den Identitätsanbieter" in output and "Daten des Jobcenters" in output
    assert [r[3] for r in load_runs(site.db)] == ["success"]


# --- systemd --------------------------------------------------------------------------------------------------

def parse_unit(text: str) -> dict[str, list[tuple[str, str]]]:
    """A unit file as systemd reads it: sections of (key, value), keys may repeat (Environment=)."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        assert current is not None and "=" in line, f"not a unit file line: {raw}"
        key, _, value = line.partition("=")
        current.append((key.strip(), value.strip()))
    return sections


def unit(site: Site, name: str) -> dict[str, list[tuple[str, str]]]:
    return parse_unit(site.path(f"/etc/systemd/system/{name}").read_text(encoding="utf-8"))


def values(parsed: dict[str, list[tuple[str, str]]], section: str, key: str) -> list[str]:
    return [v for k, v in parsed.get(section, []) if k == key]


def one(parsed: dict[str, list[tuple[str, str]]], section: str, key: str) -> str:
    found = values(parsed, section, key)
    assert len(found) == 1, f"[{section}] {key}= expected once, found {found}"
    return found[0]


def unit_process(parsed: dict[str, list[tuple[str, str]]], key: str, site: Site,
                 **extra: str) -> tuple[list[str], dict[str, str], Path]:
    """(argv, environment, working directory) of ``ExecStart``/``ExecStartPre`` as systemd would run it."""
    command = one(parsed, "Service", key).lstrip("-@+!:")
    env = site.env(**extra)
    for assignments in values(parsed, "Service", "Environment"):
        for item in shlex.split(assignments):
            name, _, value = item.partition("=")
            env[name] = value
    env.update(extra)
    return shlex.split(command), env, Path(one(parsed, "Service", "WorkingDirectory"))


def test_systemd_units(site: Site) -> None:
    data = str(site.path("/var/lib/steering"))
    dashboard = unit(site, "steering.service")
    expected_settings = {"User": "steering", "Group": "steering", "Restart": "on-failure", "NoNewPrivileges": "yes",
                         "ProtectSystem": "strict", "PrivateTmp": "yes", "ProtectHome": "yes", "WorkingDirectory": data,
                         "Environment": f"STEERING_CONFIG={site.path('/etc/steering/steering.toml')}"}
    for key, expected in expected_settings.items():
        assert expected in values(dashboard, "Service", key), f"steering.service: {key}={expected}"
    assert one(dashboard, "Service", "ExecStart").endswith("/bin/steering serve")
    assert one(dashboard, "Service", "ExecStartPre").endswith("/bin/steering check")
    assert one(dashboard, "Unit", "OnFailure") == "steering-alarm@%n.service"
    assert one(dashboard, "Install", "WantedBy") == "multi-user.target"
    for name in ("steering.service", "steering-monatslauf.service", "steering-sicherung.service"):
        parsed = unit(site, name)
        assert data in one(parsed, "Service", "ReadWritePaths").split(), name
        assert one(parsed, "Service", "User") == "steering" and one(parsed, "Service", "ProtectSystem") == "strict"
        assert one(parsed, "Unit", "OnFailure") == "steering-alarm@%n.service", name
    assert str(site.path("/srv/sicherung/steering")) in one(unit(site, "steering-sicherung.service"), "Service",
                                                            "ReadWritePaths").split()
    assert one(unit(site, "steering-monatslauf.service"), "Service", "Type") == "oneshot"
    assert "mail -s" in one(unit(site, "steering-alarm@.service"), "Service", "ExecStart")
    for timer in ("steering-monatslauf.timer", "steering-sicherung.timer"):
        parsed = unit(site, timer)
        assert one(parsed, "Timer", "Persistent") == "true" and one(parsed, "Install", "WantedBy") == "timers.target"
        if SYSTEMD_ANALYZE:
            ok(subprocess.run([SYSTEMD_ANALYZE, "calendar", one(parsed, "Timer", "OnCalendar")], capture_output=True,
                              text=True))
    # the guide's own commands: chmod, systemd-analyze verify and calendar (systemctl lines are marked kein Test)
    for title in ("dienst-einrichten", "monatslauf-einrichten", "sicherung-einrichten"):
        script = site.render(block(title).commands)
        if not SYSTEMD_ANALYZE:  # the key settings above are checked anyway
            script = "\n".join(line for line in script.splitlines() if not line.startswith("systemd-analyze"))
        result = site.run(script)
        output = ok(result)
        problems = [line for line in result.stderr.splitlines() if any(u in line for u in UNITS)]
        assert not problems, f"{title}: systemd-analyze verify found\n" + "\n".join(problems)
        if "calendar" in script:
            assert "Next elapse" in output
    assert os.access(site.path("/usr/local/bin/steering-monatslauf.sh"), os.X_OK)


def test_the_service_commands_run_as_the_unit_says(site: Site, tmp_path: Path) -> None:
    """ExecStartPre (steering check) and ExecStart (steering serve, login mode) with the unit's environment."""
    dashboard = unit(site, "steering.service")
    argv, env, cwd = unit_process(dashboard, "ExecStartPre", site)
    check = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=cwd, timeout=120)
    assert "Die Einrichtung ist vollständig." in ok(check)
    port = free_port()
    argv, env, cwd = unit_process(dashboard, "ExecStart", site, STEERING_DASHBOARD_PORT=str(port))
    with served(argv, env, tmp_path / "serve.log", port, cwd=cwd) as url:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as response:
            assert response.read() == b"ok"
    assert processes_mentioning(f"--server.port {port}") == []


# --- nginx with TLS in front of the dashboard -----------------------------------------------------------------

def nginx_site(site: Site, https_port: int, http_port: int, dashboard_port: int) -> str:
    """The guide's nginx page with test ports: loopback only, no IPv6 (the container may have none)."""
    text = site.render(block("/etc/nginx/sites-available/steering").text)
    for old, new in {"listen 443 ssl;": f"listen 127.0.0.1:{https_port} ssl;", "listen 80;": f"listen 127.0.0.1:"
                     f"{http_port};", "proxy_pass http://127.0.0.1:8501;": f"proxy_pass http://127.0.0.1:"
                     f"{dashboard_port};"}.items():
        assert text.count(old) == 1, f"the guide's nginx page has no single '{old}'"
        text = text.replace(old, new)
    text, n = re.subn(r"^\s*listen \[::\]:\d+[^\n]*\n", "", text, flags=re.M)
    assert n == 2, "expected an IPv6 listen line per server"
    return text


def group_members(pgid: int) -> list[int]:
    """Live processes of a process group (nginx's workers do not name its configuration in their title)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def unverified() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the test's self-signed certificate
    return context


def https_get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    con = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=unverified())
    try:
        con.request("GET", path, headers=headers or {})
        response = con.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        con.close()


@pytest.mark.browser
@needs_chromium
@pytest.mark.skipif(NGINX is None, reason="Debian's nginx is missing (.ci/run installs it: apt-get install nginx)")
def test_nginx_serves_the_dashboard_with_tls_and_websocket(site: Site, tmp_path: Path) -> None:
    demo_db = tmp_path / "demo.duckdb"
    load_folder(SAMPLE_DIR, demo_db)  # synthetic: what demo mode may show
    ok(site.run_block("zertifikat"))
    key, csr = site.path(f"/etc/ssl/private/{HOST}.key"), site.path(f"/etc/ssl/{HOST}.csr")
    cert = site.path(f"/etc/ssl/certs/{HOST}.pem")
    assert key.stat().st_mode & 0o777 == 0o600
    ok(subprocess.run(["openssl", "x509", "-req", "-in", str(csr), "-signkey", str(key), "-days", "2", "-out",
                       str(cert)], capture_output=True, text=True))  # what the job center's CA would do

    https_port, http_port, dashboard_port = free_port(), free_port(), free_port()
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    (prefix / "steering.conf").write_text(nginx_site(site, https_port, http_port, dashboard_port), encoding="utf-8")
    temp_paths = "".join(f"    {kind}_temp_path {prefix / kind};\n" for kind in
                         ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    conf = prefix / "nginx.conf"
    conf.write_text(("user root;\n" if os.geteuid() == 0 else "")  # workers must reach the temp folders
                    + f"worker_processes 1;\npid {prefix / 'nginx.pid'};\nevents {{ worker_connections 256; }}\n"
                    f"http {{\n    access_log {prefix / 'access.log'};\n{temp_paths}"
                    f"    include {prefix / 'steering.conf'};\n}}\n", encoding="utf-8")
    nginx = [str(NGINX), "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")]
    ok(subprocess.run([*nginx, "-t"], capture_output=True, text=True, timeout=30))

    serve = [str(STEERING), "serve", "--demo", "--db", str(demo_db), "--port", str(dashboard_port)]
    with served(serve, clean_env(), tmp_path / "serve.log", dashboard_port), \
            (prefix / "nginx.out").open("w") as log:
        proxy = subprocess.Popen([*nginx, "-g", "daemon off;"], stdout=log, stderr=subprocess.STDOUT,
                                 start_new_session=True)
        try:
            deadline = time.monotonic() + 15
            while True:
                try:
                    status, headers, body = https_get(https_port, "/_stcore/health")
                    break
                except OSError:
                    assert proxy.poll() is None and time.monotonic() < deadline, (prefix / "error.log").read_text()
                    time.sleep(0.2)
            assert (status, body) == (200, b"ok")
            assert headers["strict-transport-security"].startswith("max-age=63072000")

            plain = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
            plain.request("GET", "/team?team=T01")
            response = plain.getresponse()
            assert response.status == 301 and response.getheader("Location") == "https://127.0.0.1/team?team=T01"
            plain.close()

            # Streamlit's sign-in cookies: chunks of just under 4 KB, all in one Cookie header (24 KB here)
            cookies = "; ".join(f"_streamlit_user_{i}={'x' * 3990}" for i in range(6))
            assert https_get(https_port, "/_stcore/health", {"Cookie": cookies})[0] == 200

            sync_api = pytest.importorskip("playwright.sync_api")
            with chromium() as browser:
                context = browser.new_context(ignore_https_errors=True)
                page = context.new_page()
                sockets: list[str] = []
                page.on("websocket", lambda ws: sockets.append(ws.url))
                page.goto(f"https://127.0.0.1:{https_port}/", wait_until="domcontentloaded")
                sync_api.expect(page.locator("h1").first).to_contain_text("Überblick", timeout=30_000)
                context.close()
            assert f"wss://127.0.0.1:{https_port}/_stcore/stream" in sockets, sockets
            assert re.search(r'"GET /_stcore/stream HTTP/1.1" 101 ', (prefix / "access.log").read_text())
        finally:
            if proxy.poll() is None:
                os.killpg(proxy.pid, signal.SIGTERM)
            try:
                proxy.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proxy.pid, signal.SIGKILL)
                proxy.wait(timeout=5)
            deadline = time.monotonic() + 5
            while group_members(proxy.pid) and time.monotonic() < deadline:
                time.sleep(0.1)
    assert group_members(proxy.pid) == [], "nginx left processes behind"
    assert processes_mentioning(f"--server.port {dashboard_port}") == []
    assert processes_mentioning(str(conf)) == []


# --- the monthly load -----------------------------------------------------------------------------------------

def cron_file(site: Site) -> tuple[dict[str, str], dict[str, str]]:
    """(environment lines, command per script name) of the guide's /etc/cron.d file."""
    env, jobs = {}, {}
    for line in site.render(block("/etc/cron.d/steering").text).splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        assignment = re.fullmatch(r"([A-Z_]+)=(.*)", line)
        if assignment:
            env[assignment.group(1)] = assignment.group(2)
            continue
        fields = line.split(None, 6)
        assert len(fields) == 7 and fields[5] == "steering", f"not a cron.d line with the service account: {line}"
        assert "%" not in fields[6], f"cron turns % into a line break: {line}"
        script = next(word for word in shlex.split(fields[6]) if word.endswith(".sh"))
        jobs[Path(script).name] = fields[6]
    return env, jobs


def run_cron(site: Site, command: str) -> subprocess.CompletedProcess:
    """One cron job as cron runs it: its SHELL, the file's variables, as the calling account."""
    env, _ = cron_file(site)
    extra = {k: v for k, v in env.items() if k not in ("PATH", "SHELL", "MAILTO")}
    full_env = site.env(**extra)
    full_env["PATH"] = f"{site.fakebin}:{env['PATH']}"
    return subprocess.run([env["SHELL"], "-c", command], capture_output=True, text=True, env=full_env, timeout=120)


def alarms(site: Site) -> str:
    text = site.alarms.read_text(encoding="utf-8") if site.alarms.exists() else ""
    site.alarms.unlink(missing_ok=True)
    return text


def test_monthly_load_alerts_on_failure(site: Site) -> None:
    script = site.path("/usr/local/bin/steering-monatslauf.sh")
    alarms(site)
    before = len(load_runs(site.db))

    # as the timer starts it: the unit's ExecStart, environment and working folder; the newest export
    argv, env, cwd = unit_process(unit(site, "steering-monatslauf.service"), "ExecStart", site)
    assert argv == [str(script)]
    output = ok(subprocess.run(argv, capture_output=True, text=True, env=env, cwd=cwd, timeout=120))
    assert f"Monatslauf erfolgreich: {site.path('/srv/steering/export/' + EXPORT_MONTH)}" in output
    assert alarms(site) == "" and len(load_runs(site.db)) == before + 1
    assert "Monatslauf erfolgreich" in ok(site.run_block("nachladen"))  # by hand, with the folder named
    assert alarms(site) == ""
    runs = load_runs(site.db)

    broken = site.path("/srv/steering/export/2026-07")  # the newest folder now, and empty
    broken.mkdir()
    try:
        result = subprocess.run([str(script)], capture_output=True, text=True, env=site.env(), timeout=120)
        assert result.returncode != 0, result.stdout
        alert = alarms(site)
        assert alert.startswith("logger [-p] [user.err] [-t] [steering-monatslauf]"), alert
        assert "Monatslauf des Steuerungsdashboards fehlgeschlagen" in alert and "die Pflichttabelle" in alert
        assert str(broken) in alert and "die Datenbank ist unverändert" in alert
        assert load_runs(site.db) == runs  # unchanged
        assert site.db.with_name(site.db.name + ".failed-loads.jsonl").is_file()

        _, jobs = cron_file(site)
        result = run_cron(site, jobs["steering-monatslauf.sh"])
        assert result.returncode != 0
        alert = alarms(site)
        assert alert.startswith("mail [-s] [Steuerungsdashboard: Monatslauf fehlgeschlagen] "
                                "[it-betrieb@jobcenter-musterstadt.example]"), alert
        assert "die Pflichttabelle" in alert
        assert "steering load" not in result.stdout + result.stderr  # the job's output went to its log file
        assert "die Pflichttabelle" in site.path("/var/lib/steering/monatslauf.log").read_text(encoding="utf-8")
    finally:
        broken.rmdir()

    empty = site.root / "leer"
    empty.mkdir()
    result = subprocess.run([str(script)], capture_output=True, text=True, env=site.env(MONATSLAUF_EINGANG=str(empty)),
                            timeout=60)
    assert result.returncode == 2 and "kein Export" in alarms(site)

    # loaded, but the agreements could not be backed up (reviews.path is the database itself): alert, exit 0
    result = subprocess.run([str(script)], capture_output=True, text=True,
                            env=site.env(STEERING_REVIEWS_PATH=str(site.db)), timeout=120)
    assert "Monatslauf erfolgreich" in ok(result)
    alert = alarms(site)
    assert "mit Warnungen" in alert and "Warnung: reviews.path ist die Datenbank selbst" in alert


# --- backups --------------------------------------------------------------------------------------------------

def test_backup_and_restore_into_another_folder(site: Site, discovery: str, tmp_path: Path) -> None:
    store = site.path("/var/lib/steering/agreements.duckdb")
    agreements.add(store, "T01", dt.date(2026, 6, 1), "Erstgespräche innerhalb von 14 Tagen", "Teamleitung",
                   dt.date(2026, 7, 31))  # what the dashboard writes in a review meeting
    agreements.add(store, "T02", dt.date(2026, 6, 1), "Kooperationspläne nachhalten", status="in_progress")

    argv, env, cwd = unit_process(unit(site, "steering-sicherung.service"), "ExecStart", site)
    output = ok(subprocess.run(argv, capture_output=True, text=True, env=env, cwd=cwd, timeout=120))
    day = site.path(f"/srv/sicherung/steering/{dt.date.today():%Y-%m-%d}")
    assert f"Gesichert nach {day}" in output
    assert {p.name for p in day.iterdir()} == {"agreements.duckdb", "steering.duckdb", "archive.tar.gz"}
    _, jobs = cron_file(site)
    ok(run_cron(site, jobs["steering-sicherung.sh"]))  # the cron variant of the same

    other = Site(tmp_path / "zweiter-rechner", discovery,
                 shared={"/srv/sicherung/steering": site.path("/srv/sicherung/steering")})
    ok(install_configuration(other))
    restored = ok(other.run_block("wiederherstellen"))
    assert "Die Einrichtung ist vollständig." in restored

    assert other.db != site.db and load_runs(other.db) == load_runs(site.db)
    pd_testing = pytest.importorskip("pandas.testing")
    pd_testing.assert_frame_equal(agreements.all_agreements(other.path("/var/lib/steering/agreements.duckdb")),
                                  agreements.all_agreements(store))
    assert len(agreements.all_agreements(store)) == 2
    assert datenstaende(other.path("/var/lib/steering/archive")) == datenstaende(site.path("/var/lib/steering/archive"))
    assert datenstaende(other.path("/var/lib/steering/archive"))


# --- upgrades -------------------------------------------------------------------------------------------------

def test_upgrade_and_rollback(site: Site) -> None:
    """What runs here of both: backup, pip show, reload in the (new) format, check; pip install is kein Test."""
    before = len(load_runs(site.db))
    upgraded = ok(site.run_block("aktualisieren"))
    assert "Gesichert nach" in upgraded and "Name: jobcenter-steering" in upgraded
    assert "Monatslauf erfolgreich" in upgraded and "Die Einrichtung ist vollständig." in upgraded
    back = ok(site.run_block("zurueck"))
    assert "Monatslauf erfolgreich" in back and "Die Einrichtung ist vollständig." in back
    assert [r[3] for r in load_runs(site.db)[before:]] == ["success", "success"]
    assert alarms(site) == ""
