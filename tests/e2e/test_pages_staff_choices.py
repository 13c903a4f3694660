"""The officer pages on staff cases, after a walkthrough: the choices a KKN decision and a
discipline sanction take are picked from lists labelled in Indonesian (the server takes only
codes), the timeline and the audit page name what was recorded instead of showing the codes, a
refused value is not echoed back whole, and a role's refusal or a form without its case version
is said in Indonesian. FastAPI's client on the shared `app` fixture, then a real Chromium."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.i18n.labels import LABELS
from api.wiring import App
from tests.conftest import Clock
from tests.e2e.test_pages import csrf_from, served_store, sign_in, signed_in_page
from workflows.discipline import ORAL_REASONS, SP2_REASONS, SP3_REASONS, TERMINATION_REASONS
from workflows.kkn import AUTHORITIES
from workflows.staff import add_staff

KKN_DATA = {"staff": "Andi Pendamping", "staff_user": "pdp.bogor", "region": "327101"}


def kkn_case(app: App) -> str:
    return str(app.service.open_case("kkn", KKN_DATA, "system").id)


def discipline_case(app: App, clock: Clock) -> str:
    add_staff(app.db, "Andi", "pendamping", "327101", username="pdp.bogor", now=clock())
    data = {"staff": "Andi", "region": "327101", "staff_user": "pdp.bogor"}
    return str(app.service.open_case("discipline", data, "kab.bogor").id)


def action(page: str, event: str) -> str:
    found = re.search(rf'<details class="action" id="do-{event}".*?</details>', page, re.S)
    assert found, f"no form for {event}"
    return found.group(0)


def options(form: str, name: str) -> list[tuple[str, str]]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', form, re.S)
    assert select, f"{name} is not a select"
    found = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(1))
    return [(v, html_lib.unescape(t)) for v, t in found if v]


def text_of(page: str) -> str:
    return html_lib.unescape(" ".join(re.sub(r"<[^>]+>", " ", page).split()))


def timeline(page: str) -> str:
    return text_of(page.split('class="card timeline"')[1])


def alert(page: str) -> str:
    found = re.search(r'<div class="alert error" role="alert">(.*?)</div>', page, re.S)
    assert found, "no error on the page"
    return text_of(found.group(1))


def post(web: TestClient, app: App, case_id: str, event: str, **fields: str) -> tuple[int, str]:
    """The case page's form of `event` posted with `fields` (f_<name>), at the case's version."""
    path = f"/cases/{case_id}/view"
    version = str(app.service.get(case_id).version)
    data = {"csrf": csrf_from(web, path), "event": event, "version": version, **fields}
    r = web.post(path, data=data, follow_redirects=True)
    return r.status_code, r.text


# -------------------------------------------------------------- 1. the KKN decision's authority
def test_a_kkn_guilty_finding_picks_the_authority_from_a_labelled_list(
    web: TestClient, app: App
) -> None:
    case_id = kkn_case(app)
    sign_in(web, app, "pusat.spm")
    form = action(web.get(f"/cases/{case_id}/view").text, "find_guilty")
    assert 'type="text" name="f_referred_to"' not in form
    assert options(form, "f_referred_to") == [
        ("aph", "Aparat Penegak Hukum (APH)"),
        ("kepolisian", "Kepolisian Negara Republik Indonesia (Polri)"),
        ("kejaksaan", "Kejaksaan Republik Indonesia"),
        ("kpk", "Komisi Pemberantasan Korupsi (KPK)"),
        ("apip", "Aparat Pengawasan Intern Pemerintah (APIP)"),
    ]
    assert [v for v, _ in options(form, "f_referred_to")] == list(AUTHORITIES)

    status, page = post(web, app, case_id, "find_guilty", f_referred_to="kejaksaan")
    assert status == 200 and "Tersimpan" in page
    state = app.service.get(case_id)
    assert state.state == "dismissed" and state.attrs["referred_to"] == "kejaksaan"  # the code
    assert "<dt>Dirujuk ke</dt><dd>Kejaksaan Republik Indonesia</dd>" in page
    assert "Dirujuk ke: Kejaksaan Republik Indonesia" in timeline(page)


def test_a_refused_value_is_echoed_cut_not_whole(web: TestClient, app: App) -> None:
    case_id = kkn_case(app)
    sign_in(web, app, "pusat.spm")
    pasted = "Kejaksaan Negeri Bogor " + "x" * 5_000
    status, page = post(web, app, case_id, "find_guilty", f_referred_to=pasted)
    assert status == 422 and app.service.get(case_id).state == "suspended"
    said = alert(page)
    assert said.startswith("Tidak dapat disimpan. Dirujuk ke: instansi 'kejaksaan negeri bogor")
    assert "…' tidak dikenal" in said and len(said) < 200
    assert "x" * 100 not in page  # neither in the message nor in the form it keeps


# ---------------------------------------------------------- 2. the discipline reasons' choices
@pytest.mark.parametrize(
    ("event", "codes", "some"),
    [
        ("warn", ORAL_REASONS, ("late", "Tidak tertib/terlambat masuk kerja")),
        ("issue_sp2", SP2_REASONS, ("negligence", "Lalai dalam menjalankan tugas dan kewajiban")),
        ("issue_sp3", SP3_REASONS, ("data_markup", "Pelanggaran kode etik: mark-up data")),
        ("terminate", TERMINATION_REASONS, ("after_sp3", "Telah mendapat SP-3")),
    ],
)
def test_every_discipline_reason_is_picked_from_a_list_in_indonesian(
    web: TestClient, app: App, clock: Clock, event: str, codes: tuple[str, ...], some: tuple
) -> None:
    case_id = discipline_case(app, clock)
    for _ in range(3):
        app.service.apply(case_id, "warn", {"reason": "late"}, "kab.bogor")
    app.service.apply(case_id, "issue_sp1", {}, "kab.bogor")  # every sanction is open now
    sign_in(web, app, "kab.bogor")
    form = action(web.get(f"/cases/{case_id}/view").text, event)
    assert 'type="text" name="f_reason"' not in form and '<textarea name="f_reason"' not in form
    offered = options(form, "f_reason")
    assert [v for v, _ in offered] == list(codes)
    assert some in offered
    for code, said in offered:  # every one labelled, none the code with spaces
        assert said == LABELS["reason"][code][0] and said != code.replace("_", " ")


def test_a_discipline_reason_picked_on_the_page_is_stored_as_its_code(
    web: TestClient, app: App, clock: Clock
) -> None:
    case_id = discipline_case(app, clock)
    sign_in(web, app, "kab.bogor")
    status, page = post(web, app, case_id, "warn", f_reason="missed_meeting")
    assert status == 200 and "Tersimpan" in page
    assert app.service.history(case_id)[-1].event.data["reason"] == "missed_meeting"
    assert "Alasan: Tidak mengikuti pertemuan/rapat rutin" in timeline(page)


# -------------------------------------------------- 3. recorded values named, not shown as codes
RAW = (
    "not guilty",
    "not_guilty",
    "Hasil rujukan",
    "Alasan: late",
    "after sp3",
    "data markup",
    "issuer:",
    "sanction:",
    "sanction label",
    "proposes termination",
    ": kabupaten",
    ": sp1",
    ": sp3",
    ": terminated",
)


def raw_in(said: str) -> list[str]:
    """The raw keys and codes of RAW found in a page's text, and the key `total` unlabelled."""
    found = [raw for raw in RAW if raw in said]
    return found + re.findall(r"(?<!Nilai )total:", said)


