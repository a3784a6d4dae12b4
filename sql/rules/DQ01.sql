/* ---
kind: rule
rule_id: DQ01
dimension: completeness
table_name: persons
population: stock
fields: [birth_date]
label_de: Geburtsdatum fehlt
description_de: >-
  Für diese Person ist kein Geburtsdatum erfasst. Bitte das Geburtsdatum in den
  Stammdaten der Fachanwendung ergänzen. Steht in der Spalte „Rohwert“ ein
  Eintrag, war das Datum im Export nicht lesbar – dann bitte das eingetragene
  Datum prüfen und berichtigen. Fehlt die Person ganz in den Stammdaten, bitte
  den Personendatensatz anlegen oder klären, warum er nicht exportiert wird.
depends_on: [core.person_month]
--- */
-- Population: every person in stock(M), team on d(M) (with the 31-day fallback).
-- Fails when the person has no row in persons or an empty birth_date; a birth
-- date the loader could not read is empty here, its raw value is in load_rejects.
with stock as (
    select person_id, month, team_id
    from core.person_month
),

final as (
    select
        'persons' as table_name,
        s.person_id as record_id,
        s.person_id,
        s.team_id,
        s.month,
        (p.person_id is null or p.birth_date is null) as failed
    from stock as s
    left join staging.persons as p on p.person_id = s.person_id
)

select * from final
