/* ---
kind: metric
depends_on: [core.person_month, core.team_month]
grain: [team_id, month, metric_id]
metrics:
  - id: activation_rate
    label_de: Aktivierungsquote
    label_en: Activation rate
    unit: percent
    direction: higher_better
    theme_de: SGB-II-Kennzahlen
    display_order: 120
    key_figure: true
    team_table: true
    goal_kind: level
    protected_by: denominator
    protect: {numerator: {atom: own}, denominator: {atom: elb_stock}, complement: true}
    definition_de: >
      Definition: Anteil der eLb im Bestand, die am Stichtag (Monatsletzter) an einer
      Maßnahme teilnehmen, in Prozent.

      Zähler: eLb im Bestand mit einer Maßnahme, die am Stichtag oder davor begonnen hat
      und am Stichtag noch läuft (Ende leer oder am Stichtag oder später).

      Nenner: eLb-Bestand am Stichtag.

      Team: das Team am Stichtag.

      Besonderheiten: Jede Maßnahmeart zählt; mehrere Maßnahmen einer Person zählen
      einmal. Kein Wert bei einem Bestand von 0.

      Offizielles Pendant: Die amtliche Aktivierungsquote gibt es nur für
      Langzeitleistungsbeziehende (K3E2, siehe dort); diese Kennzahl überträgt sie auf
      alle eLb.
  - id: ltb_activation_rate
    label_de: Aktivierungsquote der Langzeitleistungsbeziehenden
    label_en: Activation rate of long-term benefit recipients
    unit: percent
    direction: higher_better
    theme_de: SGB-II-Kennzahlen
    display_order: 130
    key_figure: false
    team_table: false
    goal_kind: level
    protected_by: denominator
    protect: {numerator: {atom: own}, denominator: {atom: ltb_stock}, complement: true}
    definition_de: >
      Definition: Anteil der Langzeitleistungsbeziehenden (LZB), die am Stichtag
      (Monatsletzter) an einer Maßnahme teilnehmen, in Prozent.

      Zähler: LZB im Bestand mit einer Maßnahme, die am Stichtag oder davor begonnen hat
      und am Stichtag noch läuft.

      Nenner: LZB-Bestand am Stichtag (siehe Kennzahl „Bestand LZB“).

      Team: das Team am Stichtag.

      Besonderheiten: Kein Wert, solange der LZB-Bestand nicht bestimmt ist (die ersten
      zwei Jahre der Daten) oder wenn er 0 ist.

      Offizielles Pendant: Ergänzungsgröße K3E2 „Aktivierungsquote der
      Langzeitleistungsbeziehenden“ nach § 48a SGB II; dort für das ganze Jobcenter mit
      drei Monaten Wartezeit, hier je Team.
--- */
with counted as (
    select
        case when grouping(team_id) = 1 then '__all__' else team_id end as team_id,
        month,
        count(*) filter (where has_active_measure) as activated,
        count(*) filter (where is_ltb and has_active_measure) as ltb_activated
    from core.person_month
    group by grouping sets ((team_id, month), (month))
),

joined as (
    select
        tm.team_id,
        tm.month,
        tm.elb_stock,
        tm.ltb_stock,   -- NULL while undefined
        coalesce(c.activated, 0) as activated,
        coalesce(c.ltb_activated, 0) as ltb_activated
    from core.team_month tm
    left join counted c on c.team_id = tm.team_id and c.month = tm.month
),

final as (
    select
        team_id,
        month,
        'activation_rate' as metric_id,
        100.0 * activated / nullif(elb_stock, 0) as value,
        activated::double as numerator,
        elb_stock::double as denominator
    from joined
    union all
    select
        team_id,
        month,
        'ltb_activation_rate',
        100.0 * ltb_activated / nullif(ltb_stock, 0),
        case when ltb_stock is not null then ltb_activated end::double,
        ltb_stock::double
    from joined
)

select * from final
