/* ---
kind: table
name: core.person_day_team
depends_on: [core.stock, staging.assignments, staging.benefit_spells, staging.integrations,
             staging.contacts, staging.measures, staging.cooperation_plans]
grain: [person_id, day]
--- */
-- THE responsible-team rule (metrics.md, shared rules), evaluated once for every
-- (person, day) any model needs: d(M) for persons in stock, spell_start, spell_end,
-- integration_date, contact_date, measure start_date and plan_date.
--   team_id_strict  the covering assignment (valid_from <= day <= valid_to, open end
--                   allowed); of several the latest valid_from, then the smallest
--                   team_id; NULL if none covers the day.
--   team_id         team_id_strict, else the team of the person's earliest assignment
--                   with valid_from in day+1 .. day+31 (then smallest team_id), else
--                   '__unassigned__'.
-- Assignments without a team_id name no team and are ignored.
with needed as (
    select person_id, month_end as day from core.stock
    union all
    select person_id, spell_start from staging.benefit_spells
    union all
    select person_id, spell_end from staging.benefit_spells
    union all
    select person_id, integration_date from staging.integrations
    union all
    select person_id, contact_date from staging.contacts
    union all
    select person_id, start_date from staging.measures
    union all
    select person_id, plan_date from staging.cooperation_plans
),

assignments as (
    select person_id, team_id, valid_from, coalesce(valid_to, date '9999-12-31') as valid_to
    from staging.assignments
    where person_id is not null
      and team_id is not null
      and valid_from is not null
),

-- each team's place in text order, so "then the smallest team_id" can ride in a number
team_rank as (
    select team_id, row_number() over (order by team_id) as team_rank, count(*) over () + 1 as n_ranks
    from (select distinct team_id from assignments)
),

-- one number per tie-break order, so picking the winner is a min over a BIGINT
-- (a min over (date, text) pairs cost twice as much at 8 M days)
keyed as (
    select
        a.person_id,
        a.team_id,
        a.valid_from,
        a.valid_to,
        -- covering: latest valid_from first, then the smallest team_id
        date_diff('day', a.valid_from, date '9999-12-31') * r.n_ranks + r.team_rank as covering_key,
        -- fallback: earliest valid_from first, then the smallest team_id
        date_diff('day', date '0001-01-01', a.valid_from) * r.n_ranks + r.team_rank as upcoming_key
    from assignments a
    join team_rank r using (team_id)
),

-- assignments that cover the day or start within the 31 days after it; grouping by
-- (person, day) also merges the days several sources need
candidates as (
    select
        d.person_id,
        d.day,
        min_by(a.team_id, a.covering_key) filter (where a.valid_from <= d.day) as covering_team,
        min_by(a.team_id, a.upcoming_key) filter (where a.valid_from > d.day) as upcoming_team
    from needed d
    left join keyed a
      on a.person_id = d.person_id
     and a.valid_from <= d.day + 31
     and (a.valid_to >= d.day or a.valid_from > d.day)
    where d.person_id is not null
      and d.day is not null
    group by d.person_id, d.day
),

final as (
    select
        person_id,
        day,
        coalesce(covering_team, upcoming_team, '__unassigned__') as team_id,
        covering_team as team_id_strict
    from candidates
)

select * from final
