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
-- (core.person_month.birth_date is NULL in both cases: it is joined from persons.)
with stock as (
    select person_id, month, team_id, birth_date
    from core.person_month
),

final as (
    select
        'persons' as table_name,
        person_id as record_id,
        person_id,
        team_id,
        month,
        birth_date is null as failed
    from stock
)

select * from final
