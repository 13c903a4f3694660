"""Refusals the KPM officer pages show, worded as the officers read the form: the labels of a
choice, not its codes; a data update's component choices without the one it refuses; an
import's difference naming its columns in words."""

from __future__ import annotations

import pytest

from engine.errors import InvalidInput
from workflows import kpm_parse as KP


def test_a_bogus_validation_reason_is_refused_listing_the_labels_officers_see() -> None:
    """Regression: a value posted for the reason outside the form's choices was refused with
    "pilihan: tidak_ditemukan, tidak_ada_komponen, ...", codes no officer sees on the form.
    The Indonesian lists the labels; the English keeps each code (what the API takes) with
    its label."""
    with pytest.raises(InvalidInput) as e:
        KP.validation({"hasil": "non_eligible", "alasan": "pergi"})
    said = e.value.message_id or ""
    assert e.value.field == "alasan"
    assert said.startswith("nilai 'pergi' tidak dikenal; pilihan: Tidak ditemukan di alamat, ")
    assert "tidak_ditemukan" not in said and "data_ganda" not in said, said
    assert all(label in said for label, _ in KP.NON_ELIGIBLE_LABELS.values()), said
    assert "tidak_ditemukan (Not found at the address)" in e.value.message, e.value.message
    with pytest.raises(InvalidInput) as result:
        KP.validation({"hasil": "lulus"})
    assert result.value.message_id == (
        "nilai 'lulus' tidak dikenal; pilihan: Memenuhi syarat (eligible), "
        "Tidak memenuhi syarat (non eligible)"
    )
    assert "eligible (Eligible), non_eligible (Not eligible)" in result.value.message


@pytest.mark.parametrize("value", ["3", 12, "BAYI"])
def test_a_data_updates_component_choices_leave_out_the_death_it_refuses(value: object) -> None:
    """Regression: an unknown component in a data update was refused listing "10 MENINGGAL
    DUNIA" among the choices, which the same update then refuses (a death has its own
    command, with its date). The choices listed are those an update may set; 10 itself is
    still refused pointing to that command."""
    with pytest.raises(InvalidInput) as e:
        KP.data_update({"anggota": {"01": {"komponen": value}}})
    assert e.value.field == "anggota.01.komponen"
    said, said_en = e.value.message_id or "", e.value.message
    assert "pilihan: 1 BUMIL, 2 ANAK USIA DINI" in said and "11 DISABILITAS" in said, said
    assert "MENINGGAL" not in said and "10 " not in said_en and "Deceased" not in said_en, said_en
    with pytest.raises(InvalidInput) as death:
        KP.data_update({"anggota": {"01": {"komponen": "10"}}})
    assert death.value.field == "anggota.01.komponen"
    assert "anggota_meninggal" in (death.value.message_id or "")
    changed = KP.data_update({"anggota": {"01": {"komponen": 8}}})
    assert changed["anggota"] == {"01": {"komponen": 8}}
