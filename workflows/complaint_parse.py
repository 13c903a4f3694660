"""The complaint workflow's input parsers: a filing and each command's data checked whole,
every refusal naming its field in both languages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.errors import Findings, InvalidInput, echoed
from engine.state import CaseState
from workflows.complaint_codes import (
    CHANNELS,
    INFORMED_VIA,
    LEVELS,
    MAX_SUMMARY,
    MAX_TEXT,
    REJECT_REASONS,
    REPORTER_KINDS,
    TYPES,
)
from workflows.regions import known_region


# ------------------------------------------------------------------------------------- parsing
def _choice(
    data: Mapping[str, Any], key: str, options: tuple[str, ...], default: str | None = None
) -> str:
    value = data.get(key, default)
    if value is None or value == "":
        raise InvalidInput(key, "is required", message_id="wajib diisi")
    value = str(value).strip().lower()
    if value not in options:
        raise InvalidInput(
            key,
            f"unknown value {echoed(value)}; expected one of: {', '.join(options)}",
            message_id=f"nilai {echoed(value)} tidak dikenal; pilihan: {', '.join(options)}",
        )
    return value


def _flag(data: Mapping[str, Any], key: str) -> bool:
    v = data.get(key, False)
    if isinstance(v, bool):
        return v
    if str(v).lower() in ("1", "true", "yes", "ya"):
        return True
    if str(v).lower() in ("0", "false", "no", "tidak", ""):
        return False
    raise InvalidInput(
        key, f"expected true or false, got '{v}'", message_id=f"harus ya atau tidak, bukan '{v}'"
    )


def _text(
    data: Mapping[str, Any], key: str, *, required: bool = False, limit: int = 500
) -> str | None:
    v = data.get(key)
    if v is None or str(v).strip() == "":
        if required:
            raise InvalidInput(key, "is required", message_id="wajib diisi")
        return None
    if isinstance(v, bool) or not isinstance(v, str | int | float):
        raise InvalidInput(key, "must be text", message_id="harus berupa teks")
    text = str(v).strip()
    if len(text) > limit:
        raise InvalidInput(
            key,
            f"is longer than {limit} characters",
            message_id=f"lebih panjang dari {limit} karakter",
        )
    return text


def parse_region(value: Any) -> str:
    return known_region(value, "region")


def parse_filing(data: Mapping[str, Any]) -> dict[str, Any]:
    """Forms C-1/C-2 as the filing's data. Every field is checked, and a refusal names each
    field that is wrong (engine.errors.Findings), not only the first."""
    f = Findings()
    out: dict[str, Any] = {
        "type": f.check(_choice, data, "type", TYPES),
        "channel": f.check(_choice, data, "channel", CHANNELS),
        "level": f.check(_choice, data, "level", LEVELS),
        "region": f.check(parse_region, data.get("region")),
        "summary": f.check(_text, data, "summary", required=True, limit=MAX_SUMMARY),
        "reporter_kind": f.check(_choice, data, "reporter_kind", REPORTER_KINDS, default="kpm"),
        "anonymous": f.check(_flag, data, "anonymous"),
        "confidential": f.check(_flag, data, "confidential"),
        "about_self": f.check(_flag, data, "about_self"),
        "reporter_name": f.check(_text, data, "reporter_name", limit=200),
        "reporter_contact": f.check(_text, data, "reporter_contact", limit=200),
        "accused": f.check(_text, data, "accused", limit=100),
        "household": f.check(_text, data, "household", limit=40),  # a KPM case it concerns
    }
    form = f.check(
        _choice,
        data,
        "form",
        ("C-1", "c-1", "C-2", "c-2"),
        default="C-1" if out["reporter_kind"] in ("kpm", None) else "C-2",
    )
    out["form"] = form.upper() if form else None
    # the checks across fields, where the fields they read were read
    if out["household"] and out["type"] and out["type"] not in HOUSEHOLD_TYPES:
        f.check(_refuse, "household", *_HOUSEHOLD_ONLY)
    named = out["reporter_name"] or out["reporter_contact"]
    if out["anonymous"] and named:
        f.check(_refuse, "anonymous", *_ANONYMOUS_NAMED)
    if out["anonymous"] is False and not out["reporter_name"] and "reporter_name" not in f.failed:
        f.check(_refuse, "reporter_name", *_NAME_REQUIRED)
    f.raise_found()
    return out


HOUSEHOLD_TYPES = ("data_peserta", "komitmen_verifikasi")
_HOUSEHOLD_ONLY = (
    "only data_peserta and komitmen_verifikasi complaints link to a household",
    "hanya pengaduan data_peserta dan komitmen_verifikasi yang dapat menyebut rumah tangga KPM",
)
_ANONYMOUS_NAMED = (
    "an anonymous complaint cannot carry a reporter name",
    "pengaduan anonim tidak boleh mencantumkan nama atau kontak pelapor",
)
_NAME_REQUIRED = (
    "is required unless the complaint is anonymous",
    "wajib diisi, kecuali pengaduan anonim",
)


def _refuse(key: str, message: str, message_id: str) -> None:
    raise InvalidInput(key, message, message_id=message_id)


def parse_simple(*choices: tuple[str, tuple[str, ...]], texts: tuple[str, ...] = ()) -> Any:
    """A command's data with each of `choices` one of its options and each of `texts` text
    (a reason, a result: stored as given, trimmed; a number is taken as its text, a yes/no
    or an over-long value refused, naming the field). Absent ones are left to `required`."""

    def parse(data: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(data)
        for key, options in choices:
            if data.get(key) not in (None, ""):
                out[key] = _choice(data, key, options)
        for key in texts:
            if data.get(key) not in (None, ""):
                out[key] = _text(data, key, limit=MAX_TEXT)
        return out

    return parse


def parse_reject(data: Mapping[str, Any]) -> dict[str, Any]:
    """A rejection: why (one of REJECT_REASONS), the complaint it duplicates (only for a
    rejection as a duplicate: a case rejected as outside PKH names no other), how the reporter
    was told, and what they were told."""
    out = parse_simple(
        ("reason", REJECT_REASONS), ("informed_via", INFORMED_VIA), texts=("result",)
    )(data)
    if data.get("duplicate_of") not in (None, ""):
        if out.get("reason") != "duplikat":
            raise InvalidInput(
                "duplicate_of",
                "is only given when rejecting as a duplicate (reason duplikat)",
                message_id="hanya diisi bila ditolak sebagai duplikat (alasan duplikat)",
            )
        out["duplicate_of"] = str(_text(data, "duplicate_of", limit=40)).upper()
    return out


def parse_extend(data: Mapping[str, Any]) -> dict[str, Any]:
    out = parse_simple(texts=("reason",))(data)
    raw = data.get("working_days")
    if raw not in (None, ""):
        try:
            out["working_days"] = int(str(raw))
        except ValueError:
            raise InvalidInput(
                "working_days",
                f"expected a whole number, got '{raw}'",
                message_id=f"harus bilangan bulat, bukan '{raw}'",
            ) from None
    return out


def parse_link_reporter(data: Mapping[str, Any]) -> dict[str, Any]:
    """Another reporter of the same complaint: a name or a contact, at least one."""
    out = dict(data)
    for key in REPORTER_KEYS:
        out[key] = _text(data, key, limit=200)
    if not out["reporter_name"] and not out["reporter_contact"]:
        raise InvalidInput(
            "reporter_name",
            "give the other reporter's name or contact",
            message_id="isi nama atau kontak pelapor yang lain",
        )
    return out


REPORTER_KEYS = ("reporter_name", "reporter_contact")
FILING_KEYS = (
    "type",
    "channel",
    "level",
    "region",
    "summary",
    "reporter_kind",
    "anonymous",
    "confidential",
    "about_self",
    "reporter_name",
    "reporter_contact",
    "accused",
    "household",
    "form",
)
# the data each command takes (anything else is refused, naming it: engine.definition)
INPUTS: dict[str, tuple[str, ...]] = {
    "file": FILING_KEYS,
    "advance": ("informed_via", "result", "parties"),
    "escalate": ("reason",),
    "recommend_pt_pos": ("reason",),
    "refer": ("body",),
    "return_from_referral": ("outcome",),
    "reject": ("reason", "duplicate_of", "informed_via", "result"),
    "reopen": ("reason",),
    "assign": ("handler",),
    "release": ("reason",),
    "reclassify": ("type", "reason"),
    "extend": ("working_days", "reason"),
    "link_reporter": REPORTER_KEYS,
}


def same_reporter(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """The same person: the same contact, or the same name where the contacts do not differ
    (ignoring letter case and extra spaces)."""

    def norm(v: Any) -> str:
        return " ".join(str(v or "").split()).casefold()

    name_a, name_b = norm(a.get("reporter_name")), norm(b.get("reporter_name"))
    contact_a, contact_b = norm(a.get("reporter_contact")), norm(b.get("reporter_contact"))
    if contact_a and contact_a == contact_b:
        return True
    return bool(name_a) and name_a == name_b and not (contact_a and contact_b)


def reporters_of(state: CaseState | None) -> list[dict[str, Any]]:
    """The reporters a complaint holds, as `link_reporter` data: the one who filed it (an
    anonymous filer: nobody to name) and each linked since."""
    a = state.attrs if state else {}
    first = {k: a.get(k) for k in REPORTER_KEYS}
    linked = a.get("linked_reporters") or {}
    return [
        r
        for r in (
            first,
            *(
                {k: v.get(k) for k in REPORTER_KEYS}
                for v in linked.values()
                if isinstance(v, Mapping)
            ),
        )
        if r["reporter_name"] or r["reporter_contact"]
    ]


def parse_reclassify(data: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "type": _choice(data, "type", TYPES)} if data.get("type") else dict(data)
