/* ---
kind: rule
rule_id: DQ02
dimension: completeness
table_name: persons
population: stock
fields: [sex]
label_de: Geschlecht fehlt
description_de: >-
  Für diese Person ist keine Angabe zum Geschlecht erfasst. Bitte die Angabe in
  den Stammdaten ergänzen (m, w, d oder x). Fehlt die Person ganz in den
  Stammdaten, bitte den Personendatensatz anlegen oder klären, warum er nicht
  exportiert wird.
depends_on: [core.person_month]
--- */
-- Population: every person in stock(M), team on d(M).
-- Fails when the person has no row in persons or an empty sex.
with stock as (
    select person_id, month, team_id
    from core.person_month
),

-- the check per person, on the small persons table rather than on every stock row
sex_missing as (
    select
        person_id,
        nullif(trim(sex), '') is null as missing
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
    left join sex_missing as p on p.person_id = s.person_id
)

select * from final
