/* ---
kind: table
name: core.params
depends_on: [staging.params, staging.benefit_spells]
grain: []            # exactly one row
--- */
-- The three dates every other model is anchored on (metrics.md, shared rules):
--   as_of       the Datenstand of the load;
--   start_date  first day of the month of the earliest spell_start (M0);
--   last_month  first day of the last complete month, i.e. the latest M with d(M) <= as_of.
with load_date as (
    select max(as_of) as as_of
    from staging.params
),

first_spell as (
    select date_trunc('month', min(spell_start))::date as start_date
    from staging.benefit_spells
),

final as (
    select
        l.as_of,
        f.start_date,
        -- d(M) <= as_of  <=>  M starts no later than one month before the month of as_of + 1 day
        (date_trunc('month', l.as_of + 1) - interval 1 month)::date as last_month
    from load_date l
    cross join first_spell f
)

select * from final
