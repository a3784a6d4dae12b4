/* ---
kind: table
name: marts.goal_kind
depends_on: []          # reads metric_catalog, which the metric runner builds before the marts
grain: [metric_id]
description: >
  How a target on each metric is tracked (metrics.md, section Goals): the kind, the metric whose
  values form `actual`, the metric whose seasonal pattern gives `expected_seasonal`, and whether
  the metric is offered in the targets template and measured by the backtest.
--- */
-- Every fact but the share metric comes from the metric's SQL header, through metric_catalog
-- (keys goal_kind, tracked_metric_id, goal_capable, signed; docs/metrics-decisions.md):
-- kind         cumulative  sum January..A (integrations, entries, exits)
--              progress    tracked by another metric's values (integration_rate_12m by its
--                          Jahresfortschrittswert integration_progress_ytd)
--              average     mean January..A (ltb_stock)
--              level       the value in A (every other metric)
-- goal_capable a target on the metric gives a status; the header's default is "cumulative or
--              not neutral", and a metric whose target belongs elsewhere says false
--              (integration_progress_ytd -> integration_rate_12m, ltb_change_yoy -> ltb_stock).
--              A target on them is still valid and gets a row (as a level metric).
-- signed       values can be negative; every other metric's forecast interval stops at 0.
-- share        cumulative: the metric itself; progress: the year's integrations, the numerator
--              of the Jahresfortschrittswert (the one progress metric is the integration rate).
with catalog as (
    select
        metric_id,
        direction,
        goal_kind as kind,
        tracked_metric_id,
        goal_capable,
        signed
    from metric_catalog
),

final as (
    select
        metric_id,
        direction,
        kind,
        tracked_metric_id,
        case
            when kind = 'cumulative' then metric_id
            when kind = 'progress' then 'integrations'
        end as share_metric_id,
        goal_capable,
        signed
    from catalog
)

select * from final order by metric_id
