/* ---
kind: metric
depends_on: [core.team_month]
grain: [team_id, month, metric_id]
metrics:
  - id: integration_rate_12m
    label_de: Integrationsquote (12 Monate)
    label_en: Integration rate (12 months)
    unit: percent
    direction: higher_better
    theme_de: SGB-II-Kennzahlen
    display_order: 50
    key_figure: true
    team_table: true
    goal_kind: progress
    tracked_metric_id: integration_progress_ytd   # a target is tracked by its Jahresfortschrittswert
    protected_by: denominator
    protect: {numerator: {atom: integrations, window: 12}, denominator: {atom: elb_stock, window: 12, lag: 1, mean: true}}
    definition_de: >
      Definition: Integrationen der letzten zwölf Monate im Verhältnis zum
      durchschnittlichen eLb-Bestand, in Prozent.

      Zähler: Summe der zählenden Integrationen (siehe Kennzahl „Integrationen“) im
      Berichtsmonat und in den elf Monaten davor.

      Nenner: Durchschnitt des eLb-Bestands über zwölf Monate, um einen Monat versetzt:
      für März also die Integrationen April bis März über den Bestand März bis Februar.
      So rechnet auch die amtliche Statistik, denn wer integriert wird, stand in der
      Regel im Vormonat im Bestand. Als Durchschnitt ist der Nenner meist keine ganze
      Zahl.

      Team: Integrationen nach dem Team am Tag der Integration, Bestände nach dem Team am
      jeweiligen Stichtag (Monatsletzter).

      Besonderheiten: Kein Wert, solange die Daten keine zwölf Monate vor den
      Berichtsmonat zurückreichen, und kein Wert bei einem durchschnittlichen Bestand von
      0. Wechseln viele Personen das Team, kann die Quote eines kleinen Teams stark
      schwanken.

      Offizielles Pendant: Kennzahl K2 „Integrationsquote“ nach § 48a SGB II; dort für das
      ganze Jobcenter mit drei Monaten Wartezeit, hier je Team auf den eigenen Daten,
      sobald ein Monat abgeschlossen ist. Eine frühe Sicht auf dieselbe Größe, kein
      Ersatz für die amtliche Zahl.
  - id: integration_rate_single_parents_12m
    label_de: Integrationsquote der Alleinerziehenden (12 Monate)
    label_en: Integration rate of single parents (12 months)
    unit: percent
    direction: higher_better
    theme_de: SGB-II-Kennzahlen
    display_order: 70
    key_figure: false
    team_table: false
    goal_kind: level
    protected_by: denominator
    protect: {numerator: {atom: integrations_single_parent, window: 12}, denominator: {atom: elb_stock_single_parent, window: 12, lag: 1, mean: true}}
    definition_de: >
      Definition: wie die Integrationsquote (12 Monate), aber nur für Personen, die im
      Personenstamm als alleinerziehend gekennzeichnet sind – im Zähler und im Nenner.

      Zähler: zählende Integrationen von Alleinerziehenden im Berichtsmonat und in den elf
      Monaten davor.

      Nenner: durchschnittlicher Bestand an alleinerziehenden eLb über zwölf Monate, um
      einen Monat versetzt (für März: Bestand März bis Februar).

      Team: Integrationen nach dem Team am Tag der Integration, Bestände nach dem Team am
      Stichtag.

      Besonderheiten: Kein Wert, solange die Daten keine zwölf Monate zurückreichen oder
      wenn im Zeitraum keine Alleinerziehenden im Bestand waren. Bei kleinen Zahlen
      schwankt die Quote stark; eine einzelne Integration kann viel ausmachen. Ist das
      Merkmal leer, zählt die Person nicht als alleinerziehend.

      Offizielles Pendant: Ergänzungsgröße K2E4 „Integrationsquote der
      Alleinerziehenden“ nach § 48a SGB II; dort für das ganze Jobcenter mit drei Monaten
      Wartezeit, hier je Team.
  - id: ltb_integration_rate_12m
    label_de: Integrationsquote der Langzeitleistungsbeziehenden (12 Monate)
    label_en: Integration rate of long-term benefit recipients (12 months)
    unit: percent
    direction: higher_better
    theme_de: SGB-II-Kennzahlen
    display_order: 110
    key_figure: false
    team_table: false
    goal_kind: level
    protected_by: denominator
    protect: {numerator: {atom: integrations_ltb, window: 12}, denominator: {atom: ltb_stock, window: 12, lag: 1, mean: true}}
    definition_de: >
      Definition: wie die Integrationsquote (12 Monate), aber für
      Langzeitleistungsbeziehende (LZB, siehe Kennzahl „Bestand LZB“).

      Zähler: zählende Integrationen im Berichtsmonat und in den elf Monaten davor von
      Personen, die am Stichtag des Vormonats der Integration zum LZB-Bestand gehörten
      (gleich in welchem Team).

      Nenner: durchschnittlicher LZB-Bestand über zwölf Monate, um einen Monat versetzt
      (für März: LZB-Bestand März bis Februar).

      Team: Integrationen nach dem Team am Tag der Integration, Bestände nach dem Team am
      Stichtag.

      Besonderheiten: Kein Wert, solange der LZB-Bestand nicht für alle zwölf Monate des
      Nenners bestimmt ist. Da der LZB-Bestand selbst zwei Jahre Vorgeschichte braucht,
      gibt es diese Quote erst nach drei Jahren Daten. Kein Wert bei einem
      durchschnittlichen LZB-Bestand von 0.

      Offizielles Pendant: Ergänzungsgröße K3E1 „Integrationsquote der
      Langzeitleistungsbeziehenden“ nach § 48a SGB II; dort für das ganze Jobcenter mit
      drei Monaten Wartezeit, hier je Team.
--- */
-- One family: integrations over M-11..M divided by the mean stock over M-12..M-1. A value
-- exists only where the stock is defined for all twelve months M-12..M-1 (for elb_stock
-- that means M-12 >= start; ltb_stock is NULL until its 730-day window is complete).
with variants as (
    select team_id, month, 'integration_rate_12m' as metric_id,
           integrations as events, elb_stock as stock
    from core.team_month
    union all
    select team_id, month, 'integration_rate_single_parents_12m',
           integrations_single_parent, elb_stock_single_parent
    from core.team_month
    union all
    select team_id, month, 'ltb_integration_rate_12m',
           integrations_ltb, ltb_stock
    from core.team_month
),

base as (
    select
        *,
        lag(stock) over (partition by metric_id, team_id order by month) as stock_prev  -- stock(M-1)
    from variants
),

windowed as (
    select
        team_id,
        month,
        metric_id,
        sum(events) over w as events_12m,             -- M-11 .. M
        avg(stock_prev) over w as mean_stock,         -- stock(M-12) .. stock(M-1)
        count(stock_prev) over w = 12 as has_history  -- every month M-12 .. M-1 defined
    from base
    window w as (partition by metric_id, team_id order by month rows between 11 preceding and current row)
),

final as (
    select
        team_id,
        month,
        metric_id,
        case when has_history and mean_stock > 0 then 100 * events_12m / mean_stock end as value,
        case when has_history then events_12m end::double as numerator,
        case when has_history then mean_stock end::double as denominator
    from windowed
)

select * from final
