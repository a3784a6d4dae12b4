/* ---
kind: table
name: marts.goal_forecast
depends_on: [marts.goal_kind, core.calendar, core.team_list]   # and metric_values
grain: [team_id, metric_id, month]
description: >
  For every team (and __all__), metric and complete month A: the goal's `actual` as of A, the
  seasonal share of the year that January..A held in earlier complete years, the December
  forecast with its 80 % interval, and (for complete years) what December brought. goal_status
  reads the row of the latest month of a target's year; goal_backtest reads the rows of past
  complete years.
--- */
-- Prognose des Jahresendwerts (Steckbrief; ausführlich in docs/goals.md)
--
--   Hochrechnung: Bei Anzahlen (Integrationen, Zugänge, Abgänge) und beim
--   Jahresfortschrittswert der Integrationsquote teilen wir den bisherigen Ist-Wert durch den
--   Anteil, den Januar bis A in den früheren vollständigen Jahren im Mittel am Jahresergebnis
--   des ganzen Jobcenters hatten (ohne Vorjahr: A/12); beim LZB-Jahresdurchschnitt bleibt der
--   Bestand in den restlichen Monaten auf dem Stand von A, bei allen anderen Kennzahlen gilt der
--   Wert von A als Dezemberwert.
--   Spanne (80 %): Dieselbe Hochrechnung haben wir für jedes frühere vollständige Jahr im
--   selben Monat gemacht; so weit, wie 80 % dieser Hochrechnungen (alle Teams der Kennzahl) vom
--   tatsächlichen Dezemberwert entfernt lagen, reicht die Spanne relativ nach oben und unten.
--   Solange es weniger als 5 solcher Vergleiche gibt, gilt eine feste Breite (fallback, unten).
--   Bei Anzahlen beginnt die Spanne nie unter dem schon Erreichten.
--
-- Decisions:
-- * Out of sample: the forecast and interval of year Y use only complete years before Y, for
--   the current year and in the backtest alike (goal_backtest).
-- * The forecast uses the job center's seasonal pattern (team __all__) for every team: a team's
--   own monthly shares over two or three years are mostly noise (12,000-person sample, integrations
--   2024/2025: MAPE 39/15 % with the team's own shares, 10/9 % with the job center's).
--   expected_seasonal in goal_status keeps the team's own shares, as metrics.md prescribes.
-- * The interval is symmetric (the 80th percentile of |relative error|): with two or three
--   earlier years a 10 %/90 % pair would mostly describe one unusual year.
with settings as (
    select 5 as min_errors          -- fewer earlier errors than this: the fallback width below
),

fallback as (   -- relative half-width of the 80 % interval while there are too few earlier errors
    select * from (values
        -- kind, half-width in January, shape: shrinks to 0 at December linearly or with the square root
        ('cumulative', 0.40, 'linear'),
        ('progress', 0.40, 'linear'),
        ('average', 0.15, 'linear'),
        ('level', 0.30, 'sqrt')
    ) as t(kind, january_width, shape)
),

kinds as (
    select * from marts.goal_kind
),

teams as (
    select team_id from core.team_list where team_id <> '__unassigned__'
),

months as (
    select month, year(month)::integer as year, month(month)::integer as month_no
    from core.calendar
),

complete_years as (
    select year from months group by year having count(*) = 12
),

grid as (
    select t.team_id, k.metric_id, k.kind, k.signed, k.tracked_metric_id, k.share_metric_id, m.year, m.month_no,
        m.month
    from teams t
    cross join kinds k
    cross join months m
),

valued as (
    select
        g.*,
        v.value,
        s.value as share_value
    from grid g
    left join metric_values v
        on v.team_id = g.team_id and v.month = g.month and v.metric_id = g.tracked_metric_id
    left join metric_values s
        on s.team_id = g.team_id and s.month = g.month and s.metric_id = g.share_metric_id
),

running as (
    select
        *,
        count(value) over w as months_with_value,       -- of January..A, in the data and not NULL
        sum(value) over w as value_sum,
        avg(value) over w as value_mean,
        count(share_value) over w as months_with_share,
        sum(share_value) over w as share_sum
    from valued
    window w as (partition by team_id, metric_id, year order by month rows unbounded preceding)
),

