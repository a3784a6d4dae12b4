/* ---
kind: metric
depends_on: [core.team_month]
grain: [team_id, month, metric_id]
metrics:
  - id: entries
    label_de: Zugänge (neue eLb-Leistungszeiträume)
    label_en: Entries (new employable benefit spells)
    unit: count
    count_noun_de: Zugänge
    direction: neutral
    theme_de: Bestand und Bewegung
    display_order: 20
    key_figure: false
    team_table: false
    goal_kind: cumulative
    protected_by: count
    protect: {numerator: {atom: entries}}
    definition_de: >
      Definition: Zahl der Leistungszeiträume mit „erwerbsfähig = ja“, die in diesem
      Monat beginnen.

      Zähler: diese Leistungszeiträume. Nenner: keiner (Anzahl).

      Team: das Team, dem die Person am ersten Tag des Leistungszeitraums zugeordnet
      ist (ohne Zuordnung an diesem Tag: eine Zuordnung, die in den folgenden 31 Tagen
      beginnt, sonst „ohne Team“).

      Besonderheiten: Gezählt werden Leistungszeiträume, nicht Personen. Hat eine
      Person zwei sich überschneidende Zeiträume, zählen beide (das ist meist ein
      Erfassungsfehler, den die Datenqualitätsregel DQ07 zeigt).

      Offizielles Pendant: Zugänge in den eLb-Bestand der BA-Statistik; dort nach
      eigenen Regeln bereinigt, hier unmittelbar aus den Leistungszeiträumen.
--- */
with final as (
    select
        team_id,
        month,
        'entries' as metric_id,
        entries::double as value,
        entries::double as numerator,
        null::double as denominator
    from core.team_month
)

select * from final
