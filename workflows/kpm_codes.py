"""KPM master codes, NIK and the programme's identifiers: parse, check, and name the bad field.

Master codes from seed 002 (Kode Data Master, Direktorat JSK 2018) and DOMAIN.md: komponen
(kategori), hubungan keluarga, jenis kelamin, jenjang sekolah and kelas. Age rules from
Permensos No 1 Tahun 2018 (PKH): early childhood is 0-6 years, the education component covers
children under 21, lansia start at 60; the bounds of a pregnancy's, a head's and a spouse's
age, and the order of ages within a household (a parent older, a child younger), are this
project's (see BUMIL_AGES, role_age_problems).

The NIK's first six digits are the Dukcapil code of the issuing kecamatan. They normally equal the
Kemendagri code, but a NIK keeps the code of the kecamatan that issued it even after regions are
split or renumbered, so an older NIK may name a kecamatan the 2025 reference no longer lists.
Rejecting those would reject real people: we check the six digits' shape and that the province
part is a known province (and that the kabupaten and kecamatan parts are not 00).
"""

from __future__ import annotations

import calendar as _cal
from collections.abc import Callable, Mapping
from datetime import date, datetime
from functools import cache
from typing import Any

from engine.errors import Findings, InvalidInput, echoed
from workflows.regions import iter_regions

KOMPONEN: Mapping[int, str] = {
    1: "BUMIL",  # ibu hamil
    2: "ANAK USIA DINI",
    # 3 = TIDAK DIGUNAKAN (APRAS): unused, so rejected
    4: "SD",
    5: "SMP",
    6: "SMA",
    7: "MAHASISWA",
    8: "LANSIA",
    9: "NON KATEGORI",
    10: "MENINGGAL DUNIA",
    11: "DISABILITAS",
}
# Components that make a household eligible for PKH benefits. 7 (university) carries no PKH
# benefit, 9 is "none" and 10 "deceased".
ELIGIBLE_KOMPONEN = frozenset({1, 2, 4, 5, 6, 8, 11})
HUBUNGAN: Mapping[int, str] = {
    1: "KEPALA KELUARGA",
    2: "SUAMI/ISTRI",
    3: "ANAK",
    4: "CUCU",
    5: "ORANG TUA",
    6: "MENANTU",
    7: "FAMILI LAIN",
    8: "MERTUA",
}
JENIS_KELAMIN: Mapping[int, str] = {1: "LAKI-LAKI", 2: "PEREMPUAN"}
JENJANG_SEKOLAH: Mapping[int, str] = {1: "SD", 2: "SMP", 3: "SMA"}
# Seed 002's kelas line is cut off ("SD = 1-6 SMP = 7-10 SMA ="); we use the national school
# structure: SD 1-6, SMP 7-9, SMA/SMK/MA 10-12.
KELAS: Mapping[int, range] = {1: range(1, 7), 2: range(7, 10), 3: range(10, 13)}
ANY_KELAS: Mapping[int, str] = {k: str(k) for k in range(1, 13)}
SCHOOL_KOMPONEN: Mapping[int, int] = {4: 1, 5: 2, 6: 3}  # komponen -> jenjang it needs
# The master lists' names in English (the Indonesian is each list's own, above): the English
# pages (api.i18n.code_name) and the English of a refusal that lists a field's codes.
CODE_NAMES_EN: Mapping[str, Mapping[int, str]] = {
    "komponen": {
        1: "Pregnant woman (BUMIL)",
        2: "Early childhood",
        4: "Primary school pupil (SD)",
        5: "Junior high school pupil (SMP)",
        6: "Senior high school pupil (SMA)",
        7: "University student",
        8: "Elderly (LANSIA)",
        9: "No category",
        10: "Deceased",
        11: "Severe disability",
    },
    "hubungan_keluarga": {
        1: "Head of the family",
        2: "Husband/wife",
        3: "Child",
        4: "Grandchild",
        5: "Parent",
        6: "Son- or daughter-in-law",
        7: "Other relative",
        8: "Parent-in-law",
    },
    "jenis_kelamin": {1: "Male", 2: "Female"},
    "jenjang_sekolah": {
        1: "Primary school (SD)",
        2: "Junior high school (SMP)",
        3: "Senior high school (SMA)",
    },
}
KEPALA_KELUARGA = 1
PEREMPUAN = 2
BUMIL, USIA_DINI, SD, SMP, SMA, LANSIA, NON_KATEGORI, MENINGGAL = 1, 2, 4, 5, 6, 8, 9, 10
USIA_DINI_MAX_AGE = 6  # 0-6 years
SCHOOL_MAX_AGE = 21  # education component: children under 21
LANSIA_AGE = 60
MAX_AGE = 120
# Plausibility bounds (this project's choice; the seeds give no ages for these). A pregnancy
# (BUMIL) is recorded for ages 10-55: wide enough for the rare very young or late mother, narrow
# enough to catch a birth date or komponen keyed into the wrong row (a toddler or a great-
# grandmother "pregnant"). A kepala keluarga is at least 15: child-headed households (orphans)
# and early marriages exist, a small child heading a KK does not.
BUMIL_AGES = range(10, 56)
KEPALA_KELUARGA_MIN_AGE = 15
# A spouse (suami/istri) or a child's spouse (menantu) is at least 15, as a kepala keluarga is:
# early marriages are recorded, a small child "married" is a keying error.
SPOUSE_MIN_AGE = 15
SUAMI_ISTRI, ANAK, CUCU, ORANG_TUA, MENANTU, MERTUA = 2, 3, 4, 5, 6, 8
EXCEL_DIGITS = 15  # significant digits a spreadsheet number keeps
# Set on a member whose NIK was last held by a closed household (moved away, non-eligible, ...)
# when an import registers it in another one: the case the person came from.
PREVIOUS_CASE = "kasus_sebelumnya"

