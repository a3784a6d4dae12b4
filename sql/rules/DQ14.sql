/* ---
kind: rule
rule_id: DQ14
dimension: uniqueness
table_name: contacts
population: events
fields: []
label_de: Kontakt doppelt erfasst
description_de: >-
  Für dieselbe Person gibt es am selben Tag einen weiteren Kontakt derselben
  Kontaktart, der zuerst erfasst wurde (kleinere Kontakt-ID). Bitte prüfen, ob
  es sich um eine Doppelerfassung handelt, und den überzähligen Eintrag
  löschen; waren es wirklich zwei Gespräche, ist nichts zu tun.
depends_on: [core.calendar, core.person_day_team]
--- */
-- Population: contacts with contact_date in a complete month M, team on contact_date.
-- Fails when another contact with the same person_id, contact_date and
-- contact_type has a smaller contact_id (ids compared as text; the first of a
-- group passes, every further one is a finding). Rows with an empty person_id
-- or contact_type have no "same" partner and pass.

-- Only contacts that share their key with another can have a smaller partner. A key
-- hash that occurs once marks a contact alone in its group (group members share
-- the hash; a collision only adds candidates), so the window -- the exact test --
-- runs on the few candidates instead of partitioning every contact.
with keyed_contacts as not materialized (
    select
        contact_id,
        person_id,
        contact_date,
        contact_type,
        hash(person_id, contact_date, contact_type) as key_hash
    from staging.contacts
),

repeated_hashes as (
    select key_hash
    from keyed_contacts
    group by key_hash
    having count(*) >= 2
),

ranked as (
    select
        contact_id,
        person_id,
        contact_date,
        contact_id > min(contact_id) over (partition by person_id, contact_date, contact_type) as has_smaller,
        person_id is not null and contact_type is not null as comparable
    from keyed_contacts
    semi join repeated_hashes using (key_hash)
    union all
    -- alone in its group: no smaller partner
    select
        contact_id,
        person_id,
        contact_date,
        false as has_smaller,
        person_id is not null and contact_type is not null as comparable
    from keyed_contacts
    anti join repeated_hashes using (key_hash)
),

events as (
    select
        r.contact_id,
        r.person_id,
        r.contact_date,
        r.comparable and r.has_smaller as duplicate,
        c.month
    from ranked as r
    inner join core.calendar as c on c.month = date_trunc('month', r.contact_date)::date
),

final as (
    select
        'contacts' as table_name,
        e.contact_id as record_id,
        e.person_id,
        coalesce(t.team_id, '__unassigned__') as team_id,
        e.month,
        coalesce(e.duplicate, false) as failed
    from events as e
    left join core.person_day_team as t on t.person_id = e.person_id and t.day = e.contact_date
)

select * from final
