/* ---
kind: table
name: staging.assignments
depends_on: []
grain: [_line]
description: >
  assignments typed and mapped; rows with an empty or duplicate key (person_id, valid_from) are
  removed afterwards by the loader and recorded in load_rejects.
--- */
with source as (
    select * from raw.assignments
),

typed as (
    select
        _line,
        clean(person_id) AS person_id,
        recode('assignments', 'team_id', team_id) AS team_id,
        parse_date(valid_from) AS valid_from,
        parse_date(valid_to) AS valid_to
    from source
)

select * from typed
