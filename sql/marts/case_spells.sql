/* ---
kind: table
name: marts.case_spells
depends_on: [core.params, core.person_day_team, staging.benefit_spells]
grain: [case_id]
description: >
  The cases of the case-progress analytics (Fallverläufe): one row per employable benefit spell
  (case_id = spell_id) that has a person, starts after the first month of the data and on or
  before the Datenstand, and does not end before its start. Team = responsible team on the first
  day (as for the metric `entries`). A case is observed until its end, or until the Datenstand
  while it is still running (or ends later). See docs/case-progress.md.
--- */
-- Why not the first month M0 (core.params.start_date): an export cannot tell a spell that was
-- already running when its history begins from a new one (the sample export, like many real ones,
-- dates such spells to its first day), so M0 is no clean entry cohort and its "entries" would
-- distort the funnel, the durations and the variants.
-- case_end   last day the case is observed: spell_end, or as_of while the spell is open or ends
--            after as_of (an end after the Datenstand has not happened yet).
-- is_closed  the spell ended on or before as_of; exit_date and exit_reason only then.
with params as (
    select as_of, start_date from core.params
),

spells as (
    select s.spell_id, s.person_id, s.spell_start, s.spell_end, s.exit_reason
    from staging.benefit_spells s
    cross join params p
    where s.employable
      and s.person_id is not null
      and s.spell_start is not null
      and s.spell_start <= p.as_of
      and s.spell_start >= p.start_date + interval 1 month
      and (s.spell_end is null or s.spell_end >= s.spell_start)
),

final as (
    select
        s.spell_id as case_id,
        s.person_id,
        coalesce(pdt.team_id, '__unassigned__') as team_id,
        s.spell_start as entry_date,
        date_trunc('month', s.spell_start)::date as entry_month,
        year(s.spell_start)::integer as entry_year,
        coalesce(s.spell_end <= p.as_of, false) as is_closed,
        case when s.spell_end <= p.as_of then s.spell_end end as exit_date,
        case when s.spell_end <= p.as_of then s.exit_reason end as exit_reason,
        least(coalesce(s.spell_end, p.as_of), p.as_of) as case_end
    from spells s
    cross join params p
    left join core.person_day_team pdt
      on pdt.person_id = s.person_id
     and pdt.day = s.spell_start
)

select * from final
