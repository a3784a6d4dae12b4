-- Parsing macros used by the staging models. Each returns NULL for a value it
-- cannot read; the loader compares raw and typed values to record those in
-- load_rejects. {date_formats} is filled by the loader with the formats of the
-- data contract (ISO and German), plus the mapping's `date_format` if given.

CREATE OR REPLACE MACRO clean(v) AS nullif(trim(v), '');

CREATE OR REPLACE MACRO parse_date(v) AS
    CAST(try_strptime(clean(v), [{date_formats}]) AS DATE);

CREATE OR REPLACE MACRO parse_datetime(v) AS
    try_strptime(clean(v), [{datetime_formats}]);

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
CREATE OR REPLACE MACRO recode(tbl, col, v) AS coalesce(
    (SELECT m.target_value FROM raw.value_map m
     WHERE m.table_name = tbl AND m.column_name = col AND m.source_value = clean(v)),
    clean(v));
