/* ---
kind: table
name: staging.teams
depends_on: []
grain: [_line]
description: >
  teams typed and mapped; rows with an empty or duplicate key (team_id) are
  removed afterwards by the loader and recorded in load_rejects.
--- */
with source as (
    select * from raw.teams
),

typed as (
    select
        _line,
        recode('teams', 'team_id', team_id) AS team_id,
        clean(team_name) AS team_name,
        recode('teams', 'unit', unit) AS unit
    from source
)

select * from typed
