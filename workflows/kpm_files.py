"""Reading extracts: CSV or Excel rows as they stream, and grouping rows by a key off the heap.

A DTKS/BDT extract has one row per member; a household's rows need not be next to each other.
`Staging` spills parsed rows to a temporary SQLite file and reads them back grouped by key, in the
order each key first appeared, so memory stays bounded whatever the file's size or order.
"""

from __future__ import annotations

import csv
import marshal
import sqlite3
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import InvalidInput

EXCEL_SUFFIXES = (".xlsx", ".xlsm")


@dataclass
class Table:
    """A file's header and its data rows as (line, values); `position()` says how far it got."""

    header: list[str]
    rows: Iterator[tuple[int, Sequence[Any]]]
    size: int  # total units for a progress bar (bytes of a CSV, rows of a sheet)
    position: Callable[[], int]
    close: Callable[[], None]


def open_table(path: str | Path, required: Sequence[str]) -> Table:
    p = Path(path)
    if not p.is_file():
        raise InvalidInput("file", f"{p} does not exist", message_id=f"berkas {p} tidak ada")
    if p.suffix.lower() == ".xls":
        raise _xls_refused(p)
    table = _excel(p) if p.suffix.lower() in EXCEL_SUFFIXES else _csv(p)
    missing = [c for c in required if c not in table.header]
    if missing:
        table.close()
        raise InvalidInput(
            "file",
            f"{p.name} lacks the columns: {', '.join(missing)}",
            message_id=f"{p.name} tidak memiliki kolom: {', '.join(missing)}",
        )
    return table


# What refuses a whole file reaches the command line as the error's own message, so that message
# says it in both languages (Bahasa Indonesia first, as region codes' do); `message_id` alone
# for the pages.
def _file_refused(said_id: str, said_en: str) -> InvalidInput:
    return InvalidInput("file", f"{said_id} / {said_en}", message_id=said_id)


def _xls_refused(p: Path) -> InvalidInput:
    return _file_refused(
        f"{p.name}: berkas .xls (Excel 97-2003) tidak didukung; simpan sebagai .xlsx atau "
        '"CSV UTF-8"',
        f'{p.name}: .xls files (Excel 97-2003) are not supported; save it as .xlsx or "CSV UTF-8"',
    )


OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an .xls workbook, whatever its name
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")  # Excel's "Unicode Text" export
UTF8_BOM = b"\xef\xbb\xbf"


def _not_utf8(p: Path, line: int, raw: bytes, e: UnicodeDecodeError) -> InvalidInput:
    before = raw[: e.start].decode("utf-8", "replace")[-20:]
    where_id = f"setelah '{before}'" if before else "di awal baris"
    where_en = f"after '{before}'" if before else "at the start of the line"
    bad = raw[e.start]
    return _file_refused(
        f"{p.name} baris {line} bukan teks UTF-8 (bita 0x{bad:02X} {where_id}); "
        'simpan berkas sebagai "CSV UTF-8"',
        f"{p.name} line {line} is not UTF-8 text (byte 0x{bad:02X} {where_en}); "
        'save the file as "CSV UTF-8"',
    )


def _physical_lines(raw: Any) -> Iterator[bytes]:
    """The file's lines as bytes, ended where a text file's universal newlines end them (LF,
    CRLF, or a lone CR: Excel for Mac's old CSV)."""
    for chunk in raw:
        cr = chunk.find(b"\r")
        if cr < 0 or chunk[cr:] == b"\r\n":
            yield chunk
        else:
            yield from chunk.splitlines(keepends=True)


class UnreadableLine(list[str]):
    """The values of a line that is not one record (a quote opened and never closed on it):
    `as_record` returns `error` for it, so the line is rejected with its number and why."""

    def __init__(self, values: list[str], error: InvalidInput) -> None:
        super().__init__(values)
        self.error = error


