/* ---
kind: rule
rule_id: DQ15
dimension: integrity
table_name: contacts,measures,integrations
population: events
fields: []
label_de: Person fehlt in den Stammdaten
description_de: >-
  Dieser Kontakt, diese Maßnahme oder diese Integration verweist auf eine
  Personen-ID, die es in den Stammdaten nicht gibt. Bitte die Personen-ID am
  Datensatz prüfen und berichtigen oder den fehlenden Personendatensatz anlegen.
depends_on: [core.calendar, core.person_day_team]
--- */
-- Population: contacts (contact_date), measures (start_date) and integrations
-- (integration_date) with their event date in a complete month M, each row with
-- its own table_name, team on the event date (assignments only, so a person
-- missing from persons can still have a team). Fails when person_id is not in persons.
with events as (
    select 'contacts' as table_name, contact_id as record_id, person_id, contact_date as event_date
    from staging.contacts
    union all
    select 'measures', measure_id, person_id, start_date
    from staging.measures
    union all
    select 'integrations', integration_id, person_id, integration_date
    from staging.integrations
),

in_month as (
    select
        e.*,
        c.month
    from events as e
    inner join core.calendar as c on c.month = date_trunc('month', e.event_date)::date
),

final as (
    select
        e.table_name,
        e.record_id,
        e.person_id,
        coalesce(t.team_id, '__unassigned__') as team_id,
        e.month,
        p.person_id is null as failed
    from in_month as e
    left join staging.persons as p on p.person_id = e.person_id
    left join core.person_day_team as t on t.person_id = e.person_id and t.day = e.event_date
)

select * from final
