"""The fix list as a mart (sql/marts/fix_list.sql -> fix_list), built at load time for every team.

It must hold exactly the rows the fix list was assembled from per request before: that query is
kept below (``old_fixlist_frame``, with the German labels it had in Python) and compared with
``fixlist_frame`` on the committed sample and on a small hand-made job center whose findings
point into every table the mart looks values up in. The hand case also pins the values by hand.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.compute import OUTPUT_GRAIN, compute_all
from pipelines.contract import load_contract
from pipelines.fixlist import ALL_TEAMS, COLUMNS, EVENT_MONTHS
from pipelines.load import load_folder
from pipelines.publish import read_fix_list as fixlist_frame
from pipelines.sqlmodels import SQL_DIR, discover, parse_file
from tests.conftest import SAMPLE_DIR, write_canonical

MART = SQL_DIR / "marts" / "fix_list.sql"
APR, MAR, FEB = dt.date(2023, 4, 1), dt.date(2023, 3, 1), dt.date(2023, 2, 1)

TABLES = {
    "teams": [{"team_id": "T1", "team_name": "Team Nord"}],
    "persons": [
        {"person_id": "P1", "birth_date": "1980-01-01", "sex": "w", "highest_qualification": "school"},
        # unreadable birth date (blanked, DQ01 with the raw text) and an unknown sex code (DQ03)
        {"person_id": "P2", "birth_date": "01.13.1985", "sex": "M", "highest_qualification": "none"},
    ],
    "benefit_spells": [
        {"spell_id": "S1", "person_id": "P1", "spell_start": "2023-01-01", "employable": "true"},
        {"spell_id": "S2", "person_id": "P2", "spell_start": "2023-01-01", "employable": "true"},
    ],
    "assignments": [{"person_id": p, "team_id": "T1", "valid_from": "2022-01-01"} for p in ("P1", "P2")],
    "contacts": [
        # DQ13: dated after the day it was recorded (two fields)
        {"contact_id": "C1", "person_id": "P1", "contact_date": "2023-04-12", "contact_type": "phone",
         "recorded_at": "2023-04-10 09:00"},
        # DQ11: recorded late; fractions of a second are not shown
        {"contact_id": "C2", "person_id": "P1", "contact_date": "2023-04-01", "contact_type": "phone",
         "recorded_at": "2023-04-20 10:00:00.250"},
    ],
    "cooperation_plans": [  # DQ16: review before the plan (two fields)
        {"plan_id": "K1", "person_id": "P1", "plan_date": "2023-04-01", "next_review_date": "2023-03-01",
         "recorded_at": "2023-04-01 10:00"},
    ],
    "measures": [
        # DQ08: ends before it starts (two fields)
        {"measure_id": "M1", "person_id": "P1", "measure_type": "agh", "start_date": "2023-03-10",
         "end_date": "2023-03-01", "recorded_at": "2023-03-10 10:00"},
        # P9 is in no table: DQ09 (not eLb at the start, one field) and DQ15 (no fields), without a team
        {"measure_id": "M2", "person_id": "P9", "measure_type": "agh", "start_date": "2023-04-05",
         "recorded_at": "2023-04-05 10:00"},
    ],
    "integrations": [
        # DQ12: recorded 28 days after the integration
        {"integration_id": "I1", "person_id": "P1", "integration_date": "2023-02-01",
         "integration_type": "employment_full", "recorded_at": "2023-03-01 10:00"},
        # DQ10 (never eLb) and DQ15 (not in persons)
        {"integration_id": "I2", "person_id": "P9", "integration_date": "2023-04-03",
         "integration_type": "employment_full", "recorded_at": "2023-04-03 10:00"},
    ],
}
# (rule, record) -> (team, month, raw value, reason contains), worked out from the rows above
EXPECTED = {
    ("DQ01", "P2"): ("T1", APR, "01.13.1985", "Geburtsdatum im Export nicht lesbar (erwartet: Datum"),
    ("DQ03", "P2"): ("T1", APR, "M", None),
    ("DQ08", "M1"): ("T1", MAR, "Beginn: 2023-03-10; Ende: 2023-03-01", None),
    ("DQ09", "M2"): ("__unassigned__", APR, "2023-04-05", None),
    ("DQ10", "I2"): ("__unassigned__", APR, "2023-04-03", None),
    ("DQ11", "C2"): ("T1", APR, "2023-04-20 10:00:00", None),
    ("DQ12", "I1"): ("T1", FEB, "2023-03-01 10:00:00", None),
    ("DQ13", "C1"): ("T1", APR, "Kontaktdatum: 2023-04-12; Erfasst am: 2023-04-10 09:00:00", None),
    ("DQ15", "I2"): ("__unassigned__", APR, None, None),
    ("DQ15", "M2"): ("__unassigned__", APR, None, None),
    ("DQ16", "K1"): ("T1", APR, "Plandatum: 2023-04-01; Nächste Überprüfung: 2023-03-01", None),
}


# --- the per-request query as it was (pipelines/fixlist.py before the mart) ------------------------------------

OLD_FIELD_LABELS = {
    "birth_date": "Geburtsdatum", "sex": "Geschlecht", "highest_qualification": "Höchster Abschluss",
    "start_date": "Beginn", "end_date": "Ende", "integration_date": "Integrationsdatum",
    "contact_date": "Kontaktdatum", "contact_type": "Kontaktart", "recorded_at": "Erfasst am",
    "plan_date": "Plandatum", "next_review_date": "Nächste Überprüfung", "person_id": "Personen-ID",
}
OLD_TYPE_LABELS = {"date": "Datum TT.MM.JJJJ oder JJJJ-MM-TT", "datetime": "Datum und Uhrzeit TT.MM.JJJJ HH:MM",
                   "bool": "ja/nein", "int": "ganze Zahl", "float": "Zahl"}


def _old_values_sql(rules: list[tuple]) -> str:
    contract = load_contract()
    wanted: dict[str, set[str]] = {}
    for _, _, fields, tables in rules:
        for name in tables:
            table = contract.get(name)
            if table is not None and len(table.key) == 1 and set(fields) & set(table.column_names):
                wanted.setdefault(name, set()).update(set(fields) & set(table.column_names))
    parts = []
    for name, fields in sorted(wanted.items()):
        key = contract[name].key[0]
        for field in sorted(fields):
            value = (f"strftime(\"{field}\", '%Y-%m-%d %H:%M:%S')" if contract[name].column(field).type == "datetime"
                     else f"CAST(\"{field}\" AS VARCHAR)")
            parts.append(f"SELECT '{name}' AS table_name, CAST(\"{key}\" AS VARCHAR) AS record_id,"
                         f" '{field}' AS column_name, {value} AS value FROM staging.\"{name}\"")
    return " UNION ALL ".join(parts)


def old_fixlist_frame(con: duckdb.DuckDBPyConnection, team_id: str) -> pd.DataFrame:
    rules = []
    for m in discover(SQL_DIR, layers=("rules",)):
        stock = m.meta["population"] == "stock"
        tables = ("persons",) if stock else tuple(t.strip() for t in str(m.meta["table_name"]).split(","))
        rules.append((m.meta["rule_id"], m.meta["population"], tuple(m.meta.get("fields") or ()), tables))
    rule_fields = [(r[0], f, i) for r in rules for i, f in enumerate(r[2])]
    field_types = [(t.name, c.name, c.type) for t in load_contract().values() for c in t.columns]
    query = f"""
        WITH last AS (SELECT max(month) AS last_month FROM core.calendar),
        rules AS (SELECT unnest(?::VARCHAR[]) AS rule_id, unnest(?::VARCHAR[]) AS population),
        rule_fields AS (SELECT unnest(?::VARCHAR[]) AS rule_id, unnest(?::VARCHAR[]) AS column_name,
                               unnest(?::INTEGER[]) AS position),
        field_types AS (SELECT unnest(?::VARCHAR[]) AS table_name, unnest(?::VARCHAR[]) AS column_name,
                               unnest(?::VARCHAR[]) AS type_label, unnest(?::VARCHAR[]) AS field_label),
        open AS (
            SELECT f.* FROM dq_findings f JOIN rules r ON r.rule_id = f.rule_id CROSS JOIN last l
            WHERE (? = '{ALL_TEAMS}' OR f.team_id = ?)
              AND ((r.population = 'stock' AND f.month = l.last_month)
                   OR (r.population <> 'stock' AND f.month > l.last_month - to_months({EVENT_MONTHS})))
        ),
        stored AS ({_old_values_sql(rules)}),
        rejected AS (SELECT table_name, record_id, column_name, raw_value FROM load_rejects
                     WHERE action = 'value_blanked' AND run_id = (SELECT max(run_id) FROM load_rejects)),
        shown AS (
            SELECT o.rule_id, o.table_name, o.record_id, o.month, rf.position, rf.column_name, ft.field_label,
                   ft.type_label, coalesce(x.raw_value, s.value) AS value, x.raw_value IS NOT NULL AS blanked
            FROM open o
            JOIN rule_fields rf ON rf.rule_id = o.rule_id
            LEFT JOIN field_types ft ON ft.table_name = o.table_name AND ft.column_name = rf.column_name
            LEFT JOIN rejected x ON x.table_name = o.table_name AND x.record_id = o.record_id
                                AND x.column_name = rf.column_name
            LEFT JOIN stored s ON s.table_name = o.table_name AND s.record_id = o.record_id
                              AND s.column_name = rf.column_name
            WHERE ft.table_name IS NOT NULL
        ),
        per_finding AS (
            SELECT rule_id, table_name, record_id, month,
                   CASE WHEN count(*) = 1 THEN max(value)
                        ELSE string_agg(field_label || ': ' || value, '; ' ORDER BY position) END AS raw_value,
                   string_agg(field_label || ' im Export nicht lesbar (erwartet: ' || coalesce(type_label, '?')
                              || '), beim Laden leer gelassen', '; ' ORDER BY position)
                       FILTER (WHERE blanked) AS reason
            FROM shown WHERE value IS NOT NULL GROUP BY rule_id, table_name, record_id, month
        )
        SELECT o.rule_id, d.label_de, d.description_de, o.team_id, o.table_name, o.record_id,
               o.person_id, o.month, p.raw_value, p.reason
        FROM open o
        JOIN dq_rules d ON d.rule_id = o.rule_id
        LEFT JOIN per_finding p ON p.rule_id = o.rule_id AND p.table_name = o.table_name
                               AND p.record_id = o.record_id AND p.month = o.month
        ORDER BY rule_id, month DESC, team_id, table_name, record_id
    """
    params = [[r[0] for r in rules], [r[1] for r in rules], [f[0] for f in rule_fields],
              [f[1] for f in rule_fields], [f[2] for f in rule_fields], [t[0] for t in field_types],
              [t[1] for t in field_types], [OLD_TYPE_LABELS.get(t[2], "") for t in field_types],
              [OLD_FIELD_LABELS.get(t[1], t[1]) for t in field_types], team_id, team_id]
    frame = con.execute(query, params).df()
    frame["month"] = pd.to_datetime(frame["month"]).dt.date
    return frame[list(COLUMNS)]


# --- fixtures --------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def hand_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fix_list_hand")
    db = root / "hand.duckdb"
    load_folder(write_canonical(root / "source", TABLES), db, as_of=dt.date(2023, 5, 10))
    return db


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("fix_list_sample") / "sample.duckdb"
    load_folder(SAMPLE_DIR, db)
    return db


def teams(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute("SELECT team_id FROM core.team_list ORDER BY team_id").fetchall()]


# --- tests -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["hand_db", "sample_db"])
def test_the_mart_equals_the_old_per_request_query(which, request):
    with duckdb.connect(str(request.getfixturevalue(which)), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM fix_list").fetchone()[0] > 5
        for team in teams(con):
            new, old = fixlist_frame(con, team), old_fixlist_frame(con, team)
            pd.testing.assert_frame_equal(new, old, check_exact=True)
            assert list(new.dtypes) == list(old.dtypes)


def test_hand_case_by_hand(hand_db):
    with duckdb.connect(str(hand_db), read_only=True) as con:
        frame = fixlist_frame(con, ALL_TEAMS)
    got = {(r.rule_id, r.record_id): (r.team_id, r.month, None if pd.isna(r.raw_value) else r.raw_value, r.reason)
           for r in frame.itertuples()}
    assert set(got) == set(EXPECTED)
    for key, (team, month, raw, reason) in EXPECTED.items():
        assert got[key][:3] == (team, month, raw), key
        if reason is None:
            assert pd.isna(got[key][3]), key
        else:
            assert reason in got[key][3], key
    assert isinstance(frame["month"].iloc[0], dt.date)


def test_table_columns_grain_and_no_all_rows(sample_db):
    with duckdb.connect(str(sample_db), read_only=True) as con:
        cols = [r[0] for r in con.execute("SELECT column_name FROM information_schema.columns"
                                          " WHERE table_schema = 'main' AND table_name = 'fix_list'"
                                          " ORDER BY ordinal_position").fetchall()]
        assert cols == list(COLUMNS)
        header = parse_file(MART, "marts")
        assert header.name == "main.fix_list" and header.grain == OUTPUT_GRAIN["fix_list"]
        dupes = con.execute("SELECT count(*) FROM (SELECT rule_id, table_name, record_id, month FROM fix_list"
                            " GROUP BY ALL HAVING count(*) > 1)").fetchone()[0]
        assert dupes == 0
        # team_id is the finding's own team: `__all__` is "no filter", never a stored team
        assert con.execute("SELECT count(*) FROM fix_list WHERE team_id = ?", [ALL_TEAMS]).fetchone()[0] == 0
        assert len(fixlist_frame(con, ALL_TEAMS)) == con.execute("SELECT count(*) FROM fix_list").fetchone()[0]


def test_dq_rules_carry_population_and_fields_from_the_headers(sample_db):
    with duckdb.connect(str(sample_db), read_only=True) as con:
        rows = {r[0]: (r[1], r[2]) for r in con.execute("SELECT rule_id, population, fields FROM dq_rules").fetchall()}
        types = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns"
                                 " WHERE table_name = 'dq_rules'").fetchall())
    assert types["population"] == "VARCHAR" and types["fields"] == "VARCHAR[]"
    files = {m.meta["rule_id"]: (m.meta["population"], list(m.meta.get("fields") or []))
             for m in discover(SQL_DIR, layers=("rules",))}
    assert rows == files


def test_field_labels_come_from_the_contract(sample_db):
    with duckdb.connect(str(sample_db), read_only=True) as con:
        labels = {(t, c): (lab, typ) for t, c, lab, typ in con.execute(
            "SELECT table_name, column_name, label_de, type_label_de FROM core.contract_columns").fetchall()}
    contract = load_contract()
    assert set(labels) == {(t.name, c.name) for t in contract.values() for c in t.columns}
    for (table, column), (label, type_label) in labels.items():
        if column in OLD_FIELD_LABELS:  # the labels the fix list had in Python
            assert label == OLD_FIELD_LABELS[column], (table, column)
        kind = contract[table].column(column).type
        if kind in OLD_TYPE_LABELS:
            assert type_label == OLD_TYPE_LABELS[kind], (table, column)


def test_every_table_with_shown_fields_is_looked_up():
    """A rule showing fields of a table the mart has no stored-value block for would show nothing."""
    looked_up = set(re.findall(r"from staging\.(\w+)", MART.read_text(encoding="utf-8")))
    contract = load_contract()
    for m in discover(SQL_DIR, layers=("rules",)):
        tables = ["persons"] if m.meta["population"] == "stock" else [
            t.strip() for t in str(m.meta["table_name"]).split(",")]
        for table in tables:
            if set(m.meta["fields"]) & set(contract[table].column_names):
                assert table in looked_up, (m.meta["rule_id"], table)


def test_the_event_window_matches_the_excel_text():
    window = re.findall(r"to_months\((\d+)\)", MART.read_text(encoding="utf-8"))
    assert window == [str(EVENT_MONTHS)]


def test_a_database_without_load_rejects(hand_db, tmp_path):
    """compute_all outside the loader: no value was blanked; nothing is left behind."""
    copy = shutil.copy(hand_db, tmp_path / "copy.duckdb")
    with duckdb.connect(str(copy)) as con:
        con.execute("DROP TABLE load_rejects")
        compute_all(con)
        row = con.execute("SELECT raw_value, reason FROM fix_list WHERE rule_id = 'DQ01'").fetchone()
        assert row == (None, None)  # the raw text was in load_rejects; the stored value is empty
        assert con.execute("SELECT raw_value FROM fix_list WHERE rule_id = 'DQ08'").fetchone() == (
            "Beginn: 2023-03-10; Ende: 2023-03-01",)
        assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'load_rejects'").fetchone() == (0,)


def test_a_database_from_before_the_mart_is_a_clear_error(hand_db, tmp_path):
    from pipelines.errors import LoadError

    copy = shutil.copy(hand_db, tmp_path / "old.duckdb")
    with duckdb.connect(str(copy)) as con:
        con.execute("DROP TABLE fix_list")
        with pytest.raises(LoadError, match="hat noch keine Korrekturliste"):
            fixlist_frame(con, "T1")
