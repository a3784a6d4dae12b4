"""The case-progress figures of the read side (Fallverläufe: entry cohorts, Kaplan–Meier, variants, Sankey),
protected for the viewer like every other figure. A part of ``Snapshot`` (``snapshot.py``), kept apart for
its size: it reads the case marts the snapshot loads (``_cases``) and the hidden cells of its protection."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from pipelines.publish.viewer import Viewer, _mark, _visible

OTHER_VARIANTS_DE = "sonstige Verläufe"


class CaseReads:
    """Mixed into ``Snapshot``: needs its ``_cases``, ``protection`` and ``k``."""

    def has_case_progress(self) -> bool:
        return self._cases is not None

    def case_periods(self) -> list[str]:
        if self._cases is None:
            return []
        periods = set(self._cases["survival_summary"]["period"]) - {"all"}
        return sorted(periods, reverse=True)

    def case_cohorts(self, viewer: Viewer, team_ids: tuple[str, ...], first: dt.date | None,
                     last: dt.date) -> pd.DataFrame | None:
        """Entry cohorts of the teams with cohort months in ``first .. last``; a hidden cell shows no figure, and
        an open cohort shows its entries only where a closed step of the same month shows them too."""
        if self._cases is None:
            return None
        for team in team_ids:
            viewer.check(team)
        frame = self._cases["case_cohorts"].copy()
        frame["cohort_month"] = pd.to_datetime(frame["cohort_month"])
        window = (frame["cohort_month"] <= pd.Timestamp(last)) & (
            frame["cohort_month"] >= pd.Timestamp(first) if first else True)
        frame = frame[window & frame["team_id"].isin(team_ids)].reset_index(drop=True)
        hidden = set() if viewer.exact else self.protection.case_cohorts
        mask = np.fromiter(((t, m, s) in hidden for t, m, s in zip(frame["team_id"], frame["cohort_month"],
                                                                  frame["step"], strict=True)), bool, len(frame))
        if not viewer.exact:
            shown = frame.loc[~mask & ~frame["is_open"].astype(bool), ["team_id", "cohort_month"]].drop_duplicates()
            known = set(zip(shown["team_id"], shown["cohort_month"], strict=True))
            unknown_open = frame["is_open"].astype(bool) & ~np.fromiter(
                ((t, m) in known for t, m in zip(frame["team_id"], frame["cohort_month"], strict=True)), bool,
                len(frame))
            mask = mask | unknown_open
        for col in ("cases", "reached", "share"):
            frame[col] = frame[col].astype("float64").mask(mask)
        frame["suppressed"] = mask
        frame["cohort_month"] = frame["cohort_month"].dt.date
        return _mark(frame, viewer.exact)

    def survival_summary(self, viewer: Viewer, period: str) -> pd.DataFrame | None:
        if self._cases is None:
            return None
        frame = self._cases["survival_summary"]
        frame = frame[(frame["period"] == period) & _visible(frame, viewer)].copy()
        cases = set() if viewer.exact else self.protection.survival_summary
        integrations = set() if viewer.exact else self.protection.survival_integrations
        mask = np.fromiter(((t, period) in cases for t in frame["team_id"]), bool, len(frame))
        few = mask | np.fromiter(((t, period) in integrations for t in frame["team_id"]), bool, len(frame))
        for col in [c for c in frame.columns if c not in ("team_id", "period")]:
            frame[col] = frame[col].astype("float64").mask(mask if col == "cases" else few)
        frame["suppressed"] = few  # no curve, no shares, no median
        return _mark(frame.sort_values("team_id").reset_index(drop=True), viewer.exact)

    def survival_curves(self, viewer: Viewer, team_ids: tuple[str, ...], period: str) -> pd.DataFrame | None:
        """Kaplan–Meier curves of the teams whose summary is shown. Protected: without the counts behind each
        step, and only at the days by which at least k more integrations have happened (a step of fewer would
        date one person's integration)."""
        if self._cases is None:
            return None
        for team in team_ids:
            viewer.check(team)
        curves = self._cases["survival_curves"]
        curves = curves[curves["team_id"].isin(team_ids) & (curves["period"] == period)].sort_values(
            ["team_id", "day"])
        if viewer.exact:
            return _mark(curves.reset_index(drop=True), True)
        hidden = self.protection.survival_summary | self.protection.survival_integrations
        parts = []
        for team, part in curves.groupby("team_id", sort=True):
            if (team, period) in hidden:
                continue
            keep, since = [], 0.0
            for day, events in zip(part["day"], part["events"], strict=True):
                since += float(events)
                keep.append(day == 0 or since >= self.k)
                if day != 0 and since >= self.k:
                    since = 0.0
            parts.append(part[keep].assign(at_risk=np.nan, events=np.nan, censored=np.nan))
        out = pd.concat(parts) if parts else curves.iloc[0:0]
        return _mark(out.reset_index(drop=True), False)

    def case_variants(self, viewer: Viewer, team_id: str, period: str, limit: int = 10) -> pd.DataFrame | None:
        """The most frequent variants of a team and period; the rest together as "sonstige Verläufe".

        Columns as ``case_variants`` plus ``team_cases`` and ``team_variants``. Protected: a variant that is
        hidden, or beyond ``limit``, goes into the "sonstige" row (whose size the protection keeps at 0 or
        at least k); nothing at all when the team's case total is hidden.
        """
        if self._cases is None:
            return None
        viewer.check(team_id)
        frame = self._cases["case_variants"]
        frame = frame[(frame["team_id"] == team_id) & (frame["period"] == period)].sort_values("rank")
        total, distinct = float(frame["cases"].sum()), len(frame)
        summary_hidden = (team_id, period) in self.protection.survival_summary and not viewer.exact
        if summary_hidden or frame.empty:
            return _mark(frame.iloc[0:0].assign(team_cases=np.nan, team_variants=np.nan), viewer.exact)
        top = frame[frame["rank"] <= limit]
        if not viewer.exact:
            hidden = self.protection.case_variants
            top = top[[(team_id, period, v) not in hidden for v in top["variant"]]]
        rest = total - float(top["cases"].sum())
        out = top.copy()
        if rest > 0:
            open_rest = float(frame["open_cases"].sum() - top["open_cases"].sum()) if viewer.exact else np.nan
            other = {"rank": np.nan, "variant": "*", "variant_de": OTHER_VARIANTS_DE, "n_events": np.nan,
                     "cases": rest, "share": 100.0 * rest / total if total else np.nan, "open_cases": open_rest,
                     "median_duration_days": np.nan, "team_id": team_id, "period": period}
            out = pd.concat([out, pd.DataFrame([other])], ignore_index=True)
        out["team_cases"], out["team_variants"] = total, distinct
        return _mark(out.reset_index(drop=True), viewer.exact)

    def case_transitions(self, viewer: Viewer, team_id: str, period: str) -> tuple[pd.DataFrame, int] | None:
        """The links of a team's Sankey diagram and how many links are not drawn (hidden)."""
        if self._cases is None:
            return None
        viewer.check(team_id)
        links = self._cases["case_transitions"]
        links = links[(links["team_id"] == team_id) & (links["period"] == period)].sort_values(
            ["step", "from_stage", "to_stage"])
        if viewer.exact:
            return _mark(links.reset_index(drop=True), True), 0
        hidden = self.protection.case_transitions
        mask = np.fromiter(((team_id, period, int(s), f, t) in hidden for s, f, t in zip(
            links["step"], links["from_stage"], links["to_stage"], strict=True)), bool, len(links))
        shown = links[~mask]
        if (team_id, period) in self.protection.survival_summary:
            # ``share`` is cases / the team's case total: cases × 100 / share would give the hidden total back
            shown = shown.assign(share=np.nan)
        return _mark(shown.reset_index(drop=True), False), int(mask.sum())
