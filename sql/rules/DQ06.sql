/* ---
kind: rule
rule_id: DQ06
dimension: consistency
table_name: assignments
population: stock
fields: []
label_de: Keine Teamzuordnung am Monatsende
description_de: >-
  Am Monatsende ist für die Person keine gültige Teamzuordnung erfasst (die
  Person steht in dieser Liste, weil eine Zuordnung kurz danach beginnt, oder
  sie ist noch keinem Team zugeordnet). Bitte die Zuständigkeit mit Beginn- und
  Enddatum lückenlos erfassen und dabei das Beginndatum der neuen Zuordnung
  prüfen.
depends_on: [core.person_month]
--- */
-- Population: every person in stock(M), team on d(M) with the 31-day fallback.
-- Fails when no assignment covers d(M) (team_id_strict is NULL, i.e. before the
-- fallback); the finding carries the fallback team so that team can fix it.
with stock as (
    select person_id, month, team_id, team_id_strict
    from core.person_month
),

final as (
    select
        'persons' as table_name,
        person_id as record_id,
        person_id,
        team_id,
        month,
        team_id_strict is null as failed
    from stock
)

select * from final
