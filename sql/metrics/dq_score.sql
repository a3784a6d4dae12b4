/* ---
kind: metric
depends_on: []
grain: [team_id, month, metric_id]
metrics:
  - id: dq_score
    label_de: Datenqualitätswert
    label_en: Data quality score
    unit: percent
    direction: higher_better
    theme_de: Datenqualität
    display_order: 180
    key_figure: true
    team_table: true
    goal_kind: level
    protected_by: none
    protect: {}
    definition_de: >
      Definition: Mittelwert der Erfüllungsquoten aller Datenqualitätsregeln (DQ01–DQ16),
      die im Monat für das Team mindestens einen Datensatz geprüft haben, in Prozent. Die
      Erfüllungsquote einer Regel ist 100 × (geprüft − auffällig) / geprüft; jede Regel
      zählt gleich viel, egal wie viele Datensätze sie prüft.

      Zähler: Summe der Erfüllungsanteile (je Regel 0 bis 1) der Regeln mit geprüften
      Datensätzen.

      Nenner: Zahl der Regeln mit mindestens einem geprüften Datensatz.

      Team: Stammdaten-Regeln (DQ01–DQ07) prüfen die eLb im Bestand am Stichtag
      (Monatsletzter), Team am Stichtag; Ereignis-Regeln (DQ08–DQ16) die Datensätze mit
      Ereignisdatum im Monat, Team am Ereignisdatum.

      Besonderheiten: Für das ganze Jobcenter wird jede Regel über alle Datensätze
      gerechnet, nicht über Teams gemittelt. Hat keine Regel etwas geprüft, bleibt der
      Wert leer. Jeder Wert lässt sich über die Fehlerliste (dq_findings) bis zum
      einzelnen Datensatz nachvollziehen; die Korrekturliste des Teams zeigt, was zu
      berichtigen ist. Die Kennzahl ist eine Hilfe für die Teams, keine Bewertung von
      Personen.

      Offizielles Pendant: keines; eigene Kennzahl des Jobcenters.
--- */
-- Reads dq_results (built by the rule runner before any metric). One row per
-- team of core.team_list and complete month; value = 100 × numerator /
-- denominator as for every rate, NULL where no rule has checked > 0.
with grid as (
    select
        t.team_id,
        c.month
    from core.team_list as t
    cross join core.calendar as c
),

pass_shares as (
    select
        team_id,
        month,
        (checked - failed)::double / checked as pass_share
    from dq_results
    where checked > 0
),

per_team as (
    select
        team_id,
        month,
        sum(pass_share) as numerator,
        count(*) as denominator
    from pass_shares
    group by team_id, month
),

final as (
    select
        g.team_id,
        g.month,
        'dq_score' as metric_id,
        case when p.denominator > 0 then 100 * p.numerator / p.denominator end as value,
        coalesce(p.numerator, 0)::double as numerator,
        coalesce(p.denominator, 0)::double as denominator
    from grid as g
    left join per_team as p on p.team_id = g.team_id and p.month = g.month
)

select * from final
