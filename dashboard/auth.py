"""Who is looking: Streamlit's OIDC login (``st.login``) or the marked demo mode, and the user's role.

``access.mode = "login"``: the identity provider configured in the ``[auth]``
section of ``.streamlit/secrets.toml`` signs the user in; the claim
``access.identity_claim`` (default ``email``) is looked up in ``access.file``.
Unknown users see no data. ``access.mode = "demo"``: no login, a banner says
so, and the view is that of ``STEERING_DEMO_USER`` / ``access.demo_user``
(docs/access.md).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from pipelines.access import AccessError, User, check_mode, demo_user, lookup, read_users
from pipelines.settings import load_settings

DEMO_BANNER = "Demo-Modus ohne Anmeldung"


def _auth_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all  # noqa: BLE001
        return False


def current_user() -> User:
    """The user of this session; stops the script (with a friendly page) when nobody may see data."""
    settings = load_settings()
    try:
        mode = check_mode(settings)
        if mode == "demo":
            user = demo_user(settings)
            st.warning(f"**{DEMO_BANNER}** – nur für die Beispieldaten. Angezeigt wird die Sicht "
                       f"„{user.label()}“. Für echte Daten Anmeldung einrichten (docs/access.md).")
            st.session_state["_user"] = user
            return user
        users = read_users(Path(settings.access.file))
    except AccessError as exc:
        st.title("Steuerungsdashboard Jobcenter")
        st.error(f"Die Zugriffsregeln lassen sich nicht lesen: {exc}")
        st.stop()
    if not _auth_configured():
        st.title("Steuerungsdashboard Jobcenter")
        st.error("Die Anmeldung ist eingeschaltet (access.mode = \"login\"), aber in `.streamlit/secrets.toml` "
                 "fehlt der Abschnitt `[auth]` mit dem Identitätsanbieter. Siehe docs/access.md.")
        st.stop()
    if not st.user.is_logged_in:
        st.title("Steuerungsdashboard Jobcenter")
        st.write("Bitte melden Sie sich mit Ihrem Konto des Jobcenters an.")
        st.button("Anmelden", on_click=st.login, type="primary", key="login")
        st.stop()
    claim = st.user.get(settings.access.identity_claim)
    user = lookup(users, str(claim) if claim else None)
    if user is None:
        st.title("Steuerungsdashboard Jobcenter")
        st.error(f"Für das Konto {claim or '(ohne Kennung)'} ist kein Zugang eingerichtet. Bitte wenden Sie sich "
                 "an das Controlling.")
        st.button("Abmelden", on_click=st.logout, key="logout")
        st.stop()
    st.sidebar.caption(f"Angemeldet: {user.label()}")
    st.sidebar.button("Abmelden", on_click=st.logout, key="logout")
    st.session_state["_user"] = user
    return user


def session_user() -> User | None:
    """The user that ``current_user`` found in this run (pages read it)."""
    return st.session_state.get("_user")
