"""Who is looking, decided by the serving process itself, failing closed (docs/access.md).

Data is shown only when one of two things holds:

* ``access.mode = "login"``: a complete ``[auth]`` section (Streamlit's
  ``st.login``, OpenID Connect), a readable access file, a sign-in younger than
  ``access.session_hours``, and an account that the file grants a role to (by
  its ``access.identity_claim`` or one of its ``access.groups_claim`` groups);
* ``access.mode = "demo"``: chosen explicitly, this process listening on a
  loopback address only, and the current snapshot loaded from synthetic data
  (``pipelines/synthetic.py``).

Everything else (no mode, a broken configuration, an unreadable access file, an
unknown account, demo on another address or on real data) ends the script on a
German page that says what to configure and shows no data. The checks are
those of ``steering check`` (``pipelines/preflight.py``), run again here
because this process may have been started some other way.
"""

from __future__ import annotations

import time
from pathlib import Path

import streamlit as st

from dashboard import data
from pipelines import preflight
from pipelines.access import AccessError, User, check_mode, demo_user, groups_overage, read_rules, resolve
from pipelines.report.formats import plain
from pipelines.settings import Settings, SettingsError

DEMO_BANNER = "Demo-Modus ohne Anmeldung"
TITLE = "Steuerungsdashboard Jobcenter"


def refuse(message: str, fix: str = "", title: str = TITLE) -> None:
    """A German page without data, and the end of this run."""
    st.title(title)
    st.error(message)
    if fix:
        st.info(f"**Was einzurichten ist:** {fix}")
    st.caption("Es werden keine Daten angezeigt. Die Prüfung `steering check` nennt alle offenen Punkte der "
               "Einrichtung (docs/access.md, docs/betrieb.md).")
    st.stop()


def current_user() -> User:
    """The user of this session; stops the script on a German page when nobody may see data."""
    st.session_state.pop("_user", None)  # admitted afresh on every run, never carried over from an earlier one
    try:
        settings = data.settings()
    except SettingsError as exc:
        refuse(f"Die Konfiguration lässt sich nicht verwenden: {plain(str(exc))}",
               "die Konfigurationsdatei (steering --config DATEI) berichtigen; siehe docs/configuration.md")
    try:
        mode = check_mode(settings)
    except AccessError as exc:
        refuse(f"Es ist nicht eingestellt, wer Daten sehen darf: {plain(str(exc))}",
               'in der Konfiguration [access] mode = "login" setzen und die Anmeldung einrichten (docs/access.md)')
    user = _demo_user(settings) if mode == "demo" else _signed_in_user(settings)
    st.session_state["_user"] = user
    return user


def _demo_user(settings: Settings) -> User:
    address = st.get_option("server.address")
    for finding in preflight.address_findings("demo", address):
        if not finding.ok:
            refuse(f"Der Demo-Modus ist abgeschaltet: {finding.message}.", finding.fix)
    key = data.snapshot_key()
    if key is not None:  # without a database there is nothing to show; the frame says how to load one
        try:
            synthetic = data.snapshot_synthetic(key)
        except Exception:  # noqa: BLE001 - an unreadable snapshot is not shown in demo mode either
            synthetic = False
        if synthetic is False:
            refuse("Der Demo-Modus zeigt nur Beispieldaten: dieser Datenstand wurde nicht aus synthetischen Daten "
                   "geladen, er kann Sozialdaten enthalten.",
                   'für echte Daten die Anmeldung einrichten (access.mode = "login", docs/access.md); für eine '
                   "Vorführung die Beispieldaten laden: steering sample ORDNER && steering load ORDNER")
    try:
        user = demo_user(settings)
    except AccessError as exc:
        refuse(f"Die Demo-Sicht lässt sich nicht einrichten: {plain(str(exc))}", "access.demo_user berichtigen")
    st.warning(f"**{DEMO_BANNER}** – nur für die Beispieldaten. Angezeigt wird die Sicht "
               f"„{plain(user.label())}“. Für echte Daten Anmeldung einrichten (docs/access.md).")
    return user


def _secrets() -> dict:
    try:
        return st.secrets.to_dict()
    except Exception:  # noqa: BLE001 - no or a broken secrets file: no [auth], so no login
        return {}


def _signed_in_user(settings: Settings) -> User:
    if settings.access.secrets_file:
        wanted = str(Path(settings.access.secrets_file).resolve())
        if wanted not in [str(Path(f).resolve()) for f in st.get_option("secrets.files") or []]:
            refuse("Dieser Dienst wurde nicht mit der eingestellten Geheimnisdatei (access.secrets_file) gestartet.",
                   "das Dashboard mit steering serve starten (docs/betrieb.md)")
    for finding in preflight.auth_findings(_secrets()):
        if not finding.ok:
            refuse(f"Die Anmeldung ist eingeschaltet, aber nicht vollständig eingerichtet: {finding.message}.",
                   finding.fix)
    try:
        rules = read_rules(Path(settings.access.file))
    except AccessError as exc:
        refuse(f"Die Zugriffsregeln lassen sich nicht lesen: {plain(str(exc))}",
               "die Zugriffsdatei (access.file) nach access.example.yaml berichtigen")
    if rules.empty:
        refuse("Die Zugriffsdatei gibt niemandem Zugang.", "Konten oder Gruppen in access.file eintragen")
    if not st.user.is_logged_in:
        st.title(TITLE)
        st.write("Bitte melden Sie sich mit Ihrem Konto des Jobcenters an.")
        st.button("Anmelden", on_click=st.login, type="primary", key="login")
        st.stop()
    claims = st.user.to_dict()
    issued = claims.get("iat")
    if not isinstance(issued, int | float) or time.time() - issued > settings.access.session_hours * 3600:
        st.title(TITLE)
        st.warning(f"Ihre Anmeldung ist abgelaufen (gültig {settings.access.session_hours} Stunden). Bitte melden "
                   "Sie sich neu an.")
        st.button("Neu anmelden", on_click=st.login, type="primary", key="login")
        st.stop()
    user = resolve(rules, claims, settings.access.identity_claim, settings.access.groups_claim)
    if user is None:
        st.title(TITLE)
        if groups_overage(claims, settings.access.groups_claim):
            st.error("Ihr Konto gehört zu so vielen Gruppen, dass der Identitätsanbieter sie nicht mitgeschickt hat. "
                     "Bitte wenden Sie sich an die IT: nur die Gruppen des Dashboards übermitteln (docs/access.md).")
        else:
            who = plain(str(claims.get(settings.access.identity_claim) or "(ohne Kennung)"))
            st.error(f"Für das Konto {who} ist kein Zugang eingerichtet. Bitte wenden Sie sich an das Controlling.")
        st.button("Abmelden", on_click=st.logout, key="logout")
        st.stop()
    st.sidebar.caption(f"Angemeldet: {plain(user.label())}")
    st.sidebar.button("Abmelden", on_click=st.logout, key="logout")
    return user


def session_user() -> User:
    """The user ``current_user`` admitted in this run; a page reached without one shows nothing."""
    user = st.session_state.get("_user")
    if not isinstance(user, User):
        refuse("Diese Seite ist nur über das Dashboard erreichbar.")
    return user


def role_refusal() -> None:
    """The page behind a URL that the viewer's role may not open (registered hidden, see app.py)."""
    st.title("Diese Seite ist für Ihre Rolle nicht freigegeben")
    st.info("Die Seiten, die Ihre Rolle öffnen darf, finden Sie links in der Navigation. Wer diese Seite für "
            "seine Arbeit braucht, wendet sich an das Controlling.")
    st.stop()
