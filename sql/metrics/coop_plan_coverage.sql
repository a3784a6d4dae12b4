/* ---
kind: metric
depends_on: [core.person_month, core.team_month]
grain: [team_id, month, metric_id]
metrics:
  - id: coop_plan_coverage
    label_de: Abdeckung mit aktuellem Kooperationsplan
    label_en: Coverage with a current cooperation plan
    unit: percent
    direction: higher_better
    theme_de: Fallverläufe
    display_order: 150
    key_figure: true
    team_table: true
    goal_kind: level
    protected_by: denominator
    protect: {numerator: {atom: own}, denominator: {atom: elb_stock}, complement: true}
    definition_de: >
      Definition: Anteil der eLb im Bestand, für die am Stichtag (Monatsletzter) ein
      aktueller Kooperationsplan vorliegt, in Prozent.

      Zähler: eLb im Bestand mit einem Kooperationsplan, der am Stichtag oder davor
      erstellt wurde und dessen nächster Überprüfungstermin am Stichtag oder später liegt.
      Ist kein Überprüfungstermin erfasst, gilt der Plan 183 Tage (rund sechs Monate) ab
      Erstellung als aktuell.

      Nenner: eLb-Bestand am Stichtag.

      Team: das Team am Stichtag.

      Besonderheiten: Ein überfälliger Überprüfungstermin heißt: der Plan zählt nicht
      mehr als aktuell, bis ein neuer erfasst ist. Kein Wert bei einem Bestand von 0.

      Offizielles Pendant: keines; der Kooperationsplan (§ 15 SGB II) wird amtlich nicht
      als Kennzahl berichtet.
--- */
with counted as (
    select
        case when grouping(team_id) = 1 then '__all__' else team_id end as team_id,
        month,
        count(*) filter (where has_current_plan) as with_plan
    from core.person_month
    group by grouping sets ((team_id, month), (month))
),

final as (
    select
        tm.team_id,
        tm.month,
        'coop_plan_coverage' as metric_id,
        100.0 * coalesce(c.with_plan, 0) / nullif(tm.elb_stock, 0) as value,
        coalesce(c.with_plan, 0)::double as numerator,
        tm.elb_stock::double as denominator
    from core.team_month tm
    left join counted c on c.team_id = tm.team_id and c.month = tm.month
)

select * from final
