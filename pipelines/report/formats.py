"""German number, month and change formats (pure functions, shared by pages and charts)."""

from __future__ import annotations

import datetime as dt
import math

MONTHS_DE = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
             "November", "Dezember"]
MONTHS_SHORT_DE = ["Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.",
                   "Dez."]  # the Duden's abbreviations
UNIT_SUFFIX = {"percent": " %", "per_100": ""}
STATUS_DE = {"on_track": "auf Kurs", "watch": "im Blick behalten", "behind": "Unterstützung sinnvoll"}
DIRECTION_DE = {"lower_better": "niedriger ist besser", "higher_better": "höher ist besser"}


def attainment_text(attainment: object, status: object) -> str:
    """The Erreichung of a goal: a percentage, or "Ziel erreicht" where a lower-better goal's actual is 0
    (spec v2: the attainment target / 0 has no value, the status compares directly and is on track)."""
    if not missing(attainment):
        return f"{format_number(float(attainment), 1)} %"  # type: ignore[arg-type]
    return "Ziel erreicht" if status == "on_track" else "–"


def month_short(month: dt.date) -> str:
    """A month on a chart axis: "Jan. 2025"."""
    return f"{MONTHS_SHORT_DE[month.month - 1]} {month.year}"


def goal_actual_label(kind: str | None, as_of: dt.date) -> str:
    """What a goal's ``actual`` is, by its kind (metrics.md, Goals), so that it never stands under the same
    name as the month's value of the metric: "Jahresfortschrittswert Jan.–Okt." against "Integrationsquote"."""
    span = f"{MONTHS_SHORT_DE[0]}–{MONTHS_SHORT_DE[as_of.month - 1]} {as_of.year}" if as_of.month > 1 else \
        month_short(as_of)
    return {"cumulative": f"Summe {span}", "progress": f"Jahresfortschrittswert {span}",
            "average": f"Ø {span}"}.get(kind or "", f"Wert {month_short(as_of)}")


MINUS = "\u2212"  # the minus sign of typography, not the hyphen
HIDDEN_MARK = "–"  # fewer than min_cell_size persons: hidden to protect social data
NO_DATA_MARK = "keine Daten"  # nothing to measure (no persons in the group, not enough history)


