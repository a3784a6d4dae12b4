/* ---
kind: metric
depends_on: [core.team_month, core.params]
grain: [team_id, month, metric_id]
metrics:
  - id: integration_progress_ytd
    label_de: Jahresfortschrittswert der Integrationsquote
    label_en: Integration rate, year-to-date progress
    unit: percent
    direction: higher_better
    theme_de: SGB-II-Kennzahlen
    display_order: 60
    key_figure: true
    team_table: false
    goal_kind: level
    goal_capable: false   # the target belongs on integration_rate_12m, which this tracks
    protected_by: denominator
    protect: {numerator: {atom: integrations, since: january}, denominator: {atom: elb_stock, since: december, lag: 1, mean: true}}
    definition_de: >
      Definition: die bisher im laufenden Jahr erreichte Integrationsquote, in Prozent.
      Sie wächst im Lauf des Jahres und erreicht im Dezember die Integrationsquote des
      Jahres.

      Zähler: zählende Integrationen von Januar bis zum Berichtsmonat.

      Nenner: durchschnittlicher eLb-Bestand von Dezember des Vorjahres bis zum Vormonat
      des Berichtsmonats (um einen Monat versetzt wie bei der Integrationsquote; für März
      also der Bestand Dezember bis Februar).

      Team: Integrationen nach dem Team am Tag der Integration, Bestände nach dem Team am
      Stichtag.

      Besonderheiten: Kein Wert, solange die Daten nicht bis Dezember des Vorjahres
      zurückreichen, und kein Wert bei einem durchschnittlichen Bestand von 0. Der Wert
      ist die Grundlage, um den Stand im Jahr mit dem Jahresziel zu vergleichen.

      Offizielles Pendant: Jahresfortschrittswert (JFW) der Integrationsquote K2 aus dem
      Zielsteuerungsprozess nach § 48b SGB II; dort für das ganze Jobcenter mit drei
      Monaten Wartezeit, hier je Team.
--- */
with base as (
    select
        team_id,
        month,
        integrations,
        lag(elb_stock) over (partition by team_id order by month) as stock_prev  -- stock(M-1)
    from core.team_month
),

year_to_date as (
    select
        team_id,
        month,
        sum(integrations) over w as integrations_ytd,   -- January .. M
        avg(stock_prev) over w as mean_stock            -- stock(December Y-1) .. stock(M-1)
    from base
    window w as (partition by team_id, year(month) order by month rows unbounded preceding)
),

final as (
    select
        y.team_id,
        y.month,
        'integration_progress_ytd' as metric_id,
        case when h.has_history and y.mean_stock > 0 then 100 * y.integrations_ytd / y.mean_stock end as value,
        case when h.has_history then y.integrations_ytd end::double as numerator,
        case when h.has_history then y.mean_stock end::double as denominator
    from year_to_date y
    cross join core.params p
    -- the window starts at December of the previous year, which must not lie before start
    cross join lateral (select make_date(year(y.month) - 1, 12, 1) >= p.start_date as has_history) h
)

select * from final
