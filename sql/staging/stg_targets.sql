/* ---
kind: table
name: staging.targets
depends_on: []
grain: [_line]
description: >
  targets typed and mapped; rows with an empty or duplicate key (year, team_id, metric_id) are
  removed afterwards by the loader and recorded in load_rejects.
--- */
with source as (
    select * from raw.targets
),

typed as (
    select
        _line,
        parse_int(year) AS year,
        recode('targets', 'team_id', team_id) AS team_id,
        recode('targets', 'metric_id', metric_id) AS metric_id,
        parse_float(target_value) AS target_value
    from source
)

select * from typed
