/* ---
kind: table
name: main.case_transitions
depends_on: [marts.case_spells, main.case_events]
grain: [team_id, period, step, from_stage, to_stage]
description: >
  Stage paths for the Sankey diagram: each case reduced to the first occurrence of each stage
  (entry, first contact, cooperation plan, first measure, first integration, exit) in time order,
  and the transitions between consecutive stages, counted per position in the path (step 1 =
  from the first stage to the second), per team at entry (plus __all__) and entry year (period
  'YYYY', plus 'all'). A running case ends in the pseudo stage 'open' (läuft noch).
--- */
-- Why positions: a case can reach the plan before the first contact and another the other way
-- round; counting transitions per position keeps the diagram free of cycles, which a Sankey
-- cannot draw. Team changes and measure ends are not stages (the full sequence is in
-- main.case_variants and in the event log).
-- share        100 × cases / all cases of the team and period
-- median_days  median days from reaching from_stage to reaching to_stage (NULL for 'open')
with stages as (
    select * from (values
        ('entry', 'Zugang', 1),
        ('first_contact', 'Erstkontakt', 2),
        ('coop_plan', 'Kooperationsplan', 3),
        ('measure_start', 'Maßnahme', 4),
        ('integration', 'Integration', 5),
        ('exit', 'Abgang', 6),
        ('open', 'läuft noch', 7)
    ) as s(stage, stage_de, stage_order)
),

firsts as (
    select case_id, activity as stage, min(event_index) as first_index, min("timestamp")::date as day
    from main.case_events
    where activity in ('entry', 'first_contact', 'coop_plan', 'measure_start', 'integration', 'exit')
    group by case_id, activity
),

paths as (
    select
        case_id,
        row_number() over w as step,
        stage as from_stage,
        day as from_day,
        lead(stage) over w as next_stage,
        lead(day) over w as next_day
    from firsts
    window w as (partition by case_id order by first_index)
),

links as (
    select
        c.team_id,
        c.entry_year::varchar as entry_year,
        p.step,
        p.from_stage,
        coalesce(p.next_stage, 'open') as to_stage,
        date_diff('day', p.from_day, p.next_day) as days
    from paths p
    join marts.case_spells c using (case_id)
    where p.next_stage is not null
       or not c.is_closed
),

grouped as (
    select
        case when grouping(team_id) = 1 then '__all__' else team_id end as team_id,
        case when grouping(entry_year) = 1 then 'all' else entry_year end as period,
        step,
        from_stage,
        to_stage,
        count(*) as cases,
        median(days)::double as median_days
    from links
    group by grouping sets ((team_id, entry_year, step, from_stage, to_stage), (team_id, step, from_stage, to_stage),
                            (entry_year, step, from_stage, to_stage), (step, from_stage, to_stage))
),

final as (
    select
        g.team_id,
        g.period,
        g.step::integer as step,
        g.from_stage,
        f.stage_de as from_stage_de,
        g.to_stage,
        t.stage_de as to_stage_de,
        g.cases,
        100.0 * g.cases / sum(g.cases) filter (where g.step = 1) over (partition by g.team_id, g.period) as share,
        g.median_days
    from grouped g
    join stages f on f.stage = g.from_stage
    join stages t on t.stage = g.to_stage
)

select * from final order by team_id, period, step, from_stage, to_stage
