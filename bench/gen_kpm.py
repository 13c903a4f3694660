"""A realistic DTKS/BDT-style extract for the KPM import: `generate(path, members, seed)`.

Households of 1-8 members in desa of every province, with NIKs that agree with each member's
birth date and sex, components that follow age (BUMIL, early childhood, SD/SMP/SMA with the
right kelas, LANSIA, disability), and a share of bad rows of the kinds the import must reject.
Bad rows are never a household's kepala keluarga, so each one is rejected alone; `generate`
returns their lines and kinds. `.xlsx` paths are written with openpyxl (write-only mode).

    python -m bench.gen_kpm /tmp/kpm.csv 1000000 --seed 1 --bad 0.01
"""

from __future__ import annotations

import argparse
import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from workflows.kpm_codes import COLUMNS
from workflows.regions import iter_regions

MEN = [
    "Budi",
    "Agus",
    "Ahmad",
    "Joko",
    "Slamet",
    "Hendra",
    "Yusuf",
    "Rudi",
    "Dedi",
    "Made",
    "Wayan",
    "Andi",
    "Ilham",
    "Fajar",
    "Rizki",
]
WOMEN = [
    "Siti",
    "Sri",
    "Dewi",
    "Nur",
    "Ani",
    "Rina",
    "Wati",
    "Yuni",
    "Ayu",
    "Putri",
    "Ratna",
    "Lestari",
    "Fitri",
    "Kadek",
    "Ketut",
]
FAMILY = [
    "Santoso",
    "Wijaya",
    "Saputra",
    "Hidayat",
    "Pratama",
    "Susanto",
    "Nugroho",
    "Lubis",
    "Siregar",
    "Manurung",
]
PLACES = [
    "Bogor",
    "Bandung",
    "Jakarta",
    "Surabaya",
    "Medan",
    "Makassar",
    "Jayapura",
    "Kupang",
    "Padang",
    "Semarang",
]
BAD_KINDS = ("nik_malformed", "nik_disagrees", "nik_duplicate", "region", "date", "code")


@dataclass
class Generated:
    path: str
    rows: int = 0
    households: int = 0
    bad: dict[int, str] = field(default_factory=dict)  # line -> kind

    @property
    def good_rows(self) -> int:
        return self.rows - len(self.bad)


class _Ids:
    """NIK and no_kk serials, unique per kecamatan and date (the NIK's own rule)."""

    def __init__(self) -> None:
        self.serial: dict[str, int] = {}

    def next(self, prefix: str) -> str:
        n = self.serial.get(prefix, 0) + 1
        self.serial[prefix] = n
        return f"{prefix}{n % 10000 or 1:04d}"


def _nik(ids: _Ids, kecamatan: str, born: date, female: bool) -> str:
    day = born.day + (40 if female else 0)
    return ids.next(f"{kecamatan}{day:02d}{born.month:02d}{born.year % 100:02d}")


def _born(rng: random.Random, as_of: date, age: int) -> date:
    return as_of - timedelta(days=age * 365 + rng.randint(30, 330))


def _member(
    rng: random.Random, ids: _Ids, kec: str, as_of: date, role: str, age: int, female: bool
) -> dict[str, Any]:
    born = _born(rng, as_of, age)
    real_age = as_of.year - born.year - ((as_of.month, as_of.day) < (born.month, born.day))
    komponen: int = 9
    jenjang: int | str = ""  # blank when not at school
    kelas: int | str = ""
    if role == "child":
        if real_age <= 6:
            komponen = 2
        elif real_age <= 18:
            grade = real_age - 6
            level = 1 if grade <= 6 else 2 if grade <= 9 else 3
            jenjang, kelas, komponen = level, grade, {1: 4, 2: 5, 3: 6}[level]
    elif real_age >= 60:
        komponen = 8
    elif role == "spouse" and female and real_age < 42 and rng.random() < 0.15:
        komponen = 1
    if komponen == 9 and rng.random() < 0.03:
        komponen = 11
    first = rng.choice(WOMEN if female else MEN)
    return {
        "nik": _nik(ids, kec, born, female),
        "nama": f"{first} {rng.choice(FAMILY)}",
        "jenis_kelamin": 2 if female else 1,
        "tempat_lahir": rng.choice(PLACES),
        "tanggal_lahir": born.isoformat(),
        "hubungan_keluarga": {"head": 1, "spouse": 2, "child": 3, "parent": 5}[role],
        "nama_ibu_kandung": "" if rng.random() < 0.02 else rng.choice(WOMEN),
        "komponen": komponen,
        "jenjang_sekolah": jenjang,
        "kelas": kelas,
    }


