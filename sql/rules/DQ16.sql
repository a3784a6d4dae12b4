/* ---
kind: rule
rule_id: DQ16
dimension: consistency
table_name: cooperation_plans
population: events
fields: [plan_date, next_review_date]
label_de: Überprüfungstermin vor dem Kooperationsplan
description_de: >-
  Der Termin für die nächste Überprüfung liegt vor dem Datum des
  Kooperationsplans. Bitte beide Daten prüfen und den Überprüfungstermin
  berichtigen, damit die Wiedervorlage zum richtigen Zeitpunkt erscheint.
depends_on: [core.calendar, core.person_day_team]
--- */
-- Population: cooperation plans with plan_date in a complete month M, team on plan_date.
-- Fails when next_review_date is present and before plan_date.
with events as (
    select
        k.plan_id,
        k.person_id,
        k.plan_date,
        k.next_review_date,
        c.month
    from staging.cooperation_plans as k
    inner join core.calendar as c on c.month = date_trunc('month', k.plan_date)::date
),

final as (
    select
        'cooperation_plans' as table_name,
        e.plan_id as record_id,
        e.person_id,
        coalesce(t.team_id, '__unassigned__') as team_id,
        e.month,
        coalesce(e.next_review_date < e.plan_date, false) as failed
    from events as e
    left join core.person_day_team as t on t.person_id = e.person_id and t.day = e.plan_date
)

select * from final