def _csv(p: Path) -> Table:
    raw = p.open("rb")
    head = raw.peek(8)[:8]
    if head.startswith(OLE2_SIGNATURE):
        raw.close()
        raise _xls_refused(p)
    if head.startswith(UTF16_BOMS):
        raw.close()
        raise _file_refused(
            f'{p.name} berupa teks UTF-16 ("Unicode Text"), bukan UTF-8; '
            'simpan berkas sebagai "CSV UTF-8"',
            f'{p.name} is UTF-16 text ("Unicode Text"), not UTF-8; save the file as "CSV UTF-8"',
        )
    # Bytes are decoded line by line, so a byte that is not UTF-8 is named with its exact line
    # (a text reader decodes 8 KB ahead of the lines it has handed out).
    lines = _physical_lines(raw)
    first_raw = next(lines, b"").removeprefix(UTF8_BOM)
    try:
        first = first_raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raw.close()
        raise _not_utf8(p, 1, first_raw, e) from None
    # Indonesian spreadsheets often export with ';' (the decimal separator is ',').
    delimiter = ";" if first.count(";") > first.count(",") else ","
    header = [h.strip().lower() for h in next(csv.reader([first], delimiter=delimiter), [])]

    def one_line(line: int, physical: str) -> list[str]:
        ended = physical if physical[-1:] in ("\n", "\r") else physical + "\n"
        try:
            values = next(csv.reader((ended,), delimiter=delimiter), [])
        except csv.Error as e:  # a NUL byte, a field over the size limit: not a CSV
            raise InvalidInput(
                "file", f"{p.name} line {line}: {e}", message_id=f"{p.name} baris {line}: {e}"
            ) from None
        if values and values[-1][-1:] in ("\n", "\r"):  # the line's end read into a quote
            return unclosed(values)
        return values

    def unclosed(values: list[str]) -> UnreadableLine:
        at = len(values) - 1
        column = header[at] if at < len(header) and header[at] else str(at + 1)
        values[at] = values[at].rstrip("\r\n")
        return UnreadableLine(
            values,
            InvalidInput(
                "row",
                f'a quote (") opened in column {column} is not closed on this line',
                message_id=f'tanda kutip (") yang dibuka pada kolom {column} tidak ditutup '
                "di baris ini",
            ),
        )

    def rows() -> Iterator[tuple[int, Sequence[Any]]]:
        # One record per physical line: a quote opened and never closed spoils only its own
        # line (rejected for it, with its number) instead of swallowing the rest of the file
        # into one field. KPM exports carry no line breaks inside fields. One reader runs over
        # the file (a reader per line cost ~1.5 us a row); a record it reads over more than
        # one line, a last line read into an open quote, or an error, sends those lines back
        # to be parsed one by one.
        taken: list[str] = []  # the physical lines of the record being read
        line = 1  # the last physical line read

        def source() -> Iterator[str]:
            nonlocal line
            for physical in lines:
                line += 1
                try:
                    text = physical.decode("utf-8")
                except UnicodeDecodeError as e:
                    raise _not_utf8(p, line, physical, e) from None
                taken.append(text)
                yield text

        reader = csv.reader(source(), delimiter=delimiter)
        while True:
            taken.clear()
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error:
                values = None
            if (
                values is not None
                and len(taken) == 1
                and taken[0][-1:] in ("\n", "\r")
                and not (values and values[-1][-1:] in ("\n", "\r"))
            ):
                if values and any(x.strip() for x in values):
                    yield line, values
                continue
            start = line - len(taken) + 1
            for i, physical in enumerate(list(taken)):
                v = one_line(start + i, physical)
                if v and any(x.strip() for x in v):
                    yield start + i, v

    return Table(header, rows(), p.stat().st_size, raw.tell, raw.close)


def _unreadable_workbook(p: Path, e: BaseException) -> InvalidInput:
    return InvalidInput(
        "file",
        f"{p.name} is not a readable Excel workbook: {e}",
        message_id=f"{p.name} bukan buku kerja Excel yang dapat dibaca: {e}",
    )


