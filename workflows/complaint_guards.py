"""The complaint workflow's guards (pure predicates over a Decision, each refusal a Reason in
both languages) and its route predicates."""

from __future__ import annotations

from typing import Any

from engine.errors import InvalidInput, Reason
from engine.machine import Decision
from engine.state import name_key
from workflows.complaint_codes import INFORMED_VIA, LEVEL_RANK, MIN_REGION_DIGITS
from workflows.complaint_parse import reporters_of, same_reporter
from workflows.guards import R
from workflows.roles import WORKFLOW_READERS


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
