/* ---
kind: metric
depends_on: [core.person_month, core.team_month, core.params]
grain: [team_id, month, metric_id]
metrics:
  - id: no_contact_90d_rate
    label_de: Anteil ohne Kontakt in den letzten 90 Tagen
    label_en: Share without contact in the last 90 days
    unit: percent
    direction: lower_better
    theme_de: Fallverläufe
    display_order: 160
    key_figure: true
    team_table: true
    goal_kind: level
    protected_by: denominator
    protect: {numerator: {atom: own}, denominator: {atom: elb_stock}, complement: true}
    definition_de: >
      Definition: Anteil der eLb im Bestand, mit denen es in den 90 Tagen bis zum Stichtag
      (Monatsletzter, mitgezählt) keinen erfassten Kontakt gab, in Prozent.

      Zähler: eLb im Bestand ohne Kontakt beliebiger Art vom 89. Tag vor dem Stichtag bis
      zum Stichtag.

      Nenner: eLb-Bestand am Stichtag.

      Team: das Team am Stichtag; ein Kontakt zählt, gleich welches Team ihn hatte.

      Besonderheiten: Ein niedriger Wert ist gut. Die Kennzahl hilft, Personen nicht aus
      dem Blick zu verlieren; sie bewertet nicht die Qualität der Gespräche. Kein Wert bei
      einem Bestand von 0, und kein Wert in den ersten beiden Monaten der Daten, solange die
      90 Tage vor dem Stichtag vor den Datenbeginn reichen: Kontakte vor dem ersten Monat
      stehen nicht im Export, der Anteil wäre zu hoch.

      Offizielles Pendant: keines; eine Prozesskennzahl der eigenen Fallarbeit.
--- */
with counted as (
    select
        case when grouping(team_id) = 1 then '__all__' else team_id end as team_id,
        month,
        count(*) filter (where no_contact_90d) as without_contact
    from core.person_month
    group by grouping sets ((team_id, month), (month))
),

measurable as (   -- spec v2: NULL while d(M) - 89 < start (contacts before the first month are not in the data)
    select tm.*, last_day(tm.month) - 89 >= p.start_date as window_inside
    from core.team_month tm
    cross join core.params p
),

final as (
    select
        tm.team_id,
        tm.month,
        'no_contact_90d_rate' as metric_id,
        case when window_inside then 100.0 * coalesce(c.without_contact, 0) / nullif(tm.elb_stock, 0) end
            as value,
        case when window_inside then coalesce(c.without_contact, 0)::double end as numerator,
        case when window_inside then tm.elb_stock::double end as denominator
    from measurable tm
    left join counted c on c.team_id = tm.team_id and c.month = tm.month
)

select * from final
