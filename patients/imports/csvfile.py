"""Reading the previous system's CSV: pure, no ORM, no clock (house style 3).

What Excel and other systems write: UTF-8 (with or without the byte-order mark Excel puts
first) or Windows-1252 (Excel's "CSV" on Windows), with a comma or a semicolon between cells
(a semicolon where the comma is the decimal separator). The first row names the columns.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass

DELIMITERS = (",", ";")
ENCODING_NAMES = {"utf-8-sig": "UTF-8 (Excel)", "utf-8": "UTF-8", "cp1252": "Windows-1252"}


class Unreadable(ValueError):
    """The file is not a CSV this importer can read; the message says why in plain words."""


@dataclass(frozen=True)
class Table:
    encoding: str  # a key of ENCODING_NAMES
    delimiter: str
    headers: list[str]
    rows: list[tuple[int, list[str]]]  # (row number as a spreadsheet shows it; cells)


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was read with: UTF-8 with its byte-order mark, UTF-8,
    else Windows-1252. Bytes that are neither (a UTF-16 file, a spreadsheet saved as .xlsx)
    are refused."""
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        raise Unreadable(
            "This file is in UTF-16. Save it from the spreadsheet as “CSV UTF-8” and upload it "
            "again."
        )
    if data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    else:
        encoding = "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        try:
            text, encoding = data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError as exc:
            raise Unreadable(
                "This file is not a CSV file we can read. Save it from the spreadsheet as "
                "“CSV UTF-8” and upload it again."
            ) from exc
    if "\x00" in text:
        raise Unreadable(
            "This file holds characters a CSV file never does (it may be a spreadsheet, not "
            "a CSV). Save it as “CSV UTF-8” and upload it again."
        )
    return text, encoding


def _first_line(text: str) -> str:
    """The header row (up to the first line break outside quotes)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\x1f")  # no splitting
    for cells in reader:
        return cells[0] if cells else ""
    return ""


def sniff_delimiter(text: str) -> str:
    """A comma or a semicolon, whichever splits the header row into more columns (a comma
    when it is a tie: one column, or none of either)."""
    header = _first_line(text)

    def columns(delimiter: str) -> int:
        return len(next(csv.reader([header], delimiter=delimiter), []))

    return max(DELIMITERS, key=lambda d: (columns(d), d == ","))


def read(data: bytes, *, max_rows: int) -> Table:
    """The file as a header and rows. Blank lines are skipped; a row with fewer cells than
    the header is padded, one with more keeps them (they are never mapped)."""
    text, encoding = decode(data)
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    number = 0  # the row as a spreadsheet numbers it: the header is row 1, blank rows count
    try:
        headers: list[str] = []
        for cells in reader:
            number += 1
            if any(cell.strip() for cell in cells):
                headers = [cell.strip() for cell in cells]
                break
        if not headers:
            raise Unreadable("This file is empty: the first row must name the columns.")
        rows: list[tuple[int, list[str]]] = []
        for cells in reader:
            number += 1
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= max_rows:
                raise Unreadable(
                    f"This file has more than {max_rows:,} patients. Split it into smaller "
                    "files and import them one after another."
                )
            if len(cells) < len(headers):
                cells = cells + [""] * (len(headers) - len(cells))
            rows.append((number, cells))
    except csv.Error as exc:
        raise Unreadable(
            f"Row {number + 1} of this file cannot be read as CSV (a quote may be "
            "missing). Fix it in the spreadsheet and upload it again."
        ) from exc
    if not rows:
        raise Unreadable("This file names its columns but has no patients under them.")
    return Table(encoding=encoding, delimiter=delimiter, headers=headers, rows=rows)


def column_label(headers: list[str], index: int) -> str:
    """How the page names a column: its header, or its position when the header is empty."""
    name = headers[index] if index < len(headers) else ""
    return name or f"Column {index + 1}"
