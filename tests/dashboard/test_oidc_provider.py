"""Proof that the test identity provider (``tests/oidc/provider.mjs``, npm ``oidc-provider``) works with Streamlit's
own ``st.login``: a minimal app in a temp folder, signed in and out in headless Chromium.

Why a separate proof: the dashboard's login tests build on this chain (discovery, PKCE, code exchange, ID token
claims, RP-initiated logout); when it breaks, this file says whether the provider/Streamlit chain or the dashboard
is at fault. It also measures what a sign-in costs: seconds, and the bytes of Streamlit's auth cookies per
directory group up to where sign-in stops working, and why.
"""

from __future__ import annotations

import base64
import contextlib
import os
import random
import secrets
import socket
import statistics
import string
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.dashboard import oidc_provider
from tests.dashboard.oidc_provider import OidcProvider, block_external_requests, processes_in_group, sign_in, stop_group
from tests.dashboard.served import ARGS, CHROMIUM, free_port, processes_mentioning, wait_healthy

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.is_file(), reason="Debian's chromium (/usr/bin/chromium) is not installed"),
    pytest.mark.skipif(not oidc_provider.node_available(), reason=oidc_provider.skip_reason()),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
expect = sync_api.expect

APP = '''\
import json

import streamlit as st

if st.user.is_logged_in:
    groups = st.user.get("groups")
    st.text(f"email={st.user.email}")
    st.text(f"name={st.user.get('name')}")
    st.text(f"department={st.user.get('department')}")
    st.text(f"group_count={len(groups or [])}")
    st.text("groups=" + json.dumps(groups)[:400])
    st.button("Log out", on_click=st.logout)
else:
    st.button("Log in", on_click=st.login)
'''
ANALYST = "analyst@jobcenter.example"
ACCOUNTS = {ANALYST: {"email": ANALYST, "name": "Anna Analyse", "groups": ["JC-Controlling", "JC-Alle"],
                      "department": "Controlling"}}  # department: a claim outside email/profile/groups
WEBSOCKET_LINE_LIMIT = 8192  # websockets' MAX_LINE_LENGTH: the longest header line of Streamlit's websocket upgrade


@dataclass
class Site:
    url: str
    port: int
    idp: OidcProvider
    cookie_secret: str
    sign_ins: list[float] = field(default_factory=list)


@contextlib.contextmanager
def serve(folder: Path, accounts: dict[str, dict[str, Any]], consent: str = "auto") -> Iterator[Site]:
    """The provider with one client, and ``streamlit run`` of APP against it; both stopped, provably, at the end.

    The app is opened as ``localhost`` (the host of redirect_uri: Streamlit's Authlib state lives in a cookie of
    that host) while the provider is ``127.0.0.1``, so the two never share cookies.
    """
    port = free_port()
    url = f"http://localhost:{port}"
    client = {"client_id": "steering", "client_secret": secrets.token_urlsafe(24),
              "redirect_uris": [f"{url}/oauth2callback"], "post_logout_redirect_uris": [f"{url}/oauth2callback"]}
    cookie_secret = secrets.token_hex(32)
    with OidcProvider(accounts, [client], consent=consent) as idp:
        (folder / "app.py").write_text(APP, encoding="utf-8")
        (folder / ".streamlit").mkdir(exist_ok=True)
        (folder / ".streamlit" / "secrets.toml").write_text(
            "[auth]\n"
            f'redirect_uri = "{url}/oauth2callback"\n'
            f'cookie_secret = "{cookie_secret}"\n'
            'client_id = "steering"\n'
            f'client_secret = "{client["client_secret"]}"\n'
            f'server_metadata_url = "{idp.metadata_url}"\n'
            'client_kwargs = { scope = "openid email profile groups" }\n', encoding="utf-8")
        # HOME in the folder: no ~/.streamlit of whoever runs the tests mixes in config or secrets
        env = {k: v for k, v in os.environ.items() if not k.startswith(("STREAMLIT_", "STEERING_"))}
        env["HOME"] = str(folder)
        log = folder / "streamlit.log"
        with log.open("w") as fh:
            proc = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                 "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
                cwd=folder, env=env, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)
        try:
            wait_healthy(f"http://127.0.0.1:{port}", proc, log)
            yield Site(url=url, port=port, idp=idp, cookie_secret=cookie_secret)
        finally:
            stop_group(proc)
            assert not processes_in_group(proc.pid), "streamlit left processes running"
        idp_group, idp_config = idp.pid, str(idp.config_path)
    assert idp_group is not None and not processes_in_group(idp_group), "the provider left processes running"
    left = processes_mentioning(f"--server.port {port}", idp_config)
    assert not left, f"still running: {left}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    oidc_provider.ensure_installed()  # the set-up step: npm ci from the lockfile on a clean clone
    with serve(tmp_path_factory.mktemp("oidc-app"), ACCOUNTS) as s:
        yield s
        if s.sign_ins:
            print(f"\nsign-in (click on 'Log in' until the app shows the user): median "
                  f"{statistics.median(s.sign_ins):.2f} s, min {min(s.sign_ins):.2f} s, max {max(s.sign_ins):.2f} s "
                  f"over {len(s.sign_ins)} sign-ins")


