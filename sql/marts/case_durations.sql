/* ---
kind: table
name: marts.case_durations
depends_on: [marts.case_spells, main.case_events]
grain: [case_id]
description: >
  Time to integration per case, the input of the Kaplan–Meier estimate (pipelines/survival.py):
  days from the entry to the case's first integration (event_observed = true), else to the end of
  observation (event_observed = false: censored at the exit without integration, or at the
  Datenstand while the case is running). Team = team at entry.
--- */
-- duration_days 0 = integration on the entry day. An integration counted after the exit (see
-- main.case_events) is observed at its own date, so its duration may exceed the spell's length.
with first_integration as (
    select case_id, min("timestamp")::date as integration_date
    from main.case_events
    where activity = 'integration'
    group by case_id
),

final as (
    select
        c.case_id,
        c.person_id,
        c.team_id,
        c.entry_date,
        c.entry_year,
        i.integration_date,
        i.integration_date is not null as event_observed,
        date_diff('day', c.entry_date, coalesce(i.integration_date, c.case_end))::integer as duration_days
    from marts.case_spells c
    left join first_integration i using (case_id)
)

select * from final
