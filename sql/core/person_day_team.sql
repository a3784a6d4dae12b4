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

days as (
    select distinct person_id, day
    from needed
    where person_id is not null
      and day is not null
),

assignments as (
    select person_id, team_id, valid_from, coalesce(valid_to, date '9999-12-31') as valid_to
    from staging.assignments
    where person_id is not null
      and team_id is not null
      and valid_from is not null
),

-- assignments that cover the day or start within the 31 days after it
candidates as (
    select
        d.person_id,
        d.day,
        -- covering: latest valid_from first, then the smallest team_id
        min_by(a.team_id, (date_diff('day', a.valid_from, date '9999-12-31'), a.team_id))
            filter (where a.valid_from <= d.day) as covering_team,
        -- fallback: earliest valid_from in day+1 .. day+31, then the smallest team_id
        min_by(a.team_id, (a.valid_from, a.team_id))
            filter (where a.valid_from > d.day) as upcoming_team
    from days d
    left join assignments a
      on a.person_id = d.person_id
     and a.valid_from <= d.day + 31
     and (a.valid_to >= d.day or a.valid_from > d.day)
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
