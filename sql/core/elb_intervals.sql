/* ---
kind: table
name: core.elb_intervals
depends_on: [staging.benefit_spells]
grain: [person_id, elb_start]
--- */
-- The days a person is eLb, as disjoint intervals: employable spells merged where they
-- overlap or touch (overlapping spells count once). elb_end NULL = still open.
-- Spells without person, start or with spell_end before spell_start cover no day.
with spells as (
    select
        person_id,
        spell_start as s,
        coalesce(spell_end, date '9999-12-31') as e
    from staging.benefit_spells
    where employable
      and person_id is not null
      and spell_start is not null
      and coalesce(spell_end, date '9999-12-31') >= spell_start
),

with_reach as (
    select
        *,
        max(e) over (
            partition by person_id order by s, e
            rows between unbounded preceding and 1 preceding
        ) as reach_before        -- latest day covered by the person's earlier spells
    from spells
),

islands as (
    select
        *,
        sum(case when reach_before is null or s > reach_before + 1 then 1 else 0 end) over (
            partition by person_id order by s, e rows unbounded preceding
        ) as island
    from with_reach
),

final as (
    select
        person_id,
        min(s) as elb_start,
        nullif(max(e), date '9999-12-31') as elb_end
    from islands
    group by person_id, island
)

select * from final
