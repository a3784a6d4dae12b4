/* ---
kind: metric
depends_on: [core.team_month]
grain: [team_id, month, metric_id]
metrics:
  - id: integrations
    label_de: Integrationen
    label_en: Integrations into work or training
    unit: count
    count_noun_de: Integrationen
    direction: higher_better
    theme_de: Bestand und Bewegung
    display_order: 40
    key_figure: true
    team_table: true
    goal_kind: cumulative
    protected_by: count
    protect: {numerator: {atom: integrations}}
    definition_de: >
      Definition: Zahl der Integrationen in diesem Monat, die zählen. Eine Integration
      ist die Aufnahme einer sozialversicherungspflichtigen Beschäftigung, einer
      voll qualifizierenden Ausbildung oder einer selbständigen Tätigkeit. Sie zählt,
      wenn die Person am Stichtag des Vormonats oder am Tag der Integration eLb war
      (so prüft es auch die amtliche Statistik; Neuzugänge werden über den Tag der
      Integration erfasst). Je Person zählt höchstens eine Integration pro Monat: die
      früheste (bei gleichem Datum die mit der kleinsten Integrations-ID).

      Zähler: diese Integrationen. Nenner: keiner (Anzahl).

      Team: das Team, dem die Person am Tag der Integration zugeordnet ist.

      Besonderheiten: Integrationen von Personen, die in diesem Zeitraum nie eLb waren,
      zählen nicht; sie erscheinen als Datenqualitätsbefund DQ10.

      Offizielles Pendant: Integrationen nach § 5 der Kennzahlen-Verordnung zu § 48a
      SGB II (Grundlage der Kennzahl K2); dort für das ganze Jobcenter mit drei Monaten
      Wartezeit, hier je Team sofort nach Monatsende.
--- */
with final as (
    select
        team_id,
        month,
        'integrations' as metric_id,
        integrations::double as value,
        integrations::double as numerator,
        null::double as denominator
    from core.team_month
)

select * from final