COLUMNS = (
    "no_kk",
    "nik",
    "nama",
    "jenis_kelamin",
    "tempat_lahir",
    "tanggal_lahir",
    "hubungan_keluarga",
    "nama_ibu_kandung",
    "kode_wilayah",
    "komponen",
    "jenjang_sekolah",
    "kelas",
)
MEMBER_FIELDS = tuple(c for c in COLUMNS if c not in ("no_kk", "kode_wilayah"))
KYC_FIELDS = ("nik", "tempat_lahir", "tanggal_lahir", "nama_ibu_kandung")
# the register's columns in words (id, en): the pages' labels (api.i18n) and the refusals that
# name a member's field ("anggota 03: Komponen: ...", not the column's code)
FIELD_WORDS: Mapping[str, tuple[str, str]] = {
    "no_kk": ("Nomor KK", "Family card (KK) number"),
    "nik": ("NIK", "NIK"),
    "nama": ("Nama", "Name"),
    "jenis_kelamin": ("Jenis kelamin", "Sex"),
    "tempat_lahir": ("Tempat lahir", "Place of birth"),
    "tanggal_lahir": ("Tanggal lahir", "Date of birth"),
    "hubungan_keluarga": ("Hubungan keluarga", "Relationship"),
    "nama_ibu_kandung": ("Nama ibu kandung", "Mother's maiden name"),
    "kode_wilayah": ("Wilayah", "Region"),
    "komponen": ("Komponen", "Component"),
    "jenjang_sekolah": ("Jenjang sekolah", "School level"),
    "kelas": ("Kelas", "Class"),
}


def _in_a_sentence(word: str) -> str:
    """'Tempat lahir' as said mid-sentence ('tempat lahir'); 'NIK' stays as it is."""
    return word if word[1:2].isupper() else word[:1].lower() + word[1:]


# the KYC fields in words (id, en), as a refusal names what is missing
KYC_WORDS: Mapping[str, tuple[str, str]] = {
    f: (_in_a_sentence(FIELD_WORDS[f][0]), _in_a_sentence(FIELD_WORDS[f][1])) for f in KYC_FIELDS
}


def field_words(field: str, *, mid_sentence: bool = False) -> tuple[str, str]:
    """A column's name in words (id, en); a field without one as it is. `mid_sentence`: as
    said inside a sentence ('nama ibu kandung', 'NIK')."""
    words = FIELD_WORDS.get(field, (field, field))
    return (_in_a_sentence(words[0]), _in_a_sentence(words[1])) if mid_sentence else words


# ------------------------------------------------------------------------------------ values
def text(value: Any, field: str, *, required: bool = True, limit: int = 200) -> str | None:
    s = value.strip() if type(value) is str else "" if value is None else str(value).strip()
    if not s:
        if required:
            raise InvalidInput(field, "is required", message_id="wajib diisi")
        return None
    if len(s) > limit:
        raise InvalidInput(
            field,
            f"is longer than {limit} characters",
            message_id=f"lebih panjang dari {limit} karakter",
        )
    return s


