/* ---
kind: rule
rule_id: DQ09
dimension: consistency
table_name: measures
population: events
fields: [start_date]
label_de: Maßnahme ohne Leistungsbezug zum Beginn
description_de: >-
  Zum Beginn der Maßnahme ist für die Person kein laufender Leistungszeitraum
  als erwerbsfähig leistungsberechtigt erfasst. Bitte das Beginndatum der
  Maßnahme und den Leistungszeitraum (Beginn, Ende, erwerbsfähig) prüfen und den
  fehlerhaften Eintrag berichtigen.
depends_on: [core.calendar, core.person_day_team, core.elb_intervals]
--- */
-- Population: measures with start_date in a complete month M, team on start_date.
-- Fails when the person is not eLb on start_date: no interval of core.elb_intervals
-- (the employable spells, merged) covers it; a person without any spell is not eLb.
with events as (
    select
        m.measure_id,
        m.person_id,
        m.start_date,
        c.month
    from staging.measures as m
    inner join core.calendar as c on c.month = date_trunc('month', m.start_date)::date
),

elb as (
    select distinct
        e.measure_id
    from events as e
    inner join core.elb_intervals as i
        on i.person_id = e.person_id
        and i.elb_start <= e.start_date
        and (i.elb_end is null or i.elb_end >= e.start_date)
),

final as (
    select
        'measures' as table_name,
        e.measure_id as record_id,
        e.person_id,
        coalesce(t.team_id, '__unassigned__') as team_id,
        e.month,
        x.measure_id is null as failed
    from events as e
    left join elb as x on x.measure_id = e.measure_id
    left join core.person_day_team as t on t.person_id = e.person_id and t.day = e.start_date
)

select * from final
