/* ---
kind: table
name: core.team_list
depends_on: [staging.teams, staging.assignments]
grain: [team_id]
--- */
-- Every team a number is reported for: the teams of the teams table, every team an
-- assignment names (even if missing from teams), and the two pseudo teams.
with named as (
    select team_id from staging.teams where team_id is not null
    union
    select team_id from staging.assignments where team_id is not null
),

final as (
    select team_id from named
    union
    select '__unassigned__'
    union
    select '__all__'
)

select team_id from final order by team_id
