"""Pure household rules of the KPM lifecycle: member updates, compliance, exits, data control.

Everything here is a function of a household's members (as kept in the case's `attrs`) and a
date or period passed in; the workflow's guards, routing predicates and effects call these, and
so does the data-control flow to decide whether a household needs an event at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from workflows import kpm_codes as C

Members = Mapping[str, Mapping[str, Any]]  # member number ("01") -> member fields

# Fields a data update may set on a member, besides the NIK (which needs a uniqueness check).
UPDATABLE = frozenset(C.MEMBER_FIELDS) - {"nik"}
PREGNANCY_MONTHS = 9  # a BUMIL recorded this long ago has given birth (data control)
SD_ENTRY_AGE = 7  # early childhood (0-6) ends on the 7th birthday: SD kelas 1
SCHOOL_YEAR_START_MONTH = 7  # tahun ajaran baru: July


@dataclass(frozen=True)
class CompliancePolicy:
    """What repeated non-compliance does, as data. Counts are consecutive verified months.

    Defaults are this project's choice (the seeds give no numbers): three months without meeting
    the commitments suspend the benefits (penangguhan); one compliant month reinstates; six in a
    row terminate. `terminate_after=None` leaves termination to an officer (`hentikan`).

    An officer's reinstatement (`pulihkan`, with its reason: a documented illness, a school
    that was closed) excuses the months before it: with `restart_on_reinstatement` (the
    default) the count starts again from zero, as at the decree, so it takes another
    `suspend_after` missed months to suspend and `terminate_after` to terminate. Without it
    the excused months still count, and one more missed month suspends again.
    """

    suspend_after: int = 3
    reinstate_after: int = 1
    terminate_after: int | None = 6
    restart_on_reinstatement: bool = True


@dataclass(frozen=True)
class PaymentSchedule:
    """Months in which a payment period (tahap) starts; corrections apply from the next one."""

    start_months: tuple[int, ...] = (1, 4, 7, 10)


# ----------------------------------------------------------------------------------- members
def numbered(members: Iterable[Mapping[str, Any]], start: int = 1) -> dict[str, dict[str, Any]]:
    return {C.member_no(i): dict(m) for i, m in enumerate(members, start=start)}


def next_number(members: Members) -> int:
    return max((int(n) for n in members), default=0) + 1


def updated(
    members: Members,
    changes: Mapping[str, Mapping[str, Any]] = {},  # noqa: B006 - read only
    added: Iterable[Mapping[str, Any]] = (),
    removed: Iterable[str] = (),
) -> dict[str, dict[str, Any]]:
    """A new members map: field changes merged, new members numbered after the last, removals."""
    out = {no: dict(m) for no, m in members.items()}
    for no, fields in changes.items():
        out[no] = {**out[no], **fields}
    out |= numbered(added, next_number(members))
    for no in removed:
        out.pop(no, None)
    return out


def eligible_members(members: Members) -> list[str]:
    return sorted(no for no, m in members.items() if C.is_eligible(m))


def exit_after(before: Members, after: Members) -> str | None:
    """Whether a change of members ends participation: 'meninggal' when the last eligible member
    died, 'graduasi_alamiah' when no eligible component is left otherwise, else None."""
    if eligible_members(after) or not eligible_members(before):
        return None
    lost = [no for no in eligible_members(before) if no in after]
    if lost and all(after[no].get("komponen") == C.MENINGGAL for no in lost):
        return "meninggal"
    return "graduasi_alamiah"


def heads(members: Members) -> int:
    """Members recorded as kepala keluarga, living or not."""
    return sum(m.get("hubungan_keluarga") == C.KEPALA_KELUARGA for m in members.values())


def living_heads(members: Members) -> int:
    """Kepala keluarga among the living members."""
    return sum(
        m.get("hubungan_keluarga") == C.KEPALA_KELUARGA and m.get("komponen") != C.MENINGGAL
        for m in members.values()
    )


def member_errors(members: Members, as_of: date) -> list[tuple[str, list[C.InvalidInput]]]:
    """Every member of these with what is wrong with them as of a date, per field."""
    out = []
    for no, m in sorted(members.items()):
        try:
            C.check_nik_agrees(m["nik"], date.fromisoformat(m["tanggal_lahir"]), m["jenis_kelamin"])
            C.check_member(m, as_of)
        except C.InvalidInput as e:
            out.append((no, list(e.every)))
    return out


def member_problems(
    members: Members, as_of: date, errors: list[tuple[str, list[C.InvalidInput]]] | None = None
) -> list[tuple[str, str]]:
    """Every problem of these members as of a date (or of `errors`, `member_errors`' answer),
    in Bahasa Indonesia and in English ('anggota 02: Komponen: pesan', 'member 02: Component:
    message'); [] if none."""
    problems = []
    for no, every in member_errors(members, as_of) if errors is None else errors:
        said_id = "; ".join(
            f"{C.field_words(x.field)[0]}: {x.message_id or x.message}" for x in every
        )
        said_en = "; ".join(f"{C.field_words(x.field)[1]}: {x.message}" for x in every)
        problems.append((f"anggota {no}: {said_id}", f"member {no}: {said_en}"))
    return problems


def kyc_gaps(members: Members) -> dict[str, list[str]]:
    """Members (not deceased) whose KYC data is incomplete, with the missing fields."""
    return {
        no: gaps
        for no, m in sorted(members.items())
        if m.get("komponen") != C.MENINGGAL and (gaps := C.kyc_missing(m))
    }


def kyc_gaps_said(gaps: Mapping[str, list[str]]) -> tuple[str, str]:
    """The gaps in words (id, en): 'anggota 02: tempat lahir, nama ibu kandung; anggota 03: NIK'
    (the decree's refusal and the household page say the same)."""

    def said(i: int, member: str) -> str:
        return "; ".join(
            f"{member} {no}: {', '.join(C.KYC_WORDS[f][i] for f in fields)}"
            for no, fields in gaps.items()
        )

    return said(0, "anggota"), said(1, "member")


# -------------------------------------------------------------------------------- compliance
def compliance_after(attrs: Mapping[str, Any], attended: Mapping[str, bool]) -> dict[str, Any]:
    """The household's compliance counters after one month's verification of its members:
    compliant (patuh) when every verified member with a component attended."""
    members = attrs.get("anggota", {})
    verified = [attended[no] for no in attended if C.is_eligible(members.get(no, {}))]
    ok = all(verified)
    return {
        "kepatuhan": "patuh" if ok else "tidak_patuh",
        "bulan_tidak_patuh": 0 if ok else int(attrs.get("bulan_tidak_patuh", 0)) + 1,
        "bulan_patuh": int(attrs.get("bulan_patuh", 0)) + 1 if ok else 0,
    }


def counts_restarted() -> dict[str, Any]:
    """The compliance counters of a household with no verified month behind it (at the
    decree, and after an officer's reinstatement when the policy restarts the count)."""
    return {"kepatuhan": None, "bulan_tidak_patuh": 0, "bulan_patuh": 0}


def decree_after(attrs: Mapping[str, Any], period: str) -> str | None:
    """The decree's date (SK penetapan) when `period` (YYYY-MM) is a month before the one in
    which the household became a participant, else None. The decree's own month counts: the
    household takes part from that month on."""
    sk = attrs.get("tanggal_sk")
    if sk and period < str(sk)[:7]:
        return str(sk)
    return None


# ------------------------------------------------------------------------------ data control
def school_year(on: date) -> int:
    """The year the current tahun ajaran started (2026 for 2026/2027)."""
    return on.year if on.month >= SCHOOL_YEAR_START_MONTH else on.year - 1


def months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)


def control(members: Members, on: date) -> dict[str, dict[str, Any]]:
    """Data control (kontrol data, seed 002): how each member's component moves on this date.

    Returns member number -> the fields that change, with `alasan`. Rules: a class goes up once a
    school year (SD -> SMP after kelas 6, SMP -> SMA after kelas 9, finished after kelas 12); the
    education component ends at 21; early childhood ends on the 7th birthday (SD kelas 1 from
    the next school year); a pregnancy recorded 9 months ago has ended; a member without a
    component who reaches 60 becomes LANSIA. The deceased are left alone.
    """
    moves: dict[str, dict[str, Any]] = {}
    sy = school_year(on)
    for no, m in sorted(members.items()):
        if m.get("komponen") == C.MENINGGAL:
            continue
        change = _member_control(m, on, sy)
        if change:
            moves[no] = change
    return moves


def _member_control(m: Mapping[str, Any], on: date, sy: int) -> dict[str, Any]:
    komponen = m["komponen"]
    age = C.age_on(date.fromisoformat(m["tanggal_lahir"]), on)
    new: dict[str, Any] = {}
    reasons: list[str] = []
    kelas, since = m.get("kelas"), m.get("tahun_ajaran")
    if kelas is not None and since is not None and since < sy:
        kelas = kelas + (sy - since)
        school = komponen in C.SCHOOL_KOMPONEN
        if kelas > 12:
            new |= {"jenjang_sekolah": None, "kelas": None, "tahun_ajaran": None}
            if school:
                new["komponen"] = C.NON_KATEGORI
            reasons.append("lulus_sma")
        else:
            jenjang = next(j for j, r in C.KELAS.items() if kelas in r)
            new |= {"jenjang_sekolah": jenjang, "kelas": kelas, "tahun_ajaran": sy}
            if school and jenjang != m.get("jenjang_sekolah"):
                new["komponen"] = {1: C.SD, 2: C.SMP, 3: C.SMA}[jenjang]
                reasons.append(f"naik_{C.JENJANG_SEKOLAH[jenjang].lower()}")
            else:
                reasons.append("naik_kelas")
    current = new.get("komponen", komponen)
    if current in C.SCHOOL_KOMPONEN and age >= C.SCHOOL_MAX_AGE:
        new |= {"komponen": C.NON_KATEGORI, "jenjang_sekolah": None, "kelas": None}
        new["tahun_ajaran"] = None
        reasons.append("usia_21")
    elif current == C.USIA_DINI and age >= SD_ENTRY_AGE:
        level = new.get("jenjang_sekolah", m.get("jenjang_sekolah"))
        if level:  # already at school: the component follows the school level
            new["komponen"] = {1: C.SD, 2: C.SMP, 3: C.SMA}[level]
        else:  # enters SD kelas 1 in the school year starting this July
            new |= {"komponen": C.SD, "jenjang_sekolah": 1, "kelas": 1, "tahun_ajaran": on.year}
        reasons.append("masuk_sd")
    elif (
        current == C.BUMIL
        and m.get("sejak")
        and months_between(date.fromisoformat(m["sejak"]), on) >= PREGNANCY_MONTHS
    ):
        new |= {"komponen": C.NON_KATEGORI, "sejak": None}
        reasons.append("kehamilan_berakhir")
    if new.get("komponen", komponen) == C.NON_KATEGORI and age >= C.LANSIA_AGE:
        new["komponen"] = C.LANSIA
        reasons.append("lansia")
    if not new:
        return {}
    return {**new, "alasan": "+".join(reasons)}


def compact(member: Mapping[str, Any]) -> dict[str, Any]:
    """Drop fields set to None (blank), so a stored member stays small."""
    return {k: v for k, v in member.items() if v is not None}


def apply_moves(
    members: Members, moves: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Members with field changes merged (`alasan` is the change's reason, not a field); a
    number the household does not have is skipped (guards report it)."""
    out = {no: dict(m) for no, m in members.items()}
    for no, change in moves.items():
        if no in out:
            out[no] = compact({**out[no], **{k: v for k, v in change.items() if k != "alasan"}})
    return out


# ------------------------------------------------------------------------------- corrections
def period_of(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def next_payment_period(d: date, schedule: PaymentSchedule = PaymentSchedule()) -> str:
    """The first payment period starting after the month of `d` ('2026-04' for 5 March 2026)."""
    for year in (d.year, d.year + 1):
        for month in schedule.start_months:
            if (year, month) > (d.year, d.month):
                return f"{year:04d}-{month:02d}"
    raise AssertionError("a schedule has at least one month")


def due_corrections(
    pending: Iterable[Mapping[str, Any]], on: date
) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """Split pending corrections into (due by this date's period, still waiting)."""
    now = period_of(on)
    due: list[Mapping[str, Any]] = []
    waiting: list[Mapping[str, Any]] = []
    for c in pending:
        (due if c["berlaku_mulai"] <= now else waiting).append(c)
    return due, waiting
