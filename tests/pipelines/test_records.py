"""Our own record count (pipelines/records.py) against Python's csv module, on generated files that mix quoted
line breaks, doubled quotes, blank lines (LF and CRLF) and a last record without a line feed, read in blocks
as small as one byte so that every block boundary is crossed."""

from __future__ import annotations

import csv
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.records import index_records, without_blank_lines

RECORD = st.one_of(
    st.sampled_from(["\n", "\r\n"]),  # blank lines
    st.builds(lambda i, end: f"{i};v{i}{end}", st.integers(0, 99), st.sampled_from(["\n", "\r\n"])),
    st.builds(lambda i: f'"x\n\n{i}";"q""\r\n"\n', st.integers(0, 99)),  # line breaks and quotes inside quotes
)


def _python(path: Path) -> list[int]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter=";")
        next(reader)
        lines, start = [], reader.line_num + 1
        for row in reader:
            if row:
                lines.append(start)
            start = reader.line_num + 1
    return lines


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(records=st.lists(RECORD, max_size=30), tail=st.sampled_from(["", "9;z", "\r"]),
       chunk=st.sampled_from([1, 2, 3, 7, 64, 1 << 20]))
def test_the_count_and_lines_match_pythons_reader(tmp_path_factory, records: list[str], tail: str,  # noqa: ANN001
                                                  chunk: int) -> None:
    folder = tmp_path_factory.mktemp("records")
    path = folder / "f.csv"
    path.write_bytes(("a;b\n" + "".join(records) + tail).encode("utf-8"))
    index = index_records(path, chunk)
    assert list(index.lines) == _python(path)
    compact = without_blank_lines(path, index.blank_runs, folder / "g.csv")
    with compact.open(encoding="utf-8", newline="") as a, path.open(encoding="utf-8", newline="") as b:
        assert list(csv.reader(a, delimiter=";")) == [row for row in csv.reader(b, delimiter=";") if row]
    assert index.blank_lines == records.count("\n") + records.count("\r\n") + (tail == "\r")