def staff_story(app: App, clock: Clock) -> tuple[str, str, str]:
    """A discipline ladder to termination and a KKN case found not guilty, five minutes after
    the moment returned (the audit page compares the cases then and now)."""
    dsp, kkn = discipline_case(app, clock), kkn_case(app)
    then = (clock() + timedelta(minutes=1)).isoformat(timespec="seconds")
    clock.set(clock() + timedelta(minutes=5))
    for _ in range(3):
        app.service.apply(dsp, "warn", {"reason": "late"}, "kab.bogor")
    app.service.apply(dsp, "issue_sp1", {}, "kab.bogor")
    scores = {"operational": "1,1,1,1,1,1,1,1", "behavioural": "1,1,1,1,1"}
    app.service.apply(dsp, "assess_performance", scores, "kab.bogor")
    app.service.apply(dsp, "issue_sp3", {"reason": "data_markup"}, "kab.bogor")
    app.service.apply(dsp, "terminate", {"reason": "after_sp3"}, "kab.bogor")
    app.service.apply(kkn, "find_not_guilty", {}, "pusat.spm")
    return dsp, kkn, then


def test_the_timeline_names_staff_decisions_and_sanctions_in_indonesian(
    web: TestClient, app: App, clock: Clock
) -> None:
    dsp, kkn, _ = staff_story(app, clock)
    sign_in(web, app, "pusat.spm")
    kkn_rows = timeline(web.get(f"/cases/{kkn}/view").text)
    assert "Putusan: Tidak bersalah" in kkn_rows
    dsp_rows = timeline(web.get(f"/cases/{dsp}/view").text)
    for said in (
        "Alasan: Tidak tertib/terlambat masuk kerja",
        "Alasan: Pelanggaran kode etik: mark-up data",
        "Alasan: Telah mendapat SP-3",
        "Diterbitkan oleh: UPPKH Kabupaten/Kota",
        "Sanksi: Surat Peringatan Pertama (SP-1)",
        "Sanksi: Pemutusan Hubungan Kerja",
        "Judul surat: Surat Peringatan Ketiga (SP-3)",
        "Diusulkan pemutusan hubungan kerja (nilai di bawah 26): ya",
        "Nilai total: 13",
    ):
        assert said in dsp_rows, said
    assert raw_in(kkn_rows + " " + dsp_rows) == []

    web.cookies.set("lang", "en")  # the English pages keep English
    assert "Verdict: Not guilty" in timeline(web.get(f"/cases/{kkn}/view").text)
    english = timeline(web.get(f"/cases/{dsp}/view").text)
    assert "Reason: Not orderly or late for work" in english
    assert "Issued by: UPPKH district/city" in english and "Total score: 13" in english
    assert "Sanction: Termination of engagement" in english


