/* ---
kind: rule
rule_id: DQ04
dimension: completeness
table_name: persons
population: stock
fields: [highest_qualification]
label_de: Höchster Abschluss fehlt
description_de: >-
  Für diese Person ist kein höchster Schul- oder Berufsabschluss erfasst. Bitte
  den Abschluss in den Stammdaten ergänzen; ist keiner vorhanden, bitte
  ausdrücklich „kein Abschluss“ eintragen. Fehlt die Person ganz in den
  Stammdaten, bitte den Personendatensatz anlegen oder klären, warum er nicht
  exportiert wird.
depends_on: [core.person_month]
--- */
-- Population: every person in stock(M), team on d(M).
-- Fails when the person has no row in persons or an empty highest_qualification.
with stock as (
    select person_id, month, team_id
    from core.person_month
),

-- the check per person, on the small persons table rather than on every stock row
qualification_missing as (
    select
        person_id,
        nullif(trim(highest_qualification), '') is null as missing
    from staging.persons
),

final as (
    select
        'persons' as table_name,
        s.person_id as record_id,
        s.person_id,
        s.team_id,
        s.month,
        (p.person_id is null or p.missing) as failed
    from stock as s
    left join qualification_missing as p on p.person_id = s.person_id
)

select * from final
