/* ---
kind: metric
depends_on: [core.team_month]
grain: [team_id, month, metric_id]
metrics:
  - id: exits
    label_de: Abgänge (beendete eLb-Leistungszeiträume)
    label_en: Exits (ended employable benefit spells)
    unit: count
    count_noun_de: Abgänge
    direction: neutral
    theme_de: Bestand und Bewegung
    display_order: 30
    key_figure: false
    team_table: false
    goal_kind: cumulative
    protected_by: count
    protect: {numerator: {atom: exits}}
    definition_de: >
      Definition: Zahl der Leistungszeiträume mit „erwerbsfähig = ja“, deren letzter
      Tag in diesem Monat liegt.

      Zähler: diese Leistungszeiträume. Nenner: keiner (Anzahl).

      Team: das Team, dem die Person am letzten Tag des Leistungszeitraums zugeordnet
      ist (ohne Zuordnung an diesem Tag: eine Zuordnung, die in den folgenden 31 Tagen
      beginnt, sonst „ohne Team“).

      Besonderheiten: Gezählt werden Leistungszeiträume, nicht Personen. Endet ein
      Zeitraum am Monatsletzten, zählt die Person an diesem Stichtag noch zum Bestand
      und ist zugleich ein Abgang dieses Monats. Läuft ein zweiter, überlappender
      Zeitraum weiter, ist es trotzdem ein Abgang (siehe Datenqualitätsregel DQ07).
      Der Abgangsgrund wird hier nicht ausgewertet.

      Offizielles Pendant: Abgänge aus dem eLb-Bestand der BA-Statistik; dort nach
      eigenen Regeln bereinigt, hier unmittelbar aus den Leistungszeiträumen.
--- */
with final as (
    select
        team_id,
        month,
        'exits' as metric_id,
        exits::double as value,
        exits::double as numerator,
        null::double as denominator
    from core.team_month
)

select * from final
