/* ---
kind: metric
depends_on: [core.team_month]
grain: [team_id, month, metric_id]
metrics:
  - id: elb_change_yoy
    label_de: Veränderung der Zahl der eLb zum Vorjahresmonat
    label_en: Change in employable benefit recipients year on year
    unit: percent
    direction: lower_better
    theme_de: Leistungen (K1)
    display_order: 230
    key_figure: false
    team_table: false
    goal_kind: level
    signed: true          # can be below 0: its forecast interval does not stop at 0
    protected_by: denominator
    protect: {numerator: {atom: elb_stock, minus_lag: 12}, denominator: {atom: elb_stock, lag: 12}}
    definition_de: >
      Definition: wie stark sich der eLb-Bestand gegenüber dem gleichen Monat des Vorjahres
      verändert hat, in Prozent. Ein negativer Wert heißt: weniger eLb als vor einem Jahr.

      Zähler: eLb-Bestand im Berichtsmonat minus eLb-Bestand im Vorjahresmonat.

      Nenner: eLb-Bestand im Vorjahresmonat.

      Team: beide Bestände nach dem Team am jeweiligen Stichtag (Monatsletzter).

      Besonderheiten: Kein Wert, solange die Daten nicht bis zum Vorjahresmonat
      zurückreichen, und kein Wert bei einem Vorjahresbestand von 0. Wechseln Personen das
      Team, verändert das auch den Bestand des Teams.

      Offizielles Pendant: Ergänzungsgröße K1E2 „Veränderung der Zahl der erwerbsfähigen
      Leistungsberechtigten“ nach § 48a SGB II; dort für das ganze Jobcenter mit drei
      Monaten Wartezeit, hier je Team.
  - id: elb_entry_rate_12m
    label_de: Zugangsrate eLb (12 Monate)
    label_en: Entry rate of employable benefit recipients (12 months)
    unit: percent
    direction: neutral
    theme_de: Leistungen (K1)
    display_order: 240
    key_figure: false
    team_table: false
    goal_kind: level
    protected_by: denominator
    protect: {numerator: {atom: entries, window: 12}, denominator: {atom: elb_stock, window: 12, lag: 1}}
    definition_de: >
      Definition: durchschnittlicher Anteil der Zugänge am eLb-Bestand je Monat über die
      letzten zwölf Monate, in Prozent.

      Zähler: Summe der Zugänge (siehe Kennzahl „Zugänge“) im Berichtsmonat und in den elf
      Monaten davor.

      Nenner: Summe des eLb-Bestands über zwölf Monate, um einen Monat versetzt (für März:
      die Bestände März bis Februar). Geteilt wird durch die Summe, nicht durch den
      Durchschnitt: Das Ergebnis ist eine durchschnittliche Monatsrate, anders als bei der
      Integrationsquote.

      Team: Zugänge nach dem Team am ersten Tag des Leistungszeitraums, Bestände nach dem
      Team am Stichtag.

      Besonderheiten: Kein Wert, solange die Daten keine zwölf Monate vor den
      Berichtsmonat zurückreichen, und kein Wert bei einem Bestand von 0. Gezählt werden
      Leistungszeiträume wie bei den Zugängen.

      Offizielles Pendant: Ergänzungsgröße K1E3 „durchschnittliche Zugangsrate
      erwerbsfähiger Leistungsberechtigter“ nach § 48a SGB II; dort für das ganze
      Jobcenter, hier je Team.
  - id: elb_exit_rate_12m
    label_de: Abgangsrate eLb (12 Monate)
    label_en: Exit rate of employable benefit recipients (12 months)
    unit: percent
    direction: higher_better
    theme_de: Leistungen (K1)
    display_order: 250
    key_figure: false
    team_table: false
    goal_kind: level
    protected_by: denominator
    protect: {numerator: {atom: exits, window: 12}, denominator: {atom: elb_stock, window: 12, lag: 1}}
    definition_de: >
      Definition: durchschnittlicher Anteil der Abgänge am eLb-Bestand je Monat über die
      letzten zwölf Monate, in Prozent.

      Zähler: Summe der Abgänge (siehe Kennzahl „Abgänge“) im Berichtsmonat und in den elf
      Monaten davor.

      Nenner: Summe des eLb-Bestands über zwölf Monate, um einen Monat versetzt (für März:
      die Bestände März bis Februar); eine durchschnittliche Monatsrate wie die
      Zugangsrate.

      Team: Abgänge nach dem Team am letzten Tag des Leistungszeitraums, Bestände nach dem
      Team am Stichtag.

      Besonderheiten: Kein Wert, solange die Daten keine zwölf Monate vor den
      Berichtsmonat zurückreichen, und kein Wert bei einem Bestand von 0.

      Offizielles Pendant: Ergänzungsgröße K1E4 „durchschnittliche Abgangsrate
      erwerbsfähiger Leistungsberechtigter“ nach § 48a SGB II; dort für das ganze
      Jobcenter, hier je Team.
--- */
-- K1E2: stock against the stock twelve months earlier. K1E3 / K1E4: flows over M-11..M
-- divided by the *sum* of the stock over M-12..M-1 (an average monthly rate; metrics.md v2),
-- a value only where the stock is defined for all twelve months M-12..M-1.
with base as (
    select
        team_id,
        month,
        elb_stock,
        entries,
        exits,
        lag(elb_stock, 12) over (partition by team_id order by month) as stock_year_before,
        lag(elb_stock) over (partition by team_id order by month) as stock_prev
    from core.team_month
),

windowed as (
    select
        *,
        sum(entries) over w as entries_12m,
        sum(exits) over w as exits_12m,
        sum(stock_prev) over w as stock_12m,
        count(stock_prev) over w = 12 as has_history
    from base
    window w as (partition by team_id order by month rows between 11 preceding and current row)
),

change as (
    select
        team_id,
        month,
        'elb_change_yoy' as metric_id,
        100.0 * (elb_stock - stock_year_before) / nullif(stock_year_before, 0) as value,
        (elb_stock - stock_year_before)::double as numerator,
        stock_year_before::double as denominator
    from windowed
),

rates as (
    select
        team_id,
        month,
        r.metric_id,
        case when has_history and stock_12m > 0 then 100.0 * r.events / stock_12m end as value,
        case when has_history then r.events end::double as numerator,
        case when has_history then stock_12m end::double as denominator
    from windowed,
        lateral (values ('elb_entry_rate_12m', entries_12m), ('elb_exit_rate_12m', exits_12m)) as r(metric_id, events)
),

final as (
    select * from change
    union all
    select * from rates
)

select * from final
