/* ---
kind: rule
rule_id: DQ12
dimension: timeliness
table_name: integrations
population: events
fields: [recorded_at]
label_de: Integration spät erfasst (mehr als 14 Tage)
description_de: >-
  Diese Integration wurde mehr als 14 Tage nach ihrem Datum erfasst. Am
  Datensatz ist meist nichts zu ändern; bitte nur prüfen, ob das
  Integrationsdatum stimmt. Eine zeitnahe Erfassung hilft, dass Integrationen
  schon im richtigen Monat in den Kennzahlen erscheinen.
depends_on: [core.calendar, core.person_day_team]
--- */
-- Population: integrations with integration_date in a complete month M, team on
-- integration_date. Fails when date(recorded_at) - integration_date > 14 days.
with events as (
    select
        i.integration_id,
        i.person_id,
        i.integration_date,
        i.recorded_at,
        c.month
    from staging.integrations as i
    inner join core.calendar as c on c.month = date_trunc('month', i.integration_date)::date
),

final as (
    select
        'integrations' as table_name,
        e.integration_id as record_id,
        e.person_id,
        coalesce(t.team_id, '__unassigned__') as team_id,
        e.month,
        coalesce(cast(e.recorded_at as date) - e.integration_date > 14, false) as failed
    from events as e
    left join core.person_day_team as t on t.person_id = e.person_id and t.day = e.integration_date
)

select * from final
