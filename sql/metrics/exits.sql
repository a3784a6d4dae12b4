/* ---
kind: metric
depends_on: [core.team_list, core.calendar, core.person_day_team]
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
with grid as (
    select t.team_id, c.month
    from core.team_list t
    cross join core.calendar c
),

events as (
    select
        coalesce(pdt.team_id, '__unassigned__') as team_id,
        date_trunc('month', s.spell_end)::date as month
    from staging.benefit_spells s
    left join core.person_day_team pdt
      on pdt.person_id = s.person_id
     and pdt.day = s.spell_end
    where s.employable
      and s.spell_end is not null
),

counted as (
    select
        case when grouping(team_id) = 1 then '__all__' else team_id end as team_id,
        month,
        count(*) as n
    from events
    group by grouping sets ((team_id, month), (month))
),

final as (
    select
        g.team_id,
        g.month,
        'exits' as metric_id,
        coalesce(c.n, 0)::double as value,
        coalesce(c.n, 0)::double as numerator,
        null::double as denominator
    from grid g
    left join counted c on c.team_id = g.team_id and c.month = g.month
)

select * from final
