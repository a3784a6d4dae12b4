/* ---
kind: table
name: staging.measures
depends_on: []
grain: [_line]
description: >
  measures typed and mapped; rows with an empty or duplicate key (measure_id) are
  removed afterwards by the loader and recorded in load_rejects.
--- */
with source as (
    select * from raw.measures
),

typed as (
    select
        _line,
        clean(measure_id) AS measure_id,
        clean(person_id) AS person_id,
        recode('measures', 'measure_type', measure_type) AS measure_type,
        parse_date(start_date) AS start_date,
        parse_date(end_date) AS end_date,
        parse_datetime(recorded_at) AS recorded_at
    from source
)

select * from typed
