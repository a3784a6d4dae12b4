/* ---
kind: rule
rule_id: DQ11
dimension: timeliness
table_name: contacts
population: events
fields: [recorded_at]
label_de: Kontakt spät erfasst (mehr als 7 Tage)
description_de: >-
  Dieser Kontakt wurde mehr als 7 Tage nach dem Gespräch erfasst. Am Datensatz
  ist meist nichts zu ändern; bitte nur prüfen, ob das Kontaktdatum stimmt. Für
  künftige Kontakte hilft eine zeitnahe Erfassung, damit Auswertungen und
  Wiedervorlagen aktuell sind.
depends_on: [core.calendar, core.person_day_team]
--- */
-- Population: contacts with contact_date in a complete month M, team on contact_date.
-- Fails when date(recorded_at) - contact_date > 7 days (an empty recorded_at
-- cannot be late and passes).
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
        coalesce(cast(e.recorded_at as date) - e.contact_date > 7, false) as failed
    from events as e
    left join core.person_day_team as t on t.person_id = e.person_id and t.day = e.contact_date
)

select * from final
