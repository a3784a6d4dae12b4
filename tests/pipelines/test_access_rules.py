"""The access file and the widest-grant rule, by hand (pipelines/access.py); the pages are in
tests/dashboard/test_access.py, a real identity provider in tests/dashboard/test_login_e2e.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.access import AccessError, read_rules, resolve

FILE = """
users:
  - login: Leitung@JC.example
    role: manager
  - login: u25@jc.example
    role: manager
    units: [U25]
  - login: t1@jc.example
    role: team
    team: T01
groups:
  - group: JC-Team-T02
    role: team
    team: T02
  - group: JC-Team-T03
    role: team
    teams: [T03]
  - group: JC-Leitung-Ue25
    role: manager
    units: [Ü25]
  - group: JC-Controlling
    role: analyst
"""
TEAMS = [("T01", "U25"), ("T02", "U25"), ("T03", "Ü25"), ("T04", "Ü25"), ("T05", "Reha")]


@pytest.fixture
def rules(tmp_path: Path):
    path = tmp_path / "access.yaml"
    path.write_text(FILE, encoding="utf-8")
    return read_rules(path)


def who(rules, email: str, *groups: str):
    return resolve(rules, {"email": email, "groups": list(groups)}, "email", "groups")


def test_an_account_entry_in_any_case(rules) -> None:
    user = who(rules, "leitung@jc.EXAMPLE")
    assert user.role == "manager" and user.units is None and user.visible_teams(TEAMS) == [t for t, _ in TEAMS]


def test_a_unit_manager_sees_the_teams_of_its_unit(rules) -> None:
    assert who(rules, "u25@jc.example").visible_teams(TEAMS) == ["T01", "T02"]


def test_two_team_groups_add_up(rules) -> None:
    user = who(rules, "x@jc.example", "JC-Team-T02", "jc-team-t03", "Unbekannt")
    assert user.role == "team" and user.visible_teams(TEAMS) == ["T02", "T03"]
    assert user.via == ("Gruppe JC-Team-T02", "Gruppe jc-team-t03")


def test_the_widest_role_wins_and_its_grants_add_up(rules) -> None:
    # team T01 (account) + team T02 (group) + manager Ü25 (group): a manager of Ü25; the team grants add nothing
    user = who(rules, "t1@jc.example", "JC-Team-T02", "JC-Leitung-Ue25")
    assert user.role == "manager" and user.visible_teams(TEAMS) == ["T03", "T04"]
    # manager U25 (account) + manager Ü25 (group): both units
    assert who(rules, "u25@jc.example", "JC-Leitung-Ue25").visible_teams(TEAMS) == ["T01", "T02", "T03", "T04"]
    # a manager of every unit is wider than a unit list
    assert who(rules, "leitung@jc.example", "JC-Leitung-Ue25").units is None
    assert who(rules, "t1@jc.example", "JC-Controlling").role == "analyst"


def test_nobody_without_a_grant(rules) -> None:
    assert who(rules, "fremd@example.org", "Andere") is None
    assert resolve(rules, {}, "email", "groups") is None
    assert resolve(rules, {"email": "x", "groups": "JC-Team-T02"}, "email", "groups").teams == {"T02"}
    assert resolve(rules, {"email": "x", "groups": {"a": 1}}, "email", "groups") is None
    assert resolve(rules, {"email": "x", "groups": ["JC-Controlling"]}, "email", "") is None  # groups switched off


@pytest.mark.parametrize("text, words", [
    ("users:\n  - login: a\n    role: team\n", "braucht team"),
    ("users:\n  - login: a\n    role: manager\n    team: T01\n", "nur die Rolle team"),
    ("users:\n  - login: a\n    role: team\n    team: T01\n    units: [U25]\n", "nur die Rolle manager"),
    ("users:\n  - login: a\n    role: analyst\n  - login: A\n    role: analyst\n", "doppelt"),
    ("groups:\n  - group: g\n    role: manager\n    units: []\n", "Liste von Namen"),
    ("users:\n  - login: a\n    role: analyst\n    passwort: x\n", "unbekannte Angabe"),
    ("admins: []\n", "erwartet die Listen"),
])
def test_malformed_entries_are_named(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "access.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AccessError, match=words):
        read_rules(path)


def test_nested_aliases_are_refused_at_once(tmp_path: Path) -> None:
    """A 'billion laughs' file: nine levels of nine aliases would be 387 million entries."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    path = tmp_path / "access.yaml"
    path.write_text("\n".join(lines) + "\nusers: *a9\n", encoding="utf-8")
    with pytest.raises(AccessError, match="Anker"):
        read_rules(path)
