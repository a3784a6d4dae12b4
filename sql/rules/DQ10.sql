/* ---
kind: rule
rule_id: DQ10
dimension: consistency
table_name: integrations
population: events
fields: [integration_date]
label_de: Integration ohne Leistungsbezug
description_de: >-
  Diese Integration kann in den Kennzahlen nicht gezählt werden: Die Person war
  weder am Ende des Vormonats noch am Tag der Integration als erwerbsfähig
  leistungsberechtigt erfasst. Bitte das Integrationsdatum, die Personen-ID und
  den Leistungszeitraum prüfen und den fehlerhaften Eintrag berichtigen.
depends_on: [core.calendar, core.person_day_team]
--- */
-- Population: integrations with integration_date in a complete month M, team on
-- integration_date. Fails when the person is eLb neither on d(M-1) (the last
-- day before M) nor on integration_date (the counting rule in metrics.md).
with events as (
    select
        i.integration_id,
        i.person_id,
        i.integration_date,
        c.month,
        (c.month - interval 1 day)::date as prev_month_end
    from staging.integrations as i
    inner join core.calendar as c on i.integration_date between c.month and c.month_end
),

elb as (
    select distinct
        e.integration_id
    from events as e
    inner join staging.benefit_spells as b
        on b.person_id = e.person_id
        and b.employable
        and (
            (b.spell_start <= e.prev_month_end and (b.spell_end is null or b.spell_end >= e.prev_month_end))
            or (b.spell_start <= e.integration_date and (b.spell_end is null or b.spell_end >= e.integration_date))
        )
),

final as (
    select
        'integrations' as table_name,
        e.integration_id as record_id,
        e.person_id,
        coalesce(t.team_id, '__unassigned__') as team_id,
        e.month,
        x.integration_id is null as failed
    from events as e
    left join elb as x on x.integration_id = e.integration_id
    left join core.person_day_team as t on t.person_id = e.person_id and t.day = e.integration_date
)

select * from final
