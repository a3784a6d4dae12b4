/* ---
kind: table
name: staging.persons
depends_on: []
grain: [_line]
description: >
  persons typed and mapped; rows with an empty or duplicate key (person_id) are
  removed afterwards by the loader and recorded in load_rejects.
--- */
with source as (
    select * from raw.persons
),

typed as (
    select
        _line,
        clean(person_id) AS person_id,
        clean(bg_id) AS bg_id,
        parse_date(birth_date) AS birth_date,
        recode('persons', 'sex', sex) AS sex,
        parse_bool(single_parent) AS single_parent,
        parse_bool(severely_disabled) AS severely_disabled,
        recode('persons', 'highest_qualification', highest_qualification) AS highest_qualification,
        parse_datetime(recorded_at) AS recorded_at
    from source
)

select * from typed
