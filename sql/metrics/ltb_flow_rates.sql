/* ---
kind: metric
depends_on: [core.team_month]
grain: [team_id, month, metric_id]
metrics:
  - id: ltb_entry_rate_12m
    label_de: Zugangsrate LZB (12 Monate)
    label_en: Entry rate of long-term benefit recipients (12 months)
    unit: percent
    direction: lower_better
    theme_de: SGB-II-Kennzahlen
    display_order: 101
    key_figure: false
    team_table: false
    goal_kind: level
    protected_by: denominator
    protect: {numerator: {atom: ltb_entries, window: 12}, denominator: {atom: ltb_stock, window: 12, lag: 1}}
    definition_de: >
      Definition: durchschnittlicher Anteil der neuen Langzeitleistungsbeziehenden (LZB) am
      LZB-Bestand je Monat über die letzten zwölf Monate, in Prozent.

      Zähler: für jeden Monat m des Berichtsmonats und der elf Monate davor die Personen,
      die am Stichtag von m zum LZB-Bestand gehören, am Stichtag des Vormonats aber nicht
      (siehe Kennzahl „Bestand LZB“), zusammengezählt.

      Nenner: Summe des LZB-Bestands über zwölf Monate, um einen Monat versetzt (für März:
      die Bestände März bis Februar); eine durchschnittliche Monatsrate.

      Team: ein Zugang zählt beim Team am Stichtag von m. Gezählt werden Veränderungen des
      LZB-Bestands des ganzen Jobcenters: Wer als LZB das Team wechselt, ist weder Zugang
      noch Abgang.

      Besonderheiten: Kein Wert, solange der LZB-Bestand nicht für jeden Monat vom
      Vorjahresmonat bis zum Berichtsmonat bestimmt ist (dafür braucht es drei Jahre
      Daten), und kein Wert bei einem LZB-Bestand von 0.

      Offizielles Pendant: Ergänzungsgröße K3E3 „Zugangsrate der
      Langzeitleistungsbeziehenden“ nach § 48a SGB II; dort für das ganze Jobcenter, hier
      je Team.
  - id: ltb_exit_rate_12m
    label_de: Abgangsrate LZB (12 Monate)
    label_en: Exit rate of long-term benefit recipients (12 months)
    unit: percent
    direction: higher_better
    theme_de: SGB-II-Kennzahlen
    display_order: 102
    key_figure: false
    team_table: false
    goal_kind: level
    protected_by: denominator
    protect: {numerator: {atom: ltb_exits, window: 12}, denominator: {atom: ltb_stock, window: 12, lag: 1}}
    definition_de: >
      Definition: durchschnittlicher Anteil der Abgänge aus dem LZB-Bestand am LZB-Bestand je
      Monat über die letzten zwölf Monate, in Prozent.

      Zähler: für jeden Monat m des Berichtsmonats und der elf Monate davor die Personen,
      die am Stichtag des Vormonats zum LZB-Bestand gehörten, am Stichtag von m aber nicht
      mehr (sie haben den Bezug beendet oder erfüllen die 21 von 24 Monaten nicht mehr),
      zusammengezählt.

      Nenner: Summe des LZB-Bestands über zwölf Monate, um einen Monat versetzt (für März:
      die Bestände März bis Februar); eine durchschnittliche Monatsrate.

      Team: ein Abgang zählt beim Team am Stichtag des Vormonats. Ein Teamwechsel ist kein
      Abgang.

      Besonderheiten: Kein Wert, solange der LZB-Bestand nicht für jeden Monat vom
      Vorjahresmonat bis zum Berichtsmonat bestimmt ist, und kein Wert bei einem
      LZB-Bestand von 0.

      Offizielles Pendant: Ergänzungsgröße K3E4 „Abgangsrate der
      Langzeitleistungsbeziehenden“ nach § 48a SGB II; dort für das ganze Jobcenter, hier
      je Team.
--- */
-- LZB entries / exits over M-11..M (core.team_month: changes of the job center's LZB set)
-- divided by the *sum* of ltb_stock over M-12..M-1. A value only where ltb_stock is defined
-- for every month M-12..M: the twelve stocks of the denominator, and the twelve flows (each
-- needs ltb_stock of its month and the month before).
with base as (
    select
        team_id,
        month,
        ltb_entries,
        ltb_exits,
        lag(ltb_stock) over (partition by team_id order by month) as stock_prev
    from core.team_month
),

windowed as (
    select
        *,
        sum(ltb_entries) over w as entries_12m,
        sum(ltb_exits) over w as exits_12m,
        sum(stock_prev) over w as stock_12m,
        count(stock_prev) over w = 12 and count(ltb_entries) over w = 12 as has_history
    from base
    window w as (partition by team_id order by month rows between 11 preceding and current row)
),

final as (
    select
        team_id,
        month,
        r.metric_id,
        case when has_history and stock_12m > 0 then 100.0 * r.events / stock_12m end as value,
        case when has_history then r.events end::double as numerator,
        case when has_history then stock_12m end::double as denominator
    from windowed,
        lateral (values ('ltb_entry_rate_12m', entries_12m), ('ltb_exit_rate_12m', exits_12m)) as r(metric_id, events)
)

select * from final
