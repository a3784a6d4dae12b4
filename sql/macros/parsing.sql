-- Parsing macros used by the staging models. Each returns NULL for a value it
-- cannot read; the loader compares raw and typed values to record those in
-- load_rejects.
--
-- Why the CASE ladders: DuckDB's try_strptime is fast on a match but slow on a
-- miss, so trying a list of formats costs ~10 s per million values. The shape
-- of a value (a '.' without '-' is German; the number of ':' gives the time
-- part) picks the one format to try. {custom_date} is the mapping's
-- `date_format` (tried first) or NULL; the loader checks it against a strict pattern.

CREATE OR REPLACE MACRO clean(v) AS nullif(trim(v), '');

CREATE OR REPLACE MACRO colons(v) AS length(v) - length(replace(v, ':', ''));

CREATE OR REPLACE MACRO is_german_date(v) AS contains(v, '.') AND NOT contains(v, '-');

CREATE OR REPLACE MACRO parse_date(v) AS CAST(coalesce(
    {custom_date},
    CASE WHEN is_german_date(clean(v)) THEN try_strptime(clean(v), '%d.%m.%Y')
         ELSE try_strptime(clean(v), '%Y-%m-%d') END) AS DATE);

CREATE OR REPLACE MACRO parse_datetime(v) AS coalesce(
    {custom_datetime},
    CASE
        WHEN is_german_date(clean(v)) THEN CASE colons(clean(v))
            WHEN 0 THEN try_strptime(clean(v), '%d.%m.%Y')
            WHEN 1 THEN try_strptime(clean(v), '%d.%m.%Y %H:%M')
            ELSE try_strptime(clean(v), '%d.%m.%Y %H:%M:%S') END
        ELSE CASE colons(clean(v))
            WHEN 0 THEN try_strptime(clean(v), '%Y-%m-%d')
            WHEN 1 THEN try_strptime(replace(clean(v), 'T', ' '), '%Y-%m-%d %H:%M')
            ELSE CASE WHEN contains(clean(v), '.')
                      THEN try_strptime(replace(clean(v), 'T', ' '), '%Y-%m-%d %H:%M:%S.%f')
                      ELSE try_strptime(replace(clean(v), 'T', ' '), '%Y-%m-%d %H:%M:%S') END
            END
    END);

CREATE OR REPLACE MACRO parse_bool(v) AS
    CASE
        WHEN lower(clean(v)) IN ('true', '1', 'ja', 'j', 'x', 'yes', 'y', 'wahr') THEN true
        WHEN lower(clean(v)) IN ('false', '0', 'nein', 'n', 'no', 'falsch') THEN false
    END;

CREATE OR REPLACE MACRO parse_int(v) AS
    try_cast(replace(clean(v), '.', '') AS BIGINT);

-- A decimal comma is read as such ("1.234,5" -> 1234.5); a point alone is a decimal point.
CREATE OR REPLACE MACRO parse_float(v) AS
    CASE
        WHEN clean(v) LIKE '%,%' THEN try_cast(replace(replace(clean(v), '.', ''), ',', '.') AS DOUBLE)
        ELSE try_cast(clean(v) AS DOUBLE)
    END;

-- Value recodes from the mapping file (e.g. Geschlecht "männlich" -> "m"); unknown codes stay.
-- The map of a column is looked up once (the subquery does not depend on the row).
CREATE OR REPLACE MACRO recode(tbl, col, v) AS coalesce(
    map_extract((SELECT m.codes FROM raw.value_maps m WHERE m.table_name = tbl AND m.column_name = col),
                clean(v))[1],
    clean(v));
