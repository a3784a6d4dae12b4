/* ---
kind: table
name: main.unit_values
depends_on: [core.team_list]   # and metric_values, metric_catalog (the metric runner builds them first)
grain: [unit, month, metric_id]
description: >
  Unit subtotals (Bereich gesamt) for the team table: for every unit of two or more teams,
  complete month and metric whose figure is a sum over teams, the sum of the unit's team
  numerators and denominators, and the value worked out from them as for every team.
--- */
-- Rules (docs/metrics-decisions.md, "Unit subtotals"):
-- * A unit's subtotal is the sum of its teams, not a person-level count of its own: every
--   person-month, integration and case belongs to one team, so the two agree, and the
--   small-cell protection can link the subtotal to its teams (pipelines/protection.py).
-- * Summable: every metric with a `protect` declaration (its numerator and denominator are
--   sums of team counts). The DQ score (a mean of rule shares) has none and no subtotal.
-- * value = numerator for counts, 100 × numerator / denominator for every other unit
--   (percent, per 100), exactly as the metric files compute it for a team; NULL where the
--   denominator is 0.
-- * Only where every team of the unit has the numerator (and, for a rate, the denominator):
--   a sum over some teams would read as the unit's figure. So no subtotal before a metric
--   is measurable for all of them.
-- * A unit of one team gets none: its subtotal would repeat the team's row.
with units as (
    select unit, count(*) as teams
    from core.team_list
    where unit is not null
    group by unit
    having count(*) >= 2
),

summable as (
    select metric_id, unit as value_unit
    from metric_catalog
    where coalesce(protect, '{}') <> '{}'
),

parts as (
    select
        t.unit,
        v.month,
        v.metric_id,
        s.value_unit,
        count(v.numerator) as with_numerator,
        count(v.denominator) as with_denominator,
        sum(v.numerator) as numerator,
        sum(v.denominator) as denominator
    from metric_values as v
    join core.team_list as t on t.team_id = v.team_id
    join summable as s on s.metric_id = v.metric_id
    where t.unit in (select unit from units)
    group by all
),

complete as (
    select
        p.unit,
        p.month,
        p.metric_id,
        p.value_unit,
        u.teams,
        case when p.with_numerator = u.teams then p.numerator end as numerator,
        case when p.value_unit <> 'count' and p.with_denominator = u.teams then p.denominator end
            as denominator
    from parts as p
    join units as u on u.unit = p.unit
),

final as (
    select
        unit,
        month,
        metric_id,
        case
            when value_unit = 'count' then numerator
            when denominator > 0 then 100 * numerator / denominator
        end::double as value,
        numerator::double as numerator,
        case when value_unit = 'count' then null else denominator end::double as denominator,
        teams::integer as teams
    from complete
)

select * from final order by metric_id, month, unit
