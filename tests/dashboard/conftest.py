"""Dashboard tests run the app as the demo would: demo mode chosen explicitly, the server on loopback.

Why set both here: the app refuses demo mode unless it was chosen (``access.mode`` has no default) and unless
its own process listens on a loopback address (``server.address``, which AppTest leaves unset, meaning every
interface). Tests of the refusals change them back (tests/dashboard/test_gate.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from streamlit import config as st_config


@pytest.fixture(autouse=True)
def demo_on_loopback(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("STEERING_ACCESS_MODE", "demo")
    before = st_config.get_option("server.address")
    st_config.set_option("server.address", "127.0.0.1")
    yield
    st_config.set_option("server.address", before)
