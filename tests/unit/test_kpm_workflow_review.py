"""The KPM lifecycle's review findings, decided in memory: a decree dated before the household
was registered or validated, the missed months an officer's reinstatement excuses, and the data
`tidak_layak` (and every other KPM command) takes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine.errors import GuardRejected, InvalidInput
from engine.machine import Command, Env
from engine.state import Event, evolve
from tests.unit.test_kpm_workflow import (
    ACTORS,
    COMMANDS,
    EXPECTED,
    FREE,
    HEAD,
    MEMBERS,
    NOW,
    TRIGGERS,
    WF,
    _calendar,
    decide,
    months,
    registration,
    state_at,
)
from workflows import kpm
from workflows import kpm_rules as K

SK = "SK-12/2026"


def decree(st: Any, tanggal_sk: str) -> Any:
    return decide(st, "tetapkan", {"nomor_sk": SK, "tanggal_sk": tanggal_sk})


# ------------------------------------------------------------------------ decree date (#6)
def test_a_decree_dated_before_the_validation_is_bad_input_naming_tanggal_sk() -> None:
    st = state_at(
        "eligible",
        terdaftar="2026-02-20",
        pertemuan_awal="2026-02-24",
        validasi_tanggal="2026-02-26",
    )
    with pytest.raises(InvalidInput) as early:
        decree(st, "2026-02-25")
    assert early.value.field == "tanggal_sk"
    assert early.value.message == (
        "2026-02-25 is before the household was validated (2026-02-26); a decree follows "
        "the validation"
    )
    assert early.value.message_id == (
        "2026-02-25 sebelum rumah tangga divalidasi (2026-02-26); SK penetapan terbit sesudah "
        "validasi"
    )
    # a typo by a year, as the reviewer's: the registration is named where it is the bound
    registered_only = state_at("eligible", terdaftar="2026-02-20")
    with pytest.raises(InvalidInput) as typo:
        decree(registered_only, "2025-02-20")
    assert typo.value.field == "tanggal_sk"
    assert "before the household was registered (2026-02-20)" in typo.value.message
    assert "sebelum rumah tangga terdaftar" in str(typo.value.message_id)
    # validated before this version recorded the day: the first meeting bounds it
    older = state_at("eligible", terdaftar="2026-02-20", pertemuan_awal="2026-02-24")
    with pytest.raises(InvalidInput, match="had its first meeting"):
        decree(older, "2026-02-23")
    # the validation day itself, and any day up to today, are taken
    assert decree(st, "2026-02-26").attrs["tanggal_sk"] == "2026-02-26"
    assert decree(st, NOW.date().isoformat()).state == "peserta"


def test_the_validation_records_its_day_and_the_whole_lifecycle_holds_the_decree_to_it() -> None:
    """Registered on 2 March, validated on 4 March (its own day, in the household's zone): a
    decree of 3 March is refused; one of 4 March is taken."""
    later = NOW + timedelta(days=2)
    st = None
    for trigger, data, at, facts in (
        ("daftar", registration(), NOW, {"free_niks": FREE}),
        ("pertemuan_awal", {}, NOW, {}),
        ("validasi", {"hasil": "eligible"}, later, {}),
    ):
        who = "kabupaten" if trigger == "daftar" else COMMANDS[trigger][0]
        cmd = Command(trigger, ACTORS[who], at, data, case_id="KPM-2026-000001")
        for ev in WF.decide(st, cmd, Env(_calendar(), later, facts=facts)):
            st = evolve(st, ev)
    assert st is not None
    assert (st.attrs["terdaftar"], st.attrs["validasi_tanggal"]) == ("2026-03-02", "2026-03-04")
    with pytest.raises(InvalidInput, match="tanggal_sk: 2026-03-03 is before the household was"):
        decide(st, "tetapkan", {"nomor_sk": SK, "tanggal_sk": "2026-03-03"}, at=later)
    assert decide(st, "tetapkan", {"nomor_sk": SK, "tanggal_sk": "2026-03-04"}, at=later).state == (
        "peserta"
    )


# -------------------------------------------------------------------- reinstatement (#7)
def test_an_officers_reinstatement_restarts_the_count_of_missed_months() -> None:
    st = months(state_at("peserta"), False, 1, 3)
    assert (st.state, st.attrs["bulan_tidak_patuh"]) == ("penangguhan", 3)
    st = decide(st, "pulihkan", {"alasan": "sakit, surat dokter"})
    assert st.state == "peserta"
    assert (st.attrs["bulan_tidak_patuh"], st.attrs["bulan_patuh"]) == (0, 0)
    assert st.attrs["kepatuhan"] is None and st.attrs["pulih_alasan"] == "sakit, surat dokter"
    # one or two more missed months no longer suspend; the third does, as after the decree
    st = months(st, False, 4, 2)
    assert (st.state, st.attrs["bulan_tidak_patuh"]) == ("peserta", 2)
    st = months(st, False, 6, 1)
    assert st.state == "penangguhan"
    # and termination takes six missed months since the reinstatement, not two more
    st = months(st, False, 7, 2)
    assert st.state == "penangguhan"
    st = months(st, False, 9, 1)
    assert (st.state, st.attrs["alasan_keluar"]) == ("dihentikan", "tidak_memenuhi_komitmen")


def test_keeping_the_count_after_a_reinstatement_is_a_policy_choice_declared_as_data() -> None:
    assert K.CompliancePolicy().restart_on_reinstatement is True
    keep = kpm.definition(policy=K.CompliancePolicy(restart_on_reinstatement=False))
    st = months(state_at("peserta"), False, 1, 3, definition=keep)
    st = decide(st, "pulihkan", {"alasan": "sakit"}, definition=keep)
    assert (st.state, st.attrs["bulan_tidak_patuh"]) == ("peserta", 3)
    assert months(st, False, 4, 1, definition=keep).state == "penangguhan"


# ------------------------------------------------------------------- command data (#15)
def decided(st: Any, trigger: str, data: dict[str, Any], actor: str = "kabupaten") -> Event:
    cmd = Command(trigger, ACTORS[actor], NOW, data, case_id="KPM-2026-000001")
    (event,) = WF.decide(st, cmd, Env(_calendar(), NOW, facts={}))
    return event


def test_tidak_layak_records_only_its_reason_and_refuses_other_keys_naming_them() -> None:
    st = state_at("peserta")
    with pytest.raises(InvalidInput) as extra:
        decided(st, "tidak_layak", {"alasan": "data_ganda", "foo": "bar", "baz": "1"})
    assert extra.value.field == "foo"
    assert extra.value.message == (
        "is not data of this command (it takes alasan, keterangan); nor are baz"
    )
    assert extra.value.message_id is not None and "bukan data perintah ini" in (
        extra.value.message_id
    )
    event = decided(st, "tidak_layak", {"alasan": "data_ganda"})
    assert dict(event.data) == {"alasan": "data_ganda"}
    assert event.changes["attrs"]["alasan_keluar"] == "data_ganda"


def test_tidak_layak_for_another_reason_needs_it_in_words() -> None:
    st = state_at("eligible")
    for blank in ({"alasan": "lainnya"}, {"alasan": "lainnya", "keterangan": "  "}):
        with pytest.raises(InvalidInput) as bare:
            decided(st, "tidak_layak", blank)
        assert bare.value.field == "keterangan"
        assert bare.value.message_id == "wajib diisi bila alasannya “Lainnya”: jelaskan alasannya"
    said = {"alasan": "lainnya", "keterangan": " penerima ganda di kabupaten lain "}
    event = decided(st, "tidak_layak", said)
    assert dict(event.data) == {
        "alasan": "lainnya",
        "keterangan": "penerima ganda di kabupaten lain",
    }
    # an explanation may come with any reason
    with_words = decided(st, "tidak_layak", {"alasan": "bukan_sasaran", "keterangan": "mampu"})
    assert with_words.data["keterangan"] == "mampu"


SOURCE = {t: next(s for (s, tr) in EXPECTED if tr == t) for t in TRIGGERS}


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_every_kpm_command_refuses_a_key_it_does_not_take(trigger: str) -> None:
    """As `tidak_layak`: a typo (`tujan=`) is refused naming it, never dropped or kept."""
    _, data = COMMANDS[trigger]
    with pytest.raises(InvalidInput) as unknown:
        decide(state_at(SOURCE[trigger]), trigger, {**data, "tujan": "Jakarta"})
    assert unknown.value.field == "tujan"
    assert unknown.value.message.startswith("is not data of this command (it takes")


def test_registration_refuses_a_key_it_does_not_take() -> None:
    with pytest.raises(InvalidInput) as unknown:
        decide(
            None, "daftar", {**registration(), "catatan": "x"}, actor="kabupaten", free_niks=FREE
        )
    assert unknown.value.field == "catatan"
    with pytest.raises(InvalidInput, match="it takes no data"):
        decide(state_at("calon"), "pertemuan_awal", {"hadir": "semua"})


# ------------------------------------------------------- a death set as a component (h89)
@pytest.mark.parametrize("trigger", ["pemutakhiran", "koreksi"])
def test_a_data_update_or_correction_cannot_record_a_death_as_a_component(trigger: str) -> None:
    # komponen 10 (MENINGGAL DUNIA) set by an update recorded a death with no date and, for the
    # household's last eligible member, closed it for good ("keluar", meninggal)
    data: dict[str, Any] = {"anggota": {"02": {"komponen": 10}}}
    if trigger == "koreksi":
        data["pengaduan"] = "ADU-2026-000001"
    with pytest.raises(InvalidInput) as err:
        decide(state_at("peserta"), trigger, data)
    assert err.value.field == "anggota.02.komponen"
    assert "anggota_meninggal" in err.value.message
    assert "Anggota meninggal dunia" in str(err.value.message_id)
    # the death's own command still records it, with its date
    death = {"nomor_anggota": "02", "tanggal": "2026-02-01"}
    died = decide(state_at("peserta"), "anggota_meninggal", death)
    assert died.attrs["anggota"]["02"]["meninggal"] == "2026-02-01"


@pytest.mark.parametrize("trigger", ["pemutakhiran", "koreksi"])
def test_a_deceased_members_component_is_not_changed_back_to_life(trigger: str) -> None:
    # `anggota.01.komponen=8` on a head recorded as deceased made him LANSIA again, still
    # carrying his date of death ("meninggal": "2026-02-01")
    dead = {**HEAD, "komponen": 10, "meninggal": "2026-02-01"}
    st = state_at("peserta", anggota={**MEMBERS, "01": dead})
    data: dict[str, Any] = {"anggota": {"01": {"komponen": 8}}}
    if trigger == "koreksi":
        data["pengaduan"] = "ADU-2026-000001"
    with pytest.raises(GuardRejected) as err:
        decide(st, trigger, data)
    said = {r.key: r for r in err.value.reasons}
    assert "member_deceased" in said
    assert said["member_deceased"].id == (
        "anggota 01 tercatat meninggal dunia: komponennya tidak dapat diubah"
    )
    # other updates of the widowed household are still recorded
    assert decide(st, "pemutakhiran", {"anggota": {"03": {"nama": "Dodi S"}}}).state == "peserta"


def test_a_move_records_that_the_household_moved_and_where_whatever_words_come_with_it() -> None:
    # the form's optional "Alasan" took the place of "pindah": a household that moved with
    # alasan "ikut suami bekerja" was only "keluar", for "ikut suami bekerja", with no
    # destination on the household
    data = {"tujuan": "Kota Depok", "alasan": "ikut suami bekerja"}
    out = decide(state_at("peserta"), "pindah", data)
    assert (out.state, out.attrs["alasan_keluar"], out.attrs["tujuan"]) == (
        "keluar",
        "pindah",
        "Kota Depok",
    )


def test_a_month_left_out_is_not_said_to_be_verified_already() -> None:
    # October recorded after May: June, never verified, was refused as "periode 2026-06
    # sudah diverifikasi (terakhir 2026-10)"
    st = state_at("peserta", verifikasi_terakhir={"periode": "2026-02", "hadir": {"02": True}})
    with pytest.raises(GuardRejected) as earlier:
        decide(st, "verifikasi_komitmen", {"periode": "2026-01", "hadir": {"02": 1}})
    (reason,) = earlier.value.reasons
    assert reason.key == "period_already_verified"
    assert "sudah diverifikasi" not in reason.id
    assert reason.id.startswith("periode 2026-01 tidak sesudah bulan terakhir yang diverifikasi")
    with pytest.raises(GuardRejected) as again:
        decide(st, "verifikasi_komitmen", {"periode": "2026-02", "hadir": {"02": 1}})
    assert [r.id for r in again.value.reasons] == ["periode 2026-02 sudah diverifikasi"]
