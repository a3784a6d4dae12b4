/* ---
kind: table
name: main.case_variants
depends_on: [marts.case_spells, main.case_events]
grain: [team_id, period, variant]
description: >
  Process variants: every distinct sequence of activities of a case (main.case_events in
  event_index order), per team at entry (plus __all__) and entry year (period 'YYYY', plus
  'all'), with the number and share of cases, how many of them are still running, and the
  median case duration (first to last event).
--- */
-- variant       activity codes joined by '>' (entry>first_contact>...), the stable key
-- variant_de    the German labels joined by ' → '
-- share         100 × cases / all cases of the team and period
-- open_cases    cases of the variant still running at the Datenstand (their variant may grow)
-- median_duration_days  median over the cases of (last event day − first event day); for a
--               running case that is the time to its latest event so far
-- rank          1 = most frequent in the team and period (ties: by variant)
with per_case as (
    select
        case_id,
        string_agg(activity, '>' order by event_index) as variant,
        string_agg(activity_de, ' → ' order by event_index) as variant_de,
        count(*) as n_events,
        date_diff('day', min("timestamp"), max("timestamp")) as duration_days
    from main.case_events
    group by case_id
),

cases as (
    select c.team_id, c.entry_year::varchar as entry_year, c.is_closed, p.*
    from marts.case_spells c
    join per_case p using (case_id)
),

grouped as (
    select
        case when grouping(team_id) = 1 then '__all__' else team_id end as team_id,
        case when grouping(entry_year) = 1 then 'all' else entry_year end as period,
        variant,
        any_value(variant_de) as variant_de,
        any_value(n_events)::integer as n_events,
        count(*) as cases,
        count(*) filter (where not is_closed) as open_cases,
        median(duration_days)::double as median_duration_days
    from cases
    group by grouping sets ((team_id, entry_year, variant), (team_id, variant), (entry_year, variant), (variant))
),

final as (
    select
        team_id,
        period,
        row_number() over (partition by team_id, period order by cases desc, variant)::integer as rank,
        variant,
        variant_de,
        n_events,
        cases,
        100.0 * cases / sum(cases) over (partition by team_id, period) as share,
        open_cases,
        median_duration_days
    from grouped
)

select * from final order by team_id, period, rank
