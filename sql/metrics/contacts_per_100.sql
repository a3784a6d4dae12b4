/* ---
kind: metric
depends_on: [core.team_month, core.person_day_team]
grain: [team_id, month, metric_id]
metrics:
  - id: contacts_per_100
    label_de: Kontakte je 100 eLb
    label_en: Contacts per 100 benefit recipients
    unit: per_100
    direction: higher_better
    theme_de: Fallverläufe
    display_order: 170
    key_figure: false
    team_table: false
    goal_kind: level
    protected_by: denominator
    protect: {numerator: {atom: own}, denominator: {atom: elb_stock}}
    definition_de: >
      Definition: wie viele Kontakte im Monat auf 100 eLb im Bestand kommen.

      Zähler: alle erfassten Kontakte mit Datum im Berichtsmonat, jeder Datensatz einzeln
      (auch mehrere am selben Tag und auch mit Personen, die nicht im eLb-Bestand sind).

      Nenner: eLb-Bestand am Stichtag (Monatsletzter).

      Team: Kontakte nach dem Team der Person am Tag des Kontakts, der Bestand nach dem
      Team am Stichtag.

      Besonderheiten: Der Wert zeigt die Kontaktdichte, nicht die Qualität der Beratung.
      Doppelt erfasste Kontakte erhöhen ihn (die Datenqualitätsregel DQ14 zeigt sie).
      Kein Wert bei einem Bestand von 0.

      Offizielles Pendant: keines; eine Prozesskennzahl der eigenen Fallarbeit.
--- */
with events as (
    select
        coalesce(pdt.team_id, '__unassigned__') as team_id,
        date_trunc('month', k.contact_date)::date as month
    from staging.contacts k
    left join core.person_day_team pdt
      on pdt.person_id = k.person_id
     and pdt.day = k.contact_date
    where k.contact_date is not null
),

counted as (
    select
        case when grouping(team_id) = 1 then '__all__' else team_id end as team_id,
        month,
        count(*) as contacts
    from events
    group by grouping sets ((team_id, month), (month))
),

final as (
    select
        tm.team_id,
        tm.month,
        'contacts_per_100' as metric_id,
        100.0 * coalesce(c.contacts, 0) / nullif(tm.elb_stock, 0) as value,
        coalesce(c.contacts, 0)::double as numerator,
        tm.elb_stock::double as denominator
    from core.team_month tm
    left join counted c on c.team_id = tm.team_id and c.month = tm.month
)

select * from final
