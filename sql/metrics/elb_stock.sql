/* ---
kind: metric
depends_on: [core.team_month]
grain: [team_id, month, metric_id]
metrics:
  - id: elb_stock
    label_de: Bestand erwerbsfähiger Leistungsberechtigter (eLb)
    label_en: Stock of employable benefit recipients
    unit: count
    count_noun_de: Personen
    direction: neutral
    theme_de: Bestand und Bewegung
    display_order: 10
    key_figure: true
    team_table: true
    goal_kind: level
    protected_by: count
    protect: {numerator: {atom: elb_stock}}
    definition_de: >
      Definition: Zahl der Personen, die am letzten Tag des Monats (Stichtag) als
      erwerbsfähige Leistungsberechtigte (eLb) im Leistungsbezug stehen, also einen
      Leistungszeitraum mit „erwerbsfähig = ja“ haben, der an diesem Tag läuft.
      Überlappende Leistungszeiträume einer Person zählen nur einmal.

      Zähler: diese Personen. Nenner: keiner (Anzahl).

      Team: das Team, dem die Person am Stichtag zugeordnet ist. Gibt es am Stichtag
      keine Zuordnung, zählt das Team einer Zuordnung, die in den folgenden 31 Tagen
      beginnt; sonst erscheint die Person unter „ohne Team“. „Jobcenter gesamt“ zählt
      jede Person genau einmal.

      Besonderheiten: Der Bestand ist die Bezugsgröße fast aller Quoten. Er sagt nichts
      über gut oder schlecht, sondern zeigt die Fallzahl des Teams.

      Offizielles Pendant: Bestand an eLb der Statistik der Bundesagentur für Arbeit;
      dort mit drei Monaten Wartezeit und für das ganze Jobcenter, hier je Team und
      sofort nach Monatsende aus den eigenen Daten.
--- */
with final as (
    select
        team_id,
        month,
        'elb_stock' as metric_id,
        elb_stock::double as value,
        elb_stock::double as numerator,
        null::double as denominator
    from core.team_month
)

select * from final
