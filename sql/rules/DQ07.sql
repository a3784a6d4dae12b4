/* ---
kind: rule
rule_id: DQ07
dimension: consistency
table_name: benefit_spells
population: stock
fields: []
label_de: Mehrere Leistungszeiträume gleichzeitig
description_de: >-
  Am Monatsende laufen für die Person zwei oder mehr Leistungszeiträume als
  erwerbsfähig leistungsberechtigt gleichzeitig. Bitte prüfen, ob ein Zeitraum
  beendet werden muss oder doppelt erfasst wurde, und die Zeiträume so
  berichtigen, dass sie sich nicht überschneiden.
depends_on: [core.person_month]
--- */
-- Population: every person in stock(M), team on d(M).
-- Fails when two or more employable spells of the person cover d(M)
-- (core.person_month.n_spells counts them, before overlapping spells are merged).
with stock as (
    select person_id, month, team_id, n_spells
    from core.person_month
),

final as (
    select
        'persons' as table_name,
        person_id as record_id,
        person_id,
        team_id,
        month,
        n_spells >= 2 as failed
    from stock
)

select * from final
