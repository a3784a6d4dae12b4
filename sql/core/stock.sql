/* ---
kind: table
name: core.stock
depends_on: [core.calendar, staging.benefit_spells]
grain: [person_id, month]
--- */
-- stock(M): the persons who are eLb on d(M), one row per person and complete month.
-- n_spells counts the employable spells covering d(M) (2+ = overlapping spells, DQ07).
with spells as (
    select person_id, spell_start, coalesce(spell_end, date '9999-12-31') as spell_end
    from staging.benefit_spells
    where employable
      and person_id is not null
      and spell_start is not null
),

final as (
    select
        s.person_id,
        c.month,
        c.month_end,
        count(*) as n_spells
    from core.calendar c
    join spells s
      on s.spell_start <= c.month_end
     and s.spell_end >= c.month_end
    group by s.person_id, c.month, c.month_end
)

select * from final
