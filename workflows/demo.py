"""A small demo dataset: officers in three time zones and complaints at every level and stage."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from api.admin import add_user
from engine.errors import InvalidInput

DEMO_PASSWORD = "demo-pass-123"  # embedded demo only; documented in the README
USERS = [
    ("admin", "admin", None),
    ("kab.bogor", "kabupaten", "3271"),
    ("kab.makassar", "kabupaten", "7371"),
    ("kab.jayapura", "kabupaten", "9171"),
    ("kab.denpasar", "kabupaten", "5171"),
    ("kab.ambon", "kabupaten", "8171"),
    ("pdp.bogor", "pendamping", "327101"),
    ("kk.batutulis", "ketua_kelompok", "3271011001"),
    ("pusat.spm", "pusat", None),
    ("auditor", "auditor", None),
]


def load_demo(app: Any, *, into_existing: bool = False) -> str | None:
    """Load into an empty store: returns a summary, or None when the store already holds
    every demo user (loaded before). A store holding anything else (users or cases of its
    own: a real office's database) is refused before anything is written, as the demo's
    public password and fictitious complaints could never be taken out of the append-only
    log again; `into_existing` loads beside them all the same (a training copy)."""
    if not check_store(app.db, into_existing=into_existing):
        return None
    now = app.service.clock()
    for name, role, region in USERS:
        add_user(app.db, name, role, region, now=now, password=DEMO_PASSWORD)
    svc = app.service

    def file(days_ago: float, actor: str, **data: Any) -> str:
        base = {"channel": "formulir", "reporter_kind": "kpm", "reporter_name": "Ibu Siti"}
        state = svc.open_case("complaint", {**base, **data}, actor, at=_ago(now, days_ago))
        return str(state.id)

    def step(case_id: str, event: str, days_ago: float, actor: str, **data: Any) -> None:
        svc.apply(case_id, event, data, actor, at=_ago(now, days_ago))

    a = file(
        2,
        "kab.bogor",
        type="pembayaran",
        level="kabupaten",
        region="3271011001",
        summary="Bantuan tahap III belum diterima di kantor pos Batu Tulis",
    )
    step(a, "link_reporter", 1.9, "kab.bogor", reporter_name="Ibu Ani")
    b = file(
        9,
        "kab.bogor",
        type="data_peserta",
        level="kabupaten",
        region="3271011003",
        summary="Nama anak salah tulis di data peserta",
        anonymous=True,
        reporter_name=None,
    )
    step(b, "advance", 6, "kab.bogor")
    file(
        20,
        "kab.makassar",
        type="komitmen_verifikasi",
        level="kabupaten",
        region="7371",
        summary="Kehadiran sekolah tercatat tidak hadir padahal hadir",
        confidential=True,
    )
    d = file(
        40,
        "kab.jayapura",
        type="ketersediaan_layanan",
        level="kabupaten",
        region="9171",
        summary="Puskesmas tanpa tenaga kesehatan selama dua bulan",
    )
    step(d, "advance", 36, "kab.jayapura")
    step(d, "advance", 34, "kab.jayapura", parties="Dinas Kesehatan Kota Jayapura")
    step(d, "refer", 33, "kab.jayapura", body="dinas_teknis")
    e = file(
        30,
        "kab.bogor",
        type="teknis_administrasi",
        level="kabupaten",
        region="3271",
        summary="Pendamping jarang hadir di pertemuan kelompok",
    )
    step(e, "escalate", 3, "kab.bogor", reason="menyangkut kinerja pendamping; ke pusat")
    file(
        4,
        "pdp.bogor",
        type="data_peserta",
        level="pendamping",
        region="327101",
        summary="KPM pindah alamat, minta pemutakhiran data",
    )
    file(
        15,
        "kk.batutulis",
        type="komitmen_verifikasi",
        level="ketua_kelompok",
        region="3271011001",
        summary="Jadwal posyandu bentrok dengan pertemuan kelompok",
    )
    g = file(
        12,
        "kab.bogor",
        type="pembayaran",
        level="kabupaten",
        region="3271011002",
        summary="Antrian panjang saat penyaluran",
    )
    step(g, "advance", 11, "kab.bogor")
    step(g, "advance", 10, "kab.bogor", parties="PT Pos cabang Bogor")
    step(g, "advance", 5, "kab.bogor", result="Jadwal penyaluran dibagi per RW")
    step(g, "advance", 4, "kab.bogor", informed_via="surat")
    extra = _generated(app, now)
    return (
        f"{len(USERS)} users (password '{DEMO_PASSWORD}'), {8 + extra} complaints in WIB, "
        "WITA and WIT"
    )


GENERATED_OFFICES = [
    ("kab.bogor", "3271"),
    ("kab.makassar", "7371"),
    ("kab.jayapura", "9171"),
    ("kab.denpasar", "5171"),
    ("kab.ambon", "8171"),
]
SUMMARIES = {
    "data_peserta": "Data anggota keluarga tidak sesuai KK",
    "komitmen_verifikasi": "Kehadiran posyandu tidak tercatat",
    "bukan_peserta": "Keluarga miskin belum terdaftar sebagai peserta",
    "pembayaran": "Nominal bantuan berkurang tanpa penjelasan",
    "ketersediaan_layanan": "Sekolah kekurangan guru kelas",
    "teknis_administrasi": "Laporan bulanan pendamping terlambat",
}
NAMES = ["Ibu Rahma", "Ibu Yuliana", "Bapak Made", "Ibu Fransina", "Ibu Wati", "Bapak Yohanis"]


def _generated(app: Any, now: datetime) -> int:
    """Two dozen more complaints, deterministic, spread over offices, ages and stages."""
    rng = random.Random(2026)
    svc, count = app.service, 0
    extra: list[dict[str, str]] = [{}, {"parties": "Dinas Sosial"}, {"result": "Ditindaklanjuti"}]
    for i in range(24):
        officer, region = GENERATED_OFFICES[i % len(GENERATED_OFFICES)]
        ctype = rng.choice(sorted(SUMMARIES))
        age = rng.uniform(1, 45)
        data = {
            "type": ctype,
            "channel": rng.choice(["formulir", "telepon", "surat", "sms"]),
            "level": "kabupaten",
            "region": region,
            "summary": SUMMARIES[ctype],
            "reporter_kind": "kpm",
            "reporter_name": rng.choice(NAMES),
            "confidential": rng.random() < 0.2,
        }
        state = svc.open_case("complaint", data, officer, at=_ago(now, age))
        count += 1
        for k in range(rng.randint(0, 3)):
            age = age * rng.uniform(0.5, 0.9)
            state = svc.apply(state.id, "advance", extra[k], officer, at=_ago(now, age))
    return count


def check_store(db: Any, *, into_existing: bool = False) -> bool:
    """Whether the demo is to be loaded into the store `db`: True when it is empty (or when
    `into_existing`), False when it already holds every demo user (loaded before); a store
    holding anything else is refused (InvalidInput). Reads only the user names and whether
    any case or event exists, in whatever schema the store has (none yet, or an older one),
    so `pkh demo` can ask before it migrates anything."""
    with db.reading() as s:
        tables = set(sa.inspect(s.connection()).get_table_names())
        names = (
            {r[0] for r in s.execute(sa.text("SELECT username FROM users"))}
            if "users" in tables
            else set()
        )
        # the events too: a case whose row was lost is still in the log
        cases = any(
            s.execute(sa.text(f"SELECT 1 FROM {t} LIMIT 1")).first() is not None
            for t in ("cases", "case_events")
            if t in tables
        )
    demo_names = {name for name, _, _ in USERS}
    if names >= demo_names:
        return False
    taken = sorted(names & demo_names)
    if taken:
        raise InvalidInput(
            "database",
            f"it already has users named as the demo's ({', '.join(taken)}) but not all of "
            "them: the demo loads into an empty database only (set PKH_DATABASE_URL to a new "
            "one, e.g. sqlite:///var/demo.db)",
        )
    if (names or cases) and not into_existing:
        held = " and ".join(
            [f"{len(names)} user{'s' * (len(names) > 1)}"] * bool(names) + ["cases"] * cases
        )
        raise InvalidInput(
            "database",
            f"it already holds {held} not the demo's; the demo (public password, "
            "fictitious complaints that can never be removed from the log) loads into an empty "
            "database only: set PKH_DATABASE_URL to a new one, e.g. sqlite:///var/demo.db",
        )
    return True


def _ago(now: datetime, days: float) -> datetime:
    return now - timedelta(days=days)
