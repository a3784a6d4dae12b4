/* ---
kind: metric
depends_on: [core.team_month]
grain: [team_id, month, metric_id]
metrics:
  - id: ltb_stock
    label_de: Bestand Langzeitleistungsbeziehende (LZB)
    label_en: Stock of long-term benefit recipients
    unit: count
    count_noun_de: Personen
    direction: lower_better
    theme_de: SGB-II-Kennzahlen
    display_order: 90
    key_figure: true
    team_table: true
    goal_kind: average
    protected_by: count
    protect: {numerator: {atom: ltb_stock}}
    definition_de: >
      Definition: Zahl der eLb im Bestand am Stichtag (Monatsletzter), die an diesem Tag
      mindestens 17 Jahre alt sind und an mindestens 638 der letzten 730 Tage
      (Stichtag und die 729 Tage davor) eLb waren. Das ist die Umsetzung von „21 der
      letzten 24 Monate“, die auch sgb2.info verwendet. Unterbrechungen sind erlaubt,
      solange die 638 Tage erreicht sind.

      Zähler: diese Personen. Nenner: keiner (Anzahl).

      Team: das Team am Stichtag (wie beim eLb-Bestand).

      Besonderheiten: Kein Wert, solange die Daten noch keine 730 Tage vor den Stichtag
      zurückreichen – sonst würden Zeiten vor Beginn der Daten als „nicht im Bezug“
      gelten und der Bestand wäre zu klein. Ist kein Geburtsdatum erfasst, gilt die
      Altersgrenze als erfüllt.

      Offizielles Pendant: Bestand an Langzeitleistungsbeziehenden, Grundlage der
      Kennzahl K3 nach § 48a SGB II; dort für das ganze Jobcenter mit drei Monaten
      Wartezeit, hier je Team.
  - id: ltb_change_yoy
    label_de: Veränderung des LZB-Bestands zum Vorjahresmonat
    label_en: Change in long-term benefit recipients year on year
    unit: percent
    direction: lower_better
    theme_de: SGB-II-Kennzahlen
    display_order: 100
    key_figure: false
    team_table: false
    goal_kind: level
    goal_capable: false   # the target belongs on ltb_stock (the agreed K3 basis)
    signed: true          # can be below 0: its forecast interval does not stop at 0
    protected_by: denominator
    protect: {numerator: {atom: ltb_stock, minus_lag: 12}, denominator: {atom: ltb_stock, lag: 12}}
    definition_de: >
      Definition: wie stark sich der Bestand an Langzeitleistungsbeziehenden (LZB)
      gegenüber dem gleichen Monat des Vorjahres verändert hat, in Prozent. Ein negativer
      Wert heißt: weniger LZB als vor einem Jahr.

      Zähler: LZB-Bestand im Berichtsmonat minus LZB-Bestand im Vorjahresmonat.

      Nenner: LZB-Bestand im Vorjahresmonat.

      Team: beide Bestände nach dem Team am jeweiligen Stichtag.

      Besonderheiten: Kein Wert, solange der LZB-Bestand des Vorjahresmonats nicht
      bestimmt ist (dafür braucht es drei Jahre Daten) oder wenn er 0 war. Wechseln
      Personen das Team, verändert das auch den Bestand des Teams.

      Offizielles Pendant: Kennzahl K3 „Veränderung des Bestands an
      Langzeitleistungsbeziehenden“ nach § 48a SGB II; dort für das ganze Jobcenter mit
      drei Monaten Wartezeit, hier je Team.
--- */
with base as (
    select
        team_id,
        month,
        ltb_stock,
        lag(ltb_stock, 12) over (partition by team_id order by month) as ltb_stock_year_before
    from core.team_month
),

stock as (
    select
        team_id,
        month,
        'ltb_stock' as metric_id,
        ltb_stock::double as value,
        ltb_stock::double as numerator,
        null::double as denominator
    from base
),

change as (
    select
        team_id,
        month,
        'ltb_change_yoy' as metric_id,
        100.0 * (ltb_stock - ltb_stock_year_before) / nullif(ltb_stock_year_before, 0) as value,
        (ltb_stock - ltb_stock_year_before)::double as numerator,
        ltb_stock_year_before::double as denominator
    from base
),

final as (
    select * from stock
    union all
    select * from change
)

select * from final
