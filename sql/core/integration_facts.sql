/* ---
kind: table
name: core.integration_facts
depends_on: [core.params, core.elb_intervals, core.person_day_team, core.person_month, staging.integrations,
             staging.persons]
grain: [integration_id]
--- */
-- Every integration row with what the metrics need to know about it.
--   month             the month of integration_date
--   team_id           responsible team on integration_date
--   elb_prev_stichtag person was eLb on d(M-1)
--   elb_on_date       person was eLb on integration_date
--   counts            the integration counts (VO § 5 check passed, and it is the person's
--                     first counting integration of the month: earliest date, then
--                     smallest integration_id)
--   single_parent     persons.single_parent is true
--   ltb_prev_month    person was in ltb_stock(M-1); NULL while ltb_stock(M-1) is undefined
--   elb_after_3m      person is eLb on d(M+3); NULL while month M+3 is not complete
with integrations as (
    select
        integration_id,
        person_id,
        integration_date,
        date_trunc('month', integration_date)::date as month,
        (date_trunc('month', integration_date) - interval 1 day)::date as prev_stichtag,
        last_day(integration_date + interval 3 month)::date as stichtag_3m
    from staging.integrations
    where integration_date is not null
),

elb_checks as (
    select
        g.integration_id,
        bool_or(i.elb_start <= g.prev_stichtag
                and coalesce(i.elb_end, date '9999-12-31') >= g.prev_stichtag) as elb_prev_stichtag,
        bool_or(i.elb_start <= g.integration_date
                and coalesce(i.elb_end, date '9999-12-31') >= g.integration_date) as elb_on_date,
        bool_or(i.elb_start <= g.stichtag_3m
                and coalesce(i.elb_end, date '9999-12-31') >= g.stichtag_3m) as elb_after_3m
    from integrations g
    join core.elb_intervals i on i.person_id = g.person_id
    group by g.integration_id
),

checked as (
    select
        g.*,
        coalesce(e.elb_prev_stichtag, false) as elb_prev_stichtag,
        coalesce(e.elb_on_date, false) as elb_on_date,
        coalesce(e.elb_after_3m, false) as elb_after_3m_raw,
        coalesce(e.elb_prev_stichtag or e.elb_on_date, false) as eligible
    from integrations g
    left join elb_checks e on e.integration_id = g.integration_id
),

ranked as (
    select
        *,
        eligible and row_number() over (
            partition by person_id, month, eligible
            order by integration_date, integration_id
        ) = 1 as counts
    from checked
),

final as (
    select
        r.integration_id,
        r.person_id,
        r.integration_date,
        r.month,
        coalesce(t.team_id, '__unassigned__') as team_id,
        r.elb_prev_stichtag,
        r.elb_on_date,
        r.counts,
        coalesce(p.single_parent, false) as single_parent,
        case
            when r.prev_stichtag - 729 < par.start_date then null
            else coalesce(pm.is_ltb, false)
        end as ltb_prev_month,
        case when r.stichtag_3m <= par.as_of then r.elb_after_3m_raw end as elb_after_3m
    from ranked r
    cross join core.params par
    left join core.person_day_team t on t.person_id = r.person_id and t.day = r.integration_date
    left join staging.persons p on p.person_id = r.person_id
    left join core.person_month pm
      on pm.person_id = r.person_id
     and pm.month = (r.month - interval 1 month)::date
)

select * from final
