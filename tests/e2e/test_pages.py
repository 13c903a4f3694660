"""The officer pages end to end: FastAPI's client on a SQLite file, then a real Chromium.

The client tests use the shared `app` fixture, whose clock stands on Monday 2 March 2026 09:00
WIB and moves only when a test moves it. The browser test serves the real app with uvicorn on a
free local port and drives Debian's Chromium (`/usr/bin/chromium`) through Playwright.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import uvicorn
from fastapi.testclient import TestClient

from api.admin import add_user
from api.http import TOKEN_TTL, create_app
from api.security import create_token
from api.wiring import App, build_app
from engine.settings import Settings
from engine.store.db import Database
from engine.store.migrate import upgrade
from notifications.dispatch import Dispatcher
from tests.conftest import WIB, Clock, complaint_data

PASSWORD = "rahasia-uji-123"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# ------------------------------------------------------------------------------- helpers
def require_chromium() -> None:
    """Skip without Debian's Chromium; fail instead where PKH_REQUIRE_BROWSER=1 (.ci/run)."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: apt-get install -y chromium"
        if os.environ.get("PKH_REQUIRE_BROWSER") == "1":
            pytest.fail(f"PKH_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)


@contextmanager
def signed_in_page(base: str, username: str) -> Iterator[Any]:
    """A real Chromium page on `base`, signed in through the login form as `username`."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{base}/")
            page.fill("#username", username)
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            yield page
        finally:
            browser.close()


def sign_in(client: TestClient, app: App, username: str) -> None:
    token = create_token(username, app.settings.secret_key, app.service.clock(), TOKEN_TTL)
    client.cookies.set("pkh_session", token)


def csrf_from(client: TestClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, "the page has no CSRF field"
    return found.group(1)


def file_case(app: App, actor: str = "kab.bogor", **overrides: Any) -> str:
    return str(app.service.open_case("complaint", complaint_data(**overrides), actor).id)


def row_class(html: str, case_id: str) -> str:
    found = re.search(rf'<tr class="(\w*)" data-case="{case_id}">', html)
    assert found, f"{case_id} is not on the worklist"
    return found.group(1)


# ------------------------------------------------------------------------- signing in
def test_the_login_page_speaks_indonesian_by_default_and_english_on_request(
    web: TestClient,
) -> None:
    page = web.get("/login")
    assert page.status_code == 200
    assert '<html lang="id">' in page.text
    assert "Masuk ke SPM-PKH" in page.text and "Kata sandi" in page.text

    switched = web.get("/lang/en?next=/login")
    assert switched.url.path == "/login"
    assert '<html lang="en">' in switched.text
    assert "Sign in to SPM-PKH" in switched.text and "Password" in switched.text


def test_pages_redirect_to_login_until_signed_in(web: TestClient) -> None:
    for path in ("/", "/cases/ADU-2026-000001/view", "/complaints/new", "/audit", "/calendar"):
        r = web.get(path, follow_redirects=False)
        assert r.status_code == 303, path
        assert r.headers["location"].startswith("/login?next=")


def test_a_wrong_password_shows_an_error_and_the_right_one_opens_a_session(
    web: TestClient, app: App, clock: Clock
) -> None:
    add_user(app.db, "petugas.bogor", "kabupaten", "3271", now=clock(), password=PASSWORD)
    token = csrf_from(web, "/login")
    form = {"csrf": token, "username": "petugas.bogor", "next": "/calendar"}

    wrong = web.post("/login", data={**form, "password": "salah-salah"})
    assert wrong.status_code == 401
    assert "Nama pengguna atau kata sandi salah." in wrong.text
    assert 'value="petugas.bogor"' in wrong.text  # the username is kept
    assert "pkh_session" not in web.cookies

    right = web.post("/login", data={**form, "password": PASSWORD}, follow_redirects=False)
    assert right.status_code == 303 and right.headers["location"] == "/calendar"
    session = next(h for h in right.headers.get_list("set-cookie") if "pkh_session=" in h)
    assert "HttpOnly" in session and "samesite=lax" in session.lower()
    assert web.get("/").status_code == 200

    out = web.post("/logout", data={"csrf": csrf_from(web, "/")}, follow_redirects=False)
    assert out.status_code == 303 and "pkh_session" not in web.cookies
    assert web.get("/", follow_redirects=False).status_code == 303


def test_a_form_posted_without_its_csrf_token_is_refused(web: TestClient, app: App) -> None:
    csrf_from(web, "/login")  # the browser holds a token cookie, but the form omits it
    refused = web.post("/login", data={"username": "kab.bogor", "password": "x" * 10})
    assert refused.status_code == 403
    assert "Formulir kedaluwarsa" in refused.text

    case_id = file_case(app)
    sign_in(web, app, "kab.bogor")
    for token in ("", "forged-token-of-the-right-length-123456"):
        r = web.post(
            f"/cases/{case_id}/view",
            data={"csrf": token, "event": "advance", "version": "1"},
        )
        assert r.status_code == 403
    assert app.service.get(case_id).version == 1


# ------------------------------------------------------------------------- the case page
def test_an_officer_of_another_region_gets_not_found(web: TestClient, app: App) -> None:
    case_id = file_case(app, summary="Rahasia wilayah Bogor")
    sign_in(web, app, "kab.bandung")
    page = web.get(f"/cases/{case_id}/view")
    assert page.status_code == 404
    assert "Tidak ditemukan" in page.text and "Rahasia wilayah Bogor" not in page.text
    token = csrf_from(web, "/")
    post = web.post(
        f"/cases/{case_id}/view", data={"csrf": token, "event": "advance", "version": "1"}
    )
    assert post.status_code == 404
    assert case_id not in web.get("/").text


def test_a_confidential_reporter_is_never_shown_to_pendamping_or_auditor(
    web: TestClient, app: App
) -> None:
    case_id = file_case(
        app, confidential=True, reporter_name="Ibu Rahasia", reporter_contact="0812-RAHASIA"
    )
    app.service.apply(case_id, "link_reporter", {"reporter_name": "Pak Tersembunyi"}, "kab.bogor")
    secrets = ("Ibu Rahasia", "0812-RAHASIA", "Pak Tersembunyi")

    for viewer in ("pdp.bogor", "auditor"):
        sign_in(web, app, viewer)
        page = web.get(f"/cases/{case_id}/view")
        assert page.status_code == 200
        assert "dirahasiakan" in page.text
        assert not [s for s in secrets if s in page.text], viewer
    audit = web.get(f"/audit?case_id={case_id}&at=2026-03-02T09:00&zone=WIB")
    assert audit.status_code == 200 and not [s for s in secrets if s in audit.text]

    sign_in(web, app, "kab.bogor")  # the handling office does see the reporter
    assert all(s in web.get(f"/cases/{case_id}/view").text for s in secrets)


def test_the_reporter_card_names_every_linked_reporter_masked_as_the_first(
    web: TestClient, app: App
) -> None:
    """ "Jumlah pelapor: 3" with only the first reporter named sent the officer to the history
    to find who the others were (a PT Pos recommendation needs two): the card lists them, and
    hides them wherever it hides the first."""
    case_id = file_case(app, reporter_name="Ibu Siti")
    for name, contact in (("Ibu Ani", "0812-1111"), ("Pak Budi", None)):
        data = {"reporter_name": name} | ({"reporter_contact": contact} if contact else {})
        app.service.apply(case_id, "link_reporter", data, "kab.bogor")
    sign_in(web, app, "kab.bogor")
    page = web.get(f"/cases/{case_id}/view").text
    card = re.search(r'<dd class="linked-reporters">(.*?)</dd>', page, re.S)
    assert card, "no list of the other reporters on the reporter card"
    assert card.group(1) == "Ibu Ani · 0812-1111<br>Pak Budi"

    secret = file_case(app, confidential=True, reporter_name="Ibu Rahasia")
    app.service.apply(secret, "link_reporter", {"reporter_name": "Pak Tersembunyi"}, "kab.bogor")
    sign_in(web, app, "pdp.bogor")
    page = web.get(f"/cases/{secret}/view").text
    card = re.search(r'<dd class="linked-reporters">(.*?)</dd>', page, re.S)
    assert card and "dirahasiakan" in card.group(1) and "Pak Tersembunyi" not in page


def test_paper_letters_are_listed_opened_as_a4_and_marked_printed_by_their_office(
    web: TestClient, app: App
) -> None:
    from notifications.dispatch import Dispatcher

    plain = file_case(app, reporter_contact="Jl. Kenanga 7, Bogor", reporter_name="Pak Darto")
    secret = file_case(
        app, reporter_contact="Jl. Rahasia 9", reporter_name="Ibu Rahasia", confidential=True
    )
    assert len(Dispatcher(app.db, app.settings).run_once(app.service.clock()).to_print) == 2
    with app.db.reading() as s:
        ids = dict(s.execute(sa.text("SELECT case_id, id FROM outbox")).all())

    sign_in(web, app, "kab.bogor")
    listed = web.get("/letters")
    assert listed.status_code == 200 and "Surat untuk dicetak" in listed.text
    assert plain in listed.text and secret in listed.text and "Pak Darto" in listed.text
    assert "Jl. Kenanga 7, Bogor" in listed.text  # where the letter is posted
    assert "Tanda terima pengaduan" in listed.text  # the letter's kind, in Indonesian
    page = web.get(f"/letters/{ids[plain]}")
    assert page.status_code == 200 and "@page { size: A4;" in page.text
    assert "Yth. Pak Darto<br>Jl. Kenanga 7, Bogor</p>" in page.text and plain in page.text

    # another region sees neither; a pendamping does not see the confidential reporter's letter
    sign_in(web, app, "kab.bandung")
    assert plain not in web.get("/letters").text
    assert web.get(f"/letters/{ids[plain]}").status_code == 404
    sign_in(web, app, "pdp.bogor")
    seen = web.get("/letters").text
    assert plain in seen and secret not in seen and "Ibu Rahasia" not in seen
    assert "Jl. Rahasia 9" not in seen
    assert web.get(f"/letters/{ids[secret]}").status_code == 404
    sign_in(web, app, "auditor")
    assert web.get("/letters").status_code == 403

    sign_in(web, app, "kab.bogor")
    token = csrf_from(web, "/letters")
    done = web.post(f"/letters/{ids[plain]}/printed", data={"csrf": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/letters?done=printed"
    after = web.get("/letters?done=printed").text
    assert "ditandai sudah dicetak" in after and f'data-letter="{ids[plain]}"' not in after
    assert f'data-letter="{ids[secret]}"' in after
    assert web.get(f"/letters/{ids[plain]}").status_code == 200  # a printed copy reopens
    with app.db.reading() as s:
        status = s.execute(sa.text(f"SELECT status FROM outbox WHERE id = {ids[plain]}")).scalar()
    assert status == "printed"
    refused = web.post(f"/letters/{ids[secret]}/printed", data={})
    assert refused.status_code == 403  # no CSRF token


def test_the_case_page_offers_a_form_for_each_allowed_event_with_its_inputs(
    web: TestClient, app: App
) -> None:
    case_id = file_case(app)
    app.service.apply(case_id, "advance", {}, "kab.bogor")  # now in identifikasi
    sign_in(web, app, "kab.bogor")
    page = web.get(f"/cases/{case_id}/view").text
    events = set(re.findall(r'name="event" value="(\w+)"', page))
    assert events == {
        "advance",
        "escalate",
        "refer",
        "reject",
        "assign",
        "release",
        "reclassify",
        "link_reporter",
    }  # no PT Pos recommendation: that is for payment complaints with two reporters only
    assert 'name="f_parties"' in page  # leaving identifikasi needs the parties
    assert 'value="dinas_teknis"' in page  # refer: the side bodies to choose from
    assert 'value="duplikat"' in page and 'name="f_informed_via"' in page  # reject
    assert 'name="version" value="2"' in page

    sign_in(web, app, "pdp.bogor")  # sees the case, may do nothing at kabupaten level
    assert 'name="event"' not in web.get(f"/cases/{case_id}/view").text


def test_a_household_page_shows_its_members_and_takes_the_kpm_commands(
    web: TestClient, app: App, tmp_path: Path
) -> None:
    """A KPM household's page shows the register (no complaint facts, no reporter), offers
    each command with the inputs its parser needs, records a validation from the form, and
    says where commands a form cannot carry (a month's attendance) are recorded."""
    from tests.integration.test_kpm_import import KK1, KK2, two_households, write_csv
    from workflows import kpm_store as store
    from workflows.kpm_import import import_file

    import_file(app, write_csv(tmp_path / "hh.csv", two_households()))
    with app.db.reading() as s:
        first, second = store.resolve(s, KK1), store.resolve(s, KK2)
    sign_in(web, app, "pdp.bogor")
    url = f"/cases/{first}/view"
    page = web.get(url).text
    assert "Anggota rumah tangga" in page and 'data-member="01"' in page
    assert "3271010101800001" in page and "KEPALA KELUARGA" in page
    assert "Saluran" not in page and "Pelapor" not in page  # not a complaint's facts
    assert 'name="f_hasil"' in page and 'value="non_eligible"' in page
    assert 'value="tidak_ditemukan"' in page  # the reasons a household is not eligible
    token = csrf_from(web, url)
    done = web.post(
        url,
        data={"csrf": token, "event": "validasi", "version": "1", "f_hasil": "non_eligible",
              "f_alasan": "tidak_ditemukan"},
        follow_redirects=False,
    )  # fmt: skip
    assert done.status_code == 303, done.text
    assert app.service.get(first).state == "non_eligible"

    store.apply(app, second, "validasi", {"hasil": "eligible"}, "pdp.bogor")
    sk = {"nomor_sk": "SK-7/2026", "tanggal_sk": "2026-03-02"}  # not before the validation
    store.apply(app, second, "tetapkan", sk, "pusat.spm")
    page = web.get(f"/cases/{second}/view").text
    # attendance comes from the monthly file, uploaded on its own page (not a command line)
    assert "pkh kpm verify-month" not in page and 'href="/kpm/verifikasi"' in page
    assert 'name="f_nomor_anggota"' in page and 'type="date" name="f_tanggal"' in page
    future = web.post(
        f"/cases/{second}/view",
        data={"csrf": token, "event": "anggota_meninggal", "version": "3",
              "f_nomor_anggota": "02", "f_tanggal": "2030-01-01"},
    )  # fmt: skip
    assert future.status_code == 422 and "belum terjadi" in future.text
    assert app.service.get(second).version == 3


def test_posting_events_advances_or_explains_the_refusal(web: TestClient, app: App) -> None:
    case_id = file_case(app)
    sign_in(web, app, "kab.bogor")
    token = csrf_from(web, f"/cases/{case_id}/view")
    url = f"/cases/{case_id}/view"

    ok = web.post(
        url,
        data={"csrf": token, "event": "advance", "version": "1", "note": "sudah dicek"},
        follow_redirects=False,
    )
    assert ok.status_code == 303 and ok.headers["location"] == f"{url}?done=advance"
    page = web.get(ok.headers["location"]).text
    assert "Tersimpan" in page and "Identifikasi" in page and "sudah dicek" in page
    # the confirmation says what the case is now, not only the button pressed
    assert re.search(r"Tersimpan: [^<]+\.\s+Sekarang: [^<]*Identifikasi[^<]*, kab\.bogor\.", page)

    missing = web.post(url, data={"csrf": token, "event": "advance", "version": "2"})
    assert missing.status_code == 422
    assert "Pihak yang menindaklanjuti: wajib diisi" in missing.text, missing.text

    stale = web.post(
        url, data={"csrf": token, "event": "advance", "version": "1", "f_parties": "Dinsos"}
    )
    assert stale.status_code == 409
    assert "Kasus telah berubah" in stale.text and ">Dinsos</textarea>" in stale.text
    assert app.service.get(case_id).version == 2


def test_a_new_complaint_is_filed_from_the_form_or_kept_with_the_error(
    web: TestClient, app: App
) -> None:
    sign_in(web, app, "kab.bogor")
    token = csrf_from(web, "/complaints/new")
    form = {
        "csrf": token,
        "reporter_name": "Ibu Siti",
        "reporter_kind": "kpm",
        "type": "pembayaran",
        "channel": "surat",
        "level": "kabupaten",
        "region": "9999",
        "received_at": "2026-03-02T08:30",
        "zone": "WIB",
        "summary": "Bantuan belum diterima",
    }
    bad = web.post("/complaints/new", data=form)
    assert bad.status_code == 422
    assert "Wilayah" in bad.text and "Bantuan belum diterima" in bad.text

    good = web.post("/complaints/new", data={**form, "region": "3271011001"})
    assert good.status_code == 200 and good.url.path.endswith("/view")
    case = app.service.get(good.url.path.split("/")[2])
    assert case.attrs["reporter_name"] == "Ibu Siti"
    assert case.created_at == datetime(2026, 3, 2, 8, 30, tzinfo=WIB)


# ------------------------------------------------------------------- worklist, audit, calendar
def test_the_worklist_flags_overdue_due_today_and_due_soon(
    web: TestClient, app: App, clock: Clock
) -> None:
    filed = {}
    for name, day in (("overdue", 2), ("today", 5), ("soon", 9), ("ok", 11)):
        clock.set(datetime(2026, 3, day, 9, 0, tzinfo=WIB))
        filed[name] = file_case(app, summary=f"kasus {name}")
    clock.set(datetime(2026, 3, 12, 10, 0, tzinfo=WIB))  # Thursday
    sign_in(web, app, "kab.bogor")
    page = web.get("/").text
    for flag, case_id in filed.items():
        assert row_class(page, case_id) == flag
    assert "Lewat 3 hari kerja" in page  # due Monday 9 March: 10, 11, 12 March since

    order = re.findall(r'data-case="([^"]+)"', web.get("/?sort=-due").text)
    assert order == [filed["ok"], filed["soon"], filed["today"], filed["overdue"]]
    only = web.get("/?q=kasus+soon").text
    assert re.findall(r'data-case="([^"]+)"', only) == [filed["soon"]]


def test_the_audit_page_replays_a_case_and_verifies_its_chain(
    web: TestClient, app: App, clock: Clock
) -> None:
    case_id = file_case(app)
    clock.set(datetime(2026, 3, 3, 9, 0, tzinfo=WIB))
    app.service.apply(case_id, "advance", {}, "kab.bogor")
    sign_in(web, app, "auditor")
    page = web.get(f"/audit?case_id={case_id}&at=2026-03-02T12:00&zone=WIB").text
    assert "kabupaten_dokumentasi" in page and "kabupaten_identifikasi" in page
    assert "Perubahan sejak saat itu" in page and "Utuh: rantai hash 2 kejadian" in page
    typed = web.get(f"/audit?case_id=%20{case_id.lower()}%20&zone=WIB").text  # as typed
    assert "Utuh: rantai hash 2 kejadian" in typed and f'value="{case_id}"' in typed

    # another case's tampering is the whole store's verify, not this case's page
    other = file_case(app)
    with app.db.write_engine.begin() as conn:
        conn.execute(sa.text("UPDATE cases SET handler = 'siapa' WHERE id = :id"), {"id": other})
    page = web.get(f"/audit?case_id={case_id}&zone=WIB").text
    assert "Utuh: rantai hash 2 kejadian" in page and "pkh audit verify" in page
    page = web.get(f"/audit?case_id={other}&zone=WIB").text
    assert "DITEMUKAN MASALAH" in page and "projection_mismatch" in page
    # a lookup that cannot be shown says so in Indonesian (it saves nothing)
    for query, said in (
        ("zone=XYZ", "gunakan WIB, WITA, atau WIT"),
        ("at=kemarin", "bukan tanggal"),
    ):
        page = web.get(f"/audit?case_id={case_id}&{query}").text
        assert "Tidak dapat ditampilkan" in page and said in page
        assert "Tidak dapat disimpan" not in page and "use WIB" not in page

    assert web.get("/complaints/new").status_code == 403  # auditors change nothing
    # a regional auditor is not pointed at the whole-store check it may not start
    add_user(app.db, "aud.bogor", "auditor", "3271", now=clock())
    sign_in(web, app, "aud.bogor")
    page = web.get(f"/audit?case_id={case_id}&zone=WIB").text
    assert "Utuh: rantai hash 2 kejadian" in page and "POST /audit/runs" not in page
    assert "dijalankan oleh auditor nasional" in page
    sign_in(web, app, "kab.bogor")
    assert web.get("/audit").status_code == 403


def test_the_audit_page_names_a_closed_cases_recorded_values_in_indonesian(
    web: TestClient, app: App, clock: Clock
) -> None:
    case_id = file_case(app)
    clock.set(datetime(2026, 3, 3, 9, 0, tzinfo=WIB))
    reject = {"reason": "bukan_pkh", "informed_via": "surat"}
    app.service.apply(case_id, "reject", reject, "kab.bogor")
    sign_in(web, app, "auditor")
    page = web.get(f"/audit?case_id={case_id}&at=2026-03-02T12:00&zone=WIB").text
    changes = page.split('class="changes"')[1].split("</table>")[0]
    assert "Hasil akhir" in changes and "Ditolak" in changes and "Ditutup di tingkat" in changes
    assert "Hasil rujukan" not in changes and "rejected" not in changes
    assert "closed at level" not in changes


def test_the_audit_page_reads_a_bare_date_as_the_end_of_that_day_in_the_cases_zone(
    web: TestClient, app: App, clock: Clock
) -> None:
    """`at=2026-03-02` is the case as it stood on that day (as `pkh case replay --as-of`),
    in the case's office zone unless another is chosen; the page names moment and basis."""
    case_id = file_case(app)  # 09:00 WIB
    clock.set(datetime(2026, 3, 2, 23, 30, tzinfo=WIB))  # 3 March 00:30 in WITA
    app.service.apply(case_id, "advance", {}, "kab.bogor")
    sign_in(web, app, "auditor")
    page = web.get(f"/audit?case_id={case_id}&at=2026-03-02").text
    then = page.split("<h2>Saat itu</h2>")[1].split("</section>")[0]
    assert "Kabupaten/Kota · Identifikasi" in then and "<dd>2</dd>" in then
    assert "2 Mar 2026 23:59 WIB" in page and "Dasar waktu: waktu pencatatan" in page
    assert 'option value="" selected' in page  # the zone: the case's own, by default
    # the end of 2 March in WITA is 22:59 WIB: before the advance
    page = web.get(f"/audit?case_id={case_id}&at=2026-03-02&zone=WITA").text
    then = page.split("<h2>Saat itu</h2>")[1].split("</section>")[0]
    assert "Kabupaten/Kota · Dokumentasi" in then and "2 Mar 2026 22:59 WIB" in page
    page = web.get(f"/audit?case_id={case_id}&at=2026-03-01").text
    assert "belum tercatat pada 1 Mar 2026 23:59 WIB" in page
    # a moment not yet come is the case as it stands now, said plainly
    page = web.get(f"/audit?case_id={case_id}&at=2030-01-01").text
    assert "Saat itu belum tiba: yang ditampilkan adalah keadaan kasus sekarang." in page


def test_the_audit_page_before_a_case_was_recorded_says_why_and_shows_no_changes(
    web: TestClient, app: App, clock: Clock
) -> None:
    """A complaint received on paper on 27 February and recorded on 2 March: on 28 February it
    had happened but was not yet recorded. No "changes since then" beside nothing."""
    received = datetime(2026, 2, 27, 10, 0, tzinfo=WIB)
    case_id = app.service.open_case("complaint", complaint_data(), "kab.bogor", at=received).id
    sign_in(web, app, "auditor")
    page = web.get(f"/audit?case_id={case_id}&at=2026-02-28T10:00").text
    said = (
        f"{case_id} belum tercatat pada 28 Feb 2026 10:00 WIB: kejadian pertamanya dicatat "
        "pada 2 Mar 2026 09:00 WIB, meskipun terjadi pada 27 Feb 2026 10:00 WIB. Dasar waktu "
        "'waktu kejadian' menampilkan kasus menurut waktu kejadian."
    )
    assert said.replace("'", "&#39;") in page
    assert "Perubahan sejak saat itu" not in page and "Tidak ada perubahan" not in page
    assert "Utuh: rantai hash 1 kejadian" in page  # the verification is still shown
    page = web.get(f"/audit?case_id={case_id}&at=2026-02-28T10:00&basis=occurred").text
    assert "belum tercatat" not in page and "Perubahan sejak saat itu" in page


def test_the_audit_page_refuses_what_it_cannot_read_in_the_fields_own_words(
    web: TestClient, app: App
) -> None:
    case_id = file_case(app)
    sign_in(web, app, "auditor")
    page = web.get(f"/audit?case_id={case_id}&basis=bogus").text
    assert "Tidak dapat ditampilkan" in page
    assert "Dasar waktu: &#39;bogus&#39; bukan dasar waktu" in page
    assert "<h2>Saat itu</h2>" not in page  # not silently shown on the recorded basis
    page = web.get(f"/audit?case_id={case_id}&at=kemarin").text
    assert "Saat: &#39;kemarin&#39; bukan tanggal" in page
    assert "Waktu kejadian" not in page


def test_the_audit_page_labels_states_and_problems_in_indonesian(
    web: TestClient, app: App, clock: Clock
) -> None:
    case_id = file_case(app)
    clock.set(datetime(2026, 3, 2, 10, 0, tzinfo=WIB))
    app.service.apply(case_id, "advance", {}, "kab.bogor")
    with app.db.write_engine.begin() as conn:
        conn.execute(sa.text("UPDATE cases SET handler = 'siapa' WHERE id = :id"), {"id": case_id})
    sign_in(web, app, "auditor")
    page = web.get(f"/audit?case_id={case_id}&at=2026-03-02T09:30").text
    then = page.split("<h2>Saat itu</h2>")[1].split("</section>")[0]
    assert "Kabupaten/Kota · Dokumentasi" in then
    changes = page.split('class="changes"')[1].split("</table>")[0]
    assert "Kabupaten/Kota · Dokumentasi" in changes and "Kabupaten/Kota · Identifikasi" in changes
    assert "kabupaten_dokumentasi" not in changes
    problems = page.split('class="card verify"')[1].split("</section>")[0]
    assert "Data kasus tersimpan berbeda dari pemutaran ulang kejadiannya" in problems
    # the detail in the page's language too (it was the engine's English)
    assert "kasus tersimpan berbeda dari pemutaran ulangnya pada: handler" in problems
    assert "stored case differs" not in problems

    with app.db.write_engine.begin() as conn:  # the stored row gone: the events still replay
        conn.execute(sa.text("DELETE FROM cases WHERE id = :id"), {"id": case_id})
    page = web.get(f"/audit?case_id={case_id}&at=2026-03-02T09:30").text
    assert "Kabupaten/Kota · Dokumentasi" in page.split("<h2>Saat itu</h2>")[1]
    problems = page.split('class="card verify"')[1].split("</section>")[0]
    assert "Data kasus tersimpan hilang" in problems and "projection_missing" in problems


def test_a_page_a_role_may_not_open_says_so_in_the_pages_language(
    web: TestClient, app: App
) -> None:
    sign_in(web, app, "kab.bogor")
    r = web.get("/audit")
    assert r.status_code == 403
    assert "Halaman ini hanya untuk peran Auditor, UPPKH Pusat, atau Admin." in r.text
    assert "needs the role" not in r.text
    web.cookies.set("lang", "en")
    r = web.get("/audit")
    assert r.status_code == 403
    assert "Only these roles may open this page: Auditor, UPPKH national or Admin." in r.text


def test_a_national_auditor_starts_a_whole_store_verification_from_the_audit_page(
    web: TestClient, app: App, clock: Clock
) -> None:
    from engine.store import audit_runner, audit_runs

    case_id = file_case(app)
    sign_in(web, app, "auditor")
    page = web.get("/audit").text
    assert "Pemeriksaan seluruh penyimpanan" in page and "Belum pernah dijalankan." in page
    token = csrf_from(web, "/audit")
    r = web.post("/audit/whole", data={"csrf": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/audit?started=1"
    assert "Pemeriksaan dimulai" in web.get("/audit?started=1").text
    deadline = time.monotonic() + 30
    while not audit_runs.recent(app.db, clock())[0].finished:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    page = web.get("/audit").text
    assert "utuh" in page and "1 dari 1 kejadian" in page and "Mulai pemeriksaan" in page

    with app.db.write_engine.begin() as conn:  # tampered, then verified again
        q = sa.text("SELECT handler FROM cases WHERE id = :id")
        handler = conn.execute(q, {"id": case_id}).scalar()
        conn.execute(sa.text("UPDATE cases SET handler = 'siapa' WHERE id = :id"), {"id": case_id})
    run = audit_runs.start(app.db, "pusat.spm", clock())
    page = web.get("/audit").text
    assert "sedang berjalan" in page and "Mulai pemeriksaan" not in page
    refused = web.post("/audit/whole", data={"csrf": token}, follow_redirects=False)
    assert refused.status_code == 409
    assert f"Pemeriksaan #{run.id} masih berjalan" in refused.text
    audit_runs.execute(app.db, run.id, clock)
    page = web.get("/audit").text
    assert "DITEMUKAN MASALAH" in page and case_id in page and "projection_mismatch" in page
    # the stored run's detail in the page's language, not the engine's English
    assert "kasus tersimpan berbeda dari pemutaran ulangnya pada: handler" in page, page
    assert "stored case differs" not in page, page
    with app.db.write_engine.begin() as conn:  # mended; then a checkpoint's row altered
        q = sa.text("UPDATE cases SET handler = :h WHERE id = :id")
        conn.execute(q, {"h": handler, "id": case_id})
    audit_runner.checkpoint(app.db, clock())
    with app.db.write_engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_checkpoints SET case_count = 7"))
    audit_runs.execute(app.db, audit_runs.start(app.db, "pusat.spm", clock()).id, clock)
    page = web.get("/audit").text
    assert "<strong>titik periksa 1</strong>" in page and "checkpoint_tampered" in page

    add_user(app.db, "aud.bogor", "auditor", "3271", now=clock())
    sign_in(web, app, "aud.bogor")  # a regional auditor: one case at a time, in its region
    assert "Pemeriksaan seluruh penyimpanan" not in web.get("/audit").text
    token = csrf_from(web, "/audit")
    assert web.post("/audit/whole", data={"csrf": token}).status_code == 403
    web.cookies.set("lang", "en")
    sign_in(web, app, "auditor")
    assert "Whole-store verification" in web.get("/audit").text


def test_the_calendar_lists_the_years_non_working_days(web: TestClient, app: App) -> None:
    sign_in(web, app, "kab.bogor")
    page = web.get("/calendar?year=2026").text
    assert "Hari libur 2026" in page and "19 Mar 2026" in page  # Nyepi
    assert web.get("/calendar?year=1999").status_code == 400


def test_odd_input_gets_a_page_never_a_server_error(web: TestClient, app: App) -> None:
    case_id = file_case(app)
    sign_in(web, app, "pusat.spm")
    odd = "'; DROP TABLE cases; --<script>"
    gets = [
        f"/?level={odd}&type={odd}&q={odd * 20}&sort={odd}&mine=1",
        f"/cases/{odd}/view",
        f"/audit?case_id={odd}",
        f"/audit?case_id={case_id}&at=0001-01-01T00:00&zone=WIT",
        f"/audit?case_id={case_id}&at=9999-12-31T23:59&zone=WIB&basis={odd}",
        f"/audit?case_id={case_id}&at={odd}&zone={odd}",
        f"/calendar?year={odd}",
        "/calendar?year=99999",
        f"/lang/{odd}?next=//evil.example",
    ]
    for path in gets:
        r = web.get(path)
        assert r.status_code < 500, path
        assert "<script>" not in r.text, path
    token = csrf_from(web, "/")
    posts = [
        {"event": odd, "version": "1"},
        {"event": "advance", "version": odd},
        {"event": "extend", "version": "1", "f_working_days": odd, "at": "0001-01-01T00:00"},
    ]
    for data in posts:
        r = web.post(f"/cases/{case_id}/view", data={"csrf": token, **data})
        assert 400 <= r.status_code < 500 and "Tidak dapat disimpan" in r.text, data
    assert app.service.get(case_id).version == 1


# ------------------------------------------------------------------------------ a browser
def _serve(pkh: App) -> tuple[str, uvicorn.Server, threading.Thread]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(pkh), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    return f"http://127.0.0.1:{sock.getsockname()[1]}", server, thread


@contextmanager
def served_store(
    tmp_path: Path, users: list[tuple[str, str, str | None]], prepare: Any = None
) -> Iterator[tuple[str, Any]]:
    """A fresh SQLite store on the real clock with `users` (each signing in with PASSWORD),
    served by uvicorn: (base URL, what `prepare(app)` made, e.g. the case the browser opens);
    stopped and closed afterwards."""
    url = f"sqlite:///{tmp_path / 'pkh.db'}"
    upgrade(url)
    pkh = build_app(Settings(database_url=url, secret_key="browser-test-secret-key-0123456789"))
    for name, role, region in users:
        add_user(pkh.db, name, role, region, now=pkh.service.clock(), password=PASSWORD)
    made = prepare(pkh) if prepare else None
    base, server, thread = _serve(pkh)
    try:
        yield base, made
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        pkh.db.dispose()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[str]:
    # The real clock: the browser files the complaint "now".
    with served_store(tmp_path, [("kab.bogor", "kabupaten", "3271")]) as (base, _):
        yield base


@pytest.mark.slow
def test_an_officer_files_and_advances_a_complaint_in_a_real_browser(
    live_server: str, tmp_path: Path
) -> None:
    require_chromium()
    from playwright.sync_api import expect

    with signed_in_page(live_server, "kab.bogor") as page:
        expect(page.locator("h1")).to_have_text("Daftar kerja")

        page.click("text=Pengaduan baru")
        page.fill("#reporter_name", "Ibu Siti")
        page.select_option("#type", "pembayaran")
        page.select_option("#channel", "surat")
        page.fill("#region", "3271011001")
        page.fill("#summary", "Bantuan tahap II belum diterima")
        page.click("text=Simpan pengaduan")
        expect(page.locator("h1")).to_contain_text("ADU-")
        expect(page.locator(".stage-due .badge")).to_have_text("5 hari kerja lagi")

        page.click("summary:has-text('Lanjut ke tahap berikutnya')")
        page.click("#do-advance button[type=submit]")
        expect(page.locator(".alert.done")).to_be_visible()
        expect(page.locator("dl.facts").first).to_contain_text("Identifikasi")
        rows = page.locator("section.timeline tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.nth(0)).to_contain_text("Pengaduan dicatat")
        expect(rows.nth(1)).to_contain_text("Tahap maju")
        expect(rows.nth(1)).to_contain_text("Identifikasi")

        # Ibu Siti gave no e-mail or phone: her acknowledgement is a letter to print
        settings = Settings(
            database_url=f"sqlite:///{tmp_path / 'pkh.db'}",
            secret_key="browser-test-secret-key-0123456789",
        )
        db = Database(settings.database_url)
        try:
            queued = Dispatcher(db, settings).run_once(datetime.now(UTC))
        finally:
            db.dispose()
        assert len(queued.to_print) == 1
        page.click("text=Surat untuk dicetak")
        letters = page.locator("table.letters tbody tr")
        expect(letters).to_have_count(1)
        expect(letters.first).to_contain_text("Ibu Siti")
        with page.context.expect_page() as opened:  # rel=noopener: a tab of its own
            page.click("table.letters a:has-text('Buka surat')")
        letter = opened.value
        expect(letter.locator(".sheet")).to_contain_text("Yth. Ibu Siti")
        expect(letter.locator(".sheet")).to_contain_text("Tanda terima pengaduan")
        letter.close()
        page.click("table.letters button:has-text('Tandai sudah dicetak')")
        expect(page.locator(".alert.done")).to_contain_text("sudah dicetak")
        expect(page.locator("table.letters")).to_have_count(0)


def test_a_case_whose_stored_history_cannot_be_read_is_told_not_crashed(
    web: TestClient, app: App
) -> None:
    """A row altered outside pkh into what no engine writes: the API answers 409 naming the
    case, version and column, the officer's page says the case data is damaged (not a 500,
    not "bad request"), and the auditor's check names the row."""
    from tests.integration.test_api import auth, client_for

    case_id = file_case(app)
    with app.db.write_engine.begin() as conn:
        # a payload that is not a JSON object: the one damage both backends' columns can hold
        bad = "CAST('[]' AS jsonb)" if app.db.dialect == "postgresql" else "'[]'"
        conn.execute(sa.text(f"UPDATE case_events SET payload = {bad} WHERE case_id = :id"),
                     {"id": case_id})  # fmt: skip
    api = client_for(app)
    for path in (
        f"/cases/{case_id}/history",
        f"/cases/{case_id}/replay?as_of=2026-03-02T10:00%2B07:00",
    ):
        r = api.get(path, headers=auth(app, "kab.bogor"))
        assert r.status_code == 409, (path, r.text)
        body = r.json()
        assert (body["error"], body["case_id"], body["version"], body["column"]) == (
            "stored_data_unreadable",
            case_id,
            1,
            "payload",
        )
    verified = api.get(f"/cases/{case_id}/verify", headers=auth(app, "auditor"))
    assert verified.status_code == 200, verified.text
    assert "event_unreadable" in verified.text
    sign_in(web, app, "kab.bogor")
    page = web.get(f"/cases/{case_id}/view")
    assert page.status_code == 409, page.text
    assert "Data kasus rusak" in page.text and "payload" in page.text


def test_a_summary_keeps_its_lines_on_the_case_page(web: TestClient, app: App) -> None:
    """Written on paper or typed in lines (a list of what went wrong): shown as written."""
    case_id = file_case(app, summary="Bantuan tahap II belum diterima.\nKartu KKS hilang.")
    sign_in(web, app, "kab.bogor")
    page = web.get(f"/cases/{case_id}/view").text
    assert '<dd class="text">Bantuan tahap II belum diterima.\nKartu KKS hilang.</dd>' in page
    assert ".text { white-space: pre-line;" in page


def test_an_address_that_is_no_page_gets_the_officers_not_found_page(
    web: TestClient, app: App
) -> None:
    """A mistyped or outdated address in the browser: the pages' own "Tidak ditemukan", not
    the API's JSON; an API client (no HTML asked for) still gets JSON."""
    html = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    sign_in(web, app, "kab.bogor")
    page = web.get("/kasus-lama", headers=html)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "Tidak ditemukan" in page.text and "Daftar kerja" in page.text  # the signed-in frame
    web.cookies.clear()
    anonymous = web.get("/kasus-lama", headers=html)
    assert anonymous.status_code == 404 and "Tidak ditemukan" in anonymous.text
    api = web.get("/kasus-lama", headers={"Accept": "application/json"})
    assert api.status_code == 404 and api.json()["error"] == "http_error"


def test_a_malformed_address_parameter_is_said_in_the_officers_language(
    web: TestClient, app: App
) -> None:
    sign_in(web, app, "kab.bogor")
    page = web.get("/calendar?year=abc")
    assert page.status_code == 400 and "year: harus bilangan bulat" in page.text
    assert "Input should be" not in page.text
    assert "letter_id: harus bilangan bulat" in web.get("/letters/abc").text
    outside = web.get("/calendar?year=2041").text
    assert "mencakup tahun 2004 sampai 2040" in outside and "covers" not in outside


def test_the_complaint_form_marks_what_must_be_filled(web: TestClient, app: App) -> None:
    """The reporter's name is required unless the complaint is anonymous: the form says so,
    as it does for the type, channel and summary."""
    sign_in(web, app, "kab.bogor")
    form = web.get("/complaints/new").text
    assert 'Nama pelapor <span class="req">(wajib, kecuali anonim)</span>' in form
    assert form.count('<span class="req">(wajib)</span>') >= 3


def test_a_nul_in_a_page_address_gets_a_page_saying_so(web: TestClient, app: App) -> None:
    """A search typed with a NUL (pasted from another program): the officer page says what is
    wrong, as a form's NUL does; the API still answers JSON."""
    sign_in(web, app, "kab.bogor")
    page = web.get("/?q=ADU%00")
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    assert "mengandung karakter NUL" in page.text and "Daftar kerja" in page.text
    api = web.get("/cases?q=ADU%00")
    assert api.status_code == 422 and api.json()["error"] == "invalid_input"
