"""The Kemendagri region reference (provinsi, kabupaten/kota, kecamatan, desa/kelurahan codes)."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

_DATA_FILE = "data/wilayah_kepmendagri_2025.csv.gz"
_CODE_LENGTHS = frozenset({2, 4, 6, 10})
_LEVELS = {"1": 1, "2": 2, "3": 3, "4": 4}


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    level: int  # 1 provinsi, 2 kabupaten/kota, 3 kecamatan, 4 desa/kelurahan


class UnknownRegion(ValueError):
    """A region code that is malformed or absent from the reference."""


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
