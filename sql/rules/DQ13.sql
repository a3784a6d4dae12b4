/* ---
kind: rule
rule_id: DQ13
dimension: validity
table_name: contacts
population: events
fields: [contact_date, recorded_at]
label_de: Kontaktdatum nach dem Erfassungstag
description_de: >-
  Das Kontaktdatum liegt nach dem Tag, an dem der Kontakt erfasst wurde – der
  Kontakt wäre also vor dem Gespräch eingetragen worden. Bitte das Kontaktdatum
  prüfen und berichtigen. Geplante Termine bitte als Termin und erst nach dem
  Gespräch als Kontakt erfassen.
depends_on: [core.calendar, core.person_day_team]
--- */
-- Population: contacts with contact_date in a complete month M, team on contact_date.
-- Fails when contact_date is after the date of recorded_at.
with events as (
    select
        k.contact_id,
        k.person_id,
        k.contact_date,
        k.recorded_at,
        c.month
    from staging.contacts as k
    inner join core.calendar as c on c.month = date_trunc('month', k.contact_date)::date
),

final as (
    select
        'contacts' as table_name,
        e.contact_id as record_id,
        e.person_id,
        coalesce(t.team_id, '__unassigned__') as team_id,
        e.month,
        coalesce(e.contact_date > cast(e.recorded_at as date), false) as failed
    from events as e
    left join core.person_day_team as t on t.person_id = e.person_id and t.day = e.contact_date
)

select * from final
