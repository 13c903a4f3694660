"""The pengaduan (complaint) workflow: filing, four-level escalation, Tabel 2 stages, referrals.

Declared as data from DOMAIN.md and seed 003 (Pedoman SPM-PKH): each level has its stages and
budgets; `advance` walks the stages, `escalate` moves to the next level's first stage.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from engine.deadlines import COUNTED_FROM, counted_from
from engine.definition import (
    LINKED_REPORTER,
    OFFICE,
    Budget,
    DeadlinePolicy,
    Effect,
    StateDef,
    TransitionDef,
    WorkflowDefinition,
)
from engine.errors import Findings, InvalidInput, Reason, echoed
from engine.machine import Decision, due_at
from engine.state import CaseState, name_key
from workflows.guards import R, actor_covers_region
from workflows.indonesia import PUSAT_ZONE, ZONE_INFO, zone_for_region
from workflows.regions import UnknownRegion, get_region, normalize_region_code
from workflows.roles import WORKFLOW_READERS

NAME = "complaint"
LEVELS = ("ketua_kelompok", "pendamping", "kabupaten", "pusat")
LEVEL_RANK = {lvl: i for i, lvl in enumerate(LEVELS)}
# Tabel 2: document/analyse 5, identify parties 3, follow up 15, inform reporter 3 = 26.
TABEL_2 = (("dokumentasi", 5), ("identifikasi", 3), ("tindak_lanjut", 15), ("pemberitahuan", 3))
TYPES = (
    "data_peserta",
    "komitmen_verifikasi",
    "bukan_peserta",
    "pembayaran",
    "ketersediaan_layanan",
    "teknis_administrasi",
    "kkn",
)
CHANNELS = (
    "ketua_kelompok",
    "pendamping",
    "kantor_uppkh",
    "telepon",
    "faks",
    "email",
    "surat",
    "formulir",
    "kotak_pengaduan",
    "kotak_pos",
    "sms",
    "web",
    "lapor",
    # indirect sources, recorded by officers as complaints too
    "pemantauan",
    "musyawarah_desa",
    "penelitian",
    "apip_aph",
    "dpr_dprd",
    "media_massa",
)
REPORTER_KINDS = (
    "kpm",
    "masyarakat",
    "media",
    "lsm",
    "penyedia_layanan",
    "pendamping",
    "staf_pkh",
    "lainnya",
)
SIDE_BODIES = (
    "tim_koordinasi_kabupaten",
    "tim_koordinasi_provinsi",
    "tim_koordinasi_pusat",
    "dinas_teknis",
    "pt_pos",
    "bank",
    "sekolah",
    "puskesmas",
)
INFORMED_VIA = ("surat", "telepon", "email", "sms", "tatap_muka", "pertemuan_kelompok")
REJECT_REASONS = ("bukan_pkh", "duplikat")
MIN_REGION_DIGITS = {"ketua_kelompok": 6, "pendamping": 6, "kabupaten": 4, "pusat": 2}
MAX_SUMMARY = 4000
MAX_TEXT = 2000  # a reason, a result, the parties involved


# ---------------------------------------------------------------------------------------- states
def _stages(level: str) -> list[tuple[str, int | None]]:
    if level in ("kabupaten", "pusat"):
        return [(s, n) for s, n in TABEL_2]
    return [("penanganan", None)]


def state_name(level: str, stage: str) -> str:
    return f"{level}_{stage}"


def _states() -> tuple[StateDef, ...]:
    out = []
    for lvl in LEVELS:
        out += [StateDef(state_name(lvl, s), lvl, s) for s, _ in _stages(lvl)]
        if lvl in ("kabupaten", "pusat"):
            out.append(StateDef(state_name(lvl, "dirujuk"), lvl, "dirujuk"))
    out += [
        StateDef("selesai", closed=True, label_id="selesai", label_en="resolved"),
        StateDef("ditolak", closed=True, label_id="ditolak", label_en="rejected"),
    ]
    return tuple(out)


def open_states(level: str) -> tuple[str, ...]:
    names = [state_name(level, s) for s, _ in _stages(level)]
    if level in ("kabupaten", "pusat"):
        names.append(state_name(level, "dirujuk"))
    return tuple(names)


def _handling_states(level: str) -> tuple[str, ...]:
    return tuple(state_name(level, s) for s, _ in _stages(level))


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
    raw = str(value or "")
    try:
        code = normalize_region_code(raw)
    except UnknownRegion as e:
        raise InvalidInput(
            "region",
            e.en,
            message_id=f"kode wilayah tidak sah: {raw!r} (2, 4, 6 atau 10 digit, boleh bertitik)",
        ) from None
    try:
        return get_region(code).code
    except UnknownRegion as e:
        raise InvalidInput(
            "region", e.en, message_id=f"kode wilayah tidak dikenal: {code}"
        ) from None


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


# ----------------------------------------------------------------------------- guards (pure)
def _said(key: str) -> str:
    """A level, role or code as said in a sentence: "ketua_kelompok" -> "ketua kelompok"."""
    return key.replace("_", " ")


def actor_may_file_at_level(d: Decision) -> Reason | None:
    if d.actor.role == "pusat" or LEVEL_RANK[d.data["level"]] >= LEVEL_RANK.get(d.actor.role, 99):
        return None
    return R(
        "level_below_actor",
        f"petugas {_said(d.actor.role)} tidak dapat mencatat pengaduan di tingkat "
        f"{_said(d.data['level'])}",
        f"a {d.actor.role} officer cannot record a complaint at {d.data['level']} level",
    )


def region_fits_level(d: Decision) -> Reason | None:
    need = MIN_REGION_DIGITS[d.data["level"]]
    if len(d.data["region"]) >= need:
        return None
    return R(
        "region_too_coarse",
        f"tingkat {_said(d.data['level'])} memerlukan kode wilayah minimal {need} digit",
        f"{d.data['level']} level needs a region code of at least {need} digits",
    )


def pendamping_self_complaint_goes_to_pusat(d: Decision) -> Reason | None:
    if (
        d.data["reporter_kind"] == "pendamping"
        and d.data["about_self"]
        and d.data["level"] != "pusat"
    ):
        return R(
            "pendamping_self_to_pusat",
            "pengaduan pendamping tentang dirinya sendiri ditangani UPPKH Pusat",
            "a pendamping's complaint about its own situation is handled by pusat",
        )
    return None


def _subject(d: Decision) -> str | None:
    return d.data.get("accused") if d.state is None else d.attr("accused")


def household_is_registered(d: Decision) -> Reason | None:
    """A household the complaint names must be one the KPM register holds, within the
    officer's area (outside it, as everywhere, it does not exist), and one the officer's role
    may read: for a ketua kelompok households do not exist, so naming one answers as for an
    unknown one (it would otherwise tell whether a NIK belongs to a PKH participant). Bad
    input, naming the field: nothing about the case can make an unknown household right."""
    given = d.data.get("household")
    found = d.env.facts.get("household")
    readable = d.actor.role in WORKFLOW_READERS["kpm"]
    if not given or (found and readable and d.actor.covers(found["region"])):
        return None
    raise InvalidInput(
        "household",
        f"no KPM household '{given}' in the register (give its case number KPM-..., "
        "kode peserta, no_kk or a member's NIK)",
        message_id=f"rumah tangga KPM '{given}' tidak terdaftar (sebutkan nomor kasus "
        "KPM-..., kode peserta, nomor KK, atau NIK salah satu anggotanya)",
    )


def household_in_complaint_region(d: Decision) -> Reason | None:
    """The complaint is routed by its region: the office that handles it must be the one
    whose area holds the household, which its data correction concerns."""
    found = d.env.facts.get("household")
    if not d.data.get("household") or not found or found["region"].startswith(d.data["region"]):
        return None
    return R(
        "household_outside_region",
        f"rumah tangga {found['case_id']} berada di wilayah {found['region']}, di luar "
        f"wilayah pengaduan {d.data['region']}; catat pengaduan di wilayah rumah tangga itu",
        f"household {found['case_id']} lives in region {found['region']}, outside the "
        f"complaint's region {d.data['region']}; file the complaint in the household's region",
    )


def actor_is_not_subject(d: Decision) -> Reason | None:
    # the accused is named as staff (linked to a user account) or directly by username
    subject = d.env.facts.get("subject_user") or _subject(d)
    # as typed in the complaint: "PUSAT.SPM2" names the account pusat.spm2
    if subject and name_key(subject) == name_key(d.actor.username):
        return R(
            "conflict_of_interest",
            "Anda tidak dapat menangani pengaduan tentang diri Anda",
            "nobody handles a complaint about themselves",
        )
    return None


def reporter_informed(d: Decision) -> Reason | None:
    if d.attr("anonymous") or d.data.get("informed_via") in INFORMED_VIA:
        return None
    return R(
        "reporter_not_informed",
        "pengaduan belum dapat ditutup sebelum pelapor diberi tahu: isi 'Pelapor diberi tahu "
        "melalui' (informed_via: " + ", ".join(_said(v) for v in INFORMED_VIA) + ")",
        "the complaint cannot close before the reporter is informed: fill in 'Reporter informed "
        "via' (informed_via: " + ", ".join(_said(v) for v in INFORMED_VIA) + ")",
    )


def is_pembayaran(d: Decision) -> Reason | None:
    if d.attr("type") == "pembayaran":
        return None
    return R(
        "not_payment",
        "hanya untuk pengaduan pembayaran",
        "only payment (pembayaran) complaints are recommended for PT Pos follow-up",
    )


def reporter_is_new(d: Decision) -> Reason | None:
    """One person linked twice (or the first reporter again) is not a second reporter: two
    reporters are what a PT Pos follow-up needs."""
    if not any(same_reporter(d.data, r) for r in reporters_of(d.state)):
        return None
    return R(
        "reporter_already_recorded",
        "pelapor ini sudah tercatat pada kasus ini",
        "this reporter is already recorded on the case",
    )


def at_least_two_reporters(d: Decision) -> Reason | None:
    if int(d.attr("reporters", 1)) >= 2:
        return None
    return R(
        "too_few_reporters",
        "rekomendasi ke PT Pos memerlukan minimal 2 pelapor",
        "a PT Pos recommendation needs at least two linked reporters",
    )


def duplicate_is_known(d: Decision) -> Reason | None:
    if d.data.get("reason") != "duplikat":
        return None
    other = d.data.get("duplicate_of")
    if not other:
        return R(
            "duplicate_of_missing",
            "sebutkan nomor kasus yang sama (duplicate_of)",
            "name the case this duplicates (duplicate_of)",
        )
    if other == (d.state.id if d.state else None):
        return R(
            "duplicate_of_self",
            "sebuah kasus tidak dapat menjadi duplikat dirinya sendiri",
            "a case cannot be a duplicate of itself",
        )
    if not d.env.facts.get("duplicate_exists"):
        return R(
            "duplicate_of_unknown", f"kasus {other} tidak ditemukan", f"case {other} does not exist"
        )
    if d.env.facts.get("duplicate_outcome") == "rejected":
        # its reporters would be told a rejected complaint goes on (or, of two rejected as
        # each other's duplicate, that neither does)
        return R(
            "duplicate_of_rejected",
            f"pengaduan {other} sudah ditolak; sebutkan pengaduan yang ditangani",
            f"complaint {other} was rejected; name the complaint that is being handled",
        )
    return None


def has_handler(d: Decision) -> Reason | None:
    """Only a case someone handles can be released to its office's queue (static: the page
    does not offer it otherwise)."""
    if d.state is None or d.state.handler:
        return None
    return R(
        "no_handler",
        "kasus ini tidak sedang ditangani petugas: sudah di antrian kantor",
        "the case has no handler: it is in the office queue already",
    )


def handler_changes(d: Decision) -> Reason | None:
    """Assigning the handler the case already has records nothing new: refused, saying so."""
    current = d.state.handler if d.state else None
    name = d.data.get("handler")
    if current and name and name_key(name) == name_key(current):
        return R(
            "handler_unchanged",
            f"{current} sudah menangani kasus ini",
            f"{current} already handles this case",
        )
    return None


def handler_is_eligible(d: Decision) -> Reason | None:
    handler = d.env.facts.get("handler_user")
    name = d.data.get("handler")
    level = d.state.level if d.state else None
    if (
        handler is None
        or handler.role != level
        or (d.state is not None and not handler.covers(d.state.region))
    ):
        # No account, a disabled one, another role or another region: one refusal for all,
        # or typing names would tell an officer which accounts exist elsewhere and their roles.
        return R(
            "handler_not_assignable",
            f"tidak ada petugas bernama {name} yang dapat ditugasi kasus ini: "
            f"pilih petugas {level} yang aktif di wilayah kasus",
            f"no handler named {name} you can assign to this case: "
            f"choose an active {level} officer of the case's region",
        )
    reasons: list[tuple[str, str]] = []  # (Bahasa Indonesia, English)
    if d.env.facts.get("handler_suspended"):
        reasons.append(("sedang dibebastugaskan", "relieved of duty"))
    # the person the complaint is about, as typed or by the account of their staff record
    # (linked when filed, or since: the staff register's answer now)
    about = {
        name_key(d.attr("accused")),
        name_key(d.attr("subject_user")),
        name_key(d.env.facts.get("subject_user")),
    } - {""}
    if name and name_key(name) in about:
        reasons.append(("adalah pihak yang diadukan", "is the subject of the complaint"))
    if not reasons:
        return None
    return R(
        "handler_ineligible",
        f"{name} tidak dapat menangani kasus ini: {'; '.join(i for i, _ in reasons)}",
        f"{name} cannot handle this case: {'; '.join(en for _, en in reasons)}",
    )


def extension_is_reasonable(d: Decision) -> Reason | None:
    n = d.data.get("working_days")
    if isinstance(n, int) and 1 <= n <= 26:
        return None
    return R(
        "extension_out_of_range",
        "perpanjangan harus 1 sampai 26 hari kerja",
        "an extension must be 1 to 26 working days",
    )


# --------------------------------------------------------------------------- predicates (route)
def _enters_at(level: str) -> Any:
    return lambda d: d.data.get("level") == level


# ------------------------------------------------------------------------------------- effects
def on_filed(d: Decision) -> Effect:
    data = dict(d.data)
    level = data.pop("level")
    region = data.pop("region")
    handler = d.actor.username if d.actor.role == level else None
    attrs = {
        **data,
        "reporters": 1,
        "received_at": d.at.isoformat(),
        "entry_level": level,
        "filed_by": d.actor.username,
        "subject": data.get("accused"),  # who the complaint is about, if anyone
    }
    if data.get("accused") and d.env.facts.get("subject_user"):
        # the account of the staff member it is about: who must not see who reported them
        attrs["subject_user"] = d.env.facts["subject_user"]
    if data.get("household"):
        # as the register names it (KPM-...), whichever code the filing gave
        attrs["household"] = d.env.facts["household"]["case_id"]
    return Effect(changes={"region": region, "handler": handler, "created_at": d.at}, attrs=attrs)


def on_new_level(d: Decision) -> Effect:
    count = int(d.attr("escalations", 0)) + 1
    # the new level identifies its own parties and records its own result
    attrs: dict[str, Any] = {"escalations": count}
    attrs |= {k: None for k in STAGE_RECORDS if d.attr(k) is not None}
    return Effect(changes={"handler": None}, attrs=attrs)


def on_assigned(d: Decision) -> Effect:
    # the account's own name ("KAB.BOGOR" typed is kab.bogor, engine.service `handler_user`)
    user = d.env.facts.get("handler_user")
    return Effect(changes={"handler": user.username if user else d.data["handler"]})


def on_released(d: Decision) -> Effect:
    return Effect(changes={"handler": None}, attrs={"released": d.data.get("reason")})


def on_reclassified(d: Decision) -> Effect:
    return Effect(attrs={"type": d.data["type"], "previous_type": d.attr("type")})


def on_reporter_linked(d: Decision) -> Effect:
    """Counted and kept (masked with the first reporter's identity where that is hidden)."""
    n = int(d.attr("reporters", 1)) + 1
    linked = dict(d.attr("linked_reporters") or {})
    # when their report was recorded: their letters give that day as the day it was received
    linked[str(n)] = {**{k: d.data.get(k) for k in REPORTER_KEYS}, "linked_at": d.at.isoformat()}
    return Effect(attrs={"reporters": n, "linked_reporters": linked})


def _zone(d: Decision) -> ZoneInfo:
    assert d.state is not None
    return zone_for(d.state.level, d.state.region)


def on_referred(d: Decision) -> Effect:
    assert d.state is not None
    budget = REFERRAL_SERVICE if d.attr("type") == "ketersediaan_layanan" else REFERRAL_DEFAULT
    due = due_at(d.env.calendar, d.at, budget, _zone(d))
    level_due = max(d.state.level_due, due) if d.state.level_due else due
    return Effect(
        changes={"stage_due": due, "level_due": level_due},
        # the budget it was given, kept: a reclassification during the referral does not
        # change how its deadline moves with the calendar (`deadline_months`)
        attrs={
            "referred_to": d.data["body"],
            "referral_months": budget.months,
            # the level carried to the referral's due counts from this day
            **_restarted(d, *(("level_due",) if _beyond(due, d.state.level_due) else ())),
        },
        payload={"budget": str(budget)},
    )


def _beyond(due: datetime, before: datetime | None) -> bool:
    return before is None or due > before


def _restarted(d: Decision, *due_fields: str) -> dict[str, Any]:
    """The attrs recording that these deadlines are now counted from the day of this command,
    not from their window's start, so a day off added or taken back before that day does not
    move them (engine.deadlines)."""
    assert d.state is not None
    if not due_fields:
        return {}
    return {COUNTED_FROM: counted_from(d.state, **dict.fromkeys(due_fields, d.at))}


def on_referral_returned(d: Decision) -> Effect:
    assert d.state is not None
    rest = Budget(working_days=TABEL_2[2][1] + TABEL_2[3][1])
    due = due_at(d.env.calendar, d.at, rest, _zone(d))
    level_due = max(d.state.level_due, due) if d.state.level_due else due
    # The machine capped the follow-up stage by the level due this return replaces: a
    # referral answered on (or near) its own due day left the stage due at once.
    stage_due = due_at(d.env.calendar, d.at, Budget(working_days=TABEL_2[2][1]), _zone(d))
    return Effect(
        changes={"level_due": level_due, "stage_due": min(stage_due, level_due)},
        attrs={
            "referred_to": None,
            "referral_months": None,
            # the level held to the return's 18 working days counts them from this day
            **_restarted(d, *(("level_due",) if _beyond(due, d.state.level_due) else ())),
        },
    )


def on_extended(d: Decision) -> Effect:
    """N more working days, counted from the deadline, or from the day of the extension when
    the deadline has passed: pusat extends cases that are already late, and a "new" deadline
    in the past would leave the stage overdue and tell the reporter a date gone by."""
    assert d.state is not None and d.state.level_due is not None
    n = d.data["working_days"]
    cal, tz = d.env.calendar, _zone(d)
    level_due = cal.deadline(max(d.state.level_due, d.at), n, tz)
    stage_due = cal.deadline(max(d.state.stage_due, d.at), n, tz) if d.state.stage_due else None
    # a deadline extended before it passed goes on counting from its window's start; one
    # extended late counts afresh from this day
    before = {"level_due": d.state.level_due, "stage_due": d.state.stage_due}
    late = [k for k, due in before.items() if due is not None and due < d.at]
    return Effect(
        changes={"level_due": level_due, "stage_due": stage_due},
        attrs={"extensions": int(d.attr("extensions", 0)) + 1, **_restarted(d, *late)},
    )


STAGE_RECORDS = ("parties", "result")


def on_closed(d: Decision) -> Effect:
    outcome = "rejected" if d.transition and d.transition.dest == "ditolak" else "resolved"
    attrs: dict[str, Any] = {
        "outcome": outcome,
        "closed_at_level": d.state.level if d.state else None,
    }
    for key in ("result", "reason", "duplicate_of", "informed_via"):
        if d.data.get(key):
            attrs[key] = d.data[key]
    if d.data.get("reason") == "duplikat":
        # Its reporters are passed on to the complaint it duplicates (workflows.complaint_store)
        # while that one is open, and its letter promises that one's result; not a
        # confidential reporter to a complaint that is not (whose officers would see them).
        kept_open = bool(d.env.facts.get("duplicate_open"))
        attrs["duplicate_open"] = kept_open
        attrs["duplicate_follows"] = kept_open and _reporters_stay_hidden_there(d)
    if outcome == "rejected" and not d.data.get("result") and d.attr("result") is not None:
        # a rejection's letter quotes only what was said when rejecting, not an earlier
        # follow-up's result
        attrs["result"] = None
    return Effect(attrs=attrs)


def _reporters_stay_hidden_there(d: Decision) -> bool:
    """Whether this complaint's reporters, linked to the complaint it duplicates, are seen
    there by nobody who may not see them here. Linked reporters are shown as that complaint
    shows its first, so: the person this one is about must be the one that one is about (or
    they would read who reported them); a confidential reporter only to a confidential
    complaint at this level or above (or officers below would see them)."""
    facts = d.env.facts
    about = name_key(d.attr("subject"))
    if about and about != name_key(facts.get("duplicate_subject")):
        return False
    if not d.attr("confidential"):
        return True
    here = LEVEL_RANK.get(d.state.level if d.state else "", 3)
    there = LEVEL_RANK.get(str(facts.get("duplicate_level")), 3)
    return bool(facts.get("duplicate_confidential")) and there >= here


def on_stage_recorded(d: Decision) -> Effect:
    """What a stage establishes stays on the case: the parties identified (identifikasi) and
    the result of the follow-up (tindak_lanjut), which the result letter tells the reporter."""
    return Effect(attrs={k: d.data[k] for k in STAGE_RECORDS if d.data.get(k)})


def on_reopened(d: Decision) -> Effect:
    # the earlier result was not the last word: a rejection after reopening must not quote it
    return Effect(
        changes={"handler": None},
        attrs={"reopened": int(d.attr("reopened", 0)) + 1, "outcome": None, "result": None},
    )


# ------------------------------------------------------------------------------- definition
# Escalate automatically once a level deadline has passed by this many working days. The manual
# asks that what a level cannot settle be passed up "segera" (at once): ketua kelompok and
# pendamping pass up the day after their deadline; kabupaten gets 3 working days of grace (one
# Tabel 2 "inform the reporter" stage) before pusat takes the case; pusat has nobody above it and
# sends an extension notice instead.
DEADLINE_POLICY = DeadlinePolicy(
    due_soon_days=2,
    escalate_after={"ketua_kelompok": 0, "pendamping": 0, "kabupaten": 3},
)
REFERRAL_SERVICE = Budget(months=3)  # service availability: put right within 3 months
REFERRAL_DEFAULT = Budget(working_days=15)  # any other side body: one follow-up stage


def deadline_months(state: CaseState, due_field: str) -> int:
    """A deadline of this case counted in calendar months (0: in working days), for moving it
    when the calendar changes (engine.deadlines): a referral given months (service
    availability, as the complaint was typed when referred), its stage due, and its level due
    where the referral carried the level to the same date."""
    if not state.state.endswith("_dirujuk"):
        return 0
    months = state.attrs.get("referral_months")
    if months is None:  # referred before the budget was kept: by the type it had (and has)
        service = state.attrs.get("type") == "ketersediaan_layanan"
        months = REFERRAL_SERVICE.months if service else 0
    if not months:
        return 0
    if due_field == "stage_due" or (
        due_field == "level_due" and state.level_due == state.stage_due
    ):
        return int(months)
    return 0


def recipients(state: CaseState, template: str) -> tuple[str, ...]:
    """Letters go to every reporter of the complaint: the one who filed it (not an anonymous
    one: they cannot be written to) and each reporter linked to it since (`link_reporter`,
    e.g. the second reporter a PT Pos recommendation needs). The acknowledgement goes to the
    reporter just recorded: the filer when filed, the newly linked one when linked. The notice
    of a complaint forwarded to the next level goes to the officers of the office receiving it."""
    if template == "case_forwarded":
        return (OFFICE,)
    first, linked = reporter_recipients(state)
    if template == "acknowledgement":
        return linked[-1:] if linked else first
    return first + linked


def reporter_recipients(state: CaseState) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the filer unless anonymous, each linked reporter in linking order) as recipients, of a
    complaint or of a case that carries its reporters (KKN)."""
    known = state.attrs.get("linked_reporters") or {}
    linked = tuple(
        f"{LINKED_REPORTER}{key}"
        for key in sorted(known, key=lambda k: (len(k), k))  # "2" ... "10": in linking order
        if isinstance(known[key], Mapping)
    )
    return (() if state.attrs.get("anonymous") else ("reporter",)), linked


def zone_for(level: str | None, region: str) -> ZoneInfo:
    return ZONE_INFO[PUSAT_ZONE if level == "pusat" else zone_for_region(region)]


def _transitions() -> list[TransitionDef]:
    ts: list[TransitionDef] = []
    officer_roles = frozenset(LEVELS)
    for lvl in LEVELS:
        ts.append(
            TransitionDef(
                "file",
                ("baru",),
                state_name(lvl, _stages(lvl)[0][0]),
                "ComplaintFiled",
                officer_roles,
                when=(f"enters_at_{lvl}",),
                effect="on_filed",
                guards=(
                    "actor_covers_region",
                    "actor_may_file_at_level",
                    "region_fits_level",
                    "pendamping_self_complaint_goes_to_pusat",
                    "actor_is_not_subject",
                    "household_is_registered",
                    "household_in_complaint_region",
                ),
            )
        )
    handling_guards = ("actor_is_not_subject",)
    for lvl in LEVELS:
        role = frozenset({lvl})
        stages = _stages(lvl)
        handling = _handling_states(lvl)
        for i, (stage, _) in enumerate(stages):
            src = state_name(lvl, stage)
            if i + 1 < len(stages):
                required = {"identifikasi": ("parties",), "tindak_lanjut": ("result",)}
                ts.append(
                    TransitionDef(
                        "advance",
                        (src,),
                        state_name(lvl, stages[i + 1][0]),
                        "StageAdvanced",
                        role,
                        guards=handling_guards,
                        effect="on_stage_recorded" if stage in required else None,
                        required=required.get(stage, ()),
                    )
                )
            else:
                ts.append(
                    TransitionDef(
                        "advance",
                        (src,),
                        "selesai",
                        "CaseResolved",
                        role,
                        guards=(*handling_guards, "reporter_informed"),
                        effect="on_closed",
                        required=("result",) if stage == "penanganan" else (),
                    )
                )
        nxt = LEVELS[LEVEL_RANK[lvl] + 1] if lvl != "pusat" else None
        if nxt:
            ts.append(
                TransitionDef(
                    "escalate",
                    open_states(lvl),
                    state_name(nxt, _stages(nxt)[0][0]),
                    "CaseEscalated",
                    role | {"system"},
                    guards=handling_guards,
                    effect="on_new_level",
                    required=("reason",),
                )
            )
        if lvl in ("kabupaten", "pusat"):
            ts.append(
                TransitionDef(
                    "refer",
                    handling[1:3],
                    state_name(lvl, "dirujuk"),
                    "CaseReferred",
                    role,
                    guards=handling_guards,
                    effect="on_referred",
                    required=("body",),
                )
            )
            ts.append(
                TransitionDef(
                    "return_from_referral",
                    (state_name(lvl, "dirujuk"),),
                    state_name(lvl, "tindak_lanjut"),
                    "ReferralReturned",
                    role,
                    guards=handling_guards,
                    effect="on_referral_returned",
                    required=("outcome",),
                )
            )
        ts.append(
            TransitionDef(
                "reject",
                open_states(lvl),
                "ditolak",
                "CaseRejected",
                role,
                guards=(*handling_guards, "duplicate_is_known", "reporter_informed"),
                effect="on_closed",
                required=("reason",),
            )
        )
        ts.append(
            TransitionDef(
                "reopen",
                ("selesai",),
                state_name(lvl, stages[0][0]),
                "CaseReopened",
                role,
                when=(f"at_level_{lvl}",),
                effect="on_reopened",
                required=("reason",),
            )
        )
        internal = open_states(lvl)
        ts.append(
            TransitionDef(
                "assign",
                internal,
                internal[0],
                "HandlerAssigned",
                role | {"system"},
                # nor does the person it is about choose who handles it
                guards=("handler_changes", "handler_is_eligible", "actor_is_not_subject"),
                effect="on_assigned",
                required=("handler",),
                internal=True,
            )
        )
        ts.append(
            TransitionDef(
                "release",
                internal,
                internal[0],
                "HandlerReleased",
                role | {"system"},
                guards=("has_handler",),
                effect="on_released",
                required=("reason",),
                internal=True,
                label="back to the office queue",
            )
        )
        ts.append(
            TransitionDef(
                "reclassify",
                internal,
                internal[0],
                "ComplaintReclassified",
                role,
                guards=handling_guards,
                effect="on_reclassified",
                required=("type",),
                internal=True,
            )
        )
        ts.append(
            TransitionDef(
                "link_reporter",
                internal,
                internal[0],
                "ReporterLinked",
                role | {"system"},  # the reporters of a duplicate (complaint_store)
                guards=("reporter_is_new", *handling_guards),
                effect="on_reporter_linked",
                internal=True,
            )
        )
    ts.append(
        TransitionDef(
            "recommend_pt_pos",
            open_states("kabupaten"),
            "pusat_dokumentasi",
            "RecommendedToPusat",
            frozenset({"kabupaten"}),
            guards=("is_pembayaran", "at_least_two_reporters", *handling_guards),
            effect="on_new_level",
        )
    )
    ts.append(
        TransitionDef(
            "extend",
            open_states("pusat"),
            "pusat_dokumentasi",
            "LevelExtended",
            frozenset({"pusat"}),
            guards=("extension_is_reasonable", *handling_guards),
            effect="on_extended",
            required=("working_days", "reason"),
            internal=True,
        )
    )
    return ts


def definition(*, ketua_kelompok_days: int = 20, pendamping_days: int = 5) -> WorkflowDefinition:
    stage_budgets = {
        state_name(lvl, s): Budget(working_days=n)
        for lvl in ("kabupaten", "pusat")
        for s, n in TABEL_2
    }
    stage_budgets[state_name("ketua_kelompok", "penanganan")] = Budget(ketua_kelompok_days)
    stage_budgets[state_name("pendamping", "penanganan")] = Budget(pendamping_days)
    total = sum(n for _, n in TABEL_2)
    guards = {
        g.__name__: g
        for g in (
            actor_covers_region,
            actor_may_file_at_level,
            region_fits_level,
            pendamping_self_complaint_goes_to_pusat,
            actor_is_not_subject,
            household_is_registered,
            household_in_complaint_region,
            reporter_informed,
            is_pembayaran,
            at_least_two_reporters,
            reporter_is_new,
            duplicate_is_known,
            has_handler,
            handler_changes,
            handler_is_eligible,
            extension_is_reasonable,
        )
    }
    effects = {
        e.__name__: e
        for e in (
            on_filed,
            on_new_level,
            on_assigned,
            on_released,
            on_reclassified,
            on_reporter_linked,
            on_referred,
            on_referral_returned,
            on_extended,
            on_closed,
            on_stage_recorded,
            on_reopened,
        )
    }
    predicates = {f"enters_at_{lvl}": _enters_at(lvl) for lvl in LEVELS}
    predicates |= {f"at_level_{lvl}": _at_level_closed(lvl) for lvl in LEVELS}
    return WorkflowDefinition(
        name=NAME,
        version=1,
        id_prefix="ADU",
        initial="baru",
        states=_states(),
        transitions=tuple(_transitions()),
        stage_budgets=stage_budgets,
        level_budgets={
            "ketua_kelompok": Budget(ketua_kelompok_days),
            "pendamping": Budget(pendamping_days),
            "kabupaten": Budget(total),
            "pusat": Budget(total),
        },
        zone_for=zone_for,
        guards=guards,
        predicates=predicates,
        effects=effects,
        parsers={
            "file": parse_filing,
            "reclassify": parse_reclassify,
            "extend": parse_extend,
            "link_reporter": parse_link_reporter,
            "refer": parse_simple(("body", SIDE_BODIES)),
            "reject": parse_reject,
            "advance": parse_simple(("informed_via", INFORMED_VIA), texts=("result", "parties")),
            "escalate": parse_simple(texts=("reason",)),
            "reopen": parse_simple(texts=("reason",)),
            "release": parse_simple(texts=("reason",)),
            "assign": parse_simple(texts=("handler",)),
            "return_from_referral": parse_simple(texts=("outcome",)),
        },
        inputs=INPUTS,
        notifications={
            "ComplaintFiled": ("acknowledgement",),
            # another reporter of the same matter is told their report joined this complaint
            "ReporterLinked": ("acknowledgement",),
            "LevelExtended": ("extension_notice",),
            # the receiving office learns of it now, not at the sweep's first reminder; the
            # reporter, where the complaint is now handled and by when
            "CaseEscalated": ("case_forwarded", "forwarded_notice"),
            "RecommendedToPusat": ("case_forwarded", "forwarded_notice"),
            "CaseResolved": ("result_letter",),
            "CaseRejected": ("result_letter",),
        },
        recipients=recipients,
        deadline_policy=DEADLINE_POLICY,
        static_guards=frozenset(
            {"is_pembayaran", "at_least_two_reporters", "actor_is_not_subject", "has_handler"}
        ),
        creation_time_field="received_at",
        levels=LEVELS,
        title_id="Pengaduan",
        title_en="Complaint",
    )


def _at_level_closed(level: str) -> Any:
    # a closed case keeps the level it was closed at
    return lambda d: d.state is not None and d.state.level == level
