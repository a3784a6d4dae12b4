/* ---
kind: table
name: main.case_cohorts
depends_on: [marts.case_spells, main.case_events, core.team_list, core.calendar, core.params]
grain: [team_id, cohort_month, step]
description: >
  Entry cohorts (Zugangskohorten): for every team (team at entry, plus __all__), every complete
  month and every step of the funnel, how many of the cases that started in that month reached
  the step within its window. A step is computed for a cohort only when the window has passed
  for its last possible entry (the month's last day); until then reached and share are NULL and
  is_open is true ("noch offen"), never 0.
--- */
-- step               window after the entry day (inclusive)   reached when the case has
-- first_contact_14d  14 days                                  a first_contact event
-- coop_plan_60d      60 days                                  a coop_plan event
-- measure_6m         6 calendar months                        a measure_start event
-- integration_12m    12 calendar months                       an integration event
-- within the window (see main.case_events; events count only inside the case, so a case that
-- ended before reaching the step counts as not reached). Each step is a share of all entries of
-- the cohort, not of those that reached the step before: the steps need not shrink.
-- share = 100 × reached / cases; NULL when open or when the cohort has no case.
with steps as (
    select * from (values
        ('first_contact_14d', 1, 'Erstkontakt in 14 Tagen', 'first_contact', interval 14 day),
        ('coop_plan_60d', 2, 'Kooperationsplan in 60 Tagen', 'coop_plan', interval 60 day),
        ('measure_6m', 3, 'Maßnahme in 6 Monaten', 'measure_start', interval 6 month),
        ('integration_12m', 4, 'Integration in 12 Monaten', 'integration', interval 12 month)
    ) as s(step, step_order, step_label_de, activity, step_window)
),

grid as (
    select
        t.team_id,
        c.month as cohort_month,
        s.step,
        s.step_order,
        s.step_label_de,
        (c.month_end + s.step_window)::date <= p.as_of as is_complete
    from core.team_list t
    cross join core.calendar c
    cross join steps s
    cross join core.params p
),

reached as (
    select distinct c.case_id, s.step
    from marts.case_spells c
    join main.case_events e on e.case_id = c.case_id
    join steps s
      on s.activity = e.activity
     and e."timestamp"::date <= (c.entry_date + s.step_window)::date
),

per_case as (
    select c.team_id, c.entry_month, s.step, r.case_id is not null as hit
    from marts.case_spells c
    cross join steps s
    left join reached r on r.case_id = c.case_id and r.step = s.step
),

counted as (
    select
        case when grouping(team_id) = 1 then '__all__' else team_id end as team_id,
        entry_month as cohort_month,
        step,
        count(*) as cases,
        count(*) filter (where hit) as reached
    from per_case
    group by grouping sets ((team_id, entry_month, step), (entry_month, step))
),

final as (
    select
        g.team_id,
        g.cohort_month,
        g.step,
        g.step_order,
        g.step_label_de,
        coalesce(c.cases, 0)::bigint as cases,
        not g.is_complete as is_open,
        case when g.is_complete then coalesce(c.reached, 0) end::bigint as reached,
        case when g.is_complete and c.cases > 0 then 100.0 * c.reached / c.cases end as share
    from grid g
    left join counted c using (team_id, cohort_month, step)
)

select * from final order by team_id, cohort_month, step_order
