"""The KPM household lifecycle as data: calon -> validasi -> peserta -> verification -> exits.

DOMAIN.md "KPM lifecycle" and seed 002 (data administration). One case per household (keluarga,
keyed by its no_kk); the members live in the case's `attrs["anggota"]`, keyed by member number.
Every change of members is an event whose effect computes the new members from the old ones and
the event's data, so the routing (stay, graduasi alamiah, exit by death) is a pure decision.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from engine.definition import Budget, DeadlinePolicy, Effect, StateDef
from engine.definition import WorkflowDefinition as Definition
from engine.errors import InvalidInput, Reason
from engine.machine import Decision
from workflows import kpm_codes as C
from workflows import kpm_parse as P
from workflows import kpm_rules as K
from workflows.guards import R, actor_covers_region
from workflows.indonesia import ZONE_INFO, zone_for_region

NAME = "kpm"
LEVELS = ("pendamping", "kabupaten", "pusat")
PARTICIPATING = ("peserta", "penangguhan", "transisi")
OPEN = ("calon", "validasi", "eligible", *PARTICIPATING)
STATES = (
    StateDef("calon", "pendamping", "calon", label_id="calon peserta", label_en="candidate"),
    StateDef("validasi", "pendamping", "validasi", label_id="validasi", label_en="validation"),
    StateDef("eligible", "pusat", "penetapan", label_id="eligible", label_en="eligible"),
    StateDef("peserta", "pendamping", "peserta", label_id="peserta", label_en="participant"),
    StateDef(
        "penangguhan",
        "kabupaten",
        "penangguhan",
        label_id="bantuan ditangguhkan",
        label_en="benefits suspended",
    ),
    StateDef("transisi", "pendamping", "transisi", label_id="transisi", label_en="transition"),
    StateDef(
        "non_eligible", closed=True, label_id="tidak memenuhi syarat", label_en="not eligible"
    ),
    StateDef(
        "graduasi_mandiri",
        closed=True,
        label_id="graduasi sejahtera mandiri",
        label_en="self-reliant graduation",
    ),
    StateDef(
        "graduasi_alamiah",
        closed=True,
        label_id="graduasi alamiah",
        label_en="natural graduation",
    ),
    StateDef(
        "dihentikan",
        closed=True,
        label_id="kepesertaan dihentikan",
        label_en="participation ended",
    ),
    StateDef("keluar", closed=True, label_id="keluar", label_en="left the programme"),
)
# Who does what. The data administrators (operator kabupaten, pusat) and the `system` actor of
# the import and the flows register and update data; the pendamping meets and validates.
HUBUNGAN_ID, HUBUNGAN_EN = C.field_words("hubungan_keluarga")  # as a refusal names the field
DATA = frozenset({"kabupaten", "pusat", "system"})
FIELD = frozenset({"pendamping", "kabupaten"})
# Triggers that change members; from a participating state they may end participation.
MEMBER_TRIGGERS = {
    "pemutakhiran": ("DataUpdated", FIELD | DATA),
    "anggota_meninggal": ("MemberDied", FIELD | {"system"}),
    "kontrol_data": ("DataControlled", frozenset({"system"})),
    "koreksi_berlaku": ("CorrectionApplied", frozenset({"system"})),
}


def zone_for(level: str | None, region: str) -> ZoneInfo:
    return _province_zone(region[:2])  # a household's office is where it lives


@cache
def _province_zone(province: str) -> ZoneInfo:
    return ZONE_INFO[zone_for_region(province)]


def day_of(d: Decision) -> date:
    where = d.state.region if d.state else str(d.data["region"])
    return d.at.astimezone(zone_for(None, where)).date()


# ------------------------------------------------------------------------------ members (pure)
def _stamped(fields: Mapping[str, Any], day: date) -> dict[str, Any]:
    """Bookkeeping data control needs: the school year a kelas is for, when a pregnancy began."""
    out = dict(fields)
    if fields.get("kelas") is not None:
        out["tahun_ajaran"] = K.school_year(day)
    elif "kelas" in fields:
        out["tahun_ajaran"] = None
    if fields.get("komponen") == C.BUMIL:
        out["sejak"] = day.isoformat()
    elif "komponen" in fields:
        out["sejak"] = None
    return out


_memo = threading.local()  # the last (command, state, result) of this thread


def members_after(d: Decision) -> dict[str, dict[str, Any]]:
    """The household's members once this command's event applies (pure). Routing, guards and
    the effect of one decision all ask, so the last answer is kept (per thread)."""
    last = getattr(_memo, "last", None)
    if last is not None and last[0] is d.command and last[1] is d.state:
        return last[2]  # type: ignore[no-any-return]
    result = _members_after(d)
    _memo.last = (d.command, d.state, result)
    return result


def _members_after(d: Decision) -> dict[str, dict[str, Any]]:
    members, data, day = d.attr("anggota", {}), d.data, day_of(d)
    trigger = d.command.trigger
    if trigger == "daftar":
        # numbered as `K.numbered` numbers them, each member copied once (by `_stamped`)
        members_in = data["anggota"]
        return {C.member_no(i): K.compact(_stamped(m, day)) for i, m in enumerate(members_in, 1)}
    if trigger in ("pemutakhiran", "koreksi"):
        changes = {no: _stamped(f, day) for no, f in data.get("anggota", {}).items()}
        out = K.apply_moves(members, changes)
        added = K.numbered(data.get("tambah", []), K.next_number(members))
        out |= {no: K.compact(_stamped(m, day)) for no, m in added.items()}
        return {no: m for no, m in out.items() if no not in data.get("hapus", {})}
    if trigger == "anggota_meninggal":
        no = data["nomor_anggota"]
        return K.apply_moves(members, {no: {"komponen": C.MENINGGAL, "meninggal": data["tanggal"]}})
    if trigger == "kontrol_data":
        return K.apply_moves(members, K.control(members, P.iso_date(data["tanggal"])))
    if trigger == "koreksi_berlaku":
        due, _ = K.due_corrections(d.attr("koreksi_tertunda", []), P.iso_date(data["tanggal"]))
        out = dict(members)
        for c in due:
            out = K.apply_moves(out, {no: _stamped(f, day) for no, f in c["anggota"].items()})
        return out
    return dict(members)


# ------------------------------------------------------------------------------ guards (pure)
def _refused(
    key: str, heading_id: str, heading_en: str, problems: list[tuple[str, str]]
) -> Reason | None:
    """One reason listing every (Indonesian, English) problem under its heading; None if none."""
    if not problems:
        return None
    text_id = "; ".join(i for i, _ in problems)
    text_en = "; ".join(en for _, en in problems)
    return R(key, f"{heading_id}: {text_id}", f"{heading_en}: {text_en}")


def members_are_valid(d: Decision) -> Reason | None:
    """New and changed members are checked as of the event's date; the household keeps one
    kepala keluarga (exactly one at registration) and no NIK twice. A change that removes or
    demotes its only living head must name the new one in the same command (`anggota` with
    hubungan_keluarga 1, or `tambah`); a head's death is not a removal (it has its own event,
    after which the household, left without a living head, may still record other changes)."""
    before = d.attr("anggota", {})
    named = [*d.data.get("anggota", {}), *d.data.get("hapus", {})] if d.state else []
    unknown = ", ".join(sorted(no for no in named if no not in before))
    if unknown:
        return R("member_unknown", f"anggota {unknown} tidak ada", f"no member {unknown}")
    # a component set on a deceased member brought them back to life while keeping the date
    # of death (LANSIA, meninggal 2026-11-20): a death is undone by nothing here
    changes = d.data.get("anggota", {}) if d.command.trigger != "daftar" else {}
    revived = ", ".join(
        sorted(
            no
            for no, fields in changes.items()
            if "komponen" in fields and before[no].get("komponen") == C.MENINGGAL
        )
    )
    if revived:
        return R(
            "member_deceased",
            f"anggota {revived} tercatat meninggal dunia: komponennya tidak dapat diubah",
            f"member {revived} is recorded as deceased: its komponen cannot be changed",
        )
    if same := _unchanged(d):
        # sent twice, or a value read back: it would stay in the append-only log as a change
        no, field = same
        word_id, word_en = C.field_words(field)
        return R(
            "update_changes_nothing",
            f"pemutakhiran tidak mengubah apa pun: anggota {no} sudah tercatat dengan "
            f"{word_id} itu",
            f"the update changes nothing: member {no} already has that {word_en}",
        )
    after = members_after(d)
    changed = {no: m for no, m in after.items() if before.get(no) != m}
    errors = K.member_errors(changed, day_of(d))
    problems = K.member_problems(changed, day_of(d), errors)  # (Indonesian, English) pairs
    heads = K.living_heads(after)
    if heads > 1 or (d.command.trigger == "daftar" and heads != 1):
        problems.insert(
            0,
            (
                f"{HUBUNGAN_ID}: harus ada satu kepala keluarga (1), tercatat {heads}",
                f"{HUBUNGAN_EN}: needs one kepala keluarga (1), has {heads}",
            ),
        )
    elif heads == 0 and K.living_heads(before) and not K.heads(after):
        problems.insert(
            0,
            (
                # said as an officer does it on the page (the API's paths are in the README)
                f"{HUBUNGAN_ID}: rumah tangga akan tanpa kepala keluarga (1); sebutkan "
                "kepala keluarga yang baru dalam pemutakhiran yang sama: ubah hubungan "
                "keluarga seorang anggota menjadi 1 (Kepala keluarga), atau tambahkan anggota "
                "baru sebagai kepala keluarga",
                f"{HUBUNGAN_EN}: the household would be left without a kepala keluarga (1); "
                "name the new one in the same update: change a member's hubungan keluarga to "
                "1 (Kepala keluarga), or add a new member as kepala keluarga",
            ),
        )
    niks = [m["nik"] for m in after.values()]
    if len(niks) != len(set(niks)):
        problems.append(
            (
                "NIK: NIK yang sama tercatat dua kali dalam rumah tangga",
                "NIK: the same NIK appears twice in the household",
            )
        )
    reason = _refused("member_data_invalid", "data anggota tidak sah", "invalid members", problems)
    return reason and replace(reason, fields=_member_fields(d, before, errors))


def _member_fields(
    d: Decision, before: Mapping[str, Any], errors: list[tuple[str, list[InvalidInput]]]
) -> tuple[tuple[str, str, str], ...]:
    """Each member field refused, by the path the command's data gives it: a member the
    household has by its number (`anggota.03.kelas`), one it adds by its place in the list
    (`tambah[0].kelas`; a registration's `anggota[0].kelas`)."""
    first = K.next_number(before)
    listed = "anggota" if d.command.trigger == "daftar" else "tambah"

    def path(no: str) -> str:
        return f"anggota.{no}" if no in before else f"{listed}[{int(no) - first}]"

    return tuple(
        (f"{path(no)}.{x.field}", x.message_id or x.message, x.message)
        for no, every in errors
        for x in every
    )


def _unchanged(d: Decision) -> tuple[str, str] | None:
    """A data update (pemutakhiran) that only sets members' fields to what is recorded: the
    first such member and field; None when it changes, adds or removes anything."""
    if d.command.trigger != "pemutakhiran" or d.data.get("tambah") or d.data.get("hapus"):
        return None
    before, first = d.attr("anggota", {}), None
    for no, fields in sorted(d.data.get("anggota", {}).items()):
        for field, value in fields.items():
            if before.get(no, {}).get(field) != value:
                return None
            first = first or (no, field)
    return first


def new_niks_are_free(d: Decision) -> Reason | None:
    """A NIK new to the household must have been checked against every other household by the
    door (the import, `pkh kpm`), which passes the NIKs it found free as a fact."""
    known = {m["nik"] for m in d.attr("anggota", {}).values()}
    free = set(d.env.facts.get("free_niks", ()))
    held: Mapping[str, str] = d.env.facts.get("niks_held", {})
    unchecked = sorted(m["nik"] for m in members_after(d).values() if m["nik"] not in known | free)
    if not unchecked:
        return None
    taken = [f"{nik} ({held[nik]})" for nik in unchecked if nik in held]
    if taken:
        text = ", ".join(taken)
        return R(
            "nik_taken",
            f"NIK sudah terdaftar pada rumah tangga lain: {text}",
            f"NIK already registered in another household: {text}",
        )
    return R(
        "nik_not_checked",
        f"NIK baru {unchecked} belum diperiksa keunikannya; catat melalui pkh kpm / impor",
        f"new NIKs {unchecked} were not checked for uniqueness; record them through the KPM "
        "import or `pkh kpm` commands",
    )


def has_eligible_member(d: Decision) -> Reason | None:
    if K.eligible_members(d.attr("anggota", {})):
        return None
    return R(
        "no_eligible_member",
        "tidak ada anggota dengan komponen PKH",
        "no member is in an eligible component",
    )


def kyc_complete(d: Decision) -> Reason | None:
    gaps = K.kyc_gaps(d.attr("anggota", {}))
    if not gaps:
        return None
    text_id, text_en = K.kyc_gaps_said(gaps)
    return R("kyc_incomplete", f"data KYC belum lengkap ({text_id})", f"KYC incomplete ({text_en})")


def period_is_new(d: Decision) -> Reason | None:
    """A month to verify: after the last one verified, not in the future, and not before the
    decree (SK penetapan) made the household a participant."""
    last, p = (d.attr("verifikasi_terakhir") or {}).get("periode"), d.data["periode"]
    if last is not None and p == last:
        return R(
            "period_already_verified",
            f"periode {p} sudah diverifikasi",
            f"period {p} is already verified",
        )
    if last is not None and p < last:
        # an earlier month left out (not verified) was said to be "sudah diverifikasi"
        return R(
            "period_already_verified",
            f"periode {p} tidak sesudah bulan terakhir yang diverifikasi ({last}): bulan "
            "dicatat berurutan, dan bulan sebelum itu tidak dapat dicatat lagi",
            f"period {p} is not after the last verified period {last}: months are recorded "
            "in order, and a month before it can no longer be recorded",
        )
    if p > K.period_of(day_of(d)):
        return R("period_in_future", f"periode {p} belum tiba", f"period {p} is in the future")
    sk = K.decree_after(d.state.attrs if d.state else {}, p)
    if sk is not None:
        return R(
            "period_before_participation",
            f"periode {p} sebelum rumah tangga menjadi peserta (SK penetapan {sk})",
            f"period {p} is before the household became a participant (SK penetapan of {sk})",
        )
    return None


def verified_members_exist(d: Decision) -> Reason | None:
    members = d.attr("anggota", {})
    unknown = ", ".join(sorted(no for no in d.data["hadir"] if no not in members))
    if unknown:
        return R("member_unknown", f"anggota {unknown} tidak ada", f"no member {unknown}")
    if not any(C.is_eligible(members[no]) for no in d.data["hadir"]):
        return R(
            "nothing_to_verify",
            "tidak ada anggota berkomponen yang diverifikasi",
            "no member with an eligible component was verified",
        )
    return None


# What a decree (SK penetapan) rests on, latest first: its date cannot come before any of
# them. `validasi_tanggal` is recorded from this version on; an earlier validation is bounded
# by the first meeting and the registration.
DECREE_FOLLOWS = (
    ("validasi_tanggal", "divalidasi", "was validated"),
    ("pertemuan_awal", "mengikuti pertemuan awal", "had its first meeting"),
    ("terdaftar", "terdaftar", "was registered"),
)


def dates_are_not_ahead(d: Decision) -> Reason | None:
    """A date the command states (a death, the day data control runs for, a decree) cannot
    be later than the day the command happens, in the household's zone, nor a death before
    the member was born, nor a decree before the household was registered and validated: a
    typo would otherwise close or graduate a household for good (a closed household takes no
    event), or verify months it was not in the programme. Refused as bad input, naming the
    field."""
    today = day_of(d)
    for key in ("tanggal", "tanggal_sk"):
        if d.data.get(key) in (None, ""):
            continue
        day = P.iso_date(str(d.data[key]))
        if day > today:
            raise InvalidInput(
                key,
                f"{day.isoformat()} has not come yet (the command happens on {today.isoformat()})",
                message_id=f"{day.isoformat()} belum terjadi (perintah ini tanggal "
                f"{today.isoformat()})",
            )
    if d.command.trigger == "anggota_meninggal":
        member = d.attr("anggota", {}).get(d.data["nomor_anggota"]) or {}
        born = member.get("tanggal_lahir")
        if born and str(d.data["tanggal"]) < str(born):
            raise InvalidInput(
                "tanggal",
                f"{d.data['tanggal']} is before the member was born ({born})",
                message_id=f"{d.data['tanggal']} sebelum anggota lahir ({born})",
            )
    if d.command.trigger == "tetapkan":
        sk = str(d.data["tanggal_sk"])
        for key, said_id, said_en in DECREE_FOLLOWS:
            day = d.attr(key)
            if day and sk < str(day):
                raise InvalidInput(
                    "tanggal_sk",
                    f"{sk} is before the household {said_en} ({day}); a decree follows "
                    "the validation",
                    message_id=f"{sk} sebelum rumah tangga {said_id} ({day}); SK penetapan "
                    "terbit sesudah validasi",
                )
    return None


def member_is_alive(d: Decision) -> Reason | None:
    m = d.attr("anggota", {}).get(d.data["nomor_anggota"])
    if m is not None and m.get("komponen") != C.MENINGGAL:
        return None
    no = d.data["nomor_anggota"]
    return R("member_unknown", f"anggota {no} tidak ada/telah meninggal", f"no living member {no}")


def control_changes_something(d: Decision) -> Reason | None:
    if K.control(d.attr("anggota", {}), P.iso_date(d.data["tanggal"])):
        return None
    return R("nothing_to_control", "tidak ada perubahan komponen", "no component changes")


def corrections_are_due(d: Decision) -> Reason | None:
    due, _ = K.due_corrections(d.attr("koreksi_tertunda", []), P.iso_date(d.data["tanggal"]))
    if due:
        return None
    return R("no_correction_due", "tidak ada koreksi yang berlaku", "no correction is due")


def correction_is_approved(d: Decision) -> Reason | None:
    """A correction applies what pusat approved on a data or verification complaint."""
    c = d.env.facts.get("pengaduan") or {}
    problems: list[tuple[str, str]] = []  # (Indonesian, English)
    if not c:
        problems.append(("pengaduan tidak dikenal", "unknown complaint"))
    else:
        kind, household = c.get("type"), c.get("household")
        if kind not in ("data_peserta", "komitmen_verifikasi"):
            problems.append(
                (
                    f"jenis pengaduan {kind} bukan data_peserta/komitmen",
                    f"complaint type {kind} is not data_peserta/komitmen",
                )
            )
        if c.get("level") != "pusat":
            problems.append(
                ("pengaduan tidak berada di tingkat pusat", "the complaint is not at pusat")
            )
        if household not in (None, d.state.id if d.state else None):
            problems.append(
                (
                    f"pengaduan ini mengenai rumah tangga {household}",
                    f"the complaint is about household {household}",
                )
            )
    return _refused("correction_not_approved", "koreksi tidak sah", "not approvable", problems)


GUARDS = (
    actor_covers_region,
    members_are_valid,
    new_niks_are_free,
    has_eligible_member,
    kyc_complete,
    period_is_new,
    verified_members_exist,
    dates_are_not_ahead,
    member_is_alive,
    control_changes_something,
    corrections_are_due,
    correction_is_approved,
)


# ---------------------------------------------------------------------------------- effects
def on_registered(d: Decision) -> Effect:
    attrs = {
        "no_kk": d.data["no_kk"],
        "kode_peserta": d.data["kode_peserta"],
        "anggota": members_after(d),
        "terdaftar": day_of(d).isoformat(),
    }
    return Effect(changes={"region": d.data["region"], "created_at": d.at}, attrs=attrs)


def on_members_changed(d: Decision) -> Effect:
    attrs: dict[str, Any] = {"anggota": members_after(d)}
    payload: dict[str, Any] = {}
    trigger = d.command.trigger
    if trigger == "kontrol_data":
        payload["perubahan"] = K.control(d.attr("anggota", {}), P.iso_date(d.data["tanggal"]))
    if trigger == "koreksi_berlaku":
        due, waiting = K.due_corrections(
            d.attr("koreksi_tertunda", []), P.iso_date(d.data["tanggal"])
        )
        attrs["koreksi_tertunda"] = waiting
        payload["koreksi"] = due
    if d.transition is not None and d.transition.dest in ("keluar", "graduasi_alamiah"):
        reason = K.exit_after(d.attr("anggota", {}), attrs["anggota"])
        if reason == "graduasi_alamiah" and d.transition.dest == "keluar":
            # an eligible household awaiting its decree does not graduate: it was never a
            # participant; it is left with no member in a PKH component (kpm_transitions)
            reason = "tidak_ada_komponen"
        attrs["alasan_keluar"] = reason
    return Effect(attrs=attrs, payload=payload)


def on_recorded(*keys: str, prefix: str = "") -> Callable[[Decision], Effect]:
    def effect(d: Decision) -> Effect:
        return Effect(attrs={prefix + k: d.data.get(k) for k in keys})

    return effect


def on_first_meeting(d: Decision) -> Effect:
    return Effect(attrs={"pertemuan_awal": day_of(d).isoformat()})


def on_validated(d: Decision) -> Effect:
    """The result, its reason, and the day (a decree cannot come before it)."""
    return Effect(
        attrs={
            "validasi_hasil": d.data.get("hasil"),
            "validasi_alasan": d.data.get("alasan"),
            "validasi_tanggal": day_of(d).isoformat(),
        }
    )


def on_established(d: Decision) -> Effect:
    return Effect(
        attrs={
            "nomor_sk": d.data["nomor_sk"],
            "tanggal_sk": d.data["tanggal_sk"],
            **K.counts_restarted(),
        }
    )


def reinstated_effect(policy: K.CompliancePolicy) -> Callable[[Decision], Effect]:
    """An officer's reinstatement records its reason and, as the policy says, restarts the
    count of missed months (see CompliancePolicy)."""

    def on_reinstated(d: Decision) -> Effect:
        attrs: dict[str, Any] = {"pulih_alasan": d.data.get("alasan")}
        if policy.restart_on_reinstatement:
            attrs |= K.counts_restarted()
        return Effect(attrs=attrs)

    return on_reinstated


def on_verified(d: Decision) -> Effect:
    attrs = K.compliance_after(d.state.attrs if d.state else {}, d.data["hadir"])
    attrs["verifikasi_terakhir"] = {"periode": d.data["periode"], "hadir": d.data["hadir"]}
    dest = d.transition.dest if d.transition else None
    if dest == "dihentikan":
        attrs["alasan_keluar"] = "tidak_memenuhi_komitmen"
    return Effect(attrs=attrs)


def on_exit(d: Decision) -> Effect:
    trigger = d.transition.trigger if d.transition else None
    if trigger == "pindah":
        # the state is only "keluar": the officer's optional words in place of "pindah" left
        # no trace on the household that it moved, nor where to (the event keeps them)
        return Effect(attrs={"alasan_keluar": "pindah", "tujuan": d.data.get("tujuan")})
    reason = d.data.get("alasan") or trigger
    attrs = {"alasan_keluar": reason}
    if d.data.get("keterangan"):  # `tidak_layak ... lainnya`: the reason is in these words
        attrs["keterangan"] = d.data["keterangan"]
    return Effect(attrs=attrs)


def correction_effect(payment: K.PaymentSchedule) -> Callable[[Decision], Effect]:
    def on_correction(d: Decision) -> Effect:
        start = K.next_payment_period(day_of(d), payment)
        entry = {"pengaduan": d.data["pengaduan"], "anggota": d.data["anggota"]}
        pending = [*d.attr("koreksi_tertunda", []), {**entry, "berlaku_mulai": start}]
        linked = sorted({*d.attr("pengaduan", []), d.data["pengaduan"]})
        return Effect(
            attrs={"koreksi_tertunda": pending, "pengaduan": linked},
            payload={"berlaku_mulai": start},
        )

    return on_correction


# ------------------------------------------------------------------------------- definition
def definition(
    *,
    validation_days: int = 10,
    policy: K.CompliancePolicy = K.CompliancePolicy(),
    payment: K.PaymentSchedule = K.PaymentSchedule(),
) -> Definition:
    """`validation_days`: working days after the first meeting to validate (this project's
    default; the seeds give none); `policy`: what repeated non-compliance does."""
    from workflows.kpm_transitions import predicates, transitions

    effects = {
        "on_registered": on_registered,
        "on_members_changed": on_members_changed,
        "on_first_meeting": on_first_meeting,
        "on_validated": on_validated,
        "on_established": on_established,
        "on_verified": on_verified,
        "on_reinstated": reinstated_effect(policy),
        "on_exit": on_exit,
        "on_recertified": on_recorded("hasil", prefix="resertifikasi_"),
        "on_correction": correction_effect(payment),
    }
    return Definition(
        name=NAME,
        version=1,
        id_prefix="KPM",
        initial="baru",
        states=STATES,
        transitions=transitions(),
        stage_budgets={"validasi": Budget(working_days=validation_days)},
        level_budgets={},
        zone_for=zone_for,
        guards={g.__name__: g for g in GUARDS},
        predicates=predicates(policy),
        effects=effects,
        parsers={
            "daftar": P.registration,
            "pertemuan_awal": P.no_data,
            "validasi": P.validation,
            "tetapkan": P.decree,
            "verifikasi_komitmen": P.verification,
            "pemutakhiran": P.data_update,
            "kontrol_data": P.on_date,
            "koreksi_berlaku": P.on_date,
            "anggota_meninggal": P.death,
            "resertifikasi": P.recertification,
            "tidak_layak": P.exit_reason,
            "koreksi": P.correction,
            "pindah": P.free_text("tujuan", "alasan"),
            "graduasi_mandiri": P.free_text("alasan"),
            "pulihkan": P.free_text("alasan"),
            "hentikan": P.free_text("alasan"),
        },
        inputs=P.INPUTS,
        recipients=lambda _s, _t: (),
        levels=LEVELS,
        deadline_policy=DeadlinePolicy(due_soon_days=2, escalate_after={}),
        creation_time_field="at",
        title_id="Keluarga Penerima Manfaat",
        title_en="Beneficiary household (KPM)",
    )
