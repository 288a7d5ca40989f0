"""CSV that a spreadsheet opens without running anything, and reads back to the same values.

A spreadsheet takes a cell starting with ``= + - @`` (and, in some, a tab or a carriage
return) as a formula: ``=HYPERLINK(…)`` or ``=cmd|' /C calc'!A0`` in a label would run
when the export is opened. OWASP's advice is to prefix such a cell with a single quote,
which the spreadsheet shows as text. The export protects every such cell — phone
numbers too: ``+49891234567`` is written ``'+49891234567`` (still readable, never a
formula or a number with its ``+`` lost).

So that import reads an export back to the same values, the prefix is reversible: a
value that already starts with quotes followed by one of those characters gets one more
quote, and ``unprotect`` removes exactly one quote from a cell of that shape. Any other
value (``'quoted'``, ``O'Brien``) is written and read as it is.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FIELD_LIMIT = csv.field_size_limit()  # 131,072 characters: far beyond any real field


def _needs_quote(text: str) -> bool:
    return text.lstrip("'").startswith(FORMULA_STARTS)


def protect(value: object) -> str:
    """The cell as written: a single quote before anything a spreadsheet would run."""
    text = "" if value is None else str(value)
    return "'" + text if _needs_quote(text) else text


def unprotect(cell: str | None) -> str:
    """The value ``protect`` wrote as ``cell`` (cells it did not change come back as they are)."""
    cell = cell or ""
    if cell.startswith("'") and _needs_quote(cell):
        return cell[1:]
    return cell


def write_csv(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    """The rows as CSV text, every cell protected."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([protect(h) for h in header])
    writer.writerows([protect(v) for v in row] for row in rows)
    return out.getvalue()


class CsvLineError(ValueError):
    """A record the CSV reader could not read (a field over the limit, …)."""


def read_csv(text: str) -> tuple[list[str], Iterator[tuple[int, dict[str, str] | CsvLineError]]]:
    """The header (casefolded) and, lazily, each record as (first line, {column: value}).

    Values are unprotected. A record the reader refuses (a field longer than
    ``FIELD_LIMIT`` characters) comes as (line, CsvLineError) and reading goes on with
    the next line, so one bad line never costs the good ones. Empty lines are skipped.
    """
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader, [])
    except csv.Error as exc:
        raise CsvLineError(f"line 1 (the header row): {_why(exc)}") from None
    names = [unprotect(h).strip().casefold() for h in header]

    def records() -> Iterator[tuple[int, dict[str, str] | CsvLineError]]:
        last = reader.line_num
        while True:
            start = last + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                last = reader.line_num
                yield start, CsvLineError(_why(exc))
                continue
            last = reader.line_num
            if row:
                yield start, {name: unprotect(v) for name, v in zip(names, row, strict=False)}

    return names, records()


def _why(exc: csv.Error) -> str:
    if "field larger than field limit" in str(exc):
        return f"a field is longer than {FIELD_LIMIT:,} characters: the line was not read"
    return f"not readable as CSV ({exc})"
