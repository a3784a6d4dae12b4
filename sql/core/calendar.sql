/* ---
kind: table
name: core.calendar
depends_on: [core.params]
grain: [month]
--- */
-- Every complete month from M0 to the last complete month; empty when there is none.
with months as (
    select unnest(generate_series(p.start_date, p.last_month, interval 1 month))::date as month
    from core.params p
    where p.start_date is not null
      and p.start_date <= p.last_month
),

final as (
    select
        month,
        last_day(month) as month_end    -- d(M), the Stichtag
    from months
)

select * from final order by month
