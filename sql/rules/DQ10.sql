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
depends_on: [core.calendar, core.integration_facts]
--- */
-- Population: integrations with integration_date in a complete month M, team on
-- integration_date (core.integration_facts.team_id, with the 31-day fallback).
-- Fails when the person is eLb neither on d(M-1) nor on integration_date -- the
-- very check that decides whether an integration counts (metrics.md), read from
-- core.integration_facts so finding and metric can never disagree.
with events as (
    select
        f.integration_id,
        f.person_id,
        f.team_id,
        f.month,
        f.elb_prev_stichtag or f.elb_on_date as eligible
    from core.integration_facts as f
    inner join core.calendar as c on c.month = f.month
),

final as (
    select
        'integrations' as table_name,
        integration_id as record_id,
        person_id,
        team_id,
        month,
        not eligible as failed
    from events
)

select * from final
