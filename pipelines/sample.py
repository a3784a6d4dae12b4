"""Deterministic synthetic job center, written as a German-style case-management export.

``write_sample`` simulates persons, benefit spells, team assignments, contacts,
cooperation plans, measures and integrations over four years ending at ``end``,
injects every data-quality defect of data-quality.md (DQ01-DQ16) at small,
team-specific rates plus a few loader-level defects, and writes one
``<table>.csv`` per contract table (``;``, cp1252, CRLF, DD.MM.YYYY, German
headers and codes) with the ``mapping.yaml`` that maps it onto the contract.
The same seed and arguments give byte-identical files. See docs/sample-data.md.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from pipelines import sample_params as P
from pipelines import synthetic
from pipelines.sample_defects import (
    assignment_defects,
    contact_defects,
    integration_defects,
    measure_defects,
    person_defects,
    plan_defects,
    spell_defects,
)
from pipelines.sample_events import Table, make_contacts, make_integrations, make_measures, make_plans
from pipelines.sample_export import (
    Column,
    Formatter,
    fmt_bool,
    fmt_code,
    fmt_date,
    fmt_datetime,
    fmt_id,
    fmt_str,
    write_csv,
    write_mapping,
)
from pipelines.sample_population import OPEN, make_persons, make_segments, make_spells, to_day
from pipelines.sample_targets import make_targets

EXPORT_DELAY_DAYS = 3  # the export is taken a few days after `end`
EXPORT_TIME = 20 * 60  # ... in the evening; nothing is recorded later


def window_start(end: date) -> date:
    """First day of the data window: four years back from ``end``."""
    try:
        back = end.replace(year=end.year - P.YEARS)
    except ValueError:  # 29 February
        back = end.replace(year=end.year - P.YEARS, day=28)
    return back + timedelta(days=1)


def _sorted(table: Table, order: np.ndarray) -> Table:
    return {k: v[order] for k, v in table.items()}


def _before_export(table: Table, export_min: int) -> Table:
    """Rows not yet recorded when the export was taken are not in it."""
    return _sorted(table, np.flatnonzero(table["rec"] <= export_min))


def _width(n: int) -> int:
    return max(7, len(str(n)))


def write_sample(
    out_dir: Path, persons: int = 12_000, seed: int = 42, end: date = date(2026, 10, 31)
) -> dict[str, int]:
    """Write <table>.csv for every contract table, mapping.yaml and the synthetic marker into out_dir; return rows
    per table."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    end_day, w0 = to_day(end), to_day(window_start(end))
    export_min = (end_day + EXPORT_DELAY_DAYS) * 1440 + EXPORT_TIME

    # clean simulation
    ps = make_persons(rng, persons, w0, end_day)
    sp = make_spells(rng, ps, w0, end_day)
    seg = make_segments(rng, ps, sp)
    contacts = make_contacts(rng, persons, sp, seg, end_day)
    plans = make_plans(rng, sp, seg, w0, end_day)
    measures = make_measures(rng, sp, seg, end_day, end_day + EXPORT_DELAY_DAYS)
    integ = make_integrations(rng, ps, sp, seg, end_day)
    targets = make_targets(ps, sp, seg, contacts, plans, integ, end)

    # defects; the clean event tables are dropped as soon as possible to keep the peak memory down
    seen = [(contacts["person"], contacts["day"]), (measures["person"], measures["start"]),
            (integ["person"], integ["day"])]
    person_t = person_defects(rng, ps, seg, seen, w0)
    spell_t = spell_defects(rng, sp, seg)
    assign_t = assignment_defects(rng, seg)
    events = {"contacts": _before_export(contact_defects(rng, contacts, end_day), export_min)}
    del contacts
    events["cooperation_plans"] = _before_export(plan_defects(rng, plans), export_min)
    events["measures"] = _before_export(measure_defects(rng, measures, sp, w0), export_min)
    events["integrations"] = _before_export(integration_defects(rng, integ, ps, sp, seg, end_day), export_min)
    del plans, measures, integ

    # identifiers: person numbers look random, event ids run in order of recording
    pnum = rng.permutation(persons) + 1
    pids = fmt_id("P", _width(persons))(pnum)
    bg_num = np.concatenate([[0], rng.permutation(int(ps.bg.max())) + 1])
    k = max(3, persons // P.LOADER_DEFECT_EVERY)

    def person_col(values: np.ndarray) -> np.ndarray:
        return pids[values]

    counts = {"teams": write_csv(out_dir / "teams.csv", list(P.HEADERS["teams"]), [
        (fmt_str, np.array([t.team_id for t in P.TEAMS])), (fmt_str, np.array([t.name for t in P.TEAMS])),
        (fmt_str, np.array([t.unit for t in P.TEAMS])),
    ], {})}
    counts["persons"] = _write_persons(out_dir, rng, person_t, pnum, bg_num, person_col, k)
    counts["benefit_spells"] = _write_spells(out_dir, spell_t, pnum, person_col)
    counts["assignments"] = _write_assignments(out_dir, assign_t, pnum, person_col)
    counts["contacts"] = _write_contacts(out_dir, rng, events.pop("contacts"), pnum, person_col, k)
    t = events.pop("cooperation_plans")
    counts["cooperation_plans"] = _write_events(out_dir, "cooperation_plans", t, pnum, [
        (person_col, "person"), (fmt_date, "day"), (fmt_date, "review"), (fmt_datetime, "rec"),
    ], *_plan_ids(_width(t["day"].size)))
    t = events.pop("measures")
    counts["measures"] = _write_events(out_dir, "measures", t, pnum, [
        (person_col, "person"), (fmt_code(P.MEASURE_LABELS), "kind"), (fmt_date, "start"), (fmt_date, "end"),
        (fmt_datetime, "rec"), (fmt_code(P.MEASURE_STATUS), "status"),
    ], fmt_id("M", _width(t["rec"].size)))
    t = events.pop("integrations")
    counts["integrations"] = _write_events(out_dir, "integrations", t, pnum, [
        (person_col, "person"), (fmt_date, "day"), (fmt_code(P.INTEGRATION_LABELS), "kind"),
        (fmt_datetime, "rec"),
    ], fmt_id("I", _width(t["rec"].size)))
    counts["targets"] = _write_targets(out_dir, targets)
    write_mapping(out_dir / "mapping.yaml")
    # the marker demo mode needs (pipelines/synthetic.py): every file written, with its checksum
    synthetic.mark(out_dir, persons=persons, seed=seed, end=end.isoformat())
    return counts


def _write_persons(
    out_dir: Path, rng: np.random.Generator, person_t: Table, pnum: np.ndarray, bg_num: np.ndarray,
    person_col: Formatter, k: int,
) -> int:
    """Persons sorted by id, with unparseable birth dates and an unparseable boolean (loader defects)."""
    pt = _sorted(person_t, np.argsort(pnum[person_t["person"]], kind="stable"))
    n_p = pt["person"].size
    overrides: dict[int, dict[int, str]] = {2: {}, 4: {}}
    with_birth = np.flatnonzero((pt["birth"] != OPEN) & pt["in_stock"])
    bad_birth = rng.choice(with_birth, size=min(2 * k, with_birth.size), replace=False)
    for i, row in enumerate(bad_birth.tolist()):
        year = fmt_date(pt["birth"][row:row + 1])[0][-4:]
        overrides[2][row] = "unbekannt" if i % 2 == 0 else f"31.02.{year}"
    for row in rng.choice(n_p, size=min(k, n_p), replace=False).tolist():
        overrides[4][row] = "vielleicht"
    return write_csv(out_dir / "persons.csv", list(P.HEADERS["persons"]), [
        (person_col, pt["person"]), (fmt_id("36202//", 7), bg_num[pt["bg"]]), (fmt_date, pt["birth"]),
        (fmt_code(P.SEX_LABELS), pt["sex"]), (fmt_bool, pt["single"]), (fmt_bool, pt["disabled"]),
        (fmt_code(P.QUAL_LABELS), pt["qual"]), (fmt_datetime, pt["rec"]),
    ], overrides)


def _write_spells(out_dir: Path, spell_t: Table, pnum: np.ndarray, person_col: Formatter) -> int:
    """Spells numbered in order of their start, as a case system would have created them."""
    st = _sorted(spell_t, np.lexsort((pnum[spell_t["person"]], spell_t["start"])))
    n_s = st["person"].size
    return write_csv(out_dir / "benefit_spells.csv", list(P.HEADERS["benefit_spells"]), [
        (fmt_id("LF", _width(n_s)), np.arange(1, n_s + 1)), (person_col, st["person"]), (fmt_date, st["start"]),
        (fmt_date, st["end"]), (fmt_bool, st["employable"].astype(np.int8)),
        (fmt_code(P.REASON_LABELS), st["reason"]),
    ], {})


def _write_assignments(out_dir: Path, assign_t: Table, pnum: np.ndarray, person_col: Formatter) -> int:
    """Assignments sorted by person and valid_from."""
    at = _sorted(assign_t, np.lexsort((assign_t["start"], pnum[assign_t["person"]])))
    team_ids = np.array([t.team_id for t in P.TEAMS])
    return write_csv(out_dir / "assignments.csv", list(P.HEADERS["assignments"]), [
        (person_col, at["person"]), (lambda t: team_ids[t], at["team"]), (fmt_date, at["start"]),
        (fmt_date, at["end"]),
    ], {})


def _write_events(
    out_dir: Path, table: str, t: Table, pnum: np.ndarray, cols: list[tuple[Formatter, str]],
    id_fmt: Formatter, id_offset: Callable[[Table], np.ndarray] | None = None,
) -> int:
    """Tables whose id runs in order of recording (plans, measures, integrations)."""
    t = _sorted(t, np.lexsort((pnum[t["person"]], t["rec"])))
    n = t["rec"].size
    ids = np.arange(1, n + 1) + (0 if id_offset is None else id_offset(t))
    columns: list[Column] = [(id_fmt, ids)] + [(f, t[name]) for f, name in cols]
    return write_csv(out_dir / f"{table}.csv", list(P.HEADERS[table]), columns, {})


def _plan_ids(width: int) -> tuple[Formatter, Callable[[Table], np.ndarray]]:
    """EGV... before the Bürgergeld reform (July 2023), KP... (Kooperationsplan) after it.

    The prefix travels in the number (+10**width) so the formatter sees only numbers.
    """
    kp_from = to_day(date(2023, 7, 1))

    def offset(t: Table) -> np.ndarray:
        return np.where(t["day"] >= kp_from, 10**width, 0)

    def fmt(nums: np.ndarray) -> np.ndarray:
        kp = nums >= 10**width
        return np.strings.add(np.where(kp, "KP", "EGV"), np.strings.zfill((nums % 10**width).astype(str), width))

    return fmt, offset


def _write_contacts(
    out_dir: Path, rng: np.random.Generator, c: Table, pnum: np.ndarray, person_col: Formatter, k: int
) -> int:
    """Contacts with loader-level defects: unmapped Kontaktart, bad dates, a key written twice."""
    n = c["day"].size
    c["kind"][rng.choice(np.flatnonzero(c["kind"] > 0), size=k, replace=False)] = 5  # Hausbesuch
    order = np.lexsort((c["kind"], c["day"], pnum[c["person"]], c["rec"]))
    rows = np.sort(np.concatenate([np.arange(n), rng.choice(n, size=k, replace=False)]))  # exact duplicates
    c = _sorted(c, order[rows])  # one copy: sorted by recording, duplicates next to their original
    ids = rows + 1
    dup = np.zeros(rows.size, bool)
    dup[1:] = rows[1:] == rows[:-1]
    dup[:-1] |= dup[1:]
    bad = rng.choice(np.flatnonzero(~dup), size=k, replace=False)
    overrides = {2: {int(r): f"31.02.{fmt_date(c['day'][r:r + 1])[0][-4:]}" for r in bad}}
    return write_csv(out_dir / "contacts.csv", list(P.HEADERS["contacts"]), [
        (fmt_id("K", _width(n)), ids), (person_col, c["person"]), (fmt_date, c["day"]),
        (fmt_code(P.CONTACT_LABELS), c["kind"]), (fmt_datetime, c["rec"]), (fmt_code(P.REMARKS), c["remark"]),
    ], overrides)


def _write_targets(out_dir: Path, targets: list[tuple[int, str, str, float]]) -> int:
    """Targets with German labels and a decimal comma, as controlling would send them."""
    rates = {"integration_rate_12m", "coop_plan_coverage", "no_contact_90d_rate"}
    year = np.array([str(y) for y, *_ in targets])
    team = np.array([P.ALL_TEAMS_LABEL if t == "__all__" else t for _, t, _, _ in targets])
    metric = np.array([P.TARGET_LABELS[m] for _, _, m, _ in targets])
    value = np.array([f"{v:.1f}".replace(".", ",") if m in rates else str(int(v)) for _, _, m, v in targets])
    return write_csv(out_dir / "targets.csv", list(P.HEADERS["targets"]),
                     [(fmt_str, year), (fmt_str, team), (fmt_str, metric), (fmt_str, value)], {})
