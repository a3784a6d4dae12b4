/* ---
kind: metric
depends_on: [core.team_month, core.calendar]
grain: [team_id, month, metric_id]
# Issue 16, item 6: a small team's monthly counts are mostly hidden (fewer than min_cell_size); the sum
# of a quarter is one figure about three times as many events. The Team page shows it where most
# monthly values are hidden ('stands_in_for' names the monthly metric it stands in for). Its numerator
# is declared as the 3-month sum of the monthly atom, so the protection engine treats it and the
# monthly figures as one linked system (no monthly value can be got back by differencing).
# Decision: calendar quarters, not a rolling 3-month sum. Overlapping sums differ by one month in and
# one out (R(M) - R(M-1) = x(M) - x(M-3)); with the visible zero months of a small team that chain gives
# back hidden months, so the engine had to hide most rolling sums as well (18-22 of 24 in the committed
# sample's Fallmanagement team). Quarters share no month and stay visible far more often.
metrics:
  - id: entries_quarter
    label_de: Zugänge im Quartal (neue eLb-Leistungszeiträume)
    label_en: Entries per quarter
    unit: count
    count_noun_de: Zugänge
    direction: neutral
    theme_de: Bestand und Bewegung
    display_order: 21
    key_figure: false
    team_table: false
    goal_kind: level
    goal_capable: false
    stands_in_for: entries
    protected_by: count
    protect: {numerator: {atom: entries, window: 3}}
    definition_de: >
      Definition: Summe der Zugänge (neue Leistungszeiträume mit „erwerbsfähig = ja“) im Kalenderquartal, das mit dem Berichtsmonat
      endet (Wert nur für März, Juni, September und Dezember).

      Zähler: diese Summe. Nenner: keiner (Anzahl).

      Team: wie bei der Monatszahl (Team am ersten Tag des Leistungszeitraums); jeder Monat zählt für das Team, dem das
      Ereignis in diesem Monat zugeordnet ist.

      Besonderheiten: Kein Wert in den übrigen Monaten, für ein Quartal, das vor dem Beginn
      der Daten anfängt, und für das laufende Quartal. Gedacht für kleine Teams, deren
      Monatszahlen meist unter der Mindestzahl liegen und deshalb nicht ausgewiesen werden:
      drei Monate zusammen sind oft groß genug. Kalenderquartale statt gleitender
      Drei-Monats-Summen, weil sich überlappende Summen gegenseitig verraten würden (die
      Differenz zweier Nachbarn ist ein Monat hinein, einer hinaus).

      Offizielles Pendant: keines; eine Glättung der Monatszahl für die Teamsicht.
  - id: exits_quarter
    label_de: Abgänge im Quartal (beendete eLb-Leistungszeiträume)
    label_en: Exits per quarter
    unit: count
    count_noun_de: Abgänge
    direction: neutral
    theme_de: Bestand und Bewegung
    display_order: 31
    key_figure: false
    team_table: false
    goal_kind: level
    goal_capable: false
    stands_in_for: exits
    protected_by: count
    protect: {numerator: {atom: exits, window: 3}}
    definition_de: >
      Definition: Summe der Abgänge (beendete Leistungszeiträume mit „erwerbsfähig = ja“) im Kalenderquartal, das mit dem Berichtsmonat
      endet (Wert nur für März, Juni, September und Dezember).

      Zähler: diese Summe. Nenner: keiner (Anzahl).

      Team: wie bei der Monatszahl (Team am letzten Tag des Leistungszeitraums); jeder Monat zählt für das Team, dem das
      Ereignis in diesem Monat zugeordnet ist.

      Besonderheiten: Kein Wert in den übrigen Monaten, für ein Quartal, das vor dem Beginn
      der Daten anfängt, und für das laufende Quartal. Gedacht für kleine Teams, deren
      Monatszahlen meist unter der Mindestzahl liegen und deshalb nicht ausgewiesen werden:
      drei Monate zusammen sind oft groß genug. Kalenderquartale statt gleitender
      Drei-Monats-Summen, weil sich überlappende Summen gegenseitig verraten würden (die
      Differenz zweier Nachbarn ist ein Monat hinein, einer hinaus).

      Offizielles Pendant: keines; eine Glättung der Monatszahl für die Teamsicht.
  - id: integrations_quarter
    label_de: Integrationen im Quartal
    label_en: Integrations per quarter
    unit: count
    count_noun_de: Integrationen
    direction: neutral  # the monthly metric carries the direction; a quarter sum would repeat it
    theme_de: Bestand und Bewegung
    display_order: 41
    key_figure: false
    team_table: false
    goal_kind: level
    goal_capable: false
    stands_in_for: integrations
    protected_by: count
    protect: {numerator: {atom: integrations, window: 3}}
    definition_de: >
      Definition: Summe der zählenden Integrationen (siehe Kennzahl „Integrationen“) im Kalenderquartal, das mit dem Berichtsmonat
      endet (Wert nur für März, Juni, September und Dezember).

      Zähler: diese Summe. Nenner: keiner (Anzahl).

      Team: wie bei der Monatszahl (Team am Tag der Integration); jeder Monat zählt für das Team, dem das
      Ereignis in diesem Monat zugeordnet ist.

      Besonderheiten: Kein Wert in den übrigen Monaten, für ein Quartal, das vor dem Beginn
      der Daten anfängt, und für das laufende Quartal. Gedacht für kleine Teams, deren
      Monatszahlen meist unter der Mindestzahl liegen und deshalb nicht ausgewiesen werden:
      drei Monate zusammen sind oft groß genug. Kalenderquartale statt gleitender
      Drei-Monats-Summen, weil sich überlappende Summen gegenseitig verraten würden (die
      Differenz zweier Nachbarn ist ein Monat hinein, einer hinaus).

      Offizielles Pendant: keines; eine Glättung der Monatszahl für die Teamsicht.
--- */
with windowed as (
    select
        tm.team_id,
        tm.month,
        c.month_index,
        sum(tm.entries) over w as entries_3m,
        sum(tm.exits) over w as exits_3m,
        sum(tm.integrations) over w as integrations_3m,
        count(*) over w as months_in_window
    from core.team_month tm
    join (select month, row_number() over (order by month) as month_index from core.calendar) c
      on c.month = tm.month
    window w as (partition by tm.team_id order by c.month_index range between 2 preceding and current row)
),

long as (
    unpivot windowed on entries_3m, exits_3m, integrations_3m into name metric value total
),

final as (
    select
        team_id,
        month,
        replace(metric, '_3m', '_quarter') as metric_id,
        case when months_in_window = 3 and month(month) % 3 = 0 then total end::double as value,
        case when months_in_window = 3 and month(month) % 3 = 0 then total end::double as numerator,
        null::double as denominator
    from long
)

select * from final
