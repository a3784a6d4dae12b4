/* ---
kind: table
name: main.case_events
depends_on: [marts.case_spells, core.person_day_team, staging.contacts, staging.cooperation_plans,
             staging.measures, staging.integrations, staging.assignments]
grain: [case_id, event_index]
description: >
  The event log of the case-progress analytics in the standard process-mining shape (case id,
  activity, timestamp): one row per event of a case (marts.case_spells, case_id = spell_id),
  numbered in time order. `steering export events` writes it as CSV for PM4Py, Disco or Celonis.
  See docs/case-progress.md for every activity and decision.
--- */
-- activity       when                                                    detail
-- entry          spell_start                                             –
-- team_change    valid_from of an assignment starting after the entry    previous team → new team
--                day and up to case_end that names another team than
--                the one responsible just before
-- first_contact  the earliest contact (any type) from the entry day      contact_type
--                to case_end
-- coop_plan      the earliest cooperation plan from the entry day to     –
--                case_end
-- measure_start  start_date of every measure starting from the entry     measure_type
--                day to case_end
-- measure_end    end_date of such a measure, if it is on or after its    measure_type
--                start and on or before case_end
-- integration    every integration from the entry day to case_end, and   integration_type
--                one after the exit if the spell lasted to the previous
--                month's last day (the counting rule of metrics.md)
-- exit           spell_end, if on or before as_of                        exit_reason
--
-- Events after the Datenstand have not happened yet and are left out. A person with two
-- overlapping spells (DQ07) has two cases; an event inside both belongs to both.
-- team_id: the responsible team on the event day (core.person_day_team); for team_change the new
-- team (the assignment starting that day is the covering one with the latest valid_from); for
-- measure_end, a day the core table does not evaluate, the team of the case's latest entry or
-- team change on or before it.
-- event_index orders a case's events by day, then by the order of the activity list above
-- (rank), then by record_id: on one day the entry comes first and the exit last.
with cases as (
    select * from marts.case_spells
),

activities as (
    select * from (values
        ('entry', 'Zugang', 1),
        ('team_change', 'Teamwechsel', 2),
        ('first_contact', 'Erstkontakt', 3),
        ('coop_plan', 'Kooperationsplan', 4),
        ('measure_end', 'Maßnahmeende', 5),
        ('measure_start', 'Maßnahmebeginn', 6),
        ('integration', 'Integration', 7),
        ('exit', 'Abgang', 8)
    ) as a(activity, activity_de, rank)
),

entries as (
    select case_id, person_id, entry_date as day, 'entry' as activity, null::varchar as detail,
           'benefit_spells' as source_table, case_id as record_id
    from cases
),

exits as (
    select case_id, person_id, exit_date as day, 'exit' as activity, exit_reason as detail,
           'benefit_spells' as source_table, case_id as record_id
    from cases
    where exit_date is not null
),

first_contacts as (
    select c.case_id, c.person_id, k.contact_date as day, 'first_contact' as activity,
           k.contact_type as detail, 'contacts' as source_table, k.contact_id as record_id
    from cases c
    join staging.contacts k
      on k.person_id = c.person_id
     and k.contact_date between c.entry_date and c.case_end
    qualify row_number() over (partition by c.case_id order by k.contact_date, k.contact_id) = 1
),

first_plans as (
    select c.case_id, c.person_id, k.plan_date as day, 'coop_plan' as activity,
           null::varchar as detail, 'cooperation_plans' as source_table, k.plan_id as record_id
    from cases c
    join staging.cooperation_plans k
      on k.person_id = c.person_id
     and k.plan_date between c.entry_date and c.case_end
    qualify row_number() over (partition by c.case_id order by k.plan_date, k.plan_id) = 1
),

case_measures as (
    select c.case_id, c.person_id, c.case_end, m.measure_id, m.measure_type, m.start_date, m.end_date
    from cases c
    join staging.measures m
      on m.person_id = c.person_id
     and m.start_date between c.entry_date and c.case_end
),

measure_starts as (
    select case_id, person_id, start_date as day, 'measure_start' as activity, measure_type as detail,
           'measures' as source_table, measure_id as record_id
    from case_measures
),

measure_ends as (
    select case_id, person_id, end_date as day, 'measure_end' as activity, measure_type as detail,
           'measures' as source_table, measure_id as record_id
    from case_measures
    where end_date between start_date and case_end
),

integrations as (
    select c.case_id, c.person_id, i.integration_date as day, 'integration' as activity,
           i.integration_type as detail, 'integrations' as source_table, i.integration_id as record_id
    from cases c
    join staging.integrations i
      on i.person_id = c.person_id
     and i.integration_date >= c.entry_date
     and i.integration_date <= (select as_of from core.params)
     and (i.integration_date <= c.case_end
          or c.exit_date >= date_trunc('month', i.integration_date)::date - 1)
),

team_steps as (   -- the responsible team at entry, then every assignment starting during the case
    select case_id, person_id, entry_date as day, 0 as ord, team_id, null::varchar as record_id
    from cases
    union all
    select c.case_id, c.person_id, a.valid_from, 1, a.team_id,
           a.person_id || '|' || strftime(a.valid_from, '%Y-%m-%d')
    from cases c
    join staging.assignments a
      on a.person_id = c.person_id
     and a.valid_from > c.entry_date
     and a.valid_from <= c.case_end
     and a.team_id is not null
),

team_changes as (
    select case_id, person_id, day, 'team_change' as activity, prev_team || ' → ' || team_id as detail,
           'assignments' as source_table, record_id, team_id
    from (
        select *, lag(team_id) over (partition by case_id order by day, ord) as prev_team
        from team_steps
    )
    where ord = 1
      and team_id <> prev_team
),

on_core_days as (
    select * from entries
    union all select * from exits
    union all select * from first_contacts
    union all select * from first_plans
    union all select * from measure_starts
    union all select * from integrations
),

with_team as (
    select e.*, coalesce(pdt.team_id, '__unassigned__') as team_id
    from on_core_days e
    left join core.person_day_team pdt
      on pdt.person_id = e.person_id
     and pdt.day = e.day
    union all
    select case_id, person_id, day, activity, detail, source_table, record_id, team_id
    from team_changes
    union all
    select m.*, t.team_id
    from measure_ends m
    asof left join team_steps t
      on t.case_id = m.case_id
     and t.day <= m.day
),

final as (
    select
        e.case_id,
        row_number() over (
            partition by e.case_id order by e.day, a.rank, e.record_id
        )::integer as event_index,
        e.activity,
        a.activity_de,
        e.day::timestamp as "timestamp",
        e.person_id,
        e.team_id,
        e.detail,
        e.source_table,
        e.record_id
    from with_team e
    join activities a using (activity)
)

select * from final order by case_id, event_index
