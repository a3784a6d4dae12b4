/* ---
kind: table
name: staging.cooperation_plans
depends_on: []
grain: [_line]
description: >
  cooperation_plans typed and mapped; rows with an empty or duplicate key (plan_id) are
  removed afterwards by the loader and recorded in load_rejects.
--- */
with source as (
    select * from raw.cooperation_plans
),

typed as (
    select
        _line,
        clean(plan_id) AS plan_id,
        clean(person_id) AS person_id,
        parse_date(plan_date) AS plan_date,
        parse_date(next_review_date) AS next_review_date,
        parse_datetime(recorded_at) AS recorded_at
    from source
)

select * from typed
