/* ---
kind: rule
rule_id: DQ05
dimension: plausibility
table_name: persons
population: stock
fields: [birth_date]
label_de: Alter unplausibel (unter 15 oder über 67 Jahre)
description_de: >-
  Nach dem erfassten Geburtsdatum ist die Person am Monatsende jünger als 15
  oder älter als 67 Jahre und damit eigentlich nicht im erwerbsfähigen Alter.
  Bitte das Geburtsdatum prüfen – oft ist es ein Tippfehler im Jahr oder ein
  Dreher von Tag und Monat. Stimmt das Datum, bitte den Leistungszeitraum
  (erwerbsfähig ja/nein) prüfen.
depends_on: [core.person_month]
--- */
-- Population: every person in stock(M), team on d(M).
-- Fails when birth_date is present and the age on d(M) (completed years, the
-- shared rule in metrics.md, computed in core.person_month) is below 15 or above 67.
with stock as (
    select person_id, month, team_id, age
    from core.person_month
),

final as (
    select
        'persons' as table_name,
        s.person_id as record_id,
        s.person_id,
        s.team_id,
        s.month,
        coalesce(p.birth_date is not null and (s.age < 15 or s.age > 67), false) as failed
    from stock as s
    left join staging.persons as p on p.person_id = s.person_id
)

select * from final
