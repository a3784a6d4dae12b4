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
--   marginal_entries, subsidised_entries   counting rows of integration_type marginal_employment /
--                                          subsidised_employment in M (integration_facts.entry_counts),
--                                          by team on the date (v2, K2E1 / K2E2)
--   ltb_entries                            persons in ltb_stock(M) not in ltb_stock(M-1), by team on
--                                          d(M); NULL while ltb_stock(M-1) is undefined (v2, K3E3)
--   ltb_exits                              persons in ltb_stock(M-1) not in ltb_stock(M), by team on
--                                          d(M-1); same NULL rule (v2, K3E4). Changes of the job
--                                          center's LZB set: a move between teams is neither
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

other_entries as (
    select
        case when grouping(team_id) = 1 then '__all__' else team_id end as team_id,
        month,
        count(*) filter (where integration_kind = 'marginal_employment') as marginal_entries,
        count(*) filter (where integration_kind = 'subsidised_employment') as subsidised_entries
    from core.integration_facts
    where entry_counts
    group by grouping sets ((team_id, month), (month))
),

ltb_members as (   -- the job center's LZB set per month: who, and in which team on d(M)
    select person_id, month, team_id
    from core.person_month
    where is_ltb
),

ltb_changes as (
    select coalesce(cur.team_id, '__unassigned__') as team_id, cur.month, 1 as is_entry, 0 as is_exit
    from ltb_members cur
    left join ltb_members prev
      on prev.person_id = cur.person_id and prev.month = (cur.month - interval 1 month)::date
    where prev.person_id is null
    union all
    select coalesce(prev.team_id, '__unassigned__') as team_id, (prev.month + interval 1 month)::date as month,
           0 as is_entry, 1 as is_exit
    from ltb_members prev
    left join ltb_members cur
      on cur.person_id = prev.person_id and cur.month = (prev.month + interval 1 month)::date
    where cur.person_id is null
),

ltb_flow_counts as (
    select
        case when grouping(team_id) = 1 then '__all__' else team_id end as team_id,
        month,
        sum(is_entry) as ltb_entries,
        sum(is_exit) as ltb_exits
    from ltb_changes
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
        coalesce(f.exits, 0) as exits,
        coalesce(o.marginal_entries, 0) as marginal_entries,
        coalesce(o.subsidised_entries, 0) as subsidised_entries,
        case
            when (g.month - interval 1 day)::date - 729 >= p.start_date then coalesce(l.ltb_entries, 0)
        end as ltb_entries,
        case
            when (g.month - interval 1 day)::date - 729 >= p.start_date then coalesce(l.ltb_exits, 0)
        end as ltb_exits
    from grid g
    cross join core.params p
    left join stock s on s.team_id = g.team_id and s.month = g.month
    left join integrations i on i.team_id = g.team_id and i.month = g.month
    left join flow_counts f on f.team_id = g.team_id and f.month = g.month
    left join other_entries o on o.team_id = g.team_id and o.month = g.month
    left join ltb_flow_counts l on l.team_id = g.team_id and l.month = g.month
)

select * from final order by team_id, month
