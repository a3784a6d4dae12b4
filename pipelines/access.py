"""Who may see what: users, roles and teams from ``access.file`` (docs/access.md).

Roles:

* ``analyst``: everything, including the Pipeline page and every team's fix list;
* ``manager``: every team's figures; the record-level fix lists only with
  ``access.manager_fixlists = true``;
* ``team``: its own team only (figures, fix list, review page) and the job
  center's totals for orientation.

The file (YAML)::

    users:
      - login: controlling@jobcenter.example      # matched with the login's claim (access.identity_claim)
        role: analyst
      - login: leitung@jobcenter.example
        role: manager
      - login: team-u25-nord@jobcenter.example
        role: team
        team: T01

In demo mode (``access.mode = "demo"``, no login) the view is that of
``STEERING_DEMO_USER`` or ``access.demo_user``: a login from the file, or one
of the built-in demo users ``analyst``, ``manager`` and ``team:<TEAM_ID>``.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from pipelines.errors import LoadError
from pipelines.settings import Settings, SettingsError

ROLES = ("analyst", "manager", "team")
ROLE_DE = {"analyst": "Analyse", "manager": "Leitung", "team": "Team"}
MODES = ("demo", "login")
DEMO_ENV = "STEERING_DEMO_USER"


@dataclass(frozen=True)
class User:
    login: str
    role: str
    team_id: str | None = None
    name: str | None = None

    @property
    def all_teams(self) -> bool:
        return self.role in ("analyst", "manager")

    def may_see_team(self, team_id: str) -> bool:
        """Figures of ``team_id``: every team for analyst and manager, the own team (and the job center's
        totals) for a team."""
        return self.all_teams or team_id in (self.team_id, "__all__")

    def may_see_fixlist(self, team_id: str, settings: Settings) -> bool:
        """The record-level fix list of ``team_id``."""
        if self.role == "analyst":
            return True
        if self.role == "manager":
            return settings.access.manager_fixlists
        return team_id == self.team_id

    @property
    def may_see_pipeline(self) -> bool:
        return self.role == "analyst"

    def label(self) -> str:
        who = self.name or self.login
        team = f", Team {self.team_id}" if self.team_id else ""
        return f"{who} ({ROLE_DE[self.role]}{team})"


class AccessError(SettingsError):
    """The access file does not fit, or a user is not known."""


def _user(entry: object, where: str) -> User:
    if not isinstance(entry, dict):
        raise AccessError(f"{where}: expected login, role and (for role team) team")
    unknown = set(entry) - {"login", "role", "team", "name"}
    if unknown:
        raise AccessError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; known: login, role, team, name")
    login = str(entry.get("login") or "").strip()
    role = str(entry.get("role") or "").strip()
    team = entry.get("team")
    if not login:
        raise AccessError(f"{where}: login is missing")
    if role not in ROLES:
        raise AccessError(f"{where}: role {role!r} is not one of {', '.join(ROLES)}")
    if role == "team" and not team:
        raise AccessError(f"{where}: a user with role team needs a team")
    if role != "team" and team:
        raise AccessError(f"{where}: only role team has a team (role {role} sees every team)")
    return User(login=login, role=role, team_id=str(team) if team else None,
                name=str(entry["name"]) if entry.get("name") else None)


def read_users(path: Path) -> dict[str, User]:
    """The users of the access file by login (lower case); an empty dict when the file does not exist."""
    path = Path(path)
    if not path.is_file():
        return {}
    try:
        parsed = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise AccessError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("users", []), list):
        raise AccessError(f"{path}: expected a list 'users:'")
    users: dict[str, User] = {}
    for i, entry in enumerate(parsed.get("users") or [], start=1):
        user = _user(entry, f"{path}, user {i}")
        if user.login.lower() in users:
            raise AccessError(f"{path}, user {i}: login {user.login} appears twice")
        users[user.login.lower()] = user
    return users


def lookup(users: dict[str, User], login: str | None) -> User | None:
    return users.get((login or "").strip().lower()) if login else None


def demo_user(settings: Settings, env: dict[str, str] | None = None) -> User:
    """The user whose view demo mode shows."""
    env = dict(os.environ if env is None else env)
    wanted = (env.get(DEMO_ENV) or settings.access.demo_user or "analyst").strip()
    found = lookup(read_users(Path(settings.access.file)), wanted)
    if found:
        return found
    if wanted in ("analyst", "manager"):
        return User(login=wanted, role=wanted, name=f"Demo {ROLE_DE[wanted]}")
    if wanted.startswith("team:") and wanted[5:]:
        return User(login=wanted, role="team", team_id=wanted[5:], name="Demo Team")
    raise AccessError(f"demo user {wanted!r} is neither in {settings.access.file} nor one of analyst, manager, "
                      "team:<TEAM_ID>")


def check_mode(settings: Settings) -> str:
    mode = settings.access.mode
    if mode not in MODES:
        raise AccessError(f"access.mode {mode!r} is not one of {', '.join(MODES)}")
    return mode


def _is_local(address: str) -> bool:
    if address in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def check_serve(settings: Settings) -> None:
    """``steering serve``: demo mode (no login) only on a local address; login mode needs the access file."""
    mode = check_mode(settings)
    if mode == "demo" and not _is_local(settings.dashboard.address):
        raise LoadError("access.mode", f"demo mode has no login and must not listen on {settings.dashboard.address}",
                        expected="access.mode = \"login\" with an identity provider (docs/access.md), or "
                        "dashboard.address = \"localhost\"")
    if mode == "login":
        users = read_users(Path(settings.access.file))
        if not users:
            raise LoadError(settings.access.file, "login mode needs the access file with at least one user",
                            expected="a YAML file as in access.example.yaml (docs/access.md)")
