"""Helpers for tests of the served dashboard: a real ``steering serve`` (or ``streamlit run``) process,
headless Chromium, and the check that nothing they started is left running."""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
STEERING = Path(sys.executable).with_name("steering")
needs_chromium = pytest.mark.skipif(not CHROMIUM.is_file(), reason="Debian's chromium (/usr/bin/chromium) is missing")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any STEERING_* variable of the test run, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STEERING_")}
    env.update(extra)
    return env


def processes_mentioning(*markers: str) -> list[int]:
    """Pids of live processes (not this one) whose command line contains any of ``markers`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = next((line for line in (entry / "status").read_text().splitlines() if line.startswith("State:")),
                         "")
        except OSError:
            continue
        if any(m in cmdline for m in markers) and "zombie" not in state:
            found.append(int(entry.name))
    return found


def wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the dashboard did not start:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.3)


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 15) -> int | None:
    """Signal the process and wait; kill it (and say so) if it does not end."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    return proc.returncode


@contextlib.contextmanager
def served(cmd: list[str], env: dict[str, str], log: Path, port: int, cwd: Path = ROOT) -> Iterator[str]:
    """Run ``cmd`` (a dashboard server listening on ``port``), yield its URL, stop it and everything it started."""
    with log.open("w") as fh:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(url, proc, log)
            yield url
        finally:
            stop(proc)
            for pid in processes_mentioning(f"--server.port {port}"):
                os.kill(pid, signal.SIGKILL)


def streamlit_by_hand(port: int, address: str) -> list[str]:
    """The dashboard started without ``steering serve``, as someone might by hand."""
    return [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard" / "app.py"), "--server.headless", "true",
            "--server.port", str(port), "--server.address", address, "--browser.gatherUsageStats", "false"]


@contextlib.contextmanager
def discovery_document() -> Iterator[str]:
    """Something that answers like an identity provider's discovery document (what ``steering check`` asks);
    yields its URL."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            body = json.dumps({"issuer": "http://127.0.0.1", "authorization_endpoint": "http://127.0.0.1/auth"})
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args: object) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/openid-configuration"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
