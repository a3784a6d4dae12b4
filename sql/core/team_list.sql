/* ---
kind: table
name: core.team_list
depends_on: [staging.teams, staging.assignments]
grain: [team_id]
--- */
-- Every team a number is reported for: the teams of the teams table, every team an
-- assignment names (even if missing from teams), and the two pseudo teams; with the
-- team's unit (Bereich) from the teams table (NULL: none given, a team missing from it,
-- or a pseudo team).
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

select f.team_id, nullif(trim(t.unit), '') as unit
from final as f
left join staging.teams as t on t.team_id = f.team_id
order by f.team_id