def _household(rng: random.Random, ids: _Ids, desa: str, as_of: date) -> list[dict[str, Any]]:
    kec = desa[:6]
    head_age = rng.randint(24, 72)
    female_head = rng.random() < 0.15
    people = [_member(rng, ids, kec, as_of, "head", head_age, female_head)]
    if not female_head and rng.random() < 0.85:
        people.append(_member(rng, ids, kec, as_of, "spouse", max(18, head_age - 3), True))
    for _ in range(rng.choice((0, 1, 1, 2, 2, 2, 3, 3, 4, 5))):
        age = rng.randint(0, min(20, max(0, head_age - 18)))
        people.append(_member(rng, ids, kec, as_of, "child", age, rng.random() < 0.5))
    if rng.random() < 0.12:
        # an orang tua is older than the head (the import refuses one who is not)
        age = rng.randint(max(60, head_age + 16), max(85, head_age + 20))
        people.append(_member(rng, ids, kec, as_of, "parent", age, True))
    return people


def _spoil(rng: random.Random, row: dict[str, Any], kind: str, donor: dict[str, Any]) -> None:
    if kind == "nik_malformed":
        row["nik"] = row["nik"][:15]
    elif kind == "nik_disagrees":
        row["jenis_kelamin"] = 3 - int(row["jenis_kelamin"])
        if row["komponen"] == 1:
            row["komponen"] = 9
    elif kind == "nik_duplicate":
        keep = row["hubungan_keluarga"]
        row.update({k: v for k, v in donor.items() if k not in ("no_kk", "kode_wilayah")})
        row["hubungan_keluarga"] = keep if keep != 1 else 3
    elif kind == "region":
        row["kode_wilayah"] = row["kode_wilayah"][:6] + "9999"
    elif kind == "date":
        born = date.fromisoformat(row["tanggal_lahir"])
        row["tanggal_lahir"] = f"{born.year}-02-30"
    elif kind == "code":
        row["komponen"] = 3


def rows(members: int, seed: int, bad: float, as_of: date) -> Iterator[tuple[dict, str | None]]:
    rng = random.Random(seed)
    desa = [r.code for r in iter_regions(4)]
    villages = rng.sample(desa, min(len(desa), max(50, members // 400)))
    ids = _Ids()
    written = 0
    kk_ids = _Ids()
    donor: dict[str, Any] | None = None
    while written < members:
        village = rng.choice(villages)
        issued = as_of - timedelta(days=rng.randint(30, 4000))
        no_kk = kk_ids.next(f"{village[:6]}{issued:%d%m%y}")
        people = _household(rng, ids, village, as_of)[: members - written]
        for i, person in enumerate(people):
            row = {"no_kk": no_kk, "kode_wilayah": village, **person}
            kind = None
            if i > 0 and rng.random() < bad:
                kind = rng.choice(BAD_KINDS if donor else BAD_KINDS[:2])
                _spoil(rng, row, kind, donor or {})
            elif i > 0 and rng.random() < 0.05:
                donor = dict(row)  # a valid member of an earlier household, to be duplicated
            yield row, kind
        written += len(people)


def generate(
    path: str | Path,
    members: int,
    seed: int = 1,
    *,
    bad: float = 0.01,
    as_of: date | None = None,
) -> Generated:
    """Write `members` rows to `path` (.csv or .xlsx); return the bad rows' lines and kinds."""
    as_of = as_of or date.today()
    out = Generated(str(path))
    seen_kk: set[str] = set()
    p = Path(path)
    if p.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet("kpm")
        ws.append(list(COLUMNS))
        write = ws.append
    else:
        f = p.open("w", newline="", encoding="utf-8")
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        write = writer.writerow
    for line, (row, kind) in enumerate(rows(members, seed, bad, as_of), start=2):
        write([row[c] for c in COLUMNS])
        out.rows += 1
        seen_kk.add(row["no_kk"])
        if kind:
            out.bad[line] = kind
    out.households = len(seen_kk)
    if p.suffix.lower() == ".xlsx":
        wb.save(p)
    else:
        f.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path")
    ap.add_argument("members", type=int)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--bad", type=float, default=0.01, help="share of bad rows (0-1)")
    ap.add_argument("--as-of", type=date.fromisoformat, default=None)
    a = ap.parse_args()
    g = generate(a.path, a.members, a.seed, bad=a.bad, as_of=a.as_of)
    print(f"{g.path}: {g.rows} rows, {g.households} households, {len(g.bad)} bad rows")


if __name__ == "__main__":
    main()
