"""What the officer pages show of households and staff cases (review findings kpm #8, #14 and
officer #8): state names from the definitions, worklist rows, the data-update form's data,
the lookup by a household's codes, members shown and compared per member and field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from api import page_views as pv
from api.i18n import label
from api.wiring import App
from engine.errors import InvalidInput
from tests.integration.test_kpm_import import KK1, person, write_csv
from workflows import default_registry
from workflows import kpm_store as store
from workflows.kpm_import import import_file

REGISTRY = default_registry()


def household(app: App, tmp_path: Path) -> str:
    """Budi's household; his wife's mother's maiden name is missing from the extract."""
    rows = [
        person(KK1, "3271010101800001", "1980-01-01", 1, 1, 9, nama="Budi Santoso"),
        person(KK1, "3271014505850002", "1985-05-05", 2, 2, 1, nama_ibu_kandung=""),
    ]
    import_file(app, write_csv(tmp_path / "hh.csv", rows))
    with app.db.reading() as s:
        return store.resolve(s, KK1)


def test_staff_and_household_states_are_named_by_their_definitions() -> None:
    kkn, discipline = REGISTRY.get("kkn"), REGISTRY.get("discipline")
    kpm, complaint = REGISTRY.get("kpm"), REGISTRY.get("complaint")
    assert pv.state_label(kkn, "suspended", "id") == "Dibebastugaskan"
    assert pv.state_label(kkn, "suspended", "en") == "Relieved of duty"
    assert pv.state_label(discipline, "sp1", "id") == "SP-1"
    assert pv.state_label(kpm, "calon", "id") == "Calon peserta"
    assert pv.state_label(kpm, "penangguhan", "id") == "Bantuan ditangguhkan"
    assert pv.state_label(kpm, "penangguhan", "en") == "Benefits suspended"
    # complaints as before: level · stage while open, the outcome once closed
    assert pv.state_label(complaint, "kabupaten_dokumentasi", "id") == (
        "Kabupaten/Kota · Dokumentasi"
    )
    assert pv.state_label(complaint, "selesai", "en") == "Resolved"


def test_every_workflow_title_and_named_state_has_a_worklist_label() -> None:
    for name in REGISTRY.names():
        d = REGISTRY.get(name)
        assert label("type", pv.workflow_key(name), "id") == d.title_id
        for s in d.states:
            if s.label_id:
                said = label("stage", pv.state_key(name, s.name), "id")
                assert said == pv.state_label(d, s.name, "id")


def test_a_households_worklist_row_names_its_kepala_keluarga_and_kode_peserta(
    app: App, tmp_path: Path
) -> None:
    case_id = household(app, tmp_path)
    state = app.service.get(case_id)
    row = pv.worklist_item(state, app.service.clock(), app.service.calendar())
    shown = row["case"]
    code = state.attrs["kode_peserta"]
    assert shown.attrs["summary"] == f"Budi Santoso · {code}"
    assert label("type", shown.attrs["type"], "id") == "Keluarga Penerima Manfaat"
    assert label("stage", shown.stage, "id") == "Calon peserta"
    assert shown.level == "pendamping" and shown.stage_due == state.stage_due  # sorting as before


def test_a_staff_cases_worklist_row_names_the_staff_member_and_its_state(app: App) -> None:
    data = {"staff": "Andi Pendamping", "staff_user": "pdp.bogor", "region": "327101"}
    state = app.service.open_case("kkn", data, "system")
    shown = pv.worklist_item(state, app.service.clock(), app.service.calendar())["case"]
    assert shown.attrs["summary"] == "Andi Pendamping (pdp.bogor)"
    assert label("type", shown.attrs["type"], "id") == "Pembebastugasan KKN"
    assert label("stage", shown.stage, "en") == "Relieved of duty"


def test_the_update_form_becomes_the_data_the_parser_takes_and_fills_a_kyc_gap(
    app: App, tmp_path: Path
) -> None:
    case_id = household(app, tmp_path)
    form = {
        "nomor_anggota": "02",
        "isian": "nama_ibu_kandung",
        "nilai_baru": "Siti Rahayu",
        "tambah_nik": "3271010303150003",
        "tambah_nama": "Dodi",
        "tambah_jenis_kelamin": "1",
        "tambah_tanggal_lahir": "2015-03-03",
        "tambah_hubungan_keluarga": "3",
        "tambah_komponen": "4",
        "tambah_jenjang_sekolah": "1",
        "tambah_kelas": "5",
        "tambah_tempat_lahir": "Bogor",
        "tambah_nama_ibu_kandung": "Siti Rahayu",
    }
    data = pv.command_data("kpm", "pemutakhiran", form)
    assert data["anggota"] == {"02": {"nama_ibu_kandung": "Siti Rahayu"}}
    assert data["tambah"][0]["nama"] == "Dodi" and "tambah_nama" not in data
    after = store.apply(app, case_id, "pemutakhiran", data, "pdp.bogor")
    members = after.attrs["anggota"]
    assert members["02"]["nama_ibu_kandung"] == "Siti Rahayu"
    assert members["03"]["nama"] == "Dodi" and members["03"]["komponen"] == 4
    # other commands' data passes unchanged
    assert pv.command_data("kpm", "validasi", {"hasil": "eligible"}) == {"hasil": "eligible"}


