"""The Kemendagri region reference (provinsi, kabupaten/kota, kecamatan, desa/kelurahan codes)."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from engine.errors import InvalidInput, echoed

_DATA_FILE = "data/wilayah_kepmendagri_2025.csv.gz"
_CODE_LENGTHS = frozenset({2, 4, 6, 10})
_LEVELS = {"1": 1, "2": 2, "3": 3, "4": 4}


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    level: int  # 1 provinsi, 2 kabupaten/kota, 3 kecamatan, 4 desa/kelurahan


class UnknownRegion(ValueError):
    """A region code that is malformed or absent from the reference. Its text says it in both
    languages (`id / en`, for the command line); `en` is the English half, for a door that
    says the Indonesian its own way (an InvalidInput's message and message_id)."""

    @property
    def en(self) -> str:
        said = str(self)
        return said.split(" / ", 1)[1] if " / " in said else said


@cache
def _reference() -> dict[str, tuple[str, int]]:
    # Plain tuples, not Region objects: building ~92k frozen dataclasses would triple load time.
    raw = files("workflows").joinpath(_DATA_FILE).read_bytes()
    rows = csv.reader(io.StringIO(gzip.decompress(raw).decode("utf-8")))
    next(rows)  # header: kode,kode_bertitik,nama,tingkat
    return {code: (name, _LEVELS[level]) for code, _, name, level in rows}


def normalize_region_code(code: str) -> str:
    """'32.71.01' or ' 3271 ' -> digits only; raises UnknownRegion if no region code can be that."""
    digits = code.replace(".", "").replace(" ", "")
    if not (digits.isascii() and digits.isdigit() and len(digits) in _CODE_LENGTHS):
        raise UnknownRegion(
            f"kode wilayah tidak sah / malformed region code: {code!r} "
            f"(2, 4, 6 or 10 digits, dots allowed)"
        )
    return digits


def get_region(code: str) -> Region:
    normalized = normalize_region_code(code)
    try:
        name, level = _reference()[normalized]
    except KeyError:
        raise UnknownRegion(
            f"kode wilayah tidak dikenal / unknown region code: {normalized}"
        ) from None
    return Region(normalized, name, level)


def is_valid_region(code: str) -> bool:
    try:
        get_region(code)
    except UnknownRegion:
        return False
    return True


def iter_regions(level: int | None = None) -> Iterator[Region]:
    """Every region in the reference, or those of one level, in file order."""
    for code, (name, lvl) in _reference().items():
        if level is None or lvl == level:
            yield Region(code, name, lvl)


def province_of(code: str) -> str:
    return get_region(code).code[:2]


def kabupaten_of(code: str) -> str | None:
    known = get_region(code).code
    return known[:4] if len(known) >= 4 else None


def kecamatan_of(code: str) -> str | None:
    known = get_region(code).code
    return known[:6] if len(known) >= 6 else None


def region_name(code: str) -> str:
    return get_region(code).name


def known_region(value: object, field: str) -> str:
    """A region code as typed (dots allowed) in its canonical form, or InvalidInput naming
    `field`: a code of the wrong shape, or one the reference does not list."""
    raw = str(value or "")
    try:
        code = normalize_region_code(raw)
    except UnknownRegion as e:
        raise InvalidInput(
            field,
            e.en,
            message_id=f"kode wilayah tidak sah: {raw!r} (2, 4, 6 atau 10 digit, boleh bertitik)",
        ) from None
    try:
        return get_region(code).code
    except UnknownRegion as e:
        raise InvalidInput(field, e.en, message_id=f"kode wilayah tidak dikenal: {code}") from None


def province_codes(given: Iterable[str], field: str = "provinces") -> list[str] | None:
    """Province codes to limit a sweep to, each 2 digits of the region reference; None (all)
    when none is given. Read alike by `pkh sweep --province` and the sweep flow's
    `provinces`: "3" would otherwise sweep every region starting with 3 (31-36)."""
    out = []
    for p in given:
        code = str(p).strip()
        try:
            if not (len(code) == 2 and code.isdigit()) or get_region(code).level != 1:
                raise UnknownRegion(code)
        except UnknownRegion:
            raise InvalidInput(
                field,
                f"{echoed(p)} is not a province code (2 digits of the region reference, "
                "e.g. 32 Jawa Barat)",
            ) from None
        out.append(code)
    return out or None
