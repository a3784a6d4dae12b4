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
-- kind         cumulative  integrations, entries, exits: sum January..A
--              progress    integration_rate_12m, tracked by its Jahresfortschrittswert
--              average     ltb_stock: mean January..A
--              level       every other metric: the value in A
-- goal_capable a target on the metric gives a status (not neutral, or cumulative), and the
--              metric is not one whose target belongs elsewhere:
--              integration_progress_ytd  -> set the target on integration_rate_12m;
--              ltb_change_yoy            -> set the target on ltb_stock (the agreed K3 basis),
--                                           a signed percentage has no meaningful ratio.
--              A target on them is still valid and gets a row (as a level metric).
-- signed       values can be negative; every other metric's forecast interval stops at 0.
with catalog as (
    select metric_id, direction
    from metric_catalog
),

kinds as (
    select
        metric_id,
        direction,
        case
            when metric_id in ('integrations', 'entries', 'exits') then 'cumulative'
            when metric_id = 'integration_rate_12m' then 'progress'
            when metric_id = 'ltb_stock' then 'average'
            else 'level'
        end as kind
    from catalog
),

final as (
    select
        metric_id,
        direction,
        kind,
        case when kind = 'progress' then 'integration_progress_ytd' else metric_id end as tracked_metric_id,
        case
            when kind = 'cumulative' then metric_id
            when kind = 'progress' then 'integrations'
        end as share_metric_id,
        (kind = 'cumulative' or direction <> 'neutral')
            and metric_id not in ('integration_progress_ytd', 'ltb_change_yoy') as goal_capable,
        metric_id = 'ltb_change_yoy' as signed    -- the one metric whose values can be below 0
    from kinds
)

select * from final order by metric_id
