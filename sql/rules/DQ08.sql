/* ---
kind: rule
rule_id: DQ08
dimension: consistency
table_name: measures
population: events
fields: [start_date, end_date]
label_de: Maßnahmeende vor Maßnahmebeginn
description_de: >-
  Das Enddatum der Maßnahme liegt vor ihrem Beginn. Bitte Beginn- und Enddatum
  der Maßnahme in der Fachanwendung prüfen und berichtigen – häufig ist es ein
  Tippfehler im Jahr oder ein Dreher von Tag und Monat.
depends_on: [core.calendar, core.person_day_team]
--- */
-- Population: measures with start_date in a complete month M, team on start_date.
-- Fails when end_date is present and before start_date.
with events as (
    select
        m.measure_id,
        m.person_id,
        m.start_date,
        m.end_date,
        c.month
    from staging.measures as m
    inner join core.calendar as c on c.month = date_trunc('month', m.start_date)::date
),

final as (
    select
        'measures' as table_name,
        e.measure_id as record_id,
        e.person_id,
        coalesce(t.team_id, '__unassigned__') as team_id,
        e.month,
        coalesce(e.end_date < e.start_date, false) as failed
    from events as e
    left join core.person_day_team as t on t.person_id = e.person_id and t.day = e.start_date
)

select * from final
