/* ---
kind: table
name: staging.contacts
depends_on: []
grain: [_line]
description: >
  contacts typed and mapped; rows with an empty or duplicate key (contact_id) are
  removed afterwards by the loader and recorded in load_rejects.
--- */
with source as (
    select * from raw.contacts
),

typed as (
    select
        _line,
        clean(contact_id) AS contact_id,
        clean(person_id) AS person_id,
        parse_date(contact_date) AS contact_date,
        recode('contacts', 'contact_type', contact_type) AS contact_type,
        parse_datetime(recorded_at) AS recorded_at
    from source
)

select * from typed
