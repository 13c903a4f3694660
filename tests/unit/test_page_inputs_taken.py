"""Every input a case page's form offers must fold into data its command takes. The KPM
correction form (koreksi, UPPKH Pusat) offered the data update's "add a member" inputs
(`tambah_nik`, `tambah_nama`, ...), though a correction changes existing members' data only
(`kpm_parse.correction` takes `pengaduan` and `anggota`): an officer who filled them in was
refused "tambah: bukan data perintah ini" after typing a whole member."""

from __future__ import annotations

import pytest

from api import page_views as pv
from engine.definition import WorkflowDefinition
from workflows import default_registry


def _definition(workflow: str) -> WorkflowDefinition:
    return default_registry().get(workflow)


@pytest.mark.parametrize(("workflow", "event"), sorted(pv.PAGE_INPUTS))
def test_every_input_of_a_form_is_data_its_command_takes(workflow: str, event: str) -> None:
    definition = _definition(workflow)
    takes = set(definition.inputs.get(event, ()))
    assert takes, f"{workflow}.{event}: the definition names no inputs"
    for name, *_ in pv.PAGE_INPUTS[(workflow, event)]:
        if workflow == "kpm" and event in ("pemutakhiran", "koreksi"):
            # folded by command_data: a member's change, a member added, a member removed
            if name.startswith(pv.NEW_MEMBER):
                key = "tambah"
            elif name.startswith("hapus_"):
                key = "hapus"
            elif name.startswith(pv.CHANGE_CODE) or name in (
                "nomor_anggota",
                "isian",
                "nilai_baru",
            ):
                key = "anggota"
            else:
                key = name
        else:
            key = name
        assert key in takes, f"{workflow}.{event} offers {name!r}, its command takes {takes}"
