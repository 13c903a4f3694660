"""The KPM workflow's transition table and routing predicates (see workflows/kpm.py).

Where one trigger can end in more than one place (a verification that suspends or not, a data
change that ends participation or not), the alternatives are listed in order with the routing
predicate that picks them; the last one has none and applies otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.definition import TransitionDef
from engine.machine import Decision
from workflows import kpm_rules as K
from workflows.kpm import DATA, FIELD, MEMBER_TRIGGERS, OPEN, PARTICIPATING, members_after

# Where a household may leave by moving away or by the death of its only eligible member: a
# participant, and a household validated eligible that awaits its decree (DOMAIN "KPM
# lifecycle" 6: death, moving). Without them an eligible household whose family moved, or
# whose only eligible member died (the decree is then refused: has_eligible_member), stayed
# open for good. A candidate has its exit at validation (non_eligible, DOMAIN 1).
LEAVING = ("eligible", *PARTICIPATING)

MEMBER_GUARDS = {
    "pemutakhiran": ("members_are_valid", "new_niks_are_free"),
    "anggota_meninggal": ("dates_are_not_ahead", "member_is_alive"),
    "kontrol_data": ("dates_are_not_ahead", "control_changes_something"),
    "koreksi_berlaku": ("dates_are_not_ahead", "corrections_are_due"),
}
VERIFY = FIELD | {"system"}
OFFICE = frozenset({"kabupaten", "pusat"})


def T(  # noqa: N802 - reads as a table row
    trigger: str,
    source: tuple[str, ...] | str,
    dest: str,
    event_type: str,
    roles: frozenset[str],
    **kw: Any,
) -> TransitionDef:
    src = (source,) if isinstance(source, str) else source
    return TransitionDef(trigger, src, dest, event_type, roles, **kw)


def _member_transitions() -> list[TransitionDef]:
    out = []
    for trigger, (event_type, roles) in MEMBER_TRIGGERS.items():
        kw: dict[str, Any] = {"guards": MEMBER_GUARDS[trigger], "effect": "on_members_changed"}
        for src in OPEN:
            if src in LEAVING:
                out.append(
                    T(
                        trigger,
                        src,
                        "keluar",
                        "HouseholdExited",
                        roles,
                        when=("ends_by_death",),
                        **kw,
                    )
                )
            if src in PARTICIPATING:  # a graduation is a participant's
                out.append(
                    T(
                        trigger,
                        src,
                        "graduasi_alamiah",
                        "GraduatedAlamiah",
                        roles,
                        when=("ends_alamiah",),
                        **kw,
                    )
                )
            elif src in LEAVING:
                # awaiting its decree, with no eligible member left otherwise than by a death
                # (removed, or moved out of its last component): it can never become a
                # participant (the decree is refused: has_eligible_member), and it never was
                # one to graduate. It leaves as not eligible: alasan_keluar tidak_ada_komponen
                # (on_members_changed), the reason a validation gives for the same household.
                out.append(
                    T(
                        trigger,
                        src,
                        "keluar",
                        "HouseholdExited",
                        roles,
                        when=("ends_alamiah",),
                        **kw,
                    )
                )
            out.append(T(trigger, src, src, event_type, roles, internal=True, **kw))
    return out


def transitions() -> tuple[TransitionDef, ...]:
    verified: dict[str, Any] = {
        "guards": ("period_is_new", "verified_members_exist"),
        "effect": "on_verified",
    }
    pdp = frozenset({"pendamping"})
    vk = "verifikasi_komitmen"
    ts = [
        T(
            "daftar",
            "baru",
            "calon",
            "CandidateRegistered",
            DATA,
            guards=("actor_covers_region", "members_are_valid", "new_niks_are_free"),
            effect="on_registered",
        ),
        T(
            "pertemuan_awal",
            "calon",
            "validasi",
            "FirstMeetingHeld",
            FIELD,
            effect="on_first_meeting",
        ),
        T(
            "validasi",
            ("calon", "validasi"),
            "eligible",
            "ValidatedEligible",
            pdp,
            when=("hasil_eligible",),
            guards=("has_eligible_member",),
            effect="on_validated",
        ),
        T(
            "validasi",
            ("calon", "validasi"),  # DOMAIN: validated at the first meeting, either way
            "non_eligible",
            "ValidatedNonEligible",
            pdp,
            effect="on_validated",
        ),
        T(
            "tetapkan",
            "eligible",
            "peserta",
            "ParticipantEstablished",
            frozenset({"pusat", "system"}),
            guards=("dates_are_not_ahead", "has_eligible_member", "kyc_complete"),
            effect="on_established",
        ),
        # monthly commitment verification (verifikasi komitmen)
        T(
            vk,
            "peserta",
            "penangguhan",
            "BenefitsSuspended",
            VERIFY,
            when=("suspends",),
            **verified,
        ),
        T(vk, "peserta", "peserta", "CommitmentVerified", VERIFY, internal=True, **verified),
        T(
            vk,
            "penangguhan",
            "dihentikan",
            "ParticipationTerminated",
            VERIFY,
            when=("terminates",),
            **verified,
        ),
        T(
            vk,
            "penangguhan",
            "peserta",
            "BenefitsReinstated",
            VERIFY,
            when=("reinstates",),
            **verified,
        ),
        T(
            vk,
            "penangguhan",
            "penangguhan",
            "CommitmentVerified",
            VERIFY,
            internal=True,
            **verified,
        ),
        T(vk, "transisi", "transisi", "CommitmentVerified", VERIFY, internal=True, **verified),
        T(
            "pulihkan",
            "penangguhan",
            "peserta",
            "BenefitsReinstated",
            OFFICE,
            effect="on_reinstated",
            required=("alasan",),
        ),
        T(
            "hentikan",
            "penangguhan",
            "dihentikan",
            "ParticipationTerminated",
            OFFICE,
            effect="on_exit",
            required=("alasan",),
        ),
        # resertifikasi: still poor stays, better off moves to transisi
        T(
            "resertifikasi",
            "peserta",
            "transisi",
            "TransitionStarted",
            FIELD,
            when=("membaik",),
            effect="on_recertified",
        ),
        T(
            "resertifikasi",
            "peserta",
            "peserta",
            "Recertified",
            FIELD,
            internal=True,
            effect="on_recertified",
        ),
        T(
            "graduasi_mandiri",
            ("peserta", "transisi"),
            "graduasi_mandiri",
            "GraduatedMandiri",
            FIELD,
            effect="on_exit",
            # it closes the household for good: the judgement says on what it rests
            required=("alasan",),
        ),
        # other exits; a move closes the household for good: where to (helper-46 closed one
        # with an empty form), so the new region's office can take it up
        T(
            "pindah",
            LEAVING,
            "keluar",
            "HouseholdMoved",
            FIELD,
            effect="on_exit",
            required=("tujuan",),
        ),
        T(
            "tidak_layak",
            ("eligible", *PARTICIPATING),
            "keluar",
            "FoundIneligible",
            OFFICE,
            effect="on_exit",
        ),
        *_member_transitions(),
    ]
    ts += [
        T(
            "koreksi",
            src,
            src,
            "CorrectionScheduled",
            frozenset({"pusat"}),
            internal=True,
            effect="on_correction",
            guards=("correction_is_approved", "members_are_valid", "new_niks_are_free"),
        )
        for src in OPEN
    ]
    return tuple(ts)


def predicates(policy: K.CompliancePolicy) -> dict[str, Callable[[Decision], bool]]:
    def counters(d: Decision) -> dict[str, Any]:
        attrs = d.state.attrs if d.state else {}
        return K.compliance_after(attrs, d.data.get("hadir", {}))

    def ending(kind: str) -> Callable[[Decision], bool]:
        return lambda d: K.exit_after(d.attr("anggota", {}), members_after(d)) == kind

    terminate = policy.terminate_after
    return {
        "hasil_eligible": lambda d: d.data.get("hasil") == "eligible",
        "membaik": lambda d: d.data.get("hasil") == "membaik",
        "ends_by_death": ending("meninggal"),
        "ends_alamiah": ending("graduasi_alamiah"),
        "suspends": lambda d: counters(d)["bulan_tidak_patuh"] >= policy.suspend_after,
        "terminates": lambda d: (
            terminate is not None and counters(d)["bulan_tidak_patuh"] >= terminate
        ),
        "reinstates": lambda d: counters(d)["bulan_patuh"] >= policy.reinstate_after,
    }
