"""A real OpenID Connect provider for the login tests: ``tests/oidc/provider.mjs`` (npm ``oidc-provider``,
installed from the committed ``package-lock.json``) on 127.0.0.1, and the browser steps of its login form.

Why a real provider and not a stub: the production path is Streamlit's ``st.login`` through Authlib
(discovery, PKCE, code exchange, ID token signature and nonce, logout at the provider); only a certified
implementation exercises all of it. No test helper of ours imitates any of those steps.

Usage::

    oidc_provider.ensure_installed()                  # npm ci from the lockfile when needed (test set-up)
    client = {"client_id": "steering", "client_secret": "s3cret", "redirect_uris": [f"{app}/oauth2callback"]}
    with oidc_provider.OidcProvider({"ana": {"email": "ana@x.example", "groups": ["G1"]}}, [client]) as idp:
        ...  # [auth] server_metadata_url = idp.metadata_url; start the app
        page.get_by_role("button", name="Log in").click()
        oidc_provider.sign_in(page, "ana", app_url=app)
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

OIDC_DIR = Path(__file__).resolve().parent.parent / "oidc"
PROVIDER_SCRIPT = OIDC_DIR / "provider.mjs"
LOGIN_INPUT = 'form input[name="login"]'
PASSWORD_INPUT = 'form input[name="password"]'
LOGIN_SUBMIT = 'form:has(input[name="login"]) [type="submit"]'
CONSENT_SUBMIT = 'form:has(input[name="prompt"][value="consent"]) [type="submit"]'
ERROR_HEADING = 'h1:has-text("oops! something went wrong")'
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


def node_available() -> bool:
    """Node.js and npm are the only things the login tests may skip for: everything else is installed by them."""
    return shutil.which("node") is not None and shutil.which("npm") is not None


def skip_reason() -> str:
    return "Node.js and npm are not installed (the identity provider of the login tests is a Node program)"


def ensure_installed() -> None:
    """The test set-up step: ``npm ci`` from the committed lockfile when node_modules is missing or older than it.

    A lock in the temp folder keeps test processes running side by side from installing into the same folder.
    """
    lock = OIDC_DIR / "package-lock.json"
    with open(Path(tempfile.gettempdir()) / f"steering-oidc-npm-{os.getuid()}.lock", "w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        if _installed_is_current(lock):
            return
        result = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=OIDC_DIR,
                                capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
        if result.returncode != 0 or not _installed_is_current(lock):
            raise RuntimeError(f"npm ci in {OIDC_DIR} failed:\n{result.stdout}\n{result.stderr}")


def _installed_is_current(lock: Path) -> bool:
    marker = OIDC_DIR / "node_modules" / ".package-lock.json"  # npm writes it last, after every install
    package = OIDC_DIR / "node_modules" / "oidc-provider" / "package.json"
    return marker.is_file() and package.is_file() and marker.stat().st_mtime >= lock.stat().st_mtime


def processes_in_group(pgid: int) -> list[int]:
    """Live (non-zombie) pids in process group ``pgid``, from /proc: the proof that nothing was left running."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) ": state ppid pgrp ...
        if fields[0] != "Z" and int(fields[2]) == pgid:
            found.append(int(entry.name))
    return found


