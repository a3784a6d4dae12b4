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
    select person_id, month, team_id, birth_date, age
    from core.person_month
),

final as (
    select
        'persons' as table_name,
        person_id as record_id,
        person_id,
        team_id,
        month,
        coalesce(birth_date is not null and (age < 15 or age > 67), false) as failed
    from stock
)

select * from final
