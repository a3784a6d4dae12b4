/* ---
kind: table
name: core.team_month
depends_on: [core.params, core.calendar, core.team_list, core.person_month, core.integration_facts,
             core.person_day_team, staging.benefit_spells]
grain: [team_id, month]
--- */
-- The counts several metrics build on, for every team of core.team_list (incl.
-- '__unassigned__' and '__all__') and every complete month. '__all__' counts every
-- person and integration once. Windowed rates (12 months, year to date) read this table.
--   elb_stock, elb_stock_single_parent     persons in stock(M), by team on d(M)
--   ltb_stock                              LZB in stock(M); NULL while d(M)-729 < start
--   integrations, integrations_single_parent
--                                          counting integrations in M, by team on the date
--   integrations_ltb                       of those, persons in ltb_stock(M-1) (any team
--                                          then); NULL while ltb_stock(M-1) is undefined
--   entries, exits                         employable spells starting / ending in M, by team on
--                                          the spell's first / last day ('__unassigned__' without)
with grid as (
    select t.team_id, c.month, c.month_end
    from core.team_list t
    cross join core.calendar c
),

stock as (
    select
        case when grouping(team_id) = 1 then '__all__' else team_id end as team_id,
        month,
        count(*) as elb_stock,
        count(*) filter (where single_parent) as elb_stock_single_parent,
        count(*) filter (where is_ltb) as ltb_stock
    from core.person_month
    group by grouping sets ((team_id, month), (month))
),

integrations as (
    select
        case when grouping(team_id) = 1 then '__all__' else team_id end as team_id,
        month,
        count(*) as integrations,
        count(*) filter (where single_parent) as integrations_single_parent,
        count(*) filter (where ltb_prev_month) as integrations_ltb
    from core.integration_facts
    where counts
    group by grouping sets ((team_id, month), (month))
),

flows as (
    select coalesce(pdt.team_id, '__unassigned__') as team_id,
           date_trunc('month', s.spell_start)::date as month, 1 as is_entry, 0 as is_exit
    from staging.benefit_spells s
    left join core.person_day_team pdt on pdt.person_id = s.person_id and pdt.day = s.spell_start
    where s.employable and s.spell_start is not null
    union all
    select coalesce(pdt.team_id, '__unassigned__') as team_id,
           date_trunc('month', s.spell_end)::date as month, 0 as is_entry, 1 as is_exit
    from staging.benefit_spells s
    left join core.person_day_team pdt on pdt.person_id = s.person_id and pdt.day = s.spell_end
    where s.employable and s.spell_end is not null
),

flow_counts as (
    select
        case when grouping(team_id) = 1 then '__all__' else team_id end as team_id,
        month,
        sum(is_entry) as entries,
        sum(is_exit) as exits
    from flows
    group by grouping sets ((team_id, month), (month))
),

final as (
    select
        g.team_id,
        g.month,
        coalesce(s.elb_stock, 0) as elb_stock,
        coalesce(s.elb_stock_single_parent, 0) as elb_stock_single_parent,
        case when g.month_end - 729 >= p.start_date then coalesce(s.ltb_stock, 0) end as ltb_stock,
        coalesce(i.integrations, 0) as integrations,
        coalesce(i.integrations_single_parent, 0) as integrations_single_parent,
        case
            when (g.month - interval 1 day)::date - 729 >= p.start_date then coalesce(i.integrations_ltb, 0)
        end as integrations_ltb,
        coalesce(f.entries, 0) as entries,
        coalesce(f.exits, 0) as exits
    from grid g
    cross join core.params p
    left join stock s on s.team_id = g.team_id and s.month = g.month
    left join integrations i on i.team_id = g.team_id and i.month = g.month
    left join flow_counts f on f.team_id = g.team_id and f.month = g.month
)

select * from final order by team_id, month