def stop_group(proc: subprocess.Popen, timeout: float = 10) -> None:
    """SIGTERM the process group of ``proc`` (started with ``start_new_session=True``), SIGKILL what outlives
    ``timeout``; raise if anything of the group survives that."""
    pgid = proc.pid
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        pass
    deadline = time.monotonic() + timeout
    while processes_in_group(pgid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if processes_in_group(pgid) or proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        proc.wait(timeout=5)
        time.sleep(0.2)
    left = processes_in_group(pgid)
    if left:
        raise RuntimeError(f"processes of group {pgid} survived SIGKILL: {left}")


class OidcProvider:
    """``with OidcProvider(accounts, clients) as idp:`` a provider at ``idp.issuer``; its whole process group is
    stopped on exit.

    ``accounts`` maps a login name (typed at the login form) to the claims of its ID token; any other login signs
    in with just ``sub`` and ``email`` = the login. ``clients`` are registered as given
    (``post_logout_redirect_uris`` default to the ``redirect_uris``). ``port=None`` lets the provider pick a free
    port itself, so there is no race for it. ``consent="form"`` shows the dev consent page instead of granting
    consent silently.
    """

    def __init__(self, accounts: dict[str, dict[str, Any]], clients: list[dict[str, Any]], port: int | None = None,
                 *, consent: str = "auto", startup_timeout: float = 30) -> None:
        self._config = {"port": port or 0, "accounts": accounts, "clients": clients, "consent": consent}
        self._startup_timeout = startup_timeout
        self._proc: subprocess.Popen | None = None
        self._dir: tempfile.TemporaryDirectory | None = None
        self.issuer = ""
        self.metadata_url = ""
        self.output = ""  # what the provider printed, kept after exit for failure messages
        self.config_path: Path | None = None  # on its command line: how to find the process (tests/dashboard)

    @property
    def port(self) -> int:
        return int(self.issuer.rsplit(":", 1)[1])

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def log(self) -> Path:
        assert self._dir is not None, "the provider is not running"
        return Path(self._dir.name) / "provider.log"

    def log_text(self) -> str:
        if self._dir is not None and self.log.is_file():
            return self.log.read_text(errors="replace")
        return self.output

    def set_accounts(self, accounts: dict[str, dict[str, Any]]) -> None:
        """Replace the accounts of the running provider; the next sign-in sees them.

        Why: a test can try many accounts (or change an account's groups) without restarting anything. Claim names
        other than email, profile claims and groups reach the ID token only if some account had them at start.
        """
        assert self._dir is not None, "the provider is not running"
        self._config["accounts"] = accounts
        self._write_config()

    def _write_config(self) -> Path:
        assert self._dir is not None
        config = Path(self._dir.name) / "config.json"
        fresh = config.with_suffix(".new")
        fresh.write_text(json.dumps(self._config), encoding="utf-8")
        fresh.replace(config)  # atomic: the provider never reads half a file
        return config

    def __enter__(self) -> OidcProvider:
        ensure_installed()
        self._dir = tempfile.TemporaryDirectory(prefix="oidc-provider-")
        config = self.config_path = self._write_config()
        with self.log.open("w") as fh:
            self._proc = subprocess.Popen(["node", str(PROVIDER_SCRIPT), str(config)], cwd=OIDC_DIR,
                                          stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                          start_new_session=True, env={**os.environ, "NODE_ENV": "test"})
        try:
            self._wait_until_ready()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait_until_ready(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + self._startup_timeout
        while not self.issuer:
            found = re.search(r"^READY (http://127\.0\.0\.1:\d+)$", self.log.read_text(errors="replace"), re.M)
            if found:
                self.issuer = found.group(1)
                self.metadata_url = f"{self.issuer}/.well-known/openid-configuration"
            elif self._proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the OIDC provider did not start:\n{self.log_text()[-3000:]}")
            else:
                time.sleep(0.05)
        while True:
            try:
                with urllib.request.urlopen(self.metadata_url, timeout=2) as r:
                    if json.loads(r.read()).get("issuer") == self.issuer:
                        return
            except OSError:
                pass
            if self._proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the OIDC provider's discovery did not answer:\n{self.log_text()[-3000:]}")
            time.sleep(0.1)

    def __exit__(self, *exc: object) -> None:
        try:
            if self._proc is not None:
                stop_group(self._proc)
        finally:
            if self._dir is not None:
                self.output = self.log_text()
                self._dir.cleanup()
                self._dir = None


def block_external_requests(context: Any) -> list[str]:
    """Abort every browser request that leaves the loopback interface; returns the (growing) list of those URLs.

    Why: the tests must not depend on, or leak to, the network; a page that tries is a finding.
    """
    blocked: list[str] = []

    def handle(route: Any) -> None:
        url = route.request.url
        host = re.sub(r"^[a-z]+://([^/:]+|\[[^\]]+\]).*$", r"\1", url, flags=re.I)
        if url.startswith(("data:", "blob:", "about:")) or host in LOOPBACK_HOSTS:
            route.fallback()
        else:
            blocked.append(url)
            route.abort("blockedbyclient")

    context.route("**/*", handle)
    return blocked


def sign_in(page: Any, login: str, app_url: str, timeout_ms: int = 20_000, password: str = "test") -> None:
    """On the provider's login form (the app has redirected there): type ``login`` (and any password), submit,
    pass the consent page if one is shown, and wait until the browser is back at ``app_url``.

    Raises with the page text when the provider shows its error page, so a misconfiguration reads as such and not
    as a timeout.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    box = page.locator(LOGIN_INPUT)
    box.wait_for(state="visible", timeout=timeout_ms)
    box.fill(login)
    if page.locator(PASSWORD_INPUT).count():
        page.locator(PASSWORD_INPUT).fill(password)
    page.locator(LOGIN_SUBMIT).first.click()
    back = re.compile("^" + re.escape(app_url.rstrip("/")) + "(/|$|\\?)")
    while not back.match(page.url):
        if time.monotonic() > deadline:
            raise TimeoutError(f"sign-in as {login!r} did not return to {app_url} (at {page.url})")
        refused = ""
        try:  # the page may navigate between a check and the click: then look again
            if page.locator(ERROR_HEADING).count():
                refused = page.inner_text("body")
            elif page.locator(CONSENT_SUBMIT).count():
                page.locator(CONSENT_SUBMIT).first.click(timeout=2_000)
        except Exception:  # playwright's Error while the page navigates
            pass
        if refused:
            raise RuntimeError(f"the OIDC provider refused the sign-in as {login!r}:\n{refused}")
        page.wait_for_timeout(50)
    page.wait_for_load_state("domcontentloaded", timeout=max(1, int((deadline - time.monotonic()) * 1000)))
