/* ---
kind: table
name: main.goal_backtest
depends_on: [marts.goal_forecast, marts.goal_kind]
grain: [metric_id, team_id, month_position]
description: >
  How good the December forecast of marts.goal_forecast was in the past: for every complete year
  in the data, every goal-capable metric, every team (and __all__) and every month position
  January..November, the forecast as the method would have made it then (seasonal shares and
  interval from earlier years only) against what December brought. '*' in metric_id or team_id
  pools over all of them, month_position 0 over January..November.
--- */
-- mape            mean of |December − forecast| / |December| in percent (outcomes of 0 left out)
-- coverage_80_pct share of outcomes inside [forecast_low, forecast_high] in percent; ~80 is right,
--                 much lower means the interval is too narrow, much higher too wide
-- mean_width_pct  mean of (forecast_high − forecast_low) / |forecast| in percent
-- fallback_pct    share of intervals that used the fixed fallback width (too little history)
with forecasts as (
    select
        f.metric_id,
        f.team_id,
        k.kind,
        f.year,
        f.month_no as month_position,
        f.forecast_year_end,
        f.forecast_low,
        f.forecast_high,
        f.fallback_interval,
        f.year_end
    from marts.goal_forecast f
    join marts.goal_kind k using (metric_id)
    where k.goal_capable
      and f.month_no < 12
      and f.year_end is not null            -- a complete year with a defined December value
      and f.forecast_year_end is not null
),

scored as (
    select
        *,
        100 * abs(year_end - forecast_year_end) / nullif(abs(year_end), 0) as ape,
        year_end between forecast_low and forecast_high as inside,
        100 * (forecast_high - forecast_low) / nullif(abs(forecast_year_end), 0) as width_pct
    from forecasts
),

summary as (
    select
        coalesce(metric_id, '*') as metric_id,
        coalesce(team_id, '*') as team_id,
        coalesce(month_position, 0) as month_position,
        case when grouping(metric_id) = 0 then any_value(kind) end as kind,
        count(*) as n_forecasts,
        count(distinct year) as n_years,
        min(year) as first_year,
        max(year) as last_year,
        avg(ape) as mape,
        100.0 * avg(inside::integer) as coverage_80_pct,
        avg(width_pct) as mean_width_pct,
        100.0 * avg(fallback_interval::integer) as fallback_pct
    from scored
    group by grouping sets (
        (metric_id, team_id),
        (metric_id, month_position),
        (metric_id),
        (month_position),
        ()
    )
),

final as (
    select * from summary
)

select * from final order by metric_id, team_id, month_position
