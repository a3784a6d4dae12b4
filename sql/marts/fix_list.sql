/* ---
kind: table
name: main.fix_list
depends_on: [core.calendar, core.contract_columns, staging.persons, staging.contacts, staging.measures,
             staging.integrations, staging.cooperation_plans]
             # and dq_findings, dq_rules (the rule runner, before the marts) and load_rejects
             # (the loader, before compute_all; compute_all gives a database without one an empty one)
grain: [rule_id, table_name, record_id, month]
description: >
  The fix list (Korrekturliste) of every team: the open findings, one row per finding, with the
  rule's label and hint and, in `raw_value`, the value of the field(s) the rule shows (`fields:` in
  the rule's header, dq_rules.fields). pipelines/fixlist.py reads it for one team (`__all__`: every
  row) and writes CSV and Excel; docs/data-quality-decisions.md, section "The fix list".
--- */
-- Open: a stock rule's findings of the latest complete month, an event rule's findings of the
-- last three complete months (EVENT_MONTHS in pipelines/fixlist.py, for the Excel overview text).
-- Team: the finding's own team_id, as counted in dq_results.
-- raw_value: per field the raw text from load_rejects where the loader of this snapshot blanked
-- it, else the stored value as text (timestamps as YYYY-MM-DD HH:MM:SS); one field alone as its
-- value, several as "Feld: Wert; Feld: Wert" in header order; fields without a value are left out.
-- reason: one sentence per blanked field, with the German field and type labels from the contract.
with last as (
    select max(month) as last_month from core.calendar
),

open as (   -- the findings a team can work through now
    select f.rule_id, f.table_name, f.record_id, f.person_id, f.team_id, f.month
    from dq_findings f
    join dq_rules r on r.rule_id = f.rule_id
    cross join last l
    where (r.population = 'stock' and f.month = l.last_month)
       or (r.population <> 'stock' and f.month > l.last_month - to_months(3))
),

rule_fields as (   -- the fields each rule shows, in the order of its header
    select rule_id, unnest(fields) as column_name, generate_subscripts(fields, 1) as position
    from dq_rules
),

shown as (   -- one row per open finding and shown field that the finding's table has
    select
        o.rule_id,
        o.table_name,
        o.record_id,
        o.month,
        rf.position,
        rf.column_name,
        c.label_de as field_label,
        c.type_label_de as type_label
    from open o
    join rule_fields rf on rf.rule_id = o.rule_id
    join core.contract_columns c on c.table_name = o.table_name and c.column_name = rf.column_name
),

wanted as (   -- the records whose values are shown: the stored-value lookups below read only these
    select distinct table_name, record_id from shown
),

-- Stored values as text, one table at a time: each staging table is first cut down to the
-- records of open findings, and only those few rows are turned into (column, value) rows.
-- A new table with findings and shown fields needs a block here (tests/pipelines/test_fix_list_mart.py).
persons_values as (
    unpivot (
        select
            person_id as record_id,
            columns(* exclude (_line, recorded_at))::varchar,
            strftime(recorded_at, '%Y-%m-%d %H:%M:%S') as recorded_at
        from staging.persons
        where person_id in (select record_id from wanted where table_name = 'persons')
    ) on columns(* exclude (record_id)) into name column_name value value
),

contacts_values as (
    unpivot (
        select
            contact_id as record_id,
            columns(* exclude (_line, recorded_at))::varchar,
            strftime(recorded_at, '%Y-%m-%d %H:%M:%S') as recorded_at
        from staging.contacts
        where contact_id in (select record_id from wanted where table_name = 'contacts')
    ) on columns(* exclude (record_id)) into name column_name value value
),

measures_values as (
    unpivot (
        select
            measure_id as record_id,
            columns(* exclude (_line, recorded_at))::varchar,
            strftime(recorded_at, '%Y-%m-%d %H:%M:%S') as recorded_at
        from staging.measures
        where measure_id in (select record_id from wanted where table_name = 'measures')
    ) on columns(* exclude (record_id)) into name column_name value value
),

integrations_values as (
    unpivot (
        select
            integration_id as record_id,
            columns(* exclude (_line, recorded_at))::varchar,
            strftime(recorded_at, '%Y-%m-%d %H:%M:%S') as recorded_at
        from staging.integrations
        where integration_id in (select record_id from wanted where table_name = 'integrations')
    ) on columns(* exclude (record_id)) into name column_name value value
),

cooperation_plans_values as (
    unpivot (
        select
            plan_id as record_id,
            columns(* exclude (_line, recorded_at))::varchar,
            strftime(recorded_at, '%Y-%m-%d %H:%M:%S') as recorded_at
        from staging.cooperation_plans
        where plan_id in (select record_id from wanted where table_name = 'cooperation_plans')
    ) on columns(* exclude (record_id)) into name column_name value value
),

stored as (
    select 'persons' as table_name, * from persons_values
    union all select 'contacts', * from contacts_values
    union all select 'measures', * from measures_values
    union all select 'integrations', * from integrations_values
    union all select 'cooperation_plans', * from cooperation_plans_values
),

blanked as (   -- values the loader of this snapshot could not read and left empty, as exported
    select table_name, record_id, column_name, raw_value
    from load_rejects
    where action = 'value_blanked' and run_id = (select max(run_id) from load_rejects)
),

field_values as (
    select
        s.*,
        coalesce(b.raw_value, v.value) as value,
        b.raw_value is not null as was_blanked
    from shown s
    left join blanked b
        on b.table_name = s.table_name and b.record_id = s.record_id and b.column_name = s.column_name
    left join stored v
        on v.table_name = s.table_name and v.record_id = s.record_id and v.column_name = s.column_name
),

per_finding as (
    select
        rule_id,
        table_name,
        record_id,
        month,
        case
            when count(*) = 1 then max(value)
            else string_agg(field_label || ': ' || value, '; ' order by position)
        end as raw_value,
        string_agg(field_label || ' im Export nicht lesbar (erwartet: ' || coalesce(type_label, '?')
                   || '), beim Laden leer gelassen', '; ' order by position)
            filter (where was_blanked) as reason
    from field_values
    where value is not null
    group by rule_id, table_name, record_id, month
),

final as (
    select
        o.rule_id,
        r.label_de,
        r.description_de,
        o.team_id,
        o.table_name,
        o.record_id,
        o.person_id,
        o.month,
        p.raw_value,
        p.reason
    from open o
    join dq_rules r on r.rule_id = o.rule_id
    left join per_finding p
        on p.rule_id = o.rule_id and p.table_name = o.table_name
       and p.record_id = o.record_id and p.month = o.month
)

select * from final order by rule_id, month desc, team_id, table_name, record_id