path as (
    select
        team_id,
        metric_id,
        kind,
        signed,
        year,
        month_no,
        month,
        value as value_in_month,
        -- a sum or mean January..A needs every one of those months (else NULL, not a partial figure)
        case kind
            when 'cumulative' then case when months_with_value = month_no then value_sum end
            when 'average' then case when months_with_value = month_no then value_mean end
            else value
        end as actual,
        case when months_with_share = month_no then share_sum end as share_sum
    from running
),

year_totals as (
    select team_id, metric_id, year, share_sum as share_total, actual as year_end
    from path
    where month_no = 12 and year in (select year from complete_years)
),

shares as (   -- share of the year's total that January..month_no held, per earlier complete year
    select p.team_id, p.metric_id, p.year, p.month_no, p.share_sum / t.share_total as share
    from path p
    join year_totals t using (team_id, metric_id, year)
    where t.share_total <> 0
),

seasonal as (
    select
        p.team_id,
        p.metric_id,
        p.month,
        avg(s.share) as seasonal_share,
        count(s.share) as seasonal_years
    from path p
    left join shares s
        on s.team_id = p.team_id and s.metric_id = p.metric_id and s.month_no = p.month_no and s.year < p.year
    where p.kind in ('cumulative', 'progress')
    group by all
),

center_seasonal as (   -- the job center's shares, used for every team's forecast
    select s.metric_id, s.month, s.seasonal_share as center_share
    from seasonal s
    where s.team_id = '__all__'
),

point as (
    select
        p.*,
        s.seasonal_share,
        coalesce(s.seasonal_years, 0) as seasonal_years,
        c.center_share,
        y.year_end,
        case p.kind
            when 'cumulative' then p.actual / coalesce(nullif(c.center_share, 0), p.month_no / 12.0)
            when 'progress' then p.actual / coalesce(nullif(c.center_share, 0), p.month_no / 12.0)
            when 'average' then (p.month_no * p.actual + (12 - p.month_no) * p.value_in_month) / 12.0
            else p.actual
        end as forecast
    from path p
    left join seasonal s using (team_id, metric_id, month)
    left join center_seasonal c using (metric_id, month)
    left join year_totals y using (team_id, metric_id, year)
),

errors as (   -- relative error of each forecast made in a complete year before December
    select
        metric_id,
        year,
        month_no,
        (year_end - forecast) / abs(forecast) as rel_error
    from point
    where year in (select year from complete_years)
      and month_no < 12
      and forecast <> 0
      and year_end is not null
),

widths as (   -- the fallback half-width per kind and month
    select
        f.kind,
        m.month_no,
        f.january_width * case f.shape
            when 'linear' then (12 - m.month_no) / 11.0
            else sqrt((12 - m.month_no) / 11.0)
        end as width
    from fallback f
    cross join range(1, 13) m(month_no)
),

spread as (   -- for year Y: the errors of the same metric and month in the years before Y
    select
        p.metric_id,
        p.year,
        p.month_no,
        count(e.rel_error) as n_errors,
        quantile_cont(abs(e.rel_error), 0.8) as q80abs
    from (select distinct metric_id, year, month_no from point) p
    left join errors e on e.metric_id = p.metric_id and e.month_no = p.month_no and e.year < p.year
    group by all
),

bounds as (
    select
        p.*,
        s.n_errors,
        p.month_no < 12 and s.n_errors < st.min_errors as fallback_interval,
        case
            when p.month_no = 12 then p.forecast
            when s.n_errors >= st.min_errors then p.forecast - abs(p.forecast) * s.q80abs
            else p.forecast - abs(p.forecast) * fb.width
        end as low,
        case
            when p.month_no = 12 then p.forecast
            when s.n_errors >= st.min_errors then p.forecast + abs(p.forecast) * s.q80abs
            else p.forecast + abs(p.forecast) * fb.width
        end as high
    from point p
    join spread s using (metric_id, year, month_no)
    cross join settings st
    join widths fb on fb.kind = p.kind and fb.month_no = p.month_no
),

final as (
    select
        team_id,
        metric_id,
        kind,
        year,
        month_no,
        month,
        value_in_month,
        actual,
        seasonal_share,              -- the team's own (-> expected_seasonal)
        seasonal_years,
        center_share,                -- the job center's (-> forecast)
        forecast as forecast_year_end,
        -- a count cannot end the year below what it already has, and no unsigned value below 0
        case
            when kind = 'cumulative' then greatest(low, actual)
            when not signed then greatest(low, 0)
            else low
        end as forecast_low,
        high as forecast_high,
        n_errors,
        fallback_interval,
        year_end
    from bounds
)

select * from final order by metric_id, team_id, month