def digits(value: Any, field: str, length: int) -> str:
    """A fixed-length identifier kept as text; a number from a spreadsheet cell is refused when it
    may have lost digits. Excel keeps 15 significant digits, so a 16-digit NIK or no_kk typed as
    a number has lost its last digit before the file is saved, whether the reader hands the cell
    over as a float or (openpyxl, for an integral cell) as an int: every number is refused for
    an identifier longer than 15 digits. A float is refused for any identifier."""
    if type(value) is str and len(value) == length and value.isdigit() and value.isascii():
        return value
    if isinstance(value, float) or (type(value) is int and length > EXCEL_DIGITS):
        raise InvalidInput(
            field,
            "stored as a number in the spreadsheet (digits may be lost); store it as text",
            message_id="tersimpan sebagai angka di lembar kerja (digit bisa hilang); "
            "simpan sebagai teks",
        )
    s = str(value if value is not None else "").strip().removeprefix("'")
    if len(s) != length or not (s.isascii() and s.isdigit()):
        raise InvalidInput(
            field,
            f"must be {length} digits, got '{s}'",
            message_id=f"harus berupa {length} digit, bukan '{s}'",
        )
    return s


def code(value: Any, field: str, table: Mapping[int, str], *, required: bool = True) -> int | None:
    """A master code: an int, an integral float from a spreadsheet, or digits as text."""
    if type(value) is int and value in table:
        return value
    if type(value) is str:
        found = _by_text(table).get(value.strip())
        if found is not None:
            return found
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(field, "is required", message_id="wajib diisi")
        return None
    n: int | None = None
    if isinstance(value, bool):
        n = None
    elif isinstance(value, int):
        n = value
    elif isinstance(value, float) and value.is_integer():
        n = int(value)
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        n = int(value.strip())
    if n is None or n not in table:
        unused = n == 3 and field == "komponen"
        extra, extra_id = (" (3 is unused)", " (kode 3 tidak digunakan)") if unused else ("", "")
        known = ", ".join(f"{k} {v}" if v != str(k) else str(k) for k, v in table.items())
        english = CODE_NAMES_EN.get(field, {})
        known_en = ", ".join(
            f"{k} {english[k]}" if k in english else f"{k} {v}" if v != str(k) else str(k)
            for k, v in table.items()
        )
        raise InvalidInput(
            field,
            f"unknown code {echoed(value)}{extra}; expected one of: {known_en}",
            message_id=f"kode {echoed(value)} tidak dikenal{extra_id}; pilihan: {known}",
        )
    return n


_TEXT_CODES: dict[int, tuple[Mapping[int, str], dict[str, int]]] = {}


def _by_text(table: Mapping[int, str]) -> dict[str, int]:
    """'1', '01' -> 1 for a code table (the module's tables, cached by identity)."""
    entry = _TEXT_CODES.get(id(table))
    if entry is None or entry[0] is not table:
        entry = (table, {f: k for k in table for f in (str(k), f"{k:02d}")})
        if len(_TEXT_CODES) < 64:
            _TEXT_CODES[id(table)] = entry
    return entry[1]


