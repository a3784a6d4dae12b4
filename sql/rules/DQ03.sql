/* ---
kind: rule
rule_id: DQ03
dimension: validity
table_name: persons
population: stock
fields: [sex]
label_de: Geschlecht mit unbekanntem Schlüssel
description_de: >-
  Die Angabe zum Geschlecht gehört nicht zu den vereinbarten Schlüsseln m, w, d
  oder x. Bitte den Eintrag in den Stammdaten prüfen und einen gültigen Wert
  wählen. Kommt der Wert aus einer Übersetzung im Export (mapping.yaml), hilft
  ein kurzer Hinweis an die IT.
depends_on: [core.person_month]
--- */
-- Population: every person in stock(M), team on d(M).
-- Fails when sex is present and not one of the contract's codes (compared as
-- stored: the loader keeps unknown codes as they are, after the mapping's recode).
with stock as (
    select person_id, month, team_id
    from core.person_month
),

-- the check per person, on the small persons table rather than on every stock row
sex_invalid as (
    select
        person_id,
        coalesce(nullif(trim(sex), '') is not null and sex not in ('m', 'w', 'd', 'x'), false) as invalid
    from staging.persons
),

final as (
    select
        'persons' as table_name,
        s.person_id as record_id,
        s.person_id,
        s.team_id,
        s.month,
        coalesce(p.invalid, false) as failed
    from stock as s
    left join sex_invalid as p on p.person_id = s.person_id
)

select * from final