def ready_on(ready_after: object, month: dt.date) -> dt.date | None:
    """The day from which month ``month``'s value of a metric can exist (catalog ``ready_after``): "14d" is the
    month end + 14 days (a first contact within 14 days of an entry on the 31st), "3m" the end of the third
    month after (still out of benefit three months later); None when the value exists with the month."""
    text = str(ready_after or "")
    if len(text) < 2 or not text[:-1].isdigit() or text[:-1] == "0":
        return None
    n, unit = int(text[:-1]), text[-1]
    end = (dt.date(month.year + month.month // 12, month.month % 12 + 1, 1) - dt.timedelta(days=1))
    if unit == "d":
        return end + dt.timedelta(days=n)
    first = month.month - 1 + n + 1
    year, nxt = month.year + first // 12, first % 12 + 1
    return dt.date(year, nxt, 1) - dt.timedelta(days=1)


def empty_mark(*, suppressed: bool, ready: dt.date | None, as_of: dt.date | None) -> str:
    """The text for a figure that is not shown, one for each of the three reasons (item 5 of issue 16)."""
    if suppressed:
        return HIDDEN_MARK
    if ready is not None and (as_of is None or ready > as_of):
        return f"offen (ab {ready:%d.%m.})"
    return NO_DATA_MARK


EMPTY_LEGEND = ("„–“: weniger als {k} Personen, zum Schutz der Sozialdaten nicht ausgewiesen · „offen (ab …)“: "
                "noch nicht messbar, der Wert entsteht an dem genannten Tag · „keine Daten“: im Monat gibt es "
                "nichts zu messen (keine Personen in der Gruppe oder noch zu wenig Vorlauf)")


def missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return math.isnan(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True


def format_number(value: float | None, decimals: int | None = None) -> str:
    """German format: 1.234,5; '–' for missing values."""
    if missing(value):
        return "–"
    value = float(value)  # type: ignore[arg-type]
    if decimals is None:
        decimals = 0 if value.is_integer() else 1
    text = f"{value:,.{decimals}f}"
    # a proper minus sign (U+2212) in what people read; machine-readable exports never come through here
    return text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".").replace("-", MINUS)


def decimals_for(unit: str | None) -> int:
    return 0 if unit == "count" else 1


def delta_color(direction: str | None, change: str | None) -> str:
    """``st.metric`` colour for a change, by the metric's direction, without shouting.

    An improvement is green, a change the other way a soft orange (never red), and
    a neutral metric or no change grey. The arrow still shows up or down.
    """
    if not change or change.startswith("±") or direction not in ("higher_better", "lower_better"):
        return "gray"
    rising = not change.startswith(("-", MINUS))
    return "green" if rising == (direction == "higher_better") else "orange"


def format_value(value: float | None, unit: str | None) -> str:
    """A metric value with its unit: ``12,3 %``, ``1.234``, ``47,6``."""
    if missing(value):
        return "–"
    return format_number(value, decimals_for(unit)) + UNIT_SUFFIX.get(unit or "", "")


def format_signed(value: float, decimals: int) -> str:
    text = format_number(abs(value), decimals)
    if round(abs(value), decimals) == 0:
        return "±" + text
    return ("+" if value > 0 else MINUS) + text


def metric_delta(change: str | None) -> str | None:
    """A change for ``st.metric``, which reads the direction of its arrow from a leading ASCII "-"."""
    return change.replace(MINUS, "-", 1) if change and change.startswith(MINUS) else change


def format_change(current: float | None, previous: float | None, unit: str | None,
                  short: bool = False) -> str | None:
    """Change against an earlier value: ``+1,2 Pp.`` for rates, ``+12 (+3,4 %)`` for counts (``+12`` if
    ``short``); None if either value is unknown."""
    if missing(current) or missing(previous):
        return None
    diff = float(current) - float(previous)  # type: ignore[arg-type]
    if unit == "percent":
        return format_signed(diff, 1) + " Pp."
    if unit == "count":
        text = format_signed(diff, 0)
        if float(previous) and not short:  # type: ignore[arg-type]
            text += f" ({format_signed(100 * diff / float(previous), 1)} %)"  # type: ignore[arg-type]
        return text
    return format_signed(diff, 1)


def month_label(month: dt.date) -> str:
    """``Juni 2024``."""
    return f"{MONTHS_DE[month.month - 1]} {month.year}"


def format_date(value: object) -> str:
    """``20.09.2023``; '–' for missing."""
    if value is None or (not isinstance(value, str) and missing_date(value)):
        return "–"
    return f"{value:%d.%m.%Y}"


def format_datetime(value: object) -> str:
    if value is None or missing_date(value):
        return "–"
    return f"{value:%d.%m.%Y %H:%M}"


def missing_date(value: object) -> bool:
    try:
        import pandas as pd

        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def month_key(month: dt.date) -> str:
    """The month as it appears in the URL: ``2024-06``."""
    return f"{month:%Y-%m}"


_MARKDOWN_SPECIAL = "\\`*_{}[]<>()#+-.!|~$:"
_MARKDOWN_INLINE = "\\`*_[]<>#!|~$:"  # active inside a line: links, images, emphasis, HTML, emoji, colour, math


def inline(text: str) -> str:
    """Text from data set into a line of our own (``Team {name}``) so that Markdown shows it literally.

    Lighter than ``plain``: parentheses, dots and dashes start nothing in the middle of a line, so a team
    name such as "U25 Nord (T01)" stays as written in the page's source.
    """
    return "".join(f"\\{c}" if c in _MARKDOWN_INLINE else c for c in text.replace("\r", " ").replace("\n", " "))


def plain(text: str) -> str:
    """``text`` escaped so that Streamlit's Markdown shows it literally (no links, images, emphasis or emoji
    shortcodes); for every text that comes from a file, a claim or a URL rather than from us."""
    return "".join(f"\\{c}" if c in _MARKDOWN_SPECIAL else c for c in text.replace("\r", " ").replace("\n", " "))


def _months_text(months: list[dt.date], quarters: bool = False) -> str:
    if len(months) <= 3:
        return ", ".join(f"{(m.month - 1) // 3 + 1}. Quartal {m.year}" if quarters else month_short(m)
                         for m in months)
    return f"{len(months)} {'Quartale' if quarters else 'Monate'}"


def gap_note(series, end: dt.date, months: int, ready_after: object, as_of: dt.date | None,  # noqa: ANN001
             k: int, quarters: bool = False) -> str | None:
    """Why a chart of ``months`` months up to ``end`` has gaps, one reason each (item 5 of issue 16).

    ``series``: one metric's protected rows (``month, value, suppressed``). A gap is hidden for privacy
    ("–"), not measurable yet ("offen (ab …)", from ``ready_after``), or has nothing to measure ("keine
    Daten"); None when the chart has no gap. ``quarters``: the series holds quarter sums (in the quarters'
    last months), named as quarters ("2. Quartal 2025", "7 Quartale").
    """
    hidden: list[dt.date] = []
    pending: list[tuple[dt.date, dt.date]] = []
    empty: list[dt.date] = []
    first = (end.replace(day=1).year * 12 + end.month - 1) - (months - 1)
    for row in series.itertuples(index=False):
        month = row.month.date() if hasattr(row.month, "date") else row.month
        if month.year * 12 + month.month - 1 < first or month > end or not missing(row.value):
            continue
        ready = ready_on(ready_after, month)
        if bool(getattr(row, "suppressed", False)):
            hidden.append(month)
        elif ready is not None and (as_of is None or ready > as_of):
            pending.append((month, ready))
        else:
            empty.append(month)
    parts = []
    if hidden:
        parts.append(f"{_months_text(sorted(hidden), quarters)}: „{HIDDEN_MARK}“, weniger als {k} Personen, zum "
                     "Schutz der Sozialdaten nicht ausgewiesen")
    for month, ready in sorted(pending):
        parts.append(f"{month_short(month)}: „offen (ab {ready:%d.%m.})“, noch nicht messbar")
    if empty:
        parts.append(f"{_months_text(sorted(empty), quarters)}: „{NO_DATA_MARK}“, nichts zu messen")
    return "Lücken im Verlauf – " + " · ".join(parts) if parts else None
