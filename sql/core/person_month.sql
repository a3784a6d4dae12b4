/* ---
kind: table
name: core.person_month
depends_on: [core.params, core.stock, core.person_day_team, core.elb_intervals, staging.persons,
             staging.measures, staging.cooperation_plans, staging.contacts]
grain: [person_id, month]
--- */
-- One row per person in stock(M) and complete month M: the facts on d(M) from which
-- every stock metric is a plain count. See sql/core/README.md for each column.
-- sk: the stock row's id, so the facts below group and join on one integer
-- instead of (person_id, month)
with stock as (
    select rowid as sk, person_id, month, month_end, n_spells
    from core.stock
),

persons as (
    select person_id, birth_date, single_parent
    from staging.persons
),

-- eLb days in the 730-day window d(M)-729 .. d(M), from the merged intervals
elb_days as (
    select
        s.sk,
        sum(
            date_diff('day',
                greatest(i.elb_start, s.month_end - 729),
                least(coalesce(i.elb_end, date '9999-12-31'), s.month_end)) + 1
        )::bigint as elb_days_730
    from stock s
    join core.elb_intervals i
      on i.person_id = s.person_id
     and i.elb_start <= s.month_end
     and coalesce(i.elb_end, date '9999-12-31') >= s.month_end - 729
    group by s.sk
),

active_measure as (
    select distinct s.sk
    from stock s
    join staging.measures m
      on m.person_id = s.person_id
     and m.start_date <= s.month_end
     and coalesce(m.end_date, date '9999-12-31') >= s.month_end
),

current_plan as (
    select distinct s.sk
    from stock s
    join staging.cooperation_plans p
      on p.person_id = s.person_id
     and p.plan_date <= s.month_end
     and coalesce(p.next_review_date, p.plan_date + 183) >= s.month_end
),

-- the responsible team on month ends only: a third of person_day_team's rows, so the
-- join below builds a much smaller hash table
month_end_team as (
    select person_id, day, team_id, team_id_strict
    from core.person_day_team
    where day in (select month_end from core.calendar)
),

-- latest contact dated on or before d(M)
last_contact as (
    select s.sk, c.contact_date as last_contact_date
    from stock s
    asof left join (
        select person_id, contact_date
        from staging.contacts
        where person_id is not null and contact_date is not null
    ) c
      on c.person_id = s.person_id
     and c.contact_date <= s.month_end
),

joined as (
    select
        s.person_id,
        s.month,
        s.month_end,
        t.team_id,
        t.team_id_strict,
        s.n_spells,
        p.person_id is not null as in_persons,
        p.birth_date,
        -- completed years; a 29 February birthday is reached on 1 March in common years
        year(s.month_end) - year(p.birth_date)
            - case
                when month(s.month_end) * 100 + day(s.month_end)
                   < month(p.birth_date) * 100 + day(p.birth_date) then 1
                else 0
              end as age,
        p.single_parent,
        e.elb_days_730,
        s.month_end - 729 >= par.start_date as ltb_window_complete,
        am.sk is not null as has_active_measure,
        cp.sk is not null as has_current_plan,
        lc.last_contact_date
    from stock s
    cross join core.params par
    join month_end_team t on t.person_id = s.person_id and t.day = s.month_end
    left join persons p on p.person_id = s.person_id
    left join elb_days e on e.sk = s.sk
    left join active_measure am on am.sk = s.sk
    left join current_plan cp on cp.sk = s.sk
    left join last_contact lc on lc.sk = s.sk
),

final as (
    select
        person_id,
        month,
        month_end,
        team_id,
        team_id_strict,
        n_spells,
        in_persons,
        birth_date,
        age,
        single_parent,
        elb_days_730,
        -- LZB: aged 17+ (or no birth date) and eLb on >= 638 of the last 730 days;
        -- NULL while the window reaches before start
        case
            when not ltb_window_complete then null
            else (age is null or age >= 17) and elb_days_730 >= 638
        end as is_ltb,
        has_active_measure,
        has_current_plan,
        last_contact_date,
        last_contact_date is null or last_contact_date < month_end - 89 as no_contact_90d
    from joined
)

select * from final
