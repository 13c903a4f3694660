"""Every allowed and forbidden move of the KPM lifecycle, and its pure rules, decided in memory."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from engine.errors import GuardRejected, InvalidInput, NotPermitted, TransitionNotAllowed
from engine.machine import Command, Env, compile_workflow, mermaid
from engine.state import SYSTEM, Actor, CaseState, evolve, replay
from workflows import kpm
from workflows import kpm_rules as K

WIB = timezone(timedelta(hours=7))
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=WIB)  # Monday
DEF = kpm.definition()
WF = compile_workflow(DEF)
ACTORS = {
    "pendamping": Actor("pdp", "pendamping", "327101"),
    "kabupaten": Actor("kab", "kabupaten", "3271"),
    "pusat": Actor("pst", "pusat", None),
    "system": SYSTEM,
}
HEAD = {
    "nik": "3271010101800001",
    "nama": "Budi",
    "jenis_kelamin": 1,
    "tempat_lahir": "Bogor",
    "tanggal_lahir": "1980-01-01",
    "hubungan_keluarga": 1,
    "nama_ibu_kandung": "Siti",
    "komponen": 9,
}
WIFE = {
    **HEAD,
    "nik": "3271014505850002",
    "nama": "Ani",
    "jenis_kelamin": 2,
    "tanggal_lahir": "1985-05-05",
    "hubungan_keluarga": 2,
    "komponen": 1,
    "sejak": "2026-01-15",
}
CHILD = {
    **HEAD,
    "nik": "3271010303150003",
    "nama": "Dodi",
    "tanggal_lahir": "2015-03-03",
    "hubungan_keluarga": 3,
    "nama_ibu_kandung": "Ani",
    "komponen": 4,
    "jenjang_sekolah": 1,
    "kelas": 5,
    "tahun_ajaran": 2024,  # last school year: data control promotes to kelas 6
}
MEMBERS = {"01": HEAD, "02": WIFE, "03": CHILD}
PENDING = [
    {
        "pengaduan": "ADU-2026-000001",
        "anggota": {"01": {"nama": "Budi S"}},
        "berlaku_mulai": "2026-01",
    }
]
COMPLAINT = {"type": "data_peserta", "level": "pusat", "household": None}

# trigger -> (who does it, data that satisfies every required key and guard)
COMMANDS: dict[str, tuple[str, dict[str, Any]]] = {
    "pertemuan_awal": ("pendamping", {}),
    "validasi": ("pendamping", {"hasil": "eligible"}),
    "tetapkan": ("pusat", {"nomor_sk": "SK-12/2026", "tanggal_sk": "2026-02-20"}),
    "verifikasi_komitmen": ("pendamping", {"periode": "2026-02", "hadir": {"02": 1, "03": 1}}),
    "pulihkan": ("kabupaten", {"alasan": "komitmen dipenuhi"}),
    "hentikan": ("kabupaten", {"alasan": "tidak memenuhi komitmen"}),
    "resertifikasi": ("pendamping", {"hasil": "tetap"}),
    "graduasi_mandiri": ("pendamping", {"alasan": "usaha warung mencukupi"}),
    "pindah": ("pendamping", {"tujuan": "Jakarta"}),
    "tidak_layak": ("kabupaten", {"alasan": "data_tidak_sesuai"}),
    "pemutakhiran": ("kabupaten", {"anggota": {"03": {"nama": "Dodi S"}}}),
    "anggota_meninggal": ("pendamping", {"nomor_anggota": "01", "tanggal": "2026-03-01"}),
    "kontrol_data": ("system", {"tanggal": "2026-03-02"}),
    "koreksi_berlaku": ("system", {"tanggal": "2026-03-02"}),
    "koreksi": ("pusat", {"pengaduan": "ADU-2026-000001", "anggota": {"01": {"nama": "B"}}}),
}
MEMBER_EVENTS = ("pemutakhiran", "anggota_meninggal", "kontrol_data", "koreksi_berlaku", "koreksi")

# The specification, written out independently of the definition.
EXPECTED: dict[tuple[str, str], str] = {
    ("calon", "pertemuan_awal"): "validasi",
    ("calon", "validasi"): "eligible",  # validated at the first meeting itself
    ("validasi", "validasi"): "eligible",
    ("eligible", "tetapkan"): "peserta",
    ("eligible", "tidak_layak"): "keluar",
    ("eligible", "pindah"): "keluar",  # validated, awaiting its decree: it may still move
    ("peserta", "verifikasi_komitmen"): "peserta",
    ("peserta", "resertifikasi"): "peserta",
    ("peserta", "graduasi_mandiri"): "graduasi_mandiri",
    ("peserta", "pindah"): "keluar",
    ("peserta", "tidak_layak"): "keluar",
    ("penangguhan", "verifikasi_komitmen"): "peserta",  # one compliant month reinstates
    ("penangguhan", "pulihkan"): "peserta",
    ("penangguhan", "hentikan"): "dihentikan",
    ("penangguhan", "pindah"): "keluar",
    ("penangguhan", "tidak_layak"): "keluar",
    ("transisi", "verifikasi_komitmen"): "transisi",
    ("transisi", "graduasi_mandiri"): "graduasi_mandiri",
    ("transisi", "pindah"): "keluar",
    ("transisi", "tidak_layak"): "keluar",
}
for _s in kpm.OPEN:
    for _t in MEMBER_EVENTS:
        EXPECTED[(_s, _t)] = _s
TRIGGERS = sorted({t.trigger for t in DEF.transitions} - {"daftar"})


def state_at(name: str, **attrs: Any) -> CaseState:
    sd = DEF.state(name)
    return CaseState(
        id="KPM-2026-000001",
        workflow="kpm",
        workflow_version=1,
        version=3,
        state=name,
        status="closed" if sd.closed else "open",
        region="3271011001",
        zone="Asia/Jakarta",
        level=sd.level,
        stage=sd.stage,
        updated_at=NOW - timedelta(days=1),
        attrs={
            "no_kk": "3271010101200001",
            "kode_peserta": "3271012600001",
            "anggota": MEMBERS,
            "koreksi_tertunda": PENDING,
            **attrs,
        },
    )


def decide(
    state: CaseState | None,
    trigger: str,
    data: dict[str, Any] | None = None,
    *,
    actor: str | None = None,
    at: datetime = NOW,
    definition: Any = None,
    **facts: Any,
) -> CaseState:
    who, default = COMMANDS.get(trigger, ("system", {}))
    wf = compile_workflow(definition) if definition else WF
    cmd = Command(
        trigger,
        ACTORS[actor or who],
        at,
        default if data is None else data,
        case_id="KPM-2026-000001",
    )
    env = Env(_calendar(), at, facts={"pengaduan": COMPLAINT, **facts})
    out = state
    for ev in wf.decide(state, cmd, env):
        out = evolve(out, ev)
    assert out is not None
    return out


def _calendar() -> Any:
    from workflows.indonesia import build_calendar

    global _CAL
    try:
        return _CAL
    except NameError:
        _CAL = build_calendar(first_year=2020, last_year=2030)
        return _CAL


@pytest.mark.parametrize("source", [s.name for s in DEF.states])
@pytest.mark.parametrize("trigger", TRIGGERS)
def test_every_transition_is_allowed_or_refused_exactly_as_specified(
    source: str, trigger: str
) -> None:
    st = state_at(source)
    expected = EXPECTED.get((source, trigger))
    if expected is None:
        with pytest.raises(TransitionNotAllowed) as err:
            decide(st, trigger)
        assert trigger not in err.value.allowed
    else:
        after = decide(st, trigger)
        assert after.state == expected
        assert after.version == st.version + 1


def test_the_specification_table_and_the_definition_list_the_same_moves() -> None:
    declared = {(s, t.trigger) for t in DEF.transitions for s in t.source if s != "baru"}
    assert declared == set(EXPECTED)


def registration(**overrides: Any) -> dict[str, Any]:
    members = [
        {k: v for k, v in m.items() if k not in ("sejak", "tahun_ajaran")}
        for m in (HEAD, WIFE, CHILD)
    ]
    data = {
        "no_kk": "3271010101200001",
        "region": "3271011001",
        "kode_peserta": "3271012600001",
        "anggota": members,
    }
    data.update(overrides)
    return data


FREE = [HEAD["nik"], WIFE["nik"], CHILD["nik"]]


def test_a_household_is_registered_as_calon_with_numbered_members() -> None:
    st = decide(None, "daftar", registration(), free_niks=FREE)
    assert (st.state, st.status, st.region, st.level) == (
        "calon",
        "open",
        "3271011001",
        "pendamping",
    )
    assert list(st.attrs["anggota"]) == ["01", "02", "03"]
    assert st.attrs["anggota"]["02"]["sejak"] == "2026-03-02"  # a pregnancy known from today
    assert st.attrs["anggota"]["03"]["tahun_ajaran"] == 2025  # kelas 5 in 2025/2026


def test_registration_needs_nik_checked_one_head_and_the_right_code() -> None:
    with pytest.raises(GuardRejected, match="nik_not_checked"):
        decide(None, "daftar", registration(), free_niks=FREE[:2])
    two_heads = registration()
    two_heads["anggota"][1] = {**two_heads["anggota"][1], "hubungan_keluarga": 1}
    with pytest.raises(GuardRejected, match="kepala keluarga"):
        decide(None, "daftar", two_heads, free_niks=FREE)
    with pytest.raises(InvalidInput) as err:
        decide(None, "daftar", registration(kode_peserta="3273012600001"), free_niks=FREE)
    assert err.value.field == "kode_peserta"
    with pytest.raises(InvalidInput) as err:
        decide(None, "daftar", registration(region="3271019999"), free_niks=FREE)
    assert err.value.field == "kode_wilayah"
    bad = registration()
    bad["anggota"][2] = {**bad["anggota"][2], "komponen": 3}
    with pytest.raises(InvalidInput) as err:
        decide(None, "daftar", bad, free_niks=FREE)
    assert err.value.field == "anggota[2].komponen"


def test_validation_after_the_first_meeting_has_a_working_day_deadline() -> None:
    st = decide(state_at("calon"), "pertemuan_awal")
    # Monday 2 March + 10 working days (day 1 is Tuesday 3 March): Monday 16 March
    assert st.stage_due is not None
    assert st.stage_due.astimezone(WIB).date() == date(2026, 3, 16)
    short = kpm.definition(validation_days=3)
    st3 = decide(state_at("calon"), "pertemuan_awal", definition=short)
    assert st3.stage_due.astimezone(WIB).date() == date(2026, 3, 5)
    assert DEF.deadline_policy is not None and DEF.deadline_policy.escalate_after == {}


def test_non_eligible_is_an_exit_with_a_reason() -> None:
    out = decide(state_at("validasi"), "validasi", {"hasil": "non_eligible", "alasan": "mampu"})
    assert (out.state, out.status, out.attrs["validasi_alasan"]) == (
        "non_eligible",
        "closed",
        "mampu",
    )
    with pytest.raises(InvalidInput) as err:
        decide(state_at("validasi"), "validasi", {"hasil": "non_eligible"})
    assert err.value.field == "alasan"
    # validated at the first meeting either way (DOMAIN.md): a household never found is
    # non-eligible straight from calon, as an eligible one is eligible straight from it
    found = {"hasil": "non_eligible", "alasan": "tidak_ditemukan"}
    assert decide(state_at("calon"), "validasi", found).state == "non_eligible"


def test_a_household_without_an_eligible_component_cannot_be_validated_eligible() -> None:
    none_left = {"01": HEAD, "02": {**WIFE, "komponen": 9}, "03": {**CHILD, "komponen": 9}}
    with pytest.raises(GuardRejected, match="no_eligible_member"):
        decide(state_at("validasi", anggota=none_left), "validasi")


def test_the_decree_needs_kyc_complete_and_records_number_and_date() -> None:
    gaps = {**MEMBERS, "03": {k: v for k, v in CHILD.items() if k != "nama_ibu_kandung"}}
    with pytest.raises(GuardRejected, match="kyc_incomplete"):
        decide(state_at("eligible", anggota=gaps), "tetapkan")
    out = decide(state_at("eligible"), "tetapkan")
    assert (out.attrs["nomor_sk"], out.attrs["tanggal_sk"]) == ("SK-12/2026", "2026-02-20")
    with pytest.raises(NotPermitted):
        decide(state_at("eligible"), "tetapkan", actor="pendamping")


def months(state: CaseState, attended: bool, first: int, n: int, **kw: Any) -> CaseState:
    for i in range(n):
        data = {"periode": f"2025-{first + i:02d}", "hadir": {"02": attended, "03": True}}
        state = decide(state, "verifikasi_komitmen", data, **kw)
    return state


def test_repeated_non_compliance_suspends_then_terminates_by_policy() -> None:
    st = months(state_at("peserta"), False, 1, 2)
    assert st.state == "peserta" and st.attrs["kepatuhan"] == "tidak_patuh"
    st = months(st, False, 3, 1)
    assert st.state == "penangguhan" and st.attrs["bulan_tidak_patuh"] == 3
    st = months(st, False, 4, 2)
    assert st.state == "penangguhan"
    st = months(st, False, 6, 1)
    assert (st.state, st.status, st.attrs["alasan_keluar"]) == (
        "dihentikan",
        "closed",
        "tidak_memenuhi_komitmen",
    )


def test_a_compliant_month_reinstates_and_the_policy_is_data() -> None:
    st = months(state_at("peserta"), False, 1, 3)
    assert st.state == "penangguhan"
    assert months(st, True, 4, 1).state == "peserta"
    lenient = kpm.definition(policy=K.CompliancePolicy(suspend_after=2, terminate_after=None))
    st = months(state_at("peserta"), False, 1, 2, definition=lenient)
    assert st.state == "penangguhan"
    st = months(st, False, 3, 8, definition=lenient)
    assert st.state == "penangguhan"  # termination left to an officer (hentikan)


def test_a_month_is_verified_once_and_never_in_the_future() -> None:
    st = months(state_at("peserta"), True, 1, 1)
    with pytest.raises(GuardRejected, match="period_already_verified"):
        months(st, True, 1, 1)
    with pytest.raises(GuardRejected, match="period_in_future"):
        decide(st, "verifikasi_komitmen", {"periode": "2026-04", "hadir": {"02": 1}})
    with pytest.raises(GuardRejected, match="member_unknown"):
        decide(st, "verifikasi_komitmen", {"periode": "2026-02", "hadir": {"09": 1}})


def test_a_month_before_the_decree_is_refused_the_decree_month_counts() -> None:
    st = state_at("peserta", tanggal_sk="2026-02-10")
    with pytest.raises(GuardRejected, match="period_before_participation") as err:
        decide(st, "verifikasi_komitmen", {"periode": "2026-01", "hadir": {"02": 1}})
    assert "SK penetapan of 2026-02-10" in str(err.value)
    out = decide(st, "verifikasi_komitmen", {"periode": "2026-02", "hadir": {"02": 1}})
    assert out.attrs["verifikasi_terakhir"]["periode"] == "2026-02"


def test_the_only_head_is_removed_or_demoted_only_naming_the_new_one_in_the_same_update() -> None:
    for data in (
        {"hapus": {"01": "pindah_kk"}},
        {"anggota": {"01": {"hubungan_keluarga": 2}}},
    ):
        with pytest.raises(GuardRejected, match="left without a kepala keluarga") as err:
            decide(state_at("peserta"), "pemutakhiran", data)
        # said as the officer does it, not as a path to type ("anggota.NN.hubungan_keluarga=1")
        said = " ".join(f"{r.id} {r.en}" for r in err.value.reasons)
        assert "anggota.NN" not in said and "ubah hubungan keluarga seorang anggota" in said
    new_head = {"hapus": {"01": "pindah_kk"}, "anggota": {"02": {"hubungan_keluarga": 1}}}
    out = decide(state_at("peserta"), "pemutakhiran", new_head)
    assert K.living_heads(out.attrs["anggota"]) == 1 and "01" not in out.attrs["anggota"]
    # a household whose head died has none already: other updates are still recorded
    widowed = {**MEMBERS, "01": {**HEAD, "komponen": 10, "meninggal": "2026-02-01"}}
    st = state_at("peserta", anggota=widowed)
    assert decide(st, "pemutakhiran", {"anggota": {"03": {"nama": "Dodi S"}}}).state == "peserta"
    assert "01" not in decide(st, "pemutakhiran", {"hapus": {"01": "lainnya"}}).attrs["anggota"]


def test_recertification_keeps_or_moves_to_transisi_then_graduasi_mandiri() -> None:
    assert decide(state_at("peserta"), "resertifikasi").state == "peserta"
    st = decide(state_at("peserta"), "resertifikasi", {"hasil": "membaik"})
    assert st.state == "transisi"
    out = decide(st, "graduasi_mandiri")  # with the reason it rests on (COMMANDS)
    assert (out.state, out.status, out.attrs["alasan_keluar"]) == (
        "graduasi_mandiri",
        "closed",
        "usaha warung mencukupi",
    )


ONLY_SMA = {"01": HEAD, "02": {**WIFE, "komponen": 9}, "03": None}


def sma_graduate() -> dict[str, Any]:
    child = {
        **CHILD,
        "nik": "3271010303070003",
        "tanggal_lahir": "2007-03-03",
        "komponen": 6,
        "jenjang_sekolah": 3,
        "kelas": 12,
        "tahun_ajaran": 2025,
    }
    return {**ONLY_SMA, "03": child}


def test_graduasi_alamiah_is_automatic_when_data_control_ends_the_last_component() -> None:
    st = state_at("peserta", anggota=sma_graduate())
    july = datetime(2026, 7, 15, 9, tzinfo=WIB)
    moves = K.control(st.attrs["anggota"], july.date())
    assert moves == {
        "03": {
            "jenjang_sekolah": None,
            "kelas": None,
            "tahun_ajaran": None,
            "komponen": 9,
            "alasan": "lulus_sma",
        }
    }
    july_data = {"tanggal": "2026-07-15"}
    out = decide(st, "kontrol_data", july_data, at=july)
    assert (out.state, out.status) == ("graduasi_alamiah", "closed")
    assert out.attrs["alasan_keluar"] == "graduasi_alamiah"
    assert out.attrs["anggota"]["03"]["komponen"] == 9 and "kelas" not in out.attrs["anggota"]["03"]
    # before participation the same change only updates the data
    calon = decide(state_at("calon", anggota=sma_graduate()), "kontrol_data", july_data, at=july)
    assert calon.state == "calon"


def test_data_control_refuses_when_nothing_changes() -> None:
    st = state_at("peserta", anggota={"01": HEAD, "02": WIFE})
    with pytest.raises(GuardRejected, match="nothing_to_control"):
        decide(st, "kontrol_data", {"tanggal": "2026-03-02"})


def test_death_of_the_only_eligible_member_is_an_exit_otherwise_an_update() -> None:
    only = {"01": HEAD, "02": WIFE}
    out = decide(
        state_at("peserta", anggota=only),
        "anggota_meninggal",
        {"nomor_anggota": "02", "tanggal": "2026-03-01"},
    )
    assert (out.state, out.attrs["alasan_keluar"]) == ("keluar", "meninggal")
    stay = decide(
        state_at("peserta"), "anggota_meninggal", {"nomor_anggota": "02", "tanggal": "2026-03-01"}
    )
    assert stay.state == "peserta" and stay.attrs["anggota"]["02"]["komponen"] == 10
    with pytest.raises(GuardRejected, match="member_unknown"):
        decide(stay, "anggota_meninggal", {"nomor_anggota": "02", "tanggal": "2026-03-01"})


def test_a_household_awaiting_its_decree_leaves_by_death_or_moving_as_a_participant_does() -> None:
    """An eligible household (validated, before the decree) had no exit for a move or a death:
    `pindah` took a participant only, and the death of its only eligible member left it
    `eligible` with a decree it could never get (has_eligible_member). Both now close it as
    they close a participant, with the same data and checks."""
    only = state_at("eligible", anggota={"01": HEAD, "02": WIFE})
    died = decide(only, "anggota_meninggal", {"nomor_anggota": "02", "tanggal": "2026-03-01"})
    assert (died.state, died.status, died.attrs["alasan_keluar"]) == (
        "keluar",
        "closed",
        "meninggal",
    )
    assert died.attrs["anggota"]["02"]["komponen"] == 10
    stay = decide(
        state_at("eligible"), "anggota_meninggal", {"nomor_anggota": "02", "tanggal": "2026-03-01"}
    )
    assert stay.state == "eligible"  # another eligible member is left: the decree may come
    with pytest.raises(InvalidInput) as where:
        decide(state_at("eligible"), "pindah", {"alasan": "ikut suami"})
    assert where.value.field == "tujuan"
    moved = decide(state_at("eligible"), "pindah", {"tujuan": "Kota Depok"})
    assert (moved.state, moved.status) == ("keluar", "closed")
    assert (moved.attrs["alasan_keluar"], moved.attrs["tujuan"]) == ("pindah", "Kota Depok")
    with pytest.raises(NotPermitted):  # the field's command, as for a participant
        decide(state_at("eligible"), "pindah", {"tujuan": "Kota Depok"}, actor="pusat")
    # a candidate leaves at its validation (non_eligible), as DOMAIN says
    for name in ("calon", "validasi"):
        with pytest.raises(TransitionNotAllowed):
            decide(state_at(name), "pindah", {"tujuan": "Kota Depok"})


def test_a_household_awaiting_its_decree_with_no_eligible_member_left_leaves_as_not_eligible() -> (
    None
):
    """An eligible household whose last eligible member left by a data update (removed, or
    moved out of its last component by data control) stayed `eligible`: the automatic exit was a
    participant's only, and the decree was then refused (has_eligible_member) for good. It now
    leaves as not eligible (no member in a PKH component), not as a graduate: it never took part."""
    only = state_at("eligible", anggota={"01": HEAD, "02": WIFE})
    removed = decide(only, "pemutakhiran", {"hapus": {"02": "menikah"}})
    assert (removed.state, removed.status) == ("keluar", "closed")
    assert removed.attrs["alasan_keluar"] == "tidak_ada_komponen"
    assert "02" not in removed.attrs["anggota"]
    july = datetime(2026, 7, 15, 9, tzinfo=WIB)
    st = state_at("eligible", anggota=sma_graduate())
    controlled = decide(st, "kontrol_data", {"tanggal": "2026-07-15"}, at=july)
    assert (controlled.state, controlled.attrs["alasan_keluar"]) == ("keluar", "tidak_ada_komponen")
    # another eligible member left: it stays, and the decree may come
    stay = decide(state_at("eligible"), "pemutakhiran", {"hapus": {"02": "menikah"}})
    assert stay.state == "eligible"
    # a participant still graduates (graduasi alamiah); a candidate's exit is its validation
    assert (
        decide(
            state_at("peserta", anggota={"01": HEAD, "02": WIFE}),
            "pemutakhiran",
            {"hapus": {"02": "menikah"}},
        ).state
        == "graduasi_alamiah"
    )
    assert (
        decide(
            state_at("calon", anggota={"01": HEAD, "02": WIFE}),
            "pemutakhiran",
            {"hapus": {"02": "menikah"}},
        ).state
        == "calon"
    )


def test_other_exits_record_their_reason() -> None:
    assert decide(state_at("peserta"), "pindah").attrs["alasan_keluar"] == "pindah"
    out = decide(state_at("eligible"), "tidak_layak")
    assert (out.state, out.attrs["alasan_keluar"]) == ("keluar", "data_tidak_sesuai")


def test_a_data_update_checks_new_members_and_new_niks() -> None:
    baby = {
        "nik": "3271010102260004",
        "nama": "Bayi",
        "jenis_kelamin": 1,
        "tempat_lahir": "Bogor",
        "tanggal_lahir": "2026-02-01",
        "hubungan_keluarga": 3,
        "nama_ibu_kandung": "Ani",
        "komponen": 2,
    }
    data = {"tambah": [baby], "anggota": {"02": {"komponen": 9}}}
    with pytest.raises(GuardRejected, match="nik_not_checked"):
        decide(state_at("peserta"), "pemutakhiran", data)
    out = decide(state_at("peserta"), "pemutakhiran", data, free_niks=[baby["nik"]])
    assert out.attrs["anggota"]["04"]["nama"] == "Bayi"
    assert "sejak" not in out.attrs["anggota"]["02"]
    wrong = {"anggota": {"03": {"komponen": 8}}}
    with pytest.raises(GuardRejected, match="starts at 60"):
        decide(state_at("peserta"), "pemutakhiran", wrong)
    with pytest.raises(GuardRejected, match="member_unknown"):
        decide(state_at("peserta"), "pemutakhiran", {"anggota": {"07": {"nama": "X"}}})
    with pytest.raises(InvalidInput) as err:
        decide(state_at("peserta"), "pemutakhiran", {"anggota": {"03": {"warna": "x"}}})
    assert err.value.field == "anggota.03.warna"
    # removing the last eligible members ends participation: graduasi alamiah
    gone = decide(
        state_at("peserta"), "pemutakhiran", {"hapus": {"02": "pindah_kk", "03": "menikah"}}
    )
    assert gone.state == "graduasi_alamiah"


def test_a_pusat_correction_applies_from_the_next_payment_period() -> None:
    st = state_at("peserta", koreksi_tertunda=[])
    out = decide(st, "koreksi", {"pengaduan": "ADU-2026-000007", "anggota": {"03": {"kelas": 6}}})
    pending = out.attrs["koreksi_tertunda"]
    assert pending == [
        {
            "pengaduan": "ADU-2026-000007",
            "anggota": {"03": {"kelas": 6}},
            "berlaku_mulai": "2026-04",
        }
    ]
    assert out.attrs["anggota"]["03"]["kelas"] == 5 and out.attrs["pengaduan"] == [
        "ADU-2026-000007"
    ]
    march_31 = datetime(2026, 3, 31, 9, tzinfo=WIB)
    with pytest.raises(GuardRejected, match="no_correction_due"):
        decide(out, "koreksi_berlaku", {"tanggal": "2026-03-31"}, at=march_31)
    april = datetime(2026, 4, 1, 9, tzinfo=WIB)
    done = decide(out, "koreksi_berlaku", {"tanggal": "2026-04-01"}, at=april)
    assert done.attrs["anggota"]["03"]["kelas"] == 6 and done.attrs["koreksi_tertunda"] == []
    other = {"type": "pembayaran", "level": "kabupaten", "household": "KPM-2026-000009"}
    with pytest.raises(GuardRejected, match="correction_not_approved") as err:
        decide(st, "koreksi", pengaduan=other)
    assert "not at pusat" in str(err.value) and "KPM-2026-000009" in str(err.value)
    with pytest.raises(NotPermitted):
        decide(st, "koreksi", actor="kabupaten")


@pytest.mark.parametrize(
    "on,expected",
    [(date(2026, 3, 5), "2026-04"), (date(2026, 4, 2), "2026-07"), (date(2026, 11, 30), "2027-01")],
)
def test_the_next_payment_period_follows_the_tahap_months(on: date, expected: str) -> None:
    assert K.next_payment_period(on) == expected


def member(born: str, komponen: int, **kw: Any) -> dict[str, Any]:
    return {"nik": "x", "tanggal_lahir": born, "jenis_kelamin": 2, "komponen": komponen, **kw}


@pytest.mark.parametrize(
    "m,on,change",
    [
        (
            member("2014-05-01", 4, jenjang_sekolah=1, kelas=6, tahun_ajaran=2025),
            date(2026, 7, 1),
            {
                "komponen": 5,
                "jenjang_sekolah": 2,
                "kelas": 7,
                "tahun_ajaran": 2026,
                "alasan": "naik_smp",
            },
        ),
        (
            member("2011-05-01", 5, jenjang_sekolah=2, kelas=9, tahun_ajaran=2025),
            date(2026, 8, 1),
            {
                "komponen": 6,
                "jenjang_sekolah": 3,
                "kelas": 10,
                "tahun_ajaran": 2026,
                "alasan": "naik_sma",
            },
        ),
        (
            member("2014-05-01", 4, jenjang_sekolah=1, kelas=6, tahun_ajaran=2025),
            date(2026, 6, 30),
            {},
        ),
        (
            member("2019-04-01", 2),
            date(2026, 4, 1),
            {
                "komponen": 4,
                "jenjang_sekolah": 1,
                "kelas": 1,
                "tahun_ajaran": 2026,
                "alasan": "masuk_sd",
            },
        ),
        (
            member("1985-05-05", 1, sejak="2025-06-01"),
            date(2026, 3, 1),
            {"komponen": 9, "sejak": None, "alasan": "kehamilan_berakhir"},
        ),
        (member("1985-05-05", 1, sejak="2025-07-01"), date(2026, 3, 1), {}),
        (member("1966-03-01", 9), date(2026, 3, 1), {"komponen": 8, "alasan": "lansia"}),
        (
            member("2005-03-01", 6, jenjang_sekolah=3, kelas=11, tahun_ajaran=2025),
            date(2026, 3, 1),
            {
                "komponen": 9,
                "jenjang_sekolah": None,
                "kelas": None,
                "tahun_ajaran": None,
                "alasan": "usia_21",
            },
        ),
        (member("1960-01-01", 10), date(2026, 3, 1), {}),
    ],
)
def test_data_control_moves_members_by_age_and_school_year(
    m: dict[str, Any], on: date, change: dict[str, Any]
) -> None:
    assert K.control({"01": m}, on) == ({"01": change} if change else {})


def test_every_state_replays_from_its_events() -> None:
    events = []
    st = None
    for trigger, data, facts in (
        ("daftar", registration(), {"free_niks": FREE}),
        ("pertemuan_awal", {}, {}),
        ("validasi", {"hasil": "eligible"}, {}),
        ("tetapkan", {**COMMANDS["tetapkan"][1], "tanggal_sk": "2026-03-02"}, {}),
    ):
        who = "kabupaten" if trigger == "daftar" else COMMANDS[trigger][0]
        cmd = Command(trigger, ACTORS[who], NOW, data, case_id="KPM-2026-000001")
        evs = WF.decide(st, cmd, Env(_calendar(), NOW, facts=facts))
        events += evs
        for ev in evs:
            st = evolve(st, ev)
    assert st is not None and st.state == "peserta"
    assert replay(events) == st


def test_the_diagram_renders() -> None:
    text = mermaid(DEF)
    assert "graduasi_alamiah" in text and "penangguhan" in text


@pytest.mark.parametrize(
    ("state", "trigger", "data", "field"),
    [
        # an empty "Pindah domisili" closed a household for good (helper-46)
        ("peserta", "pindah", {}, "tujuan"),
        ("peserta", "pindah", {"alasan": "ikut suami"}, "tujuan"),
        ("transisi", "graduasi_mandiri", {}, "alasan"),
        # a reason for non_eligible given with eligible was dropped without a word
        ("calon", "validasi", {"hasil": "eligible", "alasan": "mampu"}, "alasan"),
    ],
)
def test_an_exit_says_why_and_where_and_a_validation_keeps_no_contradiction(
    state: str, trigger: str, data: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        decide(state_at(state), trigger, data)
    assert refused.value.field == field, refused.value
    moved = decide(state_at("peserta"), "pindah", {"tujuan": "Kota Depok"})
    assert (moved.state, moved.status) == ("keluar", "closed")
    assert decide(state_at("calon"), "validasi", {"hasil": "eligible"}).state == "eligible"
