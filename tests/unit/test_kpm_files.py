"""Reading KPM files: a file that is not UTF-8 CSV is refused naming its exact line and saying,
in Bahasa Indonesia and English, how to save it; an .xls workbook is refused as such; a quote
opened and never closed rejects its own line, saying so."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import InvalidInput
from tests.unit.test_i18n import _english_in
from workflows.kpm_files import as_record, open_table

HEADER = "no_kk,nik,nama,kode_wilayah\n"


def row(n: int, name: str = "Andi") -> str:
    return f"32710101012000{n:02d},32710101018000{n:02d},{name},3271011001\n"


def records(path: Path) -> list[tuple[int, object]]:
    table = open_table(path, ["no_kk", "nik"])
    try:
        return [(line, as_record(table.header, values)) for line, values in table.rows]
    finally:
        table.close()


def refusal(path: Path) -> InvalidInput:
    with pytest.raises(InvalidInput) as err:
        records(path)
    assert err.value.field == "file"
    return err.value


def says_both_ways(e: InvalidInput, *, id_: str, en: str) -> None:
    """The command line shows the message alone: it carries the Indonesian and the English."""
    assert e.message_id is not None and id_ in e.message_id and en not in e.message_id
    assert _english_in(e.message_id) == [], e.message_id
    said_id, said_en = e.message.split(" / ")
    assert said_id == e.message_id and en in said_en


def test_a_byte_that_is_not_utf8_is_named_with_its_exact_line_far_into_the_file(
    tmp_path: Path,
) -> None:
    """The text reader decoded 8 KB ahead and said 'near line 271' for line 301."""
    lines = [row(n % 100) for n in range(299)]  # lines 2-300: ~15 KB
    path = tmp_path / "latin1_late.csv"
    path.write_bytes(
        (HEADER + "".join(lines)).encode() + row(1, "Jos\u00e9").encode("latin-1") + b"\n"
    )
    e = refusal(path)
    says_both_ways(e, id_="baris 301", en="line 301")
    assert "baris 300" not in e.message and "near" not in e.message
    says_both_ways(e, id_='simpan berkas sebagai "CSV UTF-8"', en='save the file as "CSV UTF-8"')
    assert "0xE9" in e.message_id and "Jos" in e.message_id  # what and where on the line


def test_a_byte_that_is_not_utf8_early_in_the_file_is_named_with_its_line_too(
    tmp_path: Path,
) -> None:
    """It used to say only 'is not UTF-8 text: ... in position 359', no line at all."""
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + row(1) + row(2)).encode() + row(3, "Andr\u00e9").encode("latin-1"))
    e = refusal(path)
    says_both_ways(e, id_="latin1.csv baris 4 bukan teks UTF-8", en="latin1.csv line 4 is not")
    says_both_ways(e, id_="CSV UTF-8", en='save the file as "CSV UTF-8"')


def test_a_header_that_is_not_utf8_is_line_1(tmp_path: Path) -> None:
    path = tmp_path / "judul.csv"
    path.write_bytes("no_kk,nik,nama_ibu,kode_wilayah\u00e9\n".encode("latin-1") + row(1).encode())
    says_both_ways(refusal(path), id_="baris 1", en="line 1")


def test_a_utf16_unicode_text_export_is_told_to_be_saved_as_csv_utf8(tmp_path: Path) -> None:
    path = tmp_path / "unicode.csv"
    path.write_bytes((HEADER + row(1)).replace(",", "\t").encode("utf-16"))  # with its BOM
    e = refusal(path)
    says_both_ways(e, id_="UTF-16", en="is UTF-16 text")
    says_both_ways(e, id_='simpan berkas sebagai "CSV UTF-8"', en='save the file as "CSV UTF-8"')


@pytest.mark.parametrize("name", ["lama.xls", "LAMA.XLS", "renamed.csv"])
def test_an_xls_workbook_is_refused_as_not_supported(tmp_path: Path, name: str) -> None:
    """An .xls was read as CSV and refused for 'lacking the columns'."""
    path = tmp_path / name
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    path.write_bytes(ole2 if name == "renamed.csv" else b"a\n")
    e = refusal(path)
    says_both_ways(e, id_=".xls (Excel 97-2003) tidak didukung", en="are not supported")
    assert ".xlsx" in e.message_id and '"CSV UTF-8"' in e.message_id
    assert "lacks the columns" not in e.message


@pytest.mark.parametrize("ending", ["\n", "\r\n", ""])
def test_a_quote_never_closed_on_the_last_line_rejects_that_line_naming_the_quote(
    tmp_path: Path, ending: str
) -> None:
    """It was read as one long nik field, and rejected as 'kode_wilayah: malformed region
    code: ''' (or, without a final line break, not noticed at all)."""
    path = tmp_path / "quote.csv"
    bad = '3271010101200009,"3271010101800009,Budi,3271011001'
    path.write_text(HEADER + row(1) + bad + ending, encoding="utf-8", newline="")
    (first, second) = records(path)
    assert first[0] == 2 and isinstance(first[1], dict)
    line, error = second
    assert line == 3 and isinstance(error, InvalidInput) and error.field == "row"
    assert error.message == 'a quote (") opened in column nik is not closed on this line'
    assert (
        error.message_id == 'tanda kutip (") yang dibuka pada kolom nik tidak ditutup di baris ini'
    )


def test_a_quote_never_closed_mid_file_rejects_only_its_line(tmp_path: Path) -> None:
    path = tmp_path / "quote.csv"
    bad = '3271010101200009,3271010101800009,"Budi,3271011001\n'
    path.write_text(HEADER + row(1) + bad + row(2) + row(3), encoding="utf-8")
    got = records(path)
    assert [line for line, _ in got] == [2, 3, 4, 5]
    errors = {line: r for line, r in got if isinstance(r, InvalidInput)}
    assert list(errors) == [3]
    assert "column nama" in errors[3].message
    assert got[2][1] == {
        "no_kk": "3271010101200002",
        "nik": "3271010101800002",
        "nama": "Andi",
        "kode_wilayah": "3271011001",
    }


def test_quoted_fields_and_every_kind_of_line_ending_still_read(tmp_path: Path) -> None:
    """Lines are now split from bytes: \\r\\n, a lone \\r (Excel for Mac's old CSV) and a
    last line without an ending read as before, a BOM is dropped, quoted fields kept."""
    text = HEADER.replace("\n", "\r") + '3271010101200001,3271010101800001,"Sari, S.Pd",327101\r'
    path = tmp_path / "mac.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode() + row(2).rstrip("\n").encode())
    got = records(path)
    assert [line for line, _ in got] == [2, 3]
    assert got[0][1] == {
        "no_kk": "3271010101200001",
        "nik": "3271010101800001",
        "nama": "Sari, S.Pd",
        "kode_wilayah": "327101",
    }
    crlf = tmp_path / "crlf.csv"
    crlf.write_bytes((HEADER + row(1) + "\n" + row(2)).replace("\n", "\r\n").encode())
    assert [line for line, r in records(crlf)] == [2, 4]  # the blank line 3 is skipped
