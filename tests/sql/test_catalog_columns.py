"""How metrics are presented, targeted and protected: keys of the metric headers, columns of metric_catalog.

The facts used to live in Python lists (the Überblick's KEY_METRICS and TABLE_METRICS, the Team
page's GROUPS) and in a CASE on metric ids (sql/marts/goal_kind.sql); the expectations below are
those lists as they were, so moving them into the headers changed nothing. Then: a header without
the keys, or with a wrong value, stops with a message that names the file, the metric and the key.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from pipelines.compute import CATALOG_COLUMNS, check_catalog
from pipelines.load import load_folder
from pipelines.sqlmodels import SQL_DIR, SqlModelError, discover, parse_file
from tests.conftest import SAMPLE_DIR

# The lists as the dashboard pages held them before the move.
OLD_GROUPS = {
    "Bestand und Bewegung": ["elb_stock", "entries", "exits", "integrations"],
    "SGB-II-Kennzahlen": ["integration_rate_12m", "integration_progress_ytd", "integration_rate_single_parents_12m",
                          "integration_covering_3m", "ltb_stock", "ltb_change_yoy", "ltb_integration_rate_12m",
                          "activation_rate", "ltb_activation_rate"],
    "Fallverläufe": ["first_contact_14d_rate", "coop_plan_coverage", "no_contact_90d_rate", "contacts_per_100"],
    "Datenqualität": ["dq_score"],
}
OLD_KEY_METRICS = {"integrations", "integration_rate_12m", "integration_progress_ytd", "elb_stock", "ltb_stock",
                   "activation_rate", "coop_plan_coverage", "no_contact_90d_rate", "first_contact_14d_rate",
                   "dq_score"}
OLD_TABLE_METRICS = {"integrations", "integration_rate_12m", "elb_stock", "ltb_stock", "activation_rate",
                     "coop_plan_coverage", "no_contact_90d_rate", "dq_score"}
# sql/marts/goal_kind.sql before the move: its own CASE and lists on metric ids.
OLD_GOAL_KIND = """
with kinds as (
    select metric_id, direction,
        case
            when metric_id in ('integrations', 'entries', 'exits') then 'cumulative'
            when metric_id = 'integration_rate_12m' then 'progress'
            when metric_id = 'ltb_stock' then 'average'
            else 'level'
        end as kind
    from metric_catalog
)
select metric_id, direction, kind,
    case when kind = 'progress' then 'integration_progress_ytd' else metric_id end as tracked_metric_id,
    case when kind = 'cumulative' then metric_id when kind = 'progress' then 'integrations' end as share_metric_id,
    (kind = 'cumulative' or direction <> 'neutral')
        and metric_id not in ('integration_progress_ytd', 'ltb_change_yoy') as goal_capable,
    metric_id = 'ltb_change_yoy' as signed
