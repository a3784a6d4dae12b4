/* ---
kind: table
name: staging.integrations
depends_on: []
grain: [_line]
description: >
  integrations typed and mapped; rows with an empty or duplicate key (integration_id) are
  removed afterwards by the loader and recorded in load_rejects.
--- */
with source as (
    select * from raw.integrations
),

typed as (
    select
        _line,
        clean(integration_id) AS integration_id,
        clean(person_id) AS person_id,
        parse_date(integration_date) AS integration_date,
        recode('integrations', 'integration_type', integration_type) AS integration_type,
        parse_datetime(recorded_at) AS recorded_at
    from source
)

select * from typed