def parse_date(value: Any, field: str) -> date:
    """ISO 2026-03-17, or DD-MM-YYYY / DD/MM/YYYY as Indonesian extracts write it, or a cell."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    s = "" if value is None else str(value).strip()
    if len(s) == 10 and s[4] == "-" and s[7] == "-":
        try:
            return date.fromisoformat(s)
        except ValueError:
            pass  # e.g. 2026-02-30, or digits that are not a date: reported below
    if not s:
        raise InvalidInput(field, "is required", message_id="wajib diisi")
    parts = s.replace("/", "-").split("-")
    if len(parts) == 3 and all(p.isascii() and p.isdigit() for p in parts):
        if len(parts[0]) == 4:
            y, m, d = parts
        elif len(parts[2]) == 4:
            d, m, y = parts
        else:
            y = m = d = ""
        if y:
            try:
                return date(int(y), int(m), int(d))
            except ValueError:
                raise InvalidInput(
                    field,
                    f"impossible date '{s}'",
                    message_id=f"tanggal '{s}' tidak ada dalam kalender",
                ) from None
    raise InvalidInput(
        field,
        f"'{s}' is not a date (YYYY-MM-DD or DD-MM-YYYY)",
        message_id=f"'{s}' bukan tanggal (YYYY-MM-DD atau DD-MM-YYYY)",
    )


def age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


# --------------------------------------------------------------------------------------- NIK
@cache
def provinces() -> frozenset[str]:
    return frozenset(r.code for r in iter_regions(1))


def parse_nik(value: Any, field: str = "nik") -> str:
    """A well-formed NIK: 16 digits, a known province, a possible DDMM (+40 on the day for women),
    and a serial other than 0000. Agreement with the person is checked by `check_nik_agrees`."""
    nik = digits(value, field, 16)
    if nik[:2] not in provinces():
        raise InvalidInput(
            field,
            f"'{nik}' starts with {nik[:2]}, which is not a province code",
            message_id=f"'{nik}' diawali {nik[:2]}, yang bukan kode provinsi",
        )
    if nik[2:4] == "00" or nik[4:6] == "00":
        raise InvalidInput(
            field,
            f"'{nik}' has no kabupaten/kecamatan part (00)",
            message_id=f"'{nik}' tidak memuat kode kabupaten/kecamatan (00)",
        )
    day, month = int(nik[6:8]), int(nik[8:10])
    day = day - 40 if day > 40 else day
    if not 1 <= month <= 12 or not 1 <= day <= _cal.monthrange(2000, month)[1]:
        raise InvalidInput(
            field,
            f"'{nik}' has no possible birth date in digits 7-12",
            message_id=f"digit ke-7 sampai ke-12 dari '{nik}' bukan tanggal lahir yang mungkin",
        )
    if nik[12:] == "0000":
        raise InvalidInput(
            field,
            f"'{nik}' has serial 0000",
            message_id=f"nomor urut pada '{nik}' tidak boleh 0000",
        )
    return nik


def nik_birth(nik: str) -> tuple[int, int, int, int]:
    """(day, month, two-digit year, sex code) as the NIK states them."""
    day = int(nik[6:8])
    sex = PEREMPUAN if day > 40 else 1
    return (day - 40 if day > 40 else day), int(nik[8:10]), int(nik[10:12]), sex


def check_nik_agrees(nik: str, born: date, sex: int) -> None:
    day, month, yy, nik_sex = nik_birth(nik)
    if (day, month, yy) != (born.day, born.month, born.year % 100):
        raise InvalidInput(
            "nik",
            f"'{nik}' states birth date {day:02d}-{month:02d}-{yy:02d}, "
            f"but the date of birth is {born.isoformat()}",
            message_id=f"'{nik}' menyatakan tanggal lahir {day:02d}-{month:02d}-{yy:02d}, "
            f"sedangkan tanggal lahirnya {born.isoformat()}",
        )
    if nik_sex != sex:
        raise InvalidInput(
            "nik",
            f"'{nik}' is a {JENIS_KELAMIN[nik_sex].lower()}'s NIK (day "
            f"{'+40' if nik_sex == PEREMPUAN else 'without +40'}), "
            f"but the sex is {sex} ({JENIS_KELAMIN[sex]})",
            message_id=f"'{nik}' adalah NIK {JENIS_KELAMIN[nik_sex].lower()} (tanggal "
            f"{'+40' if nik_sex == PEREMPUAN else 'tanpa +40'}), "
            f"sedangkan jenis kelaminnya {sex} ({JENIS_KELAMIN[sex]})",
        )


# ------------------------------------------------------------------------------------ member
class Member(dict[str, Any]):
    """A member as `normalize_member` returns it: every value in its canonical form. Parsers
    take one as it is instead of normalising it again (the import normalises each row once,
    then the workflow's registration parser would do it a second time). Only
    `normalize_member` and `moved_from` make one; treat it as read-only."""

    __slots__ = ()


def moved_from(member: Member, case_id: str) -> Member:
    """The member with the closed household its NIK was last registered in (PREVIOUS_CASE), so
    the event that registers the person again records where they came from."""
    return Member({**member, PREVIOUS_CASE: case_id})


def parse_member(row: Mapping[str, Any], as_of: date) -> dict[str, Any]:
    """One member's row as a normalised dict (MEMBER_FIELDS), or InvalidInput naming the field."""
    member = normalize_member(row)
    check_member(member, as_of)
    return member


def _call(fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)


def normalize_member(row: Mapping[str, Any], check: Callable[..., Any] = _call) -> Member:
    """The checks that need no date: shapes, master codes, and the NIK agreeing with the person.

    KYC fields other than the NIK and birth date may be blank: an extract is often incomplete; a
    blank is recorded as such and blocks the decree (penetapan) until a data update fills it.
    `check` runs each field's check: by default the first refusal is raised; `member_refusals`
    passes `Findings.check`, which keeps each refusal and goes on to the next field.
    """
    nik = check(parse_nik, row.get("nik"))
    born = check(parse_date, row.get("tanggal_lahir"), "tanggal_lahir")
    sex = check(code, row.get("jenis_kelamin"), "jenis_kelamin", JENIS_KELAMIN)
    if nik is not None and born is not None and sex is not None:
        check(check_nik_agrees, nik, born, sex)
    member = {
        "nik": nik,
        "nama": check(text, row.get("nama"), "nama"),
        "jenis_kelamin": sex,
        "tempat_lahir": check(_optional_text, row.get("tempat_lahir"), "tempat_lahir"),
        "tanggal_lahir": born and born.isoformat(),
        "hubungan_keluarga": check(
            code, row.get("hubungan_keluarga"), "hubungan_keluarga", HUBUNGAN
        ),
        "nama_ibu_kandung": check(_optional_text, row.get("nama_ibu_kandung"), "nama_ibu_kandung"),
        "komponen": check(code, row.get("komponen"), "komponen", KOMPONEN),
        "jenjang_sekolah": check(_optional_jenjang, row.get("jenjang_sekolah")),
        "kelas": check(_kelas, row.get("kelas")),
    }
    return Member({k: v for k, v in member.items() if v is not None})  # a blank is left out


# the fields check_member reads: it runs only when none of them was refused
_DATED_FIELDS = frozenset(
    ("tanggal_lahir", "jenis_kelamin", "komponen", "jenjang_sekolah", "kelas", "hubungan_keluarga")
)


def member_refusals(row: Mapping[str, Any], as_of: date | None) -> list[InvalidInput]:
    """Every refusal of a member's row, each field checked even after another refused (the
    import's slow path, once `parse_member` has refused a row: an officer fixing the extract
    learns every mistake of the row at once). The checks as of a date run when `as_of` is
    known and the fields they read all passed."""
    found = Findings()
    member = normalize_member(row, found.check)
    if as_of is not None and not found.failed & _DATED_FIELDS:
        found.check(check_member, member, as_of)
    return found.found


def _optional_text(value: Any, field: str) -> str | None:
    return text(value, field, required=False)


def _optional_jenjang(value: Any) -> int | None:
    return code(value, "jenjang_sekolah", JENJANG_SEKOLAH, required=False)


def _kelas(value: Any) -> int | None:
    return code(value, "kelas", ANY_KELAS, required=False)


def check_member(m: Mapping[str, Any], as_of: date) -> None:
    """The member as of a date: a possible age, a component that fits sex, age and school,
    and a kepala keluarga who is not a child."""
    born = date.fromisoformat(m["tanggal_lahir"])
    if born > as_of:
        raise InvalidInput(
            "tanggal_lahir",
            f"{born.isoformat()} is in the future",
            message_id=f"{born.isoformat()} berada di masa depan",
        )
    age = age_on(born, as_of)
    if age > MAX_AGE:
        raise InvalidInput(
            "tanggal_lahir",
            f"{born.isoformat()} is over {MAX_AGE} years ago",
            message_id=f"{born.isoformat()} lebih dari {MAX_AGE} tahun yang lalu",
        )
    komponen, jenjang, kelas = m["komponen"], m.get("jenjang_sekolah"), m.get("kelas")
    label = f"{komponen} ({KOMPONEN[komponen]})"
    if komponen == BUMIL and m["jenis_kelamin"] != PEREMPUAN:
        raise InvalidInput(
            "komponen",
            f"{label} needs jenis_kelamin 2 (PEREMPUAN)",
            message_id=f"{label} hanya untuk jenis_kelamin 2 (PEREMPUAN)",
        )
    is_age = f"anggota ini berusia {age} tahun"
    if komponen == BUMIL and age not in BUMIL_AGES:
        lo, hi = BUMIL_AGES[0], BUMIL_AGES[-1]
        raise InvalidInput(
            "komponen",
            f"{label} is for ages {lo}-{hi}; the member is {age}",
            message_id=f"{label} untuk usia {lo}-{hi} tahun; {is_age}",
        )
    if komponen == USIA_DINI and age > USIA_DINI_MAX_AGE:
        raise InvalidInput(
            "komponen",
            f"{label} is for ages 0-6; the member is {age}",
            message_id=f"{label} untuk usia 0-6 tahun; {is_age}",
        )
    if komponen == LANSIA and age < LANSIA_AGE:
        raise InvalidInput(
            "komponen",
            f"{label} starts at {LANSIA_AGE}; the member is {age}",
            message_id=f"{label} mulai usia {LANSIA_AGE} tahun; {is_age}",
        )
    need = SCHOOL_KOMPONEN.get(komponen)
    if need is not None:
        if jenjang != need:
            level = JENJANG_SEKOLAH[need]
            raise InvalidInput(
                "jenjang_sekolah",
                f"komponen {label} needs school level {need} ({level}), got {jenjang}",
                message_id=f"komponen {label} memerlukan jenjang sekolah {need} ({level}), bukan "
                f"{'kosong' if jenjang is None else jenjang}",
            )
        if kelas is None:
            raise InvalidInput(
                "kelas",
                f"komponen {label} needs a kelas",
                message_id=f"komponen {label} harus disertai kelas",
            )
        if age >= SCHOOL_MAX_AGE:
            raise InvalidInput(
                "komponen",
                f"{label} is for children under 21; member is {age}",
                message_id=f"{label} untuk anak di bawah 21 tahun; {is_age}",
            )
    if m.get("hubungan_keluarga") == KEPALA_KELUARGA and age < KEPALA_KELUARGA_MIN_AGE:
        raise InvalidInput(
            "hubungan_keluarga",
            f"a kepala keluarga (1) is at least {KEPALA_KELUARGA_MIN_AGE} years old; "
            f"the member is {age}",
            message_id=f"kepala keluarga (1) sekurang-kurangnya berusia "
            f"{KEPALA_KELUARGA_MIN_AGE} tahun; {is_age}",
        )
    relation = m.get("hubungan_keluarga")
    if relation in (SUAMI_ISTRI, MENANTU) and age < SPOUSE_MIN_AGE:
        role = f"{HUBUNGAN[relation].lower()} ({relation})"
        raise InvalidInput(
            "hubungan_keluarga",
            f"a {role} is at least {SPOUSE_MIN_AGE} years old; the member is {age}",
            message_id=f"{role} sekurang-kurangnya berusia {SPOUSE_MIN_AGE} tahun; {is_age}",
        )
    if kelas is not None and jenjang is None:
        raise InvalidInput(
            "jenjang_sekolah",
            "is required when kelas is given",
            message_id="wajib diisi bila kelas diisi",
        )
    if jenjang is not None and kelas is not None and kelas not in KELAS[jenjang]:
        r = KELAS[jenjang]
        raise InvalidInput(
            "kelas",
            f"{kelas} is not a {JENJANG_SEKOLAH[jenjang]} class ({r[0]}-{r[-1]})",
            message_id=f"{kelas} bukan kelas {JENJANG_SEKOLAH[jenjang]} ({r[0]}-{r[-1]})",
        )


# ----------------------------------------------------------------------------- household
# Relations whose age is bounded by another member's: an orang tua is older than the kepala
# keluarga, a mertua (the spouse's parent) older than the spouse, an anak or cucu younger than
# the kepala keluarga. A mertua is measured against the spouse, not the head: a head much older
# than his wife may well be older than her parents. With no single spouse recorded, against the
# head.
OLDER_THAN_REFERENCE = (ORANG_TUA, MERTUA)
YOUNGER_THAN_HEAD = (ANAK, CUCU)


def member_label(key: Any) -> tuple[str, str]:
    """How a member is named in a message (Bahasa Indonesia, English): by member number."""
    return f"anggota {key}", f"member {key}"


def role_age_problems(
    members: Mapping[Any, Mapping[str, Any]],
    as_of: date,
    label: Callable[[Any], tuple[str, str]] = member_label,
) -> dict[Any, InvalidInput]:
    """Members of one household whose age cannot be right for their relation (see
    OLDER_THAN_REFERENCE), by key, each with the reason naming both members and their ages.
    Keys are the caller's (member numbers, a file's lines) and `label` names them. Checked only
    when the household has one living kepala keluarga (other checks report the others)."""
    heads = [
        k
        for k, m in members.items()
        if m.get("hubungan_keluarga") == KEPALA_KELUARGA and m.get("komponen") != MENINGGAL
    ]
    if len(heads) != 1:
        return {}
    head = heads[0]
    spouses = [k for k, m in members.items() if m.get("hubungan_keluarga") == SUAMI_ISTRI]
    in_laws_child = spouses[0] if len(spouses) == 1 else head
    out: dict[Any, InvalidInput] = {}
    for key, m in members.items():
        relation = m.get("hubungan_keluarga")
        if relation in OLDER_THAN_REFERENCE:
            ref = head if relation == ORANG_TUA else in_laws_child
            wrong = m["tanggal_lahir"] >= members[ref]["tanggal_lahir"]  # ISO dates
        elif relation in YOUNGER_THAN_HEAD:
            ref = head
            wrong = m["tanggal_lahir"] <= members[ref]["tanggal_lahir"]
        else:
            continue
        if wrong:
            out[key] = _role_age_error(m, members[ref], label(ref), as_of)
    return out


def _role_age_error(
    m: Mapping[str, Any], ref: Mapping[str, Any], where: tuple[str, str], as_of: date
) -> InvalidInput:
    relation, ref_relation = m["hubungan_keluarga"], ref["hubungan_keluarga"]
    role = f"{HUBUNGAN[relation].lower()} ({relation})"
    ref_role = HUBUNGAN[ref_relation].lower()
    older = relation in OLDER_THAN_REFERENCE
    born, ref_born = m["tanggal_lahir"], ref["tanggal_lahir"]
    age = age_on(date.fromisoformat(born), as_of)
    ref_age = age_on(date.fromisoformat(ref_born), as_of)
    return InvalidInput(
        "hubungan_keluarga",
        f"{'an' if role[0] in 'aeiou' else 'a'} {role} aged {age} (born {born}) is not "
        f"{'older' if older else 'younger'} than the {ref_role} ({where[1]}, aged {ref_age}, "
        f"born {ref_born})",
        message_id=f"{role} berusia {age} tahun (lahir {born}) tidak lebih "
        f"{'tua' if older else 'muda'} dari {ref_role} ({where[0]}, berusia {ref_age} tahun, "
        f"lahir {ref_born})",
    )


def kyc_missing(m: Mapping[str, Any]) -> list[str]:
    return [f for f in KYC_FIELDS if not m.get(f)]


def is_eligible(m: Mapping[str, Any]) -> bool:
    return m.get("komponen") in ELIGIBLE_KOMPONEN


# ------------------------------------------------------------------------------ identifiers
PARTICIPANT_CODE_LENGTH = 13  # kecamatan (6) + year (2) + sequence (5)
SEQUENCE_DIGITS = 5


def participant_code(region: str, year: int, sequence: int) -> str:
    """Kode peserta: region + year + sequence (seed 002). The seed's example uses the 7-digit BPS
    kecamatan code (3271010 16 00001); we use the Kemendagri kecamatan code (6 digits)."""
    if len(region) < 6:
        raise InvalidInput(
            "kode_wilayah",
            f"needs a kecamatan or desa code, got '{region}'",
            message_id=f"harus berupa kode kecamatan atau desa, bukan '{region}'",
        )
    if not 1 <= sequence < 10**SEQUENCE_DIGITS:
        raise InvalidInput(
            "sequence",
            f"{sequence} does not fit {SEQUENCE_DIGITS} digits",
            message_id=f"{sequence} tidak muat dalam {SEQUENCE_DIGITS} digit",
        )
    return f"{region[:6]}{year % 100:02d}{sequence:0{SEQUENCE_DIGITS}d}"


def member_code(participant: str, member_no: str | int) -> str:
    """Kode anggota: participant code + member number (2 digits)."""
    return f"{participant}{int(member_no):02d}"


def split_member_code(value: Any, field: str = "kode_anggota") -> tuple[str, str]:
    s = digits(value, field, PARTICIPANT_CODE_LENGTH + 2)
    return s[:PARTICIPANT_CODE_LENGTH], s[PARTICIPANT_CODE_LENGTH:]


def member_no(n: int) -> str:
    return f"{n:02d}"
