"""Who may see what: accounts and directory groups, their roles, units and teams (docs/access.md).

Roles:

* ``analyst``: everything, including the Pipeline page and every team's fix list;
* ``manager``: the teams of its units (``units``; none = every unit), the job
  center's total; the record-level fix lists only with ``access.manager_fixlists = true``;
* ``team``: its own team(s) only (figures, fix list, review page) and the job
  center's totals for orientation.

The file (YAML)::

    users:                                          # single accounts, matched on access.identity_claim
      - login: controlling@jobcenter.example
        role: analyst
      - login: leitung-u25@jobcenter.example
        role: manager
        units: [U25]
      - login: team-u25-nord@jobcenter.example
        role: team
        team: T01
    groups:                                         # directory groups, matched on access.groups_claim
      - group: JC-Steuerung-Teamleitungen-U25
        role: manager
        units: [U25]
      - group: JC-Team-T03
        role: team
        teams: [T03]

Why the widest grant wins when an account has several grants (its own entry
and any number of groups): a person in the directory groups of two teams
works for both; giving them the narrower view would only make them ask for a
second account. The widest role wins (analyst > manager > team); within that
role the units or teams of every grant of that role are added up, and a
manager grant without units (every unit) is wider than any list.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from pipelines import safe_yaml
from pipelines.settings import Settings, SettingsError

ROLES = ("analyst", "manager", "team")  # widest first
ROLE_DE = {"analyst": "Analyse", "manager": "Leitung", "team": "Team"}
MODES = ("demo", "login")
DEMO_ENV = "STEERING_DEMO_USER"
MAX_ACCESS_FILE_BYTES = 1024 * 1024  # thousands of entries; anything larger is not an access file


@dataclass(frozen=True)
class User:
    """One signed-in person's grant; ``teams`` for role team, ``units`` (None = all) for role manager."""

    login: str
    role: str
    teams: frozenset[str] = frozenset()
    units: frozenset[str] | None = None
    name: str | None = None
    via: tuple[str, ...] = ()  # where the grant came from: "Konto" and/or the groups

    @property
    def sees_every_team(self) -> bool:
        return self.role == "analyst" or (self.role == "manager" and self.units is None)

    def visible_teams(self, teams: Iterable[tuple[str, str | None]]) -> list[str]:
        """The ids of ``teams`` (pairs of team id and unit, in their order) this user may see."""
        out = []
        for team_id, unit in teams:
            if self.sees_every_team:
                out.append(team_id)
            elif self.role == "manager" and self.units is not None and unit in self.units:
                out.append(team_id)
            elif self.role == "team" and team_id in self.teams:
                out.append(team_id)
        return out

    def may_see_fixlist(self, team_id: str, visible: Iterable[str], settings: Settings) -> bool:
        """The record-level fix list of ``team_id``, given the team ids this user may see."""
        if team_id not in set(visible):
            return False
        if self.role == "manager":
            return settings.access.manager_fixlists
        return True

    @property
    def may_see_pipeline(self) -> bool:
        return self.role == "analyst"

    def label(self) -> str:
        who = self.name or self.login
        if self.role == "team":
            scope = f", Team {', '.join(sorted(self.teams))}"
        elif self.role == "manager" and self.units is not None:
            scope = f", {', '.join(sorted(self.units))}"
        else:
            scope = ""
        return f"{who} ({ROLE_DE[self.role]}{scope})"


@dataclass(frozen=True)
class Grant:
    role: str
    teams: frozenset[str] = frozenset()
    units: frozenset[str] | None = None
    name: str | None = None
    where: str = ""


@dataclass(frozen=True)
class AccessRules:
    users: dict[str, Grant]  # by login, lower case
    groups: dict[str, Grant]  # by group name as the provider sends it, lower case

    @property
    def empty(self) -> bool:
        return not self.users and not self.groups

    def team_ids(self) -> set[str]:
        return {t for g in [*self.users.values(), *self.groups.values()] for t in g.teams}

    def unit_names(self) -> set[str]:
        return {u for g in [*self.users.values(), *self.groups.values()] for u in (g.units or ())}


class AccessError(SettingsError):
    """The access file does not fit, or a user is not known."""


def _names(entry: dict, single: str, plural: str, where: str) -> frozenset[str] | None:
    """``team: T01`` or ``teams: [T01, T02]`` (and the same for units); None when neither is given."""
    if single in entry and plural in entry:
        raise AccessError(f"{where}: entweder {single} oder {plural}, nicht beides")
    value = entry.get(plural, entry.get(single))
    if value is None:
        return None
    values = value if isinstance(value, list) else [value]
    names = frozenset(str(v).strip() for v in values if str(v).strip())
    if not names or any(isinstance(v, dict | list) for v in values):
        raise AccessError(f"{where}: {plural} muss eine Liste von Namen sein")
    return names


def _grant(entry: object, key: str, where: str) -> tuple[str, Grant]:
    if not isinstance(entry, dict):
        raise AccessError(f"{where}: erwartet {key}, role und (je nach Rolle) team/teams oder units")
    unknown = set(entry) - {key, "role", "team", "teams", "unit", "units", "name"}
    if unknown:
        raise AccessError(f"{where}: unbekannte Angabe(n) {', '.join(sorted(map(str, unknown)))}; "
                          f"bekannt: {key}, role, team/teams, units, name")
    ident = str(entry.get(key) or "").strip()
    role = str(entry.get("role") or "").strip()
    if not ident:
        raise AccessError(f"{where}: {key} fehlt")
    if role not in ROLES:
        raise AccessError(f"{where}: role {role!r} ist keine von {', '.join(ROLES)}")
    teams = _names(entry, "team", "teams", where)
    units = _names(entry, "unit", "units", where)
    if role == "team" and not teams:
        raise AccessError(f"{where}: die Rolle team braucht team (oder teams)")
    if role != "team" and teams:
        raise AccessError(f"{where}: nur die Rolle team hat Teams (eine Leitung wird über units begrenzt)")
    if role != "manager" and units is not None:
        raise AccessError(f"{where}: nur die Rolle manager wird über units begrenzt")
    name = str(entry["name"]).strip() if entry.get("name") else None
    return ident, Grant(role=role, teams=teams or frozenset(), units=units, name=name, where=where)