def _excel(p: Path) -> Table:
    from openpyxl import load_workbook

    # A workbook is read lazily: its sheet's XML is parsed as the rows are taken, so a damaged
    # sheet (truncated, a cell reference past XFD, no worksheet at all) fails while reading it;
    # every such failure is the file's, refused whole (nothing is recorded before the last row).
    try:
        wb = load_workbook(p, read_only=True, data_only=True)
    except Exception as e:  # noqa: BLE001 - any unreadable workbook is the caller's bad input
        raise _unreadable_workbook(p, e) from None
    try:
        ws = wb.worksheets[0]
        it = ws.iter_rows(values_only=True)
        header = [str(h or "").strip().lower() for h in next(it, ())]
        size = ws.max_row or 0
    except Exception as e:  # noqa: BLE001 - as above
        wb.close()
        raise _unreadable_workbook(p, e) from None
    done = [1]

    def rows() -> Iterator[tuple[int, Sequence[Any]]]:
        try:
            for line, values in enumerate(it, start=2):
                done[0] = line
                if any(v is not None and str(v).strip() for v in values):
                    yield line, values
        except Exception as e:  # noqa: BLE001 - as above
            raise _unreadable_workbook(p, e) from None

    return Table(header, rows(), size, lambda: done[0], wb.close)


def as_record(header: Sequence[str], values: Sequence[Any]) -> dict[str, Any] | InvalidInput:
    """A row as {column: value}, or why it cannot be one (the error to raise, field `row`)."""
    if isinstance(values, UnreadableLine):
        return values.error
    if "\x00" in "".join(map(str, values)):  # None is 'None': no NUL
        return InvalidInput("row", "contains a NUL character", message_id="memuat karakter NUL")
    if len(values) > len(header) and any(str(v or "").strip() for v in values[len(header) :]):
        return InvalidInput(
            "row",
            f"has {len(values)} fields, the header has {len(header)}",
            message_id=f"berisi {len(values)} kolom, sedangkan baris judul {len(header)} kolom",
        )
    padded = list(values) + [None] * (len(header) - len(values))
    return dict(zip(header, padded, strict=False))


class Staging:
    """Rows spilled to disk and read back grouped by key, keys in order of first appearance.

    Values are plain data (str, int, float, None, bool, and lists, tuples and dicts of them),
    written with `marshal`: the file is this process's own, in a private temporary directory,
    read back by it only, and marshal is ~5x cheaper than JSON for these rows (pickle, which
    keeps classes, ~2x)."""

    def __init__(self, directory: str | None = None) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="pkh-staging-", dir=directory)
        self._db = sqlite3.connect(Path(self._dir.name) / "rows.db")
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute(
            "CREATE TABLE r (first INTEGER NOT NULL, line INTEGER NOT NULL, k TEXT NOT NULL, "
            "v BLOB)"
        )
        self._pending: list[tuple[int, int, str, bytes]] = []
        self._first: dict[str, int] = {}  # key -> the line it first appeared on
        self.count = 0

    def add(self, key: str, line: int, value: Any) -> None:
        """One row; `line` is unique to it (its line in the file) and rows come in line order:
        a key's group is found by the line it first appeared on."""
        first = self._first.setdefault(key, line)
        self._pending.append((first, line, key, marshal.dumps(value)))
        self.count += 1
        if len(self._pending) >= 10_000:
            self._flush()

    def _flush(self) -> None:
        self._db.executemany("INSERT INTO r VALUES (?, ?, ?, ?)", self._pending)
        self._pending.clear()

    def groups(self) -> Iterator[tuple[str, list[tuple[int, Any]]]]:
        self._flush()
        self._first.clear()
        cur = self._db.execute("SELECT first, k, line, v FROM r ORDER BY first, line")
        current: int | None = None
        key = ""
        bucket: list[tuple[int, Any]] = []
        loads = marshal.loads
        for first, k, line, v in cur:
            if first != current:
                if current is not None:
                    yield key, bucket
                current, key, bucket = first, k, []
            bucket.append((line, loads(v)))
        if current is not None:
            yield key, bucket

    def close(self) -> None:
        self._db.close()
        self._dir.cleanup()

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def progress_bar(enabled: bool) -> Any:
    """A rich progress bar on stderr, or a stand-in that draws nothing."""
    if not enabled:
        return _NoProgress()
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=False,
    )


class _NoProgress:
    def __enter__(self) -> _NoProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def add_task(self, *_a: Any, **_k: Any) -> int:
        return 0

    def update(self, *_a: Any, **_k: Any) -> None:
        return None

    def advance(self, *_a: Any, **_k: Any) -> None:
        return None
