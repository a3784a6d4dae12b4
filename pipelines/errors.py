"""Errors that stop a load, worded (in German) for the analyst who has to fix the export."""

from __future__ import annotations


class LoadError(Exception):
    """A problem with the source folder that stops the load before anything changes.

    The message always names the file, where possible the line and column, and
    what was expected, so the analyst can fix the export without a debugger:
    ``persons.csv, Zeile 11713, Spalte „birth_date“: Problem (erwartet: ...)``. The line is printed as a
    plain number (never ``11.713``), so it can be searched for in an editor.
    """

    def __init__(self, file: str, problem: str, *, line: int | None = None, column: str | None = None,
                 expected: str | None = None) -> None:
        self.file, self.problem, self.line, self.column, self.expected = file, problem, line, column, expected
        parts = [file]
        if line is not None:
            parts.append(f"Zeile {int(line)}")
        if column is not None:
            parts.append(f"Spalte „{column}“")
        text = ", ".join(parts) + f": {problem}"
        if expected:
            text += f" (erwartet: {expected})"
        super().__init__(text)


def german_count(n: int) -> str:
    """A count as people read it in German: 12.345 (never for line numbers, which stay plain)."""
    return f"{n:,}".replace(",", ".")


WRITE_FAILURES = ("could not write", "no space left", "file too large", "failed to commit", "read-only file system",
                  "permission denied", "disk quota")


def is_write_failure(exc: BaseException) -> bool:
    """DuckDB reports a full disk with several exception types; the message is what they share."""
    text = str(exc).lower()
    return isinstance(exc, OSError) or any(marker in text for marker in WRITE_FAILURES)
