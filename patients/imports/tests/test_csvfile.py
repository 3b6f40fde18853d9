"""Reading the file: Excel's encodings and delimiters, and files that are not CSV. Pure: no
database."""

import codecs

import pytest

from patients.imports import csvfile

from .factories import HEADERS, csv_bytes, row

ZOE = row(first="Zoë", last="Ångström", email="zoe@example.com")


@pytest.mark.parametrize(
    ("encoding", "prefix", "read_as"),
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8", codecs.BOM_UTF8, "utf-8-sig"),  # Excel's "CSV UTF-8"
        ("cp1252", b"", "cp1252"),  # Excel's "CSV" on Windows
    ],
)
@pytest.mark.parametrize("delimiter", [",", ";"])
def test_it_reads_excels_encodings_and_both_delimiters(encoding, prefix, read_as, delimiter):
    data = prefix + csv_bytes([ZOE], delimiter=delimiter, encoding=encoding)
    table = csvfile.read(data, max_rows=10)
    assert table.encoding == read_as
    assert table.delimiter == delimiter
    assert table.headers == HEADERS  # the byte-order mark is not part of the first header
    assert table.rows == [(2, ZOE)]


def test_a_semicolon_file_keeps_commas_inside_its_cells():
    data = csv_bytes([row(first="Ann, Jr", last="Lee")], delimiter=";")
    table = csvfile.read(data, max_rows=10)
    assert table.delimiter == ";"
    assert table.rows[0][1][0] == "Ann, Jr"


def test_a_quoted_line_break_stays_in_its_cell_and_row_numbers_follow_the_spreadsheet():
    data = csv_bytes([row(first="Ann\nMarie"), [], row(first="Bea")])
    table = csvfile.read(data, max_rows=10)
    assert [number for number, _cells in table.rows] == [2, 4]  # the blank row 3 is skipped
    assert table.rows[0][1][0] == "Ann\nMarie"


def test_short_rows_are_padded_to_the_header():
    table = csvfile.read(b"First name,Surname,DOB\r\nAnn,Lee\r\n", max_rows=10)
    assert table.rows == [(2, ["Ann", "Lee", ""])]


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", "empty"),
        (b"\r\n\r\n", "empty"),
        (b"First name,Surname\r\n", "no patients"),
        ("First name,Surname\r\nAnn,Lee\r\n".encode("utf-16"), "UTF-16"),
        (b"First name\x00,Surname\r\nAnn,Lee\r\n", "CSV UTF-8"),
        (b"PK\x03\x04\x81\x8d\x8f\x90\x9d", "CSV UTF-8"),  # not UTF-8 nor Windows-1252
    ],
)
def test_files_that_are_not_a_csv_of_patients_are_refused_in_plain_words(data, says):
    with pytest.raises(csvfile.Unreadable, match=says):
        csvfile.read(data, max_rows=10)


def test_a_file_with_more_rows_than_allowed_is_refused():
    data = csv_bytes([row(first=f"P{n}") for n in range(4)])
    with pytest.raises(csvfile.Unreadable, match="more than 3 patients"):
        csvfile.read(data, max_rows=3)
    assert len(csvfile.read(data, max_rows=4).rows) == 4