def read_rules(path: Path) -> AccessRules:
    """The access file; a missing, unreadable or malformed file is an error (login mode fails closed)."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_ACCESS_FILE_BYTES:
            raise AccessError(f"{path}: größer als {MAX_ACCESS_FILE_BYTES // 1024} KB, keine Zugriffsdatei")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AccessError(f"{path}: die Zugriffsdatei gibt es nicht") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AccessError(f"{path}: die Zugriffsdatei lässt sich nicht lesen ({exc})") from None
    try:
        parsed = safe_yaml.load(text) or {}
    except safe_yaml.YamlRefused as exc:
        raise AccessError(f"{path}: {exc} (in der Zugriffsdatei)") from None
    except yaml.YAMLError as exc:
        raise AccessError(f"{path}: kein gültiges YAML ({exc})") from None
    if not isinstance(parsed, dict) or set(parsed) - {"users", "groups"}:
        raise AccessError(f"{path}: erwartet die Listen 'users:' und/oder 'groups:'")
    rules = AccessRules(users={}, groups={})
    for section, key, target in (("users", "login", rules.users), ("groups", "group", rules.groups)):
        entries = parsed.get(section) or []
        if not isinstance(entries, list):
            raise AccessError(f"{path}: '{section}:' muss eine Liste sein")
        for i, entry in enumerate(entries, start=1):
            ident, grant = _grant(entry, key, f"{path}, {section} Nr. {i}")
            if ident.lower() in target:
                raise AccessError(f"{path}, {section} Nr. {i}: {key} {ident} steht doppelt in der Datei")
            target[ident.lower()] = grant
    return rules


def _widest(login: str, grants: list[tuple[str, Grant]]) -> User | None:
    if not grants:
        return None
    role = min((g.role for _, g in grants), key=ROLES.index)
    chosen = [(via, g) for via, g in grants if g.role == role]
    teams = frozenset().union(*(g.teams for _, g in chosen))
    units: frozenset[str] | None = None
    if role == "manager" and all(g.units is not None for _, g in chosen):
        units = frozenset().union(*(g.units or frozenset() for _, g in chosen))
    name = next((g.name for _, g in chosen if g.name), None)
    return User(login=login, role=role, teams=teams, units=units, name=name, via=tuple(v for v, _ in chosen))


def _group_names(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(v) for v in value if isinstance(v, str | int)]
    return []


def resolve(rules: AccessRules, claims: Mapping[str, object], identity_claim: str, groups_claim: str) -> User | None:
    """The user behind a signed-in identity, from its account entry and its groups; None: no access."""
    login = str(claims.get(identity_claim) or "").strip()
    grants: list[tuple[str, Grant]] = []
    if login and login.lower() in rules.users:
        grants.append(("Konto", rules.users[login.lower()]))
    if groups_claim:
        for group in _group_names(claims.get(groups_claim)):
            grant = rules.groups.get(group.strip().lower())
            if grant is not None:
                grants.append((f"Gruppe {group}", grant))
    user = _widest(login or "(ohne Kennung)", grants)
    if user is not None and user.name is None and isinstance(claims.get("name"), str):
        user = replace(user, name=claims["name"].strip()[:80] or None)  # the provider's display name
    return user


def groups_overage(claims: Mapping[str, object], groups_claim: str) -> bool:
    """True when the provider left the groups out because there were too many (Entra ID's overage marker)."""
    names = claims.get("_claim_names")
    return groups_claim not in claims and isinstance(names, dict) and groups_claim in names


def demo_user(settings: Settings, env: dict[str, str] | None = None) -> User:
    """The user whose view demo mode shows: a login from the access file, or a built-in demo user."""
    env = dict(os.environ if env is None else env)
    wanted = (env.get(DEMO_ENV) or settings.access.demo_user or "analyst").strip()
    if wanted in ("analyst", "manager"):
        return User(login=wanted, role=wanted, name=f"Demo {ROLE_DE[wanted]}")
    if wanted.startswith("team:") and wanted[5:]:
        return User(login=wanted, role="team", teams=frozenset(wanted[5:].split("+")), name="Demo Team")
    if wanted.startswith("manager:") and wanted[8:]:
        return User(login=wanted, role="manager", units=frozenset(wanted[8:].split("+")), name="Demo Leitung")
    path = Path(settings.access.file)
    found = resolve(read_rules(path), {"login": wanted}, "login", "") if path.is_file() else None
    if found:
        return found
    raise AccessError(f"Demo-Sicht {wanted!r} ist weder in {settings.access.file} eingetragen noch eine von analyst, "
                      "manager, manager:<BEREICH>, team:<TEAM_ID>")


def check_mode(settings: Settings) -> str:
    mode = settings.access.mode
    if mode not in MODES:
        if not mode:
            raise AccessError("access.mode ist nicht gesetzt: \"login\" (Anmeldung über den Identitätsanbieter) oder, "
                              "nur für die Beispieldaten, \"demo\" (steering serve --demo)")
        raise AccessError(f"access.mode {mode!r} ist keiner von {', '.join(MODES)}")
    return mode
