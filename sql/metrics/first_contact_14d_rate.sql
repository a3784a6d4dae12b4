/* ---
kind: metric
depends_on: [core.team_list, core.calendar, core.params, core.person_day_team]
grain: [team_id, month, metric_id]
metrics:
  - id: first_contact_14d_rate
    label_de: Erstkontakt innerhalb von 14 Tagen
    label_en: First contact within 14 days
    unit: percent
    direction: higher_better
    theme_de: Fallverläufe
    display_order: 140
    key_figure: true
    team_table: false
    goal_kind: level
    protected_by: denominator
    ready_after: 14d  # month M's value exists from then on (the 'not measurable yet' mark)
    protect: {numerator: {atom: own}, denominator: {atom: own}, complement: true}
    definition_de: >
      Definition: Anteil der neuen eLb-Leistungszeiträume eines Monats, bei denen es
      innerhalb von 14 Tagen nach Beginn einen Kontakt gab, in Prozent.

      Zähler: Leistungszeiträume (erwerbsfähig = ja) mit Beginn im Berichtsmonat, für
      deren Person ein Kontakt beliebiger Art (Erstgespräch, Folgegespräch, Telefon,
      Video, schriftlich) vom Tag des Beginns bis 14 Tage danach erfasst ist.

      Nenner: Leistungszeiträume (erwerbsfähig = ja) mit Beginn im Berichtsmonat (die
      Zugänge).

      Team: das Team am ersten Tag des Leistungszeitraums.

      Besonderheiten: Kontakte vor Beginn des Leistungszeitraums zählen nicht. Der Wert
      steht erst fest, wenn auch für Zugänge am Monatsletzten die 14 Tage vorbei sind;
      bis dahin (und wenn es keine Zugänge gab) gibt es keinen Wert.

      Offizielles Pendant: keines; eine Prozesskennzahl der eigenen Fallarbeit („zügiger
      Erstkontakt“).
--- */
with grid as (
    select t.team_id, c.month, c.month_end + 14 <= p.as_of as is_complete
    from core.team_list t
    cross join core.calendar c
    cross join core.params p
),

cohort as (
    select
        s.spell_id,
        s.person_id,
        s.spell_start,
        date_trunc('month', s.spell_start)::date as month,
        coalesce(pdt.team_id, '__unassigned__') as team_id
    from staging.benefit_spells s
    left join core.person_day_team pdt
      on pdt.person_id = s.person_id
     and pdt.day = s.spell_start
    where s.employable
      and s.spell_start is not null
),

contacted as (
    select distinct c.spell_id
    from cohort c
    join staging.contacts k
      on k.person_id = c.person_id
     and k.contact_date between c.spell_start and c.spell_start + 14
),

counted as (
    select
        case when grouping(c.team_id) = 1 then '__all__' else c.team_id end as team_id,
        c.month,
        count(*) as spells,
        count(k.spell_id) as with_contact
    from cohort c
    left join contacted k on k.spell_id = c.spell_id
    group by grouping sets ((c.team_id, c.month), (c.month))
),

final as (
    select
        g.team_id,
        g.month,
        'first_contact_14d_rate' as metric_id,
        case
            when g.is_complete and coalesce(c.spells, 0) > 0 then 100.0 * c.with_contact / c.spells
        end as value,
        case when g.is_complete then coalesce(c.with_contact, 0) end::double as numerator,
        case when g.is_complete then coalesce(c.spells, 0) end::double as denominator
    from grid g
    left join counted c on c.team_id = g.team_id and c.month = g.month
)

select * from final
