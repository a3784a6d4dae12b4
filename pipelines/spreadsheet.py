"""Text that a spreadsheet would run as a formula, made harmless (CSV and Excel exports for people).

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to Excel and
LibreOffice. German Excel splits a comma-separated file at ``;`` when opened with a double click, and a
careless import splits at tabs or ``|``: so a value ``x;=2+2;y`` written as one field becomes the three cells
``x``, ``=2+2``, ``y``. An apostrophe goes before every formula character that starts the value or follows a
possible separator or line break; Excel shows the text without it.

Numbers are not text: a negative figure (``-2``, a change against last year) stays a number in its numeric
column (docs/loading.md, "Exports in a spreadsheet").
"""

from __future__ import annotations

import re

FORMULA_CHARS = "=+-@\t\r"
SEPARATORS = ";,\t|\r\n"
# zero-width: before a formula character at the start or after a separator (a tab is both, "\t=" gets two)
_UNSAFE = re.compile(r"(?:^|(?<=[;,\t|\r\n]))(?=[=+\-@\t\r])")
UNSAFE_SQL = "(^|[;,\t|\r\n])[=+\\-@\t\r]"  # the same test in DuckDB's regex dialect (no look-behind)


def neutralise(text: str) -> str:
    """``text`` with an apostrophe before every formula character a spreadsheet could see as a cell start."""
    return _UNSAFE.sub("'", text)


def neutralise_value(value: object) -> object:
    """Text neutralised, everything else (numbers, dates, missing) as it is."""
    return neutralise(value) if isinstance(value, str) else value
