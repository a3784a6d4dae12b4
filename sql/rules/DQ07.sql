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
-- Fails when two or more employable spells of the person cover d(M).
with stock as (
    select person_id, month, month_end, team_id
    from core.person_month
),

covering as (
    select
        s.person_id,
        s.month,
        count(*) as spells
    from stock as s
    inner join staging.benefit_spells as b
        on b.person_id = s.person_id
        and b.employable
        and b.spell_start <= s.month_end
        and (b.spell_end is null or b.spell_end >= s.month_end)
    group by s.person_id, s.month
),

final as (
    select
        'persons' as table_name,
        s.person_id as record_id,
        s.person_id,
        s.team_id,
        s.month,
        coalesce(c.spells >= 2, false) as failed
    from stock as s
    left join covering as c on c.person_id = s.person_id and c.month = s.month
)

select * from final
