"""Parsers of the KPM workflow's command data: shapes and codes, each error naming its field.

Doors send Python values (the import, the flows) or text (`pkh case advance --data k=v`); nested
values may come as JSON text. Each command takes the keys its parser names and no other: an
unknown key is refused naming it (a typo such as `tujan=` would otherwise be dropped, or kept
in the event unchecked). Checks that need the household or a date run as guards instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from engine.errors import InvalidInput, echoed, refuse_unknown_keys
from workflows import kpm_codes as C
from workflows.regions import known_region

NON_ELIGIBLE_REASONS = (
    "tidak_ditemukan",  # not found at the address
    "tidak_ada_komponen",  # no member in an eligible component
    "mampu",  # not poor
    "menolak",  # declined to take part
    "pindah",
    "meninggal",
    "data_ganda",  # duplicate of another household
)
# the words the pages and the refusals use for a validation's result and reason (id, en)
VALIDATION_LABELS: Mapping[str, tuple[str, str]] = {
    "eligible": ("Memenuhi syarat (eligible)", "Eligible"),
    "non_eligible": ("Tidak memenuhi syarat (non eligible)", "Not eligible"),
}
NON_ELIGIBLE_LABELS: Mapping[str, tuple[str, str]] = {
    "tidak_ditemukan": ("Tidak ditemukan di alamat", "Not found at the address"),
    "tidak_ada_komponen": ("Tidak ada anggota berkomponen PKH", "No member in a PKH component"),
    "mampu": ("Tidak miskin (mampu)", "Not poor"),
    "menolak": ("Menolak ikut serta", "Declined to take part"),
    "pindah": ("Pindah", "Moved away"),
    "meninggal": ("Meninggal dunia", "Died"),
    "data_ganda": ("Data ganda", "Duplicate record"),
}
EXIT_REASONS = ("data_tidak_sesuai", "bukan_sasaran", "data_ganda", "lainnya")
RESERTIFIKASI = ("tetap", "membaik")  # still poor: stays; better off: transisi
VALIDATION_RESULTS = ("eligible", "non_eligible")
REMOVAL_REASONS = ("pindah_kk", "menikah", "data_ganda", "lainnya")

Parser = Callable[[Mapping[str, Any]], dict[str, Any]]


def only(data: Mapping[str, Any], *keys: str) -> None:
    """Refuse data keys the command does not take, naming the first (and the others)."""
    refuse_unknown_keys(data, keys)


def nested(data: Mapping[str, Any], key: str, kind: type) -> Any:
    value = data.get(key)
    if value in (None, ""):
        return kind()
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise InvalidInput(key, "is not valid JSON", message_id="bukan JSON yang sah") from None
    if not isinstance(value, kind):
        raise InvalidInput(
            key,
            f"must be a JSON {'object' if kind is dict else 'list'}",
            message_id=f"harus berupa {'objek' if kind is dict else 'daftar'} JSON",
        )
    return value


def choice(
    data: Mapping[str, Any],
    key: str,
    options: tuple[str, ...],
    labels: Mapping[str, tuple[str, str]] | None = None,
) -> str:
    """One of `options`. A value outside them is refused listing the choices: by the `labels`
    (id, en) the officer pages show, where there are any; the English keeps each code too,
    which is what the API and `pkh case advance --data` take."""
    value = str(data.get(key) or "").strip().lower()
    if not value:
        raise InvalidInput(key, "is required", message_id="wajib diisi")
    if value not in options:
        said_id = ", ".join(labels[o][0] for o in options) if labels else ", ".join(options)
        said_en = (
            ", ".join(f"{o} ({labels[o][1]})" for o in options) if labels else ", ".join(options)
        )
        raise InvalidInput(
            key,
            f"unknown value {echoed(value)}; expected one of: {said_en}",
            message_id=f"nilai {echoed(value)} tidak dikenal; pilihan: {said_id}",
        )
    return value


def period(value: Any, field: str = "periode") -> str:
    s = str(value or "").strip()
    try:
        y, m = s.split("-")
        if len(y) == 4 and len(m) == 2 and 1 <= int(m) <= 12:
            return s
    except ValueError:
        pass
    raise InvalidInput(
        field, f"'{s}' is not a month (YYYY-MM)", message_id=f"'{s}' bukan bulan (YYYY-MM)"
    )


def region(value: Any) -> str:
    code = known_region(value, "kode_wilayah")
    if len(code) != 10:
        raise InvalidInput(
            "kode_wilayah",
            f"needs a desa/kelurahan code (10 digits), got {code}",
            message_id=f"harus berupa kode desa/kelurahan (10 digit), bukan {code}",
        )
    return code


def member_number(value: Any, field: str) -> str:
    s = str(value or "").strip()
    if not (s.isascii() and s.isdigit() and 1 <= int(s) <= 99):
        raise InvalidInput(
            field,
            f"'{s}' is not a member number (01-99)",
            message_id=f"'{s}' bukan nomor anggota (01-99)",
        )
    return C.member_no(int(s))


def _members(rows: list[Any], field: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        if type(row) is C.Member:  # normalised already (the import's rows)
            out.append(row)
            continue
        if not isinstance(row, Mapping):
            raise InvalidInput(
                f"{field}[{i}]",
                "must be an object of member fields",
                message_id="harus berupa objek berisi data anggota",
            )
        try:
            out.append(C.normalize_member(row))
        except InvalidInput as e:
            raise InvalidInput(
                f"{field}[{i}].{e.field}", e.message, message_id=e.message_id
            ) from None
    return out


# the components a data update may set: not 10 MENINGGAL DUNIA, a death having its own command
UPDATE_KOMPONEN: Mapping[int, str] = {k: v for k, v in C.KOMPONEN.items() if k != C.MENINGGAL}


def _updated_komponen(value: Any) -> int | None:
    """A member's new component in a data update. A death is refused pointing to its own
    command, which takes the date (set as a component it would go undated, and could close the
    household for good); any other unknown code lists the components an update may set."""
    try:
        return C.code(value, "komponen", UPDATE_KOMPONEN)
    except InvalidInput:
        try:
            died = C.code(value, "komponen", C.KOMPONEN) == C.MENINGGAL
        except InvalidInput:
            died = False
        if died:
            raise InvalidInput(
                "komponen",
                "a death is recorded with the command “A member died” "
                "(anggota_meninggal), with its date",
                message_id="kematian dicatat dengan langkah “Anggota meninggal dunia” "
                "(anggota_meninggal) beserta tanggalnya",
            ) from None
        raise


FIELD_PARSERS: Mapping[str, Callable[[Any], Any]] = {
    "nama": lambda v: C.text(v, "nama"),
    "tempat_lahir": lambda v: C.text(v, "tempat_lahir", required=False),
    "nama_ibu_kandung": lambda v: C.text(v, "nama_ibu_kandung", required=False),
    "tanggal_lahir": lambda v: C.parse_date(v, "tanggal_lahir").isoformat(),
    "jenis_kelamin": lambda v: C.code(v, "jenis_kelamin", C.JENIS_KELAMIN),
    "hubungan_keluarga": lambda v: C.code(v, "hubungan_keluarga", C.HUBUNGAN),
    "komponen": lambda v: _updated_komponen(v),
    "jenjang_sekolah": lambda v: C.code(v, "jenjang_sekolah", C.JENJANG_SEKOLAH, required=False),
    "kelas": lambda v: C.code(v, "kelas", C.ANY_KELAS, required=False),
    "nik": lambda v: C.parse_nik(v),
}


def member_changes(data: Mapping[str, Any], key: str = "anggota") -> dict[str, dict[str, Any]]:
    """{member number: {field: value}} with every field known and normalised."""
    out: dict[str, dict[str, Any]] = {}
    for no, fields in nested(data, key, dict).items():
        num = member_number(no, key)
        if not isinstance(fields, Mapping) or not fields:
            raise InvalidInput(
                f"{key}.{num}",
                "must be an object of changed fields",
                message_id="harus berupa objek berisi data yang diubah",
            )
        out[num] = {}
        for f, v in fields.items():
            if f not in FIELD_PARSERS:
                raise InvalidInput(
                    f"{key}.{num}.{f}", "is not a member field", message_id="bukan data anggota"
                )
            try:
                out[num][f] = FIELD_PARSERS[f](v)
            except InvalidInput as e:
                raise InvalidInput(
                    f"{key}.{num}.{e.field}", e.message, message_id=e.message_id
                ) from None
    return out


# ---------------------------------------------------------------------------------- commands
def registration(data: Mapping[str, Any]) -> dict[str, Any]:
    only(data, "no_kk", "region", "kode_wilayah", "kode_peserta", "anggota")
    code = C.digits(data.get("kode_peserta"), "kode_peserta", C.PARTICIPANT_CODE_LENGTH)
    where = region(data.get("region") or data.get("kode_wilayah"))
    if code[:6] != where[:6]:
        raise InvalidInput(
            "kode_peserta",
            f"{code} does not start with the kecamatan {where[:6]}",
            message_id=f"{code} tidak diawali kode kecamatan {where[:6]}",
        )
    members = _members(nested(data, "anggota", list), "anggota")
    if not members:
        raise InvalidInput(
            "anggota",
            "a household needs at least one member",
            message_id="rumah tangga harus memiliki sekurang-kurangnya satu anggota",
        )
    return {
        "no_kk": C.digits(data.get("no_kk"), "no_kk", 16),
        "region": where,
        "kode_peserta": code,
        "anggota": members,
    }


def validation(data: Mapping[str, Any]) -> dict[str, Any]:
    only(data, "hasil", "alasan")
    out = {"hasil": choice(data, "hasil", VALIDATION_RESULTS, VALIDATION_LABELS)}
    if out["hasil"] == "non_eligible":
        if not str(data.get("alasan") or "").strip():
            # said as the form asks it: the result in words, not "is required" alone under a
            # choice that "eligible" leaves empty
            no_id, no_en = VALIDATION_LABELS["non_eligible"]
            raise InvalidInput(
                "alasan",
                f"is required when the result is “{no_en}”: choose why",
                message_id=f"wajib diisi bila hasilnya “{no_id}”: pilih alasannya",
            )
        out["alasan"] = choice(data, "alasan", NON_ELIGIBLE_REASONS, NON_ELIGIBLE_LABELS)
    elif given := str(data.get("alasan") or "").strip():
        # a reason for not being eligible, given with "eligible": one of them is a mistake,
        # and dropping the reason would record the one the officer may not have meant
        said_id, said_en = NON_ELIGIBLE_LABELS.get(given.lower(), (given, given))
        (yes_id, yes_en), (no_id, no_en) = (VALIDATION_LABELS[r] for r in VALIDATION_RESULTS)
        raise InvalidInput(
            "alasan",
            f"“{said_en}” is a reason for the result “{no_en}”, while the result is "
            f"“{yes_en}”: leave the reason empty or choose “{no_en}”",
            message_id=f"“{said_id}” adalah alasan untuk hasil “{no_id}”, sedangkan hasilnya "
            f"“{yes_id}”: kosongkan alasan atau pilih hasil “{no_id}”",
        )
    return out


def decree(data: Mapping[str, Any]) -> dict[str, Any]:
    only(data, "nomor_sk", "tanggal_sk")
    return {
        "nomor_sk": C.text(data.get("nomor_sk"), "nomor_sk"),
        "tanggal_sk": C.parse_date(data.get("tanggal_sk"), "tanggal_sk").isoformat(),
    }


def verification(data: Mapping[str, Any]) -> dict[str, Any]:
    only(data, "periode", "hadir")
    hadir: dict[str, bool] = {}
    for no, v in nested(data, "hadir", dict).items():
        num = member_number(no, "hadir")
        if isinstance(v, bool):
            hadir[num] = v
        elif str(v).strip().lower() in ("1", "ya", "true", "hadir"):
            hadir[num] = True
        elif str(v).strip().lower() in ("0", "tidak", "false", "tidak_hadir"):
            hadir[num] = False
        else:
            raise InvalidInput(
                f"hadir.{num}",
                f"'{v}' is not 1 (attended) or 0 (did not)",
                message_id=f"'{v}' bukan 1 (hadir) atau 0 (tidak hadir)",
            )
    if not hadir:
        raise InvalidInput("hadir", "lists no member", message_id="tidak menyebut satu anggota pun")
    return {"periode": period(data.get("periode")), "hadir": hadir}


def data_update(data: Mapping[str, Any]) -> dict[str, Any]:
    only(data, "anggota", "tambah", "hapus")
    out: dict[str, Any] = {}
    changes = member_changes(data)
    added = _members(nested(data, "tambah", list), "tambah")
    removed = {
        member_number(no, "hapus"): choice({"hapus": r}, "hapus", REMOVAL_REASONS)
        for no, r in nested(data, "hapus", dict).items()
    }
    if changes:
        out["anggota"] = changes
    if added:
        out["tambah"] = added
    if removed:
        out["hapus"] = removed
    if not out:
        raise InvalidInput(
            "anggota",
            "a data update changes, adds (tambah) or removes (hapus)",
            message_id="pemutakhiran data harus mengubah, menambah (tambah) atau menghapus "
            "(hapus) anggota",
        )
    return out


def no_data(data: Mapping[str, Any]) -> dict[str, Any]:
    only(data)
    return {}


def on_date(data: Mapping[str, Any]) -> dict[str, Any]:
    only(data, "tanggal")
    return {"tanggal": C.parse_date(data.get("tanggal"), "tanggal").isoformat()}


def death(data: Mapping[str, Any]) -> dict[str, Any]:
    only(data, "nomor_anggota", "tanggal")
    return {
        "nomor_anggota": member_number(data.get("nomor_anggota"), "nomor_anggota"),
        "tanggal": C.parse_date(data.get("tanggal"), "tanggal").isoformat(),
    }


def recertification(data: Mapping[str, Any]) -> dict[str, Any]:
    only(data, "hasil")
    return {"hasil": choice(data, "hasil", RESERTIFIKASI)}


def exit_reason(data: Mapping[str, Any]) -> dict[str, Any]:
    """`tidak_layak`: the reason from the list, and in words (`keterangan`) when it is
    `lainnya`, which says nothing by itself."""
    only(data, "alasan", "keterangan")
    out: dict[str, Any] = {"alasan": choice(data, "alasan", EXIT_REASONS)}
    said = C.text(data.get("keterangan"), "keterangan", required=False, limit=500)
    if said:
        out["keterangan"] = said
    elif out["alasan"] == "lainnya":
        raise InvalidInput(
            "keterangan",
            "is required when the reason is “Other”: say what it is",
            message_id="wajib diisi bila alasannya “Lainnya”: jelaskan alasannya",
        )
    return out


def correction(data: Mapping[str, Any]) -> dict[str, Any]:
    only(data, "pengaduan", "anggota")
    changes = member_changes(data)
    if not changes:
        raise InvalidInput(
            "anggota",
            "a correction changes at least one member field",
            message_id="koreksi harus mengubah sekurang-kurangnya satu data anggota",
        )
    pengaduan = C.text(data.get("pengaduan"), "pengaduan", limit=40)
    return {"pengaduan": pengaduan, "anggota": changes}


def free_text(*keys: str) -> Parser:
    def parse(data: Mapping[str, Any]) -> dict[str, Any]:
        only(data, *keys)
        return {k: C.text(data.get(k), k, required=False, limit=500) for k in keys if data.get(k)}

    return parse


def iso_date(value: str) -> date:
    return date.fromisoformat(value)


# The data each command takes, as its parser names it: the definition's `inputs` (what an
# officer or a door gives; a key an event records beyond these the workflow set itself).
INPUTS: dict[str, tuple[str, ...]] = {
    "daftar": ("no_kk", "region", "kode_wilayah", "kode_peserta", "anggota"),
    "pertemuan_awal": (),
    "validasi": ("hasil", "alasan"),
    "tetapkan": ("nomor_sk", "tanggal_sk"),
    "verifikasi_komitmen": ("periode", "hadir"),
    "pemutakhiran": ("anggota", "tambah", "hapus"),
    "kontrol_data": ("tanggal",),
    "koreksi_berlaku": ("tanggal",),
    "anggota_meninggal": ("nomor_anggota", "tanggal"),
    "resertifikasi": ("hasil",),
    "tidak_layak": ("alasan", "keterangan"),
    "koreksi": ("pengaduan", "anggota"),
    "pindah": ("tujuan", "alasan"),
    "graduasi_mandiri": ("alasan",),
    "pulihkan": ("alasan",),
    "hentikan": ("alasan",),
}
