/* ---
kind: metric
depends_on: [core.team_list, core.calendar, core.params, core.integration_facts]
grain: [team_id, month, metric_id]
metrics:
  - id: integration_covering_3m
    label_de: Integrationen ohne Leistungsbezug nach drei Monaten
    label_en: Integrations without benefit receipt three months later
    unit: percent
    direction: higher_better
    theme_de: SGB-II-Kennzahlen
    display_order: 80
    key_figure: false
    team_table: false
    goal_kind: level
    protected_by: denominator
    ready_after: 3m  # month M's value exists from then on (the 'not measurable yet' mark)
    protect: {numerator: {atom: own}, denominator: {atom: integrations}, complement: true}
    definition_de: >
      Definition: Anteil der Integrationen eines Monats, nach denen die Person drei
      Monate später nicht mehr als eLb im Leistungsbezug steht, in Prozent. Ein Hinweis
      darauf, ob die Arbeit den Bedarf deckt („bedarfsdeckende Integration“).

      Zähler: zählende Integrationen des Berichtsmonats, deren Person am Stichtag drei
      Monate später (für Januar: am 30. April) nicht eLb ist.

      Nenner: zählende Integrationen des Berichtsmonats (siehe Kennzahl „Integrationen“).

      Team: das Team am Tag der Integration.

      Besonderheiten: Der Wert steht erst fest, wenn der dritte Folgemonat abgeschlossen
      ist; bis dahin gibt es keinen Wert. Ohne Integrationen im Monat gibt es ebenfalls
      keinen Wert. Wer weiter aufstockende Leistungen bezieht, zählt nicht im Zähler.

      Offizielles Pendant: Es gibt keine gleiche amtliche Kennzahl. Am nächsten liegt die
      Ergänzungsgröße K2E3 „Nachhaltigkeit der Integrationen“ (§ 48a SGB II); sie prüft
      aber über die Beschäftigtenstatistik, ob die Beschäftigung fortbesteht. Diese Daten
      sieht das Jobcenter nicht. Die Kennzahl hier zeigt, was die eigenen Daten zeigen
      können: ob die Person den Leistungsbezug verlassen hat.
--- */
with grid as (
    select t.team_id, c.month, last_day((c.month + interval 3 month)::date) <= p.as_of as is_complete
    from core.team_list t
    cross join core.calendar c
    cross join core.params p
),

counted as (
    select
        case when grouping(team_id) = 1 then '__all__' else team_id end as team_id,
        month,
        count(*) as integrations,
        count(*) filter (where not elb_after_3m) as left_benefit
    from core.integration_facts
    where counts
    group by grouping sets ((team_id, month), (month))
),

final as (
    select
        g.team_id,
        g.month,
        'integration_covering_3m' as metric_id,
        case
            when g.is_complete and coalesce(c.integrations, 0) > 0
                then 100.0 * c.left_benefit / c.integrations
        end as value,
        case when g.is_complete then coalesce(c.left_benefit, 0) end::double as numerator,
        case when g.is_complete then coalesce(c.integrations, 0) end::double as denominator
    from grid g
    left join counted c on c.team_id = g.team_id and c.month = g.month
)

select * from final
