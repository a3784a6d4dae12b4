"""Who reads: a ``Viewer`` (role, the teams whose figures and fix lists it may see) and the scope checks every
reader of the read side applies (``pipelines/publish/snapshot.py``, ``case_reads.py``)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

ALL = "__all__"
UNASSIGNED = "__unassigned__"


class OutOfScope(PermissionError):
    """A viewer asked for figures its role and scope do not cover."""


@dataclass(frozen=True)
class Viewer:
    """Who looks: role, the teams whose figures it may see, the teams whose fix lists it may see."""

    role: str  # analyst | manager | team
    teams: frozenset[str]
    fixlists: frozenset[str] = frozenset()
    exact: bool = False  # unprotected figures (analysts only)

    def __post_init__(self) -> None:
        if self.exact and self.role != "analyst":
            raise OutOfScope("Ungeschützte Zahlen sind nur für das Controlling.")

    @classmethod
    def cli(cls, teams: frozenset[str], exact: bool = False) -> Viewer:
        """Whoever runs ``steering`` on the database file: an analyst with every team."""
        return cls("analyst", teams, teams, exact)

    def may_see(self, team_id: str) -> bool:
        return team_id == ALL or team_id in self.teams

    def check(self, team_id: str) -> None:
        if not self.may_see(team_id):
            raise OutOfScope(f"Das Team {team_id} ist für diesen Zugang nicht freigegeben.")


def _mark(frame: pd.DataFrame, exact: bool) -> pd.DataFrame:
    frame.attrs["exact"] = exact
    return frame


def _visible(frame: pd.DataFrame, viewer: Viewer) -> pd.Series:
    """The rows of teams the viewer may see, as a boolean mask. ``.map`` of an empty column gives an object
    Series, which pandas reads as a list of column names: an empty goal table lost its columns and the
    Überblick failed on a database without targets."""
    return frame["team_id"].map(viewer.may_see).astype(bool)
