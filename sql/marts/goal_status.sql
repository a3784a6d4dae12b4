/* ---
kind: table
name: main.goal_status
depends_on: [marts.goal_kind, marts.goal_forecast, core.calendar, staging.targets]
grain: [year, team_id, metric_id]
description: >
  One row per target whose year has at least one complete month: actual, linear and seasonal
  expectation, attainment and status as of the latest complete month A of the year
  (metrics.md, section Goals), and the December forecast with its 80 % interval
  (see marts.goal_forecast and docs/goals.md).
--- */
-- actual / expected by kind (n = months January..A):
--   cumulative  sum January..A          target × n/12   target × seasonal share   100 × actual / seasonal
--   progress    JFW in A                target × n/12   target × seasonal share   100 × actual / seasonal
--               (share of `integrations`)
--   average     mean ltb_stock Jan..A   target          target                    100 × target / actual
--   level       value in A              target          target                    by direction
-- Seasonal share: mean over the complete earlier years whose total is not 0 of the share of the
-- year's total that January..A held, same team and metric; none -> the linear expectation.
-- NULL attainment and status where actual is NULL, a division would be by 0, or the metric is
-- neutral and not cumulative. Status: on_track >= 100 > watch >= 90 > behind; the comparison
-- uses the attainment rounded to 6 decimals, so a hand-exact 90 % is not lost to floating point.
-- Lower-better kinds (average, and level on a lower_better metric; spec v2) compare directly:
-- on_track when actual <= target, watch when actual <= target / 0.9, else behind. So an actual
-- of 0 (nobody without contact) is on track although its attainment (target / 0) stays NULL, and a
-- negative actual (an LZB change) is judged by its value, not by a quotient of two negatives.
with targets as (   -- a row whose target_value is empty is not a target (a template row left open)
    select year::integer as year, team_id, metric_id, target_value::double as target_value
    from staging.targets
    where target_value is not null
),

as_of as (   -- latest complete month of each year that has one
    select year(month)::integer as year, max(month) as as_of_month, month(max(month))::integer as n
    from core.calendar
    group by 1
),

joined as (
    select
        t.year,
        t.team_id,
        t.metric_id,
        a.as_of_month,
        a.n,
        t.target_value,
        k.kind,
        k.direction,
        f.actual,
        f.seasonal_share,
        f.forecast_year_end,
        f.forecast_low,
        f.forecast_high
    from targets t
    join as_of a using (year)
    left join marts.goal_kind k using (metric_id)
    left join marts.goal_forecast f
        on f.team_id = t.team_id and f.metric_id = t.metric_id and f.month = a.as_of_month
),

expected as (
    select
        *,
        case
            when kind in ('cumulative', 'progress') then target_value * n / 12.0
            else target_value
        end as expected_linear,
        case
            when kind in ('cumulative', 'progress') then target_value * coalesce(seasonal_share, n / 12.0)
            else target_value
        end as expected_seasonal
    from joined
),

attainment as (
    select
        *,
        case
            when direction = 'neutral' and kind <> 'cumulative' then null
            when kind in ('cumulative', 'progress') then 100 * actual / nullif(expected_seasonal, 0)
            when kind = 'average' then 100 * target_value / nullif(actual, 0)
            when direction = 'higher_better' then 100 * actual / nullif(target_value, 0)
            when direction = 'lower_better' then 100 * target_value / nullif(actual, 0)
        end as attainment_pct
    from expected
),

final as (
    select
        year,
        team_id,
        metric_id,
        as_of_month,
        target_value,
        actual,
        expected_linear,
        expected_seasonal,
        attainment_pct,
        forecast_year_end,
        forecast_low,
        forecast_high,
        case
            when actual is null then null
            when kind = 'average' or (kind = 'level' and direction = 'lower_better') then
                case
                    when round(actual - target_value, 9) <= 0 then 'on_track'
                    when round(actual - target_value / 0.9, 9) <= 0 then 'watch'
                    else 'behind'
                end
            when attainment_pct is null then null
            when round(attainment_pct, 6) >= 100 then 'on_track'
            when round(attainment_pct, 6) >= 90 then 'watch'
            else 'behind'
        end as status
    from attainment
)

select * from final order by year, team_id, metric_id