from kinds
"""


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory):
    db = tmp_path_factory.mktemp("catalog") / "sample.duckdb"
    load_folder(SAMPLE_DIR, db)
    connection = duckdb.connect(str(db), read_only=True)
    yield connection
    connection.close()


def catalog(con) -> dict[str, dict]:
    frame = con.execute("SELECT * FROM metric_catalog").df()
    return {row["metric_id"]: row for row in frame.to_dict("records")}


def test_columns_and_types(con):
    described = con.execute("SELECT column_name, data_type FROM information_schema.columns"
                            " WHERE table_name = 'metric_catalog' ORDER BY ordinal_position").fetchall()
    assert described == list(CATALOG_COLUMNS.items())
    assert [c for c, _ in described] == [
        "metric_id", "label_de", "label_en", "unit", "direction", "definition_de", "theme_de", "display_order",
        "key_figure", "team_table", "goal_kind", "goal_capable", "tracked_metric_id", "signed", "protected_by",
        "protect", "ready_after", "count_noun_de", "stands_in_for"]
    frame = con.execute("SELECT * FROM metric_catalog").df()
    assert not frame.isna().any().any()  # every metric states every fact (or gets its default)


def test_themes_and_order_are_the_team_pages_groups(con):
    rows = con.execute("SELECT theme_de, metric_id FROM metric_catalog WHERE stands_in_for = ''"
                       " ORDER BY display_order").fetchall()
    assert [m for _, m in rows] == [m for ids in OLD_GROUPS.values() for m in ids]
    grouped: dict[str, list[str]] = {}
    for theme, metric_id in rows:
        grouped.setdefault(theme, []).append(metric_id)
    assert grouped == OLD_GROUPS  # themes in the same order, metrics in the same order within each
    assert con.execute("SELECT count(DISTINCT display_order) = count(*) FROM metric_catalog").fetchone()[0]


def test_a_quarter_sum_stands_in_for_a_monthly_count_of_its_theme(con):
    """Issue 16, item 6: the quarter sums are no chart of their own; each names its monthly count,
    shares its theme and noun, follows it in the order and can carry no goal."""
    cat = catalog(con)
    quarters = {m: r for m, r in cat.items() if r["stands_in_for"]}
    assert {m: r["stands_in_for"] for m, r in quarters.items()} == {
        "entries_quarter": "entries", "exits_quarter": "exits", "integrations_quarter": "integrations"}
    for metric_id, row in quarters.items():
        base = cat[row["stands_in_for"]]
        assert (row["theme_de"], row["unit"]) == (base["theme_de"], "count")
        assert row["count_noun_de"] == base["count_noun_de"]
        assert row["display_order"] == base["display_order"] + 1, metric_id
        assert not row["goal_capable"] and row["direction"] == "neutral", metric_id
        assert json.loads(row["protect"]) == {"numerator": {"atom": row["stands_in_for"], "window": 3}}


def test_key_figures_and_team_table_are_the_overviews_lists(con):
    cat = catalog(con)
    assert {m for m, r in cat.items() if r["key_figure"]} == OLD_KEY_METRICS
    assert {m for m, r in cat.items() if r["team_table"]} == OLD_TABLE_METRICS


def test_goal_facts_give_the_same_goal_kind_as_the_old_case(con):
    for a, b in ((OLD_GOAL_KIND, "SELECT * FROM marts.goal_kind"), ("SELECT * FROM marts.goal_kind", OLD_GOAL_KIND)):
        assert con.execute(f"SELECT count(*) FROM ((SELECT * FROM ({a})) EXCEPT ALL (SELECT * FROM ({b})))"
                           ).fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM marts.goal_kind").fetchone()[0] == len(catalog(con))
    old = {r[0]: r[1:] for r in con.execute(f"SELECT metric_id, kind, goal_capable, tracked_metric_id, signed"
                                            f" FROM ({OLD_GOAL_KIND})").fetchall()}
    cat = catalog(con)
    assert {m: (r["goal_kind"], r["goal_capable"], r["tracked_metric_id"], r["signed"])
            for m, r in cat.items()} == old


def test_ready_after_matches_the_metrics_own_completeness_rule(con):
    """The mark "offen (ab …)" is right only if the header says what the SQL does: first contacts are known 14
    days after the month end, three-month coverage at the end of the third month after."""
    from pipelines.report.formats import ready_on

    ready = dict(con.execute("SELECT metric_id, ready_after FROM metric_catalog WHERE ready_after <> '0d'").fetchall())
    assert set(ready) == {"first_contact_14d_rate", "integration_covering_3m"}
    as_of = con.execute("SELECT max(as_of) FROM load_runs WHERE status = 'success'").fetchall()[0][0]
    for metric_id, after in ready.items():
        rows = con.execute("SELECT month, denominator FROM metric_values WHERE team_id = '__all__' AND metric_id = ?"
                           " ORDER BY month", [metric_id]).fetchall()
        pending = [m for m, _ in rows if ready_on(after, m) > as_of]
        assert pending, metric_id  # the latest months are not measurable yet at this as-of
        for month, denominator in rows:
            assert (denominator is None) == (month in pending), (metric_id, month)


def test_protected_by_keeps_the_suppression_rule(con):
    # pipelines/suppression.py before: a count protects by its value, a rate by its denominator,
    # dq_score (a mean over rules) not at all.
    for metric_id, row in catalog(con).items():
        expected = "none" if metric_id == "dq_score" else "count" if row["unit"] == "count" else "denominator"
        assert row["protected_by"] == expected, metric_id


def test_metric_values_do_not_carry_the_new_facts(con):
    cols = [r[0] for r in con.execute("SELECT column_name FROM information_schema.columns"
                                      " WHERE table_name = 'metric_values' ORDER BY ordinal_position").fetchall()]
    assert cols == ["team_id", "month", "metric_id", "value", "numerator", "denominator"]


# --- the header checks ----------------------------------------------------------------------------------------

GOOD = {
    "id": "demo_rate", "label_de": "Demo", "label_en": "Demo", "unit": "percent", "direction": "higher_better",
    "theme_de": "Fallverläufe", "display_order": 5, "key_figure": False, "team_table": False,
    "goal_kind": "level", "protected_by": "denominator", "definition_de": "Ein Beispiel.",
    "protect": {"numerator": {"atom": "own"}, "denominator": {"atom": "elb_stock"}, "complement": True},
}


def metric_file(tmp_path: Path, sheets: list[dict], name: str = "demo_rate") -> Path:
    lines = ["/* ---", "kind: metric", "depends_on: []", "grain: [team_id, month, metric_id]", "metrics:"]
    for sheet in sheets:
        first = True
        for key, value in sheet.items():
            text = {True: "true", False: "false"}.get(value, value) if isinstance(value, bool) else value
            lines.append(f"  {'- ' if first else '  '}{key}: {text}")
            first = False
    lines += ["--- */", "select 1"]
    path = tmp_path / f"{name}.sql"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_complete_header_parses_with_the_goal_defaults(tmp_path):
    sheet = parse_file(metric_file(tmp_path, [GOOD]), "metrics").meta["metrics"][0]
    assert (sheet["goal_capable"], sheet["tracked_metric_id"], sheet["signed"]) == (True, "demo_rate", False)
    assert sheet["ready_after"] == "0d"  # a value exists with its month unless the header says otherwise
    neutral = parse_file(metric_file(tmp_path, [{**GOOD, "direction": "neutral"}]), "metrics").meta["metrics"][0]
    assert neutral["goal_capable"] is False  # neither cumulative nor directed
    summed = {**GOOD, "direction": "neutral", "unit": "count", "goal_kind": "cumulative", "protected_by": "count",
              "count_noun_de": "Personen"}
    assert parse_file(metric_file(tmp_path, [summed]), "metrics").meta["metrics"][0]["goal_capable"] is True


@pytest.mark.parametrize("change, message", [
    ({"theme_de": None}, "the key 'theme_de' is missing"),
    ({"display_order": None}, "the key 'display_order' is missing"),
    ({"key_figure": None}, "the key 'key_figure' is missing"),
    ({"team_table": None}, "the key 'team_table' is missing"),
    ({"goal_kind": None}, "the key 'goal_kind' is missing"),
    ({"protected_by": None}, "the key 'protected_by' is missing"),
    ({"goal_kind": "sum"}, "'goal_kind' must be one of cumulative, progress, average, level, not 'sum'"),
    ({"protected_by": "persons"}, "'protected_by' must be one of count, denominator, none"),
    ({"display_order": "first"}, "'display_order' must be a positive integer"),
    ({"display_order": 0}, "'display_order' must be a positive integer"),
    ({"key_figure": "yes please"}, "'key_figure' must be true or false"),
    ({"theme_de": "''"}, "'theme_de' must be a non-empty text"),
    ({"direction": "up"}, "'direction' must be one of higher_better, lower_better, neutral"),
    ({"key_figures": True}, "unknown key(s) key_figures"),
    ({"protected_by": "count"}, "'protected_by: count' needs 'unit: count'"),
    ({"unit": "count"}, "a count has no denominator"),
    ({"unit": "count", "protected_by": "count"}, "a count needs 'count_noun_de'"),
    ({"ready_after": "two weeks"}, "'ready_after' must be a number of days or months like 14d or 3m"),
])
def test_a_missing_or_invalid_key_is_a_clear_error(tmp_path, change, message):
    sheet = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    path = metric_file(tmp_path, [sheet])
    with pytest.raises(SqlModelError) as err:
        parse_file(path, "metrics")
    assert str(path) in str(err.value) and "'demo_rate'" in str(err.value)
    assert message in str(err.value)


def test_checks_across_files(tmp_path):
    metrics = discover(SQL_DIR, layers=("metrics",))
    check_catalog(metrics)  # the real headers pass
    twice = parse_file(metric_file(tmp_path, [{**GOOD, "display_order": 10}]), "metrics")
    with pytest.raises(SqlModelError, match="display_order 10 is used twice"):
        check_catalog([*metrics, twice])
    unknown = parse_file(metric_file(tmp_path, [{**GOOD, "tracked_metric_id": "nowhere"}]), "metrics")
    with pytest.raises(SqlModelError, match="tracked_metric_id 'nowhere' is not a metric"):
        check_catalog([*metrics, unknown])
    apart = parse_file(metric_file(tmp_path, [{**GOOD, "theme_de": "Datenqualität", "display_order": 15}]), "metrics")
    with pytest.raises(SqlModelError, match="theme 'Bestand und Bewegung' is split by display_order.*'demo_rate'"):
        check_catalog([*metrics, apart])
    same_id = parse_file(metric_file(tmp_path, [{**GOOD, "id": "dq_score", "display_order": 999}]), "metrics")
    with pytest.raises(SqlModelError, match="id 'dq_score' is used twice"):
        check_catalog([*metrics, same_id])


def test_a_rule_needs_a_population_and_a_list_of_fields(tmp_path):
    header = ("/* ---\nkind: rule\nrule_id: DQ98\ndimension: completeness\ntable_name: persons\n{extra}"
              "label_de: x\ndescription_de: y\n--- */\nselect 1\n")
    path = tmp_path / "DQ98.sql"
    path.write_text(header.format(extra="population: stock\n"), encoding="utf-8")
    assert parse_file(path, "rules").meta["fields"] == []
    path.write_text(header.format(extra="population: monthly\n"), encoding="utf-8")
    with pytest.raises(SqlModelError, match="'population' must be one of stock, events"):
        parse_file(path, "rules")
    path.write_text(header.format(extra="population: events\nfields: birth_date\n"), encoding="utf-8")
    with pytest.raises(SqlModelError, match="'fields' must be a list of column names"):
        parse_file(path, "rules")
