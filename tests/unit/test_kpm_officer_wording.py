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