def test_the_audit_page_names_a_staff_cases_recorded_values_in_indonesian(
    web: TestClient, app: App, clock: Clock
) -> None:
    dsp, kkn, then = staff_story(app, clock)
    sign_in(web, app, "auditor")

    def changes(case_id: str) -> str:
        page = web.get("/audit", params={"case_id": case_id, "at": then}).text
        return text_of(page.split('class="changes"')[1].split("</table>")[0])

    kkn_diff, dsp_diff = changes(kkn), changes(dsp)
    assert "Hasil akhir – Tidak bersalah" in kkn_diff
    assert "Diterbitkan oleh – UPPKH Kabupaten/Kota" in dsp_diff
    assert "Sanksi – Pemutusan Hubungan Kerja" in dsp_diff
    assert "Jumlah teguran lisan 0 3" in dsp_diff and "Nilai total: 13" in dsp_diff
    assert "Diusulkan pemutusan hubungan kerja (nilai di bawah 26) – ya" in dsp_diff
    assert raw_in(kkn_diff + " " + dsp_diff) == []
    for raw in ("issuer", "sanction", "termination proposed", "oral warnings"):
        assert raw not in kkn_diff + dsp_diff, raw


# ----------------------------------------------------- 4. refusals of the page said in Indonesian
def test_a_role_that_may_not_decide_is_told_so_in_indonesian(web: TestClient, app: App) -> None:
    case_id = kkn_case(app)
    sign_in(web, app, "kab.bogor")
    status, page = post(web, app, case_id, "find_guilty", f_referred_to="kpk")
    assert status == 403 and app.service.get(case_id).state == "suspended"
    assert alert(page) == (
        "Tidak dapat disimpan. Peran UPPKH Kab/Kota tidak dapat melakukan langkah “Nyatakan "
        "bersalah” pada kasus ini; langkah ini hanya untuk UPPKH Pusat."
    )
    assert "may not" not in page and "allowed roles" not in page

    web.cookies.set("lang", "en")
    status, page = post(web, app, case_id, "find_guilty", f_referred_to="kpk")
    assert status == 403
    assert "The role UPPKH district may not take the step “Find guilty” on this case; only " in (
        alert(page)
    )


def test_an_auditor_who_may_change_nothing_is_told_so_in_indonesian(
    web: TestClient, app: App
) -> None:
    case_id = kkn_case(app)
    sign_in(web, app, "auditor")
    status, page = post(web, app, case_id, "find_guilty", f_referred_to="kpk")
    assert status == 403
    said = alert(page)
    assert "Peran Auditor tidak dapat mengubah kasus Pembebastugasan KKN; hanya " in said
    assert "cannot act on" not in page


def test_a_form_without_its_case_version_is_told_in_indonesian(web: TestClient, app: App) -> None:
    case_id = kkn_case(app)
    sign_in(web, app, "pusat.spm")
    status, page = post(web, app, case_id, "find_guilty", version="x", f_referred_to="kpk")
    assert status == 422 and app.service.get(case_id).state == "suspended"
    assert alert(page) == (
        "Tidak dapat disimpan. Versi: formulir tidak memuat versi kasus; muat ulang halaman"
    )
    assert "the form has no case version" not in page


# ------------------------------------------------------------------------------ a browser
@pytest.fixture
def live_kkn(tmp_path: Path) -> Iterator[tuple[str, str]]:
    with served_store(tmp_path, [("pusat.spm", "pusat", None)], kkn_case) as live:
        yield live


@pytest.mark.slow
def test_pusat_finds_guilty_picking_the_authority_in_a_real_browser(
    live_kkn: tuple[str, str],
) -> None:
    from playwright.sync_api import expect

    base, case_id = live_kkn
    with signed_in_page(base, "pusat.spm") as page:
        page.goto(f"{base}/cases/{case_id}/view")
        page.click("summary:has-text('Nyatakan bersalah')")
        form = page.locator("#do-find_guilty")
        choice = form.locator("select[name=f_referred_to]")
        expect(choice.locator("option")).to_have_count(len(AUTHORITIES) + 1)  # and "— pilih —"
        choice.select_option(label="Kejaksaan Republik Indonesia")
        form.locator("button[type=submit]").click()
        expect(page.locator(".alert.done")).to_contain_text("kasus ditutup")
        expect(page.locator("dl.facts").first).to_contain_text("Kejaksaan Republik Indonesia")
        last = page.locator("section.timeline tr.event").last
        expect(last).to_contain_text("Diberhentikan")
        expect(last).to_contain_text("Dirujuk ke: Kejaksaan Republik Indonesia")
