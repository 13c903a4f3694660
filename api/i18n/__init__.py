"""UI strings of the officer pages in Bahasa Indonesia (default) and English, and value labels:
the functions the pages and the API say them with. The tables are in the modules beside this one,
by area; each adds its words to `STRINGS` and `LABELS` when imported, and all are imported here,
so the tables are whole wherever they are read."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from api.i18n import audit_page, staff  # noqa: F401 - they add their words to the tables
from api.i18n.case_page import NOTES
from api.i18n.common import DAYS, DEFAULT_LANG, EN_ONE, LANGS, MONTHS, STRINGS
from api.i18n.kpm import CODE_NAMES_ID
from api.i18n.labels import LABELS
from workflows.indonesia import zone_label
from workflows.kpm_codes import CODE_NAMES_EN


def text(key: str, lang: str, **values: object) -> str:
    id_, en = STRINGS[key]
    if lang == "en" and values.get("n") == 1 and key in EN_ONE:
        en = EN_ONE[key]
    s = en if lang == "en" else id_
    return s.format(**values) if values else s


# recorded values that hold a plain day, ISO in the record (a member's birth, death, the day
# a pregnancy was recorded; a household's registration, first meeting, validation and decree;
# the day a death or a data control is for): written as the pages write a day, '3 Mar 2008',
# no time or zone
DAY_KINDS = frozenset(
    {
        "tanggal_lahir",
        "meninggal",
        "sejak",
        "terdaftar",
        "pertemuan_awal",
        "validasi_tanggal",
        "tanggal_sk",
        "tanggal",
    }
)


def label(kind: str, value: object, lang: str) -> str:
    if value is None or value == "":
        return "–"
    if kind in DAY_KINDS and isinstance(value, str):
        try:
            return day_text(date.fromisoformat(value), lang)
        except ValueError:
            return value  # not a day: as recorded
    if kind not in LABELS:
        return str(value)
    pair = LABELS[kind].get(str(value))
    if pair is None:
        return str(value).replace("_", " ")
    return pair[1] if lang == "en" else pair[0]


def roles_text(roles: Sequence[str], lang: str) -> str:
    """'Auditor, UPPKH Pusat, atau Admin': the roles' labels, joined as the language does."""
    names = [label("role", r, lang) for r in roles]
    if len(names) < 2:
        return "".join(names)
    last = f"{',' if lang == 'id' and len(names) > 2 else ''} {text('or', lang)} {names[-1]}"
    return ", ".join(names[:-1]) + last


def translator(lang: str) -> Callable[..., str]:
    return lambda key, **values: text(key, lang, **values)


def day_text(d: date | datetime, lang: str, *, weekday: bool = False) -> str:
    i = 1 if lang == "en" else 0
    out = f"{d.day} {MONTHS[d.month - 1][i]} {d.year}"
    return f"{DAYS[d.weekday()][i]}, {out}" if weekday else out


def pick(lang: str | None) -> str:
    return lang if lang in LANGS else DEFAULT_LANG


FIELD_KEYS = {"outcome": "outcome_field", "received_at": "received_at", "at": "occurred_at"}
# a case's recorded values where a form field of the same name means something else
ATTR_KEYS = {"outcome": "final_outcome"}


def attr_label(field: str, lang: str) -> str:
    """The name of a case's recorded value (the audit page's differences)."""
    return field_label(ATTR_KEYS.get(field, field), lang)


def field_label(field: str, lang: str) -> str:
    if "." in field or "[" in field:
        return _path_label(field, lang)
    key = FIELD_KEYS.get(field, field)
    return text(key, lang) if key in STRINGS else field.replace("_", " ")


# a household command's nested field (`anggota.01.nik`, `tambah[0].nama`, `hadir.02`): the
# member and the field in words, "anggota 01, NIK"; the API's JSON keeps the path
_PATH = re.compile(r"^(anggota|tambah|hadir)(?:\.(\d+)|\[(\d+)\])(?:\.(\w+))?$")
PATH_WORDS = {
    "anggota": ("anggota {n}", "member {n}"),
    "tambah": ("anggota baru ke-{n}", "new member {n}"),
    "hadir": ("kehadiran anggota {n}", "attendance of member {n}"),
}


def _path_label(path: str, lang: str) -> str:
    m = _PATH.match(path)
    if m is None:
        return path
    key, no, index, sub = m.groups()
    words = PATH_WORDS[key][1 if lang == "en" else 0]
    said = words.format(n=no if no is not None else int(index) + 1)
    if sub is None:
        return said
    name = field_label(sub, lang)
    # "nama ibu kandung" in the middle of a phrase, but "NIK" and "KK" stay as written
    name = name if name[1:2].isupper() else name[:1].lower() + name[1:]
    return f"{said}, {name}"


def when(
    value: datetime | str | None, zone: str, lang: str = DEFAULT_LANG, *, seconds: bool = False
) -> str:
    """A moment as the office reads it: '20 Nov 2026 09:00 WIB' in the case's own zone (with
    `seconds`, '20 Nov 2026 09:00:17 WIB': two moments in the same minute told apart)."""
    if value is None or value == "":
        return "–"
    dt = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = dt.astimezone(ZoneInfo(zone))
    clock = f"{local:%H:%M:%S}" if seconds else f"{local:%H:%M}"
    return f"{day_text(local, lang)} {clock} {zone_label(zone)}"


def code_name(field: str, code: int, lang: str) -> str:
    """A member's coded value by its master name in the page's language: 3 -> 'ANAK' /
    'Child' (the code itself when the list does not hold it)."""
    names = CODE_NAMES_EN if lang == "en" else CODE_NAMES_ID
    return names.get(field, {}).get(code) or CODE_NAMES_ID.get(field, {}).get(code) or str(code)


_CASE_NO = r"(?P<{}>[A-Z]{{2,5}}-\d{{4}}-\d{{6}})"


def _note_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(case|other)\}", template)
    return re.compile(
        "".join(_CASE_NO.format(p) if i % 2 else re.escape(p) for i, p in enumerate(parts))
    )


_NOTE_PATTERNS = [(_note_pattern(said), pair) for pair in NOTES for said in pair]


def note_text(note: str, lang: str) -> str:
    """An event's note in the page's language when it is one of the system's own (NOTES)."""
    for pattern, (id_, en) in _NOTE_PATTERNS:
        found = pattern.fullmatch(note)
        if found:
            return (en if lang == "en" else id_).format(**found.groupdict())
    return note