def log_in(site: Site, page: Any, login: str, shows: str, timeout_ms: int = 20_000) -> float:
    """Click 'Log in', sign in at the provider, wait for ``shows`` in the app; the seconds it took."""
    button = page.get_by_role("button", name="Log in")
    expect(button).to_be_visible(timeout=30_000)
    started = time.monotonic()
    button.click()
    sign_in(page, login, app_url=site.url)
    expect(page.get_by_text(shows, exact=True)).to_be_visible(timeout=timeout_ms)
    seconds = time.monotonic() - started
    site.sign_ins.append(seconds)
    print(f"\nsign-in as {login}: {seconds:.2f} s")
    return seconds


def auth_cookies(context: Any, url: str) -> dict[str, str]:
    return {c["name"]: c["value"] for c in context.cookies(url) if c["name"].startswith("_streamlit_user")}


def cookies_after_logout(context: Any, page: Any, url: str, timeout_ms: int = 15_000) -> dict[str, str]:
    """The auth cookies once the logout has finished: the "Log in" button can show before the browser has
    processed the response that deletes the cookies (seen once in CI), so wait for them to go, up to a bound."""
    for _ in range(timeout_ms // 250):
        left = auth_cookies(context, url)
        if not left:
            return left
        page.wait_for_timeout(250)
    return auth_cookies(context, url)


def test_sign_in_shows_the_id_token_claims_and_logout_ends_both_sessions(site: Site, browser: Any) -> None:
    context = browser.new_context()
    blocked = block_external_requests(context)
    page = context.new_page()
    page.goto(site.url, wait_until="domcontentloaded")
    log_in(site, page, ANALYST, f"email={ANALYST}")
    expect(page.get_by_text('groups=["JC-Controlling", "JC-Alle"]', exact=True)).to_be_visible()
    expect(page.get_by_text("name=Anna Analyse", exact=True)).to_be_visible()
    expect(page.get_by_text("department=Controlling", exact=True)).to_be_visible()
    assert set(auth_cookies(context, site.url)) == {"_streamlit_user", "_streamlit_user_tokens"}

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible(timeout=20_000)
    assert not cookies_after_logout(context, page, site.url)
    assert page.url.rstrip("/") == site.url
    # the provider's session ended too (RP-initiated logout): signing in again asks for the login again
    log_in(site, page, ANALYST, f"email={ANALYST}")
    context.close()
    assert not blocked, f"requests beyond 127.0.0.1: {blocked}"


def test_an_account_missing_from_the_config_signs_in_with_its_email_only(site: Site, browser: Any) -> None:
    context = browser.new_context()
    blocked = block_external_requests(context)
    page = context.new_page()
    page.goto(site.url, wait_until="domcontentloaded")
    log_in(site, page, "stranger@example.org", "email=stranger@example.org")
    expect(page.get_by_text("groups=null", exact=True)).to_be_visible()
    expect(page.get_by_text("name=None", exact=True)).to_be_visible()
    context.close()
    assert not blocked, blocked


def test_the_consent_form_is_passed_when_the_provider_shows_it(tmp_path: Path, browser: Any) -> None:
    with serve(tmp_path, ACCOUNTS, consent="form") as consent_site:
        context = browser.new_context()
        page = context.new_page()
        consents: list[str] = []
        page.on("request", lambda r: consents.append(r.url)
                if r.method == "POST" and "prompt=consent" in (r.post_data or "") else None)
        page.goto(consent_site.url, wait_until="domcontentloaded")
        log_in(consent_site, page, ANALYST, f"email={ANALYST}")
        expect(page.get_by_text('groups=["JC-Controlling", "JC-Alle"]', exact=True)).to_be_visible()
        context.close()
    assert len(consents) == 1, consents


# --- many directory groups ---------------------------------------------------------------------------------------

def pattern_groups(n: int) -> list[str]:
    """Group DNs as one directory numbers them: long, but alike (they compress well)."""
    return [f"CN=JC-Gruppe-{i:04d},OU=Gruppen,DC=jobcenter,DC=example" for i in range(1, n + 1)]


def diverse_groups(n: int) -> list[str]:
    """Group DNs with 12 random characters each: as unlike as real names get (they barely compress)."""
    rng = random.Random(7)
    alphabet = string.ascii_lowercase + string.digits
    return [f"CN=JC-{''.join(rng.choices(alphabet, k=12))},OU=Gruppen,DC=jobcenter,DC=example" for _ in range(n)]


@dataclass
class Probe:
    groups: int
    works: bool
    cookies: dict[str, int]  # auth cookie name -> bytes of "name=value"
    header: int  # bytes of the Cookie header the browser sends to the app (all its cookies)
    handshake: str  # the app's answer to a websocket upgrade carrying that Cookie header
    logout_url: int | None = None  # length of the redirect to the provider's end_session_endpoint

    @property
    def auth_bytes(self) -> int:
        return sum(self.cookies.values())

    def line(self, base: Probe | None = None) -> str:
        per = f", {(self.auth_bytes - base.auth_bytes) / self.groups:.1f} B/group" if base and self.groups else ""
        logout = f", logout URL {self.logout_url} B" if self.logout_url else ""
        return (f"{self.groups:5d} groups: sign-in {'works' if self.works else 'FAILS'}; {len(self.cookies)} auth "
                f"cookies, {self.auth_bytes} B{per}; Cookie header {self.header} B; websocket upgrade: "
                f"{self.handshake}{logout}")


def websocket_upgrade(site: Site, cookie_header: str) -> str:
    """The status line Streamlit answers a websocket upgrade with, with the browser's cookies: why a sign-in
    whose cookies were set can still fail (the app's page is served, its websocket is not)."""
    key = base64.b64encode(os.urandom(16)).decode()
    request = (f"GET /_stcore/stream HTTP/1.1\r\nHost: localhost:{site.port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
               f"Origin: {site.url}\r\nCookie: {cookie_header}\r\n\r\n")
    try:
        with socket.create_connection(("127.0.0.1", site.port), timeout=1.5) as s:  # a 101 takes ms
            s.sendall(request.encode())
            answer = s.recv(200).decode(errors="replace")
    except TimeoutError:
        return "no answer within 1.5 s"
    except OSError as e:
        return f"connection dropped ({type(e).__name__})"
    return answer.split("\r\n", 1)[0] if answer else "connection closed without an answer"


def _visible_within(locator: Any, timeout_ms: int) -> bool:
    try:
        expect(locator).to_be_visible(timeout=timeout_ms)
    except AssertionError:
        return False
    return True


def probe(site: Site, browser: Any, groups: list[str], logout: bool = False) -> Probe:
    login = f"groups-{len(groups)}-{secrets.token_hex(3)}@jobcenter.example"
    site.idp.set_accounts({**ACCOUNTS, login: {"email": login, "groups": groups}})
    context = browser.new_context()
    blocked = block_external_requests(context)
    page = context.new_page()
    page.goto(site.url, wait_until="domcontentloaded")
    button = page.get_by_role("button", name="Log in")
    expect(button).to_be_visible(timeout=30_000)
    started = time.monotonic()
    button.click()
    sign_in(page, login, app_url=site.url)
    jar = context.cookies(site.url)
    header = "; ".join(f"{c['name']}={c['value']}" for c in jar)
    handshake = websocket_upgrade(site, header)
    # a refused websocket never shows the user: then a short look in the browser confirms it
    shown = page.get_by_text(f"group_count={len(groups)}", exact=True)
    works = _visible_within(shown, 20_000 if " 101 " in f"{handshake} " else 1_500)
    if works:
        site.sign_ins.append(time.monotonic() - started)
    result = Probe(len(groups), works, {c["name"]: len(c["name"]) + 1 + len(c["value"]) for c in jar
                                        if c["name"].startswith("_streamlit_user")}, len(header), handshake)
    if logout and works:
        ends: list[str] = []
        page.on("request", lambda r: ends.append(r.url) if "/session/end" in r.url else None)
        page.get_by_role("button", name="Log out").click()
        expect(page.get_by_role("button", name="Log in")).to_be_visible(timeout=20_000)
        assert not cookies_after_logout(context, page, site.url)
        result.logout_url = len(ends[0]) if ends else None
    context.close()
    assert not blocked, blocked
    return result


def find_limit(site: Site, browser: Any, make: Callable[[int], list[str]], works_at: int, fails_guess: int,
               ceiling: int, base: Probe) -> tuple[Probe, Probe | None]:
    """The largest group count that still signs in, and the probe one group above it (None: no limit up to
    ``ceiling``). Bisects with real sign-ins; assumes more groups never make it work again."""
    seen: dict[int, Probe] = {}

    def at(n: int) -> Probe:
        if n not in seen:
            seen[n] = probe(site, browser, make(n))
            print(seen[n].line(base))
        return seen[n]

    assert at(works_at).works, at(works_at).line()
    lo, hi = works_at, fails_guess
    while at(hi).works:
        if hi >= ceiling:
            return at(hi), None
        lo, hi = hi, min(hi * 2, ceiling)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if at(mid).works else (lo, mid)
    return at(lo), at(hi)


@pytest.fixture(scope="module")
def no_groups(site: Site, browser: Any) -> Probe:
    """The baseline: an account without groups, signed in and out (cookie and logout URL sizes without groups)."""
    base = probe(site, browser, [], logout=True)
    print(f"\n{base.line()}")
    return base


def test_150_group_dns_sign_in_and_out(site: Site, browser: Any, no_groups: Probe) -> None:
    """150 group DNs of ~50 characters, as an unfiltered directory may send them.

    Streamlit keeps every ID token claim twice, in ``_streamlit_user`` (the claims) and ``_streamlit_user_tokens``
    (the ID token itself), each zlib-compressed by itsdangerous; numbered DNs compress to ~10 bytes a group.
    """
    many = probe(site, browser, pattern_groups(150), logout=True)
    print(f"\n{many.line(no_groups)}")
    assert many.works, many.line()
    assert set(many.cookies) == {"_streamlit_user", "_streamlit_user_tokens"}  # no chunks needed yet
    assert many.logout_url and no_groups.logout_url, "logout did not go through the provider's end_session_endpoint"
    per_group = (many.logout_url - no_groups.logout_url) / 150
    print(f"the logout redirect carries the whole ID token (id_token_hint): {per_group:.0f} B per group, "
          f"{many.logout_url} B at 150 groups; the provider (Node.js: 16 KB request head) refuses it with 431 from "
          f"an estimated {150 + (16 * 1024 - many.logout_url) / per_group:.0f} groups (the app's own cookies are "
          f"cleared before that redirect either way)")


@pytest.mark.parametrize(("style", "fails_guess"), [("numbered", 800), ("diverse", 300)])
def test_where_many_groups_stop_signing_in(site: Site, browser: Any, no_groups: Probe, style: str,
                                           fails_guess: int) -> None:
    """The largest group count that still signs in, found with real sign-ins, and the cause of the failure above it.

    Streamlit splits a cookie over 4 KB into chunks (``_streamlit_user_tokens_1``, ...) that compress worse. The
    limit: Streamlit's websocket upgrade (uvicorn with the websockets library, 8 KB per header line) gets no answer
    once the Cookie header line passes 8 KB, so the page loads but never shows the user. Numbered names compress so
    well that the jump at chunking is the break; diverse names break a little after chunking starts.
    """
    make = pattern_groups if style == "numbered" else diverse_groups
    print(f"\n{style} group names, e.g. {make(1)[0]}:")
    works, fails = find_limit(site, browser, make, 150, fails_guess, 1600, no_groups)
    assert fails is not None, f"no limit up to {works.groups} groups: {works.line(no_groups)}"
    print(f"-> {style}: sign-in works up to {works.groups} groups ({works.auth_bytes} B of auth cookies, "
          f"{(works.auth_bytes - no_groups.auth_bytes) / works.groups:.1f} B per group), fails from {fails.groups} "
          f"({fails.auth_bytes} B in {len(fails.cookies)} cookies)")
    assert works.works and not fails.works and fails.groups == works.groups + 1
    # the cause: the websocket upgrade; neither a single cookie's 4 KB nor the provider
    assert " 101 " in f"{works.handshake} ", works.line()
    assert " 101 " not in f"{fails.handshake} ", fails.line()
    assert works.header + len("Cookie: \r\n") <= WEBSOCKET_LINE_LIMIT < fails.header + len("Cookie: \r\n")
    assert max(works.cookies.values()) <= 4096 and max(fails.cookies.values()) <= 4096