def test_the_update_form_names_the_missing_half_of_a_change_or_a_removal() -> None:
    with pytest.raises(InvalidInput) as e:
        pv.command_data("kpm", "pemutakhiran", {"nomor_anggota": "02", "isian": "nama"})
    assert e.value.field == "nilai_baru"
    with pytest.raises(InvalidInput) as e:
        pv.command_data("kpm", "pemutakhiran", {"hapus_anggota": "02"})
    assert e.value.field == "hapus_alasan"
    gone = pv.command_data(
        "kpm", "pemutakhiran", {"hapus_anggota": "02", "hapus_alasan": "menikah"}
    )
    assert gone == {"hapus": {"02": "menikah"}}


def test_the_data_update_form_offers_members_fields_codes_and_removal_reasons(
    app: App, tmp_path: Path
) -> None:
    state = app.service.get(household(app, tmp_path))
    actor = app.service.actor("pdp.bogor")
    form = pv.event_form(app, REGISTRY.get("kpm"), state, actor, "pemutakhiran", "id")
    assert "elsewhere" not in form
    fields = {f["name"]: f for f in form["fields"]}
    assert [v for v, _ in fields["nomor_anggota"]["options"]] == ["01", "02"]
    assert ("nama_ibu_kandung", "Nama ibu kandung") in fields["isian"]["options"]
    assert ("3", "3 · ANAK") in fields["tambah_hubungan_keluarga"]["options"]
    assert fields["tambah_tanggal_lahir"]["kind"] == "date"
    assert ("menikah", "Menikah") in fields["hapus_alasan"]["options"]
    assert not any(f["required"] for f in form["fields"])


def test_a_household_is_found_by_each_of_its_codes_only_by_officers_in_reach(
    app: App, tmp_path: Path
) -> None:
    case_id = household(app, tmp_path)
    code = app.service.get(case_id).attrs["kode_peserta"]
    pdp, makassar = app.service.actor("pdp.bogor"), app.service.actor("kab.makassar")
    for lookup in (code, f"{code}02", KK1, "3271014505850002", case_id.lower(), f" {code} "):
        assert pv.find_case(app, pdp, lookup) == case_id, lookup
    assert pv.find_case(app, makassar, code) is None  # outside its region: a text search
    for text in ("Budi", f"{code}09", "3271010101800009", ""):
        assert pv.find_case(app, pdp, text) is None, text


def test_members_are_compared_per_member_and_field_whatever_their_key_order() -> None:
    head = {"nama": "Budi", "nik": "1", "komponen": 9, "hubungan_keluarga": 1}
    shuffled = dict(reversed(list(head.items())))
    wife = {"nama": "Ani", "komponen": 1}
    assert pv.member_changes({"01": head}, {"01": shuffled}) == []
    changed = pv.member_changes(
        {"01": head, "02": wife}, {"01": {**shuffled, "komponen": 8}, "03": {"nama": "Dodi"}}
    )
    assert changed == [
        ("01", "Budi", "komponen", "9 · NON KATEGORI", "8 · LANSIA"),
        ("02", "Ani", None, "present", None),
        ("03", "Dodi", None, None, "present"),
    ]


def test_recorded_members_and_attendance_are_shown_as_tables_not_python_values() -> None:
    members = pv.detail("anggota", [{"komponen": 9, "nama": "Budi", "hubungan_keluarga": 1}])
    assert members["kind"] == "members"
    assert members["columns"] == ["nama", "hubungan_keluarga", "komponen"]
    assert members["rows"] == [["Budi", "1 · KEPALA KELUARGA", "9 · NON KATEGORI"]]
    assert pv.detail("hadir", {"02": True, "01": False}) == {
        "kind": "attendance",
        "rows": [("01", False), ("02", True)],
    }
    update = pv.detail("anggota", {"02": {"komponen": 8}})
    assert update == {"kind": "member_changes", "rows": [("02", "komponen", "8 · LANSIA")]}
    assert pv.detail("nomor_sk", "SK-1") == {"kind": "value", "value": "SK-1"}


def test_the_timeline_carries_each_events_data_as_shown_values() -> None:
    now = datetime(2026, 3, 2, tzinfo=UTC).isoformat()
    later = (datetime(2026, 3, 2, tzinfo=UTC) + timedelta(minutes=1)).isoformat()
    row = {
        "changes": {"state": "peserta"},
        "data": {"hadir": {"01": True}, "note": "", "flag": False},
        "occurred_at": now,
        "recorded_at": later,
    }
    [shown] = pv.timeline([row])
    assert shown["details"] == [("hadir", {"kind": "attendance", "rows": [("01", True)]})]


def test_a_value_an_event_records_twice_is_shown_once() -> None:
    """A KKN filing's timeline showed the accused twice: "Staff member concerned" (the `staff`
    the officer gave) and "Staff member's name" (the same, kept for the letters)."""
    now = datetime(2026, 3, 2, tzinfo=UTC).isoformat()
    row = {
        "changes": {"state": "dibebastugaskan"},
        "data": {"staff": "Budi Op", "staff_name": "Budi Op"},
        "occurred_at": now,
        "recorded_at": now,
    }
    [shown] = pv.timeline([row])
    assert [k for k, _ in shown["details"]] == ["staff"]
    alone = {**row, "data": {"staff_name": "Budi Op", "complaint_id": "ADU-2026-000001"}}
    [shown] = pv.timeline([alone])
    assert [k for k, _ in shown["details"]] == ["staff_name", "complaint_id"]
