/* ---
kind: table
name: staging.benefit_spells
depends_on: []
grain: [_line]
description: >
  benefit_spells typed and mapped; rows with an empty or duplicate key (spell_id) are
  removed afterwards by the loader and recorded in load_rejects.
--- */
with source as (
    select * from raw.benefit_spells
),

typed as (
    select
        _line,
        clean(spell_id) AS spell_id,
        clean(person_id) AS person_id,
        parse_date(spell_start) AS spell_start,
        parse_date(spell_end) AS spell_end,
        parse_bool(employable) AS employable,
        recode('benefit_spells', 'exit_reason', exit_reason) AS exit_reason
    from source
)

select * from typed
