"""Tests of the synthetic German-style export (pipelines/sample.py), on real written files.

The sample is generated once per module (3,000 persons) and read back the way a
loader would: cp1252, ``;``, headers and codes through mapping.yaml.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from pipelines.sample import write_sample

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = yaml.safe_load((ROOT / "sql" / "staging" / "contract.yaml").read_text(encoding="utf-8"))["tables"]
PERSONS = 3000
END = date(2026, 10, 31)
FAR = pd.Timestamp("2200-01-01")
BAD_DATES = ("unbekannt", "31.02.")  # deliberate loader-level defects


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    counts = write_sample(out, persons=PERSONS, seed=42)
    (out / "_counts.yaml").write_text(yaml.safe_dump(counts))
    return out


@pytest.fixture(scope="module")
def mapping(sample_dir: Path) -> dict:
    return yaml.safe_load((sample_dir / "mapping.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def raw(sample_dir: Path, mapping: dict) -> dict[str, pd.DataFrame]:
    """Every table as strings, German headers and codes as written."""
    return {
        t: pd.read_csv(sample_dir / spec["file"], sep=";", encoding="cp1252", dtype=str, keep_default_na=False)
        for t, spec in mapping["tables"].items()
    }


def _date(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s.replace("", None), format="%d.%m.%Y", errors="coerce")


def _datetime(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s.replace("", None), format="%d.%m.%Y %H:%M", errors="coerce")


@pytest.fixture(scope="module")
def data(raw: dict[str, pd.DataFrame], mapping: dict) -> dict[str, pd.DataFrame]:
    """Every table mapped onto the contract: canonical names, codes, parsed dates and booleans."""
    out = {}
    for t, df in raw.items():
        spec = mapping["tables"][t]
        df = df[list(spec["columns"])].rename(columns=spec["columns"])
        for col, values in spec.get("values", {}).items():
            df[col] = df[col].map(lambda v, values=values: values.get(v, v))
        for col, cs in CONTRACT[t]["columns"].items():
            if cs["type"] == "date":
                df[col] = _date(df[col])
            elif cs["type"] == "datetime":
                df[col] = _datetime(df[col])
            elif cs["type"] == "bool":
                df[col] = df[col].map({"ja": True, "nein": False})
        out[t] = df
    return out


@pytest.fixture(scope="module")
def month_ends(data: dict[str, pd.DataFrame]) -> pd.DatetimeIndex:
    first = data["benefit_spells"]["spell_start"].min()
    return pd.date_range(first, pd.Timestamp(END), freq="ME")


@pytest.fixture(scope="module")
def stock(data: dict[str, pd.DataFrame], month_ends: pd.DatetimeIndex) -> pd.DataFrame:
    """(person_id, d) for every person eLb on a month end d, with the number of covering spells."""
    sp = data["benefit_spells"]
    sp = sp[sp["employable"] == True]  # noqa: E712 - NaN-safe comparison
    pairs = sp.merge(pd.DataFrame({"d": month_ends}), how="cross")
    pairs = pairs[(pairs["spell_start"] <= pairs["d"]) & (pairs["spell_end"].fillna(FAR) >= pairs["d"])]
    return pairs.groupby(["person_id", "d"]).size().rename("spells").reset_index()


# ---- determinism and format -----------------------------------------------------------------------


def test_same_seed_gives_identical_bytes_and_another_seed_differs(sample_dir: Path, tmp_path: Path) -> None:
    again = write_sample(tmp_path / "again", persons=PERSONS, seed=42)
    assert again == yaml.safe_load((sample_dir / "_counts.yaml").read_text())
    for f in sorted(sample_dir.glob("*.csv")) + [sample_dir / "mapping.yaml"]:
        assert (tmp_path / "again" / f.name).read_bytes() == f.read_bytes(), f.name
    write_sample(tmp_path / "other", persons=PERSONS, seed=7)
    assert (tmp_path / "other" / "contacts.csv").read_bytes() != (sample_dir / "contacts.csv").read_bytes()


def test_one_cp1252_semicolon_file_per_table_with_mapped_headers(sample_dir: Path, mapping: dict) -> None:
    assert mapping["encoding"] == "cp1252" and mapping["delimiter"] == ";"
    assert set(mapping["tables"]) == set(CONTRACT)
    for table, spec in mapping["tables"].items():
        data = (sample_dir / spec["file"]).read_bytes()
        text = data.decode("cp1252")
        assert "\r\n" in text and text.count("\n") == text.count("\r\n")
        header = text.split("\r\n", 1)[0].split(";")
        mapped = {spec["columns"][h] for h in header if h in spec["columns"]}
        required = {c for c, cs in CONTRACT[table]["columns"].items() if cs.get("required", True)}
        assert required <= mapped, (table, required - mapped)
        assert set(spec["columns"]) <= set(header)
    with pytest.raises(UnicodeDecodeError):  # „ – € are single cp1252 bytes, invalid UTF-8
        (sample_dir / "teams.csv").read_bytes().decode("utf-8")


def test_return_value_counts_the_rows_written(sample_dir: Path, raw: dict[str, pd.DataFrame]) -> None:
    counts = yaml.safe_load((sample_dir / "_counts.yaml").read_text())
    assert counts == {t: len(df) for t, df in raw.items()}


def test_dates_are_dd_mm_yyyy_apart_from_the_deliberate_defects(raw: dict[str, pd.DataFrame], mapping: dict) -> None:
    for table, spec in mapping["tables"].items():
        back = {c: h for h, c in spec["columns"].items()}
        for col, cs in CONTRACT[table]["columns"].items():
            if cs["type"] not in ("date", "datetime"):
                continue
            s = raw[table][back[col]]
            s = s[s != ""]
            parsed = (_date if cs["type"] == "date" else _datetime)(s)
            bad = s[parsed.isna()]
            assert bad.map(lambda v: v.startswith(BAD_DATES)).all(), (table, col, bad.head().tolist())


def test_codes_map_onto_the_contract_except_the_deliberately_unknown_ones(
    data: dict[str, pd.DataFrame],
) -> None:
    for table, cols in CONTRACT.items():
        for col, cs in cols["columns"].items():
            if "codes" in cs:
                values = set(data[table][col]) - {""}
                assert values - set(cs["codes"]) <= {"u", "Hausbesuch"}, (table, col)
    assert (data["persons"]["sex"] == "u").any()
    assert (data["contacts"]["contact_type"] == "Hausbesuch").any()


def test_unknown_extra_columns_are_present(raw: dict[str, pd.DataFrame], mapping: dict) -> None:
    for table, extra in (("contacts", "Bemerkung"), ("measures", "Status")):
        assert extra in raw[table].columns and extra not in mapping["tables"][table]["columns"]
    assert (raw["contacts"]["Bemerkung"] == "Termin wahrgenommen").any()


# ---- realism --------------------------------------------------------------------------------------


def test_teams_and_units(data: dict[str, pd.DataFrame]) -> None:
    teams = data["teams"]
    assert 6 <= len(teams) <= 10
    assert set(teams["unit"]) == {"U25", "Ü25", "Fallmanagement", "Reha"}
    names = "".join(teams["team_name"])
    assert all(ch in names for ch in "„“–€Ü")


def test_persons_have_several_spells(data: dict[str, pd.DataFrame]) -> None:
    per_person = data["benefit_spells"].groupby("person_id").size()
    assert (per_person >= 2).mean() > 0.10


def test_long_term_share_of_the_stock(data: dict[str, pd.DataFrame], stock: pd.DataFrame) -> None:
    d = pd.Timestamp(END)
    sp = data["benefit_spells"]
    sp = sp[sp["employable"] == True]  # noqa: E712
    lo = d - pd.Timedelta(days=729)
    days = (sp["spell_end"].fillna(FAR).clip(upper=d) - sp["spell_start"].clip(lower=lo)).dt.days + 1
    elb_days = days.clip(lower=0).groupby(sp["person_id"]).sum().clip(upper=730)  # overlaps are rare
    birth = data["persons"].set_index("person_id")["birth_date"]
    current = stock.loc[stock["d"] == d, "person_id"]
    adult = birth.reindex(current).fillna(pd.Timestamp("1900-01-01")) <= d - pd.DateOffset(years=17)
    ltb = (elb_days.reindex(current).fillna(0) >= 638).to_numpy() & adult.to_numpy()
    assert 1000 < len(current) < 2000  # a few thousand at 12,000 persons
    assert 0.40 <= ltb.mean() <= 0.70


def test_fewer_integrations_in_december_than_in_spring(data: dict[str, pd.DataFrame]) -> None:
    month = data["integrations"]["integration_date"].dt.month
    by_month = month.value_counts()
    assert by_month[12] < by_month[[3, 4, 5]].mean() * 0.8


def test_single_parents_and_employability(data: dict[str, pd.DataFrame]) -> None:
    assert 0.08 <= (data["persons"]["single_parent"] == True).mean() <= 0.17  # noqa: E712
    assert (data["benefit_spells"]["employable"] == False).any()  # noqa: E712


def test_contact_rhythm_differs_by_unit(
    data: dict[str, pd.DataFrame], stock: pd.DataFrame, month_ends: pd.DatetimeIndex
) -> None:
    a = data["assignments"].merge(data["teams"], on="team_id")
    d = month_ends[-13]
    current = a[(a["valid_from"] <= d) & (a["valid_to"].fillna(FAR) >= d)]
    c = data["contacts"]
    year = c[(c["contact_date"] > d) & (c["contact_date"] <= d + pd.DateOffset(years=1))]
    per_person = year.groupby("person_id").size()
    rate = current.assign(n=current["person_id"].map(per_person).fillna(0)).groupby("unit")["n"].mean()
    assert rate["Fallmanagement"] > rate["U25"] > rate["Ü25"]


def test_nothing_is_dated_after_the_export(data: dict[str, pd.DataFrame]) -> None:
    latest = max(df["recorded_at"].max() for df in data.values() if "recorded_at" in df)
    assert pd.Timestamp(END) + pd.Timedelta(days=1) <= latest <= pd.Timestamp(END) + pd.Timedelta(days=7)
    export_day = latest.normalize()
    for table, col in (("contacts", "contact_date"), ("integrations", "integration_date"),
                       ("measures", "start_date"), ("cooperation_plans", "plan_date"),
                       ("benefit_spells", "spell_start"), ("benefit_spells", "spell_end")):
        assert data[table][col].max() <= export_day, (table, col)


def test_targets_for_the_current_year(data: dict[str, pd.DataFrame], raw: dict[str, pd.DataFrame]) -> None:
    t = data["targets"]
    assert set(t["year"]) == {str(END.year)}
    expected = {"integrations", "integration_rate_12m", "ltb_stock", "coop_plan_coverage", "no_contact_90d_rate"}
    assert set(t["metric_id"]) == expected
    assert set(t["team_id"]) == set(data["teams"]["team_id"]) | {"__all__"}
    assert raw["targets"]["Zielwert"].str.contains(",").any()
    values = raw["targets"]["Zielwert"].str.replace(",", ".").astype(float)
    rate = values[t["metric_id"] == "integration_rate_12m"]
    assert rate.between(5, 60).all()


# ---- data-quality defects: each rule of data-quality.md fails at least once -------------------------


def _elb_on(data: dict[str, pd.DataFrame], rows: pd.DataFrame, day_col: str) -> pd.Series:
    """Per row: is the person eLb on rows[day_col]?"""
    sp = data["benefit_spells"]
    sp = sp[sp["employable"] == True]  # noqa: E712
    m = rows.reset_index().merge(sp, on="person_id", how="left")
    cover = (m["spell_start"] <= m[day_col]) & (m["spell_end"].fillna(FAR) >= m[day_col])
    return cover.groupby(m["index"]).any().reindex(rows.index, fill_value=False)


def _dq(rule: str, data: dict[str, pd.DataFrame], stock: pd.DataFrame) -> int:
    p = data["persons"]
    in_stock = stock.merge(p, on="person_id", how="left", indicator=True)
    if rule in ("DQ01", "DQ02", "DQ04"):
        col = {"DQ01": "birth_date", "DQ02": "sex", "DQ04": "highest_qualification"}[rule]
        present = p.set_index("person_id")[col].replace("", None).dropna().index
        return int((~stock["person_id"].isin(present)).sum())
    if rule == "DQ03":
        return int((in_stock["sex"].notna() & ~in_stock["sex"].isin(["m", "w", "d", "x", ""])).sum())
    if rule == "DQ05":
        age = (in_stock["d"] - in_stock["birth_date"]).dt.days / 365.25
        return int(((age < 15) | (age > 67)).sum())
    if rule == "DQ06":
        a = data["assignments"]
        m = stock.merge(a, on="person_id", how="left")
        m["cover"] = (m["valid_from"] <= m["d"]) & (m["valid_to"].fillna(FAR) >= m["d"])
        return int((~m.groupby(["person_id", "d"])["cover"].any()).sum())
    if rule == "DQ07":
        return int((stock["spells"] >= 2).sum())
    if rule == "DQ08":
        m = data["measures"]
        return int((m["end_date"] < m["start_date"]).sum())
    if rule == "DQ09":
        m = data["measures"]
        return int((~_elb_on(data, m, "start_date")).sum())
    if rule == "DQ10":
        it = data["integrations"].copy()
        it["prev"] = it["integration_date"].dt.to_period("M").dt.start_time - pd.Timedelta(days=1)
        ok = _elb_on(data, it, "integration_date") | _elb_on(data, it, "prev")
        return int((~ok).sum())
    if rule in ("DQ11", "DQ12"):
        t, col, limit = {"DQ11": ("contacts", "contact_date", 7), "DQ12": ("integrations", "integration_date", 14)}[
            rule
        ]
        df = data[t]
        return int(((df["recorded_at"].dt.normalize() - df[col]).dt.days > limit).sum())
    if rule == "DQ13":
        c = data["contacts"]
        return int((c["contact_date"] > c["recorded_at"].dt.normalize()).sum())
    if rule == "DQ14":
        c = data["contacts"].drop_duplicates()  # exact duplicate rows are a loader defect, not DQ14
        return int(c.duplicated(["person_id", "contact_date", "contact_type"]).sum())
    if rule == "DQ15":
        known = set(p["person_id"])
        return sum(int((~data[t]["person_id"].isin(known)).sum()) for t in ("contacts", "measures", "integrations"))
    if rule == "DQ16":
        pl = data["cooperation_plans"]
        return int((pl["next_review_date"] < pl["plan_date"]).sum())
    raise AssertionError(rule)


@pytest.mark.parametrize("rule", [f"DQ{i:02d}" for i in range(1, 17)])
def test_every_quality_rule_fails_somewhere(rule: str, data: dict[str, pd.DataFrame], stock: pd.DataFrame) -> None:
    assert _dq(rule, data, stock) > 0


def test_missing_persons_appear_in_contacts_measures_and_integrations(data: dict[str, pd.DataFrame]) -> None:
    known = set(data["persons"]["person_id"])
    for table in ("contacts", "measures", "integrations"):
        assert (~data[table]["person_id"].isin(known)).any(), table


def test_defect_rates_differ_between_teams(data: dict[str, pd.DataFrame]) -> None:
    c = data["contacts"]
    a = data["assignments"]
    m = c.merge(a, on="person_id")
    m = m[(m["valid_from"] <= m["contact_date"]) & (m["valid_to"].fillna(FAR) >= m["contact_date"])]
    late = ((m["recorded_at"].dt.normalize() - m["contact_date"]).dt.days > 7).groupby(m["team_id"]).mean()
    assert late.max() > 2.5 * late.min()
    assert late.max() < 0.08


def test_loader_level_defects(raw: dict[str, pd.DataFrame]) -> None:
    p, c = raw["persons"], raw["contacts"]
    assert (p["Geburtsdatum"] == "unbekannt").any()
    assert p["Geburtsdatum"].str.startswith("31.02.").any()
    assert c["Kontaktdatum"].str.startswith("31.02.").any()
    assert (p["Alleinerziehend"] == "vielleicht").any()
    assert c.duplicated().any() and c["Kontakt-ID"].duplicated().any()
    assert (p["Geschlecht"] == "u").any() and (c["Kontaktart"] == "Hausbesuch").any()


def test_window_is_four_years(data: dict[str, pd.DataFrame]) -> None:
    start = data["benefit_spells"]["spell_start"].min()
    assert start.date() == END - timedelta(days=4 * 365)  # 01.11.2022: one leap day in between
    assert np.isclose((data["benefit_spells"]["spell_start"] == start).mean(), 0.35, atol=0.1)
