"""The officer pages after the officer review (/tmp/review/officer.md #2, #5, #6, #9, #12).

The client tests use the shared `app` fixture (clock on Monday 2 March 2026 09:00 WIB); the
browser test serves that app with uvicorn and drives Debian's Chromium through Playwright: the
worklist's pages and chips over more cases than one page holds, a form posted after the session
expired, and the worklist on a phone's width.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

import api.page_cases as page_cases
from api import page_views as pv
from api.admin import add_user
from api.http import TOKEN_TTL
from api.wiring import App
from engine.errors import EngineError
from engine.store.repository import CaseFilter, search_cases
from tests.conftest import WIB, Clock, complaint_data
from tests.e2e.test_pages import (
    PASSWORD,
    _serve,
    csrf_from,
    require_chromium,
    sign_in,
    signed_in_page,
)


def file_case(app: App, actor: str = "kab.bogor", **overrides: Any) -> str:
    return str(app.service.open_case("complaint", complaint_data(**overrides), actor).id)


def ids_on(html: str) -> list[str]:
    return re.findall(r'data-case="([^"]+)"', html)


def chips(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<span class="badge \w+">[^<:]+: (\d+)</span>', html)]


def next_link(html: str) -> str | None:
    found = re.search(r'<a class="button" href="([^"]+)" rel="next">', html)
    return found.group(1).replace("&amp;", "&") if found else None


def expected_flags(app: App, region: str | None) -> list[int]:
    now, cal = app.service.clock(), app.service.calendar()
    with app.db.reading() as s:
        states, _, _ = search_cases(s, CaseFilter(status="open", scope=region), limit=10_000)
    flags = Counter(pv.worklist_item(st, now, cal)["flag"] for st in states)
    return [flags[f] for f in ("overdue", "today", "soon", "ok")]


# ------------------------------------------------------------------- #2 worklist paging
def test_the_worklist_pages_on_and_counts_every_case_not_only_the_first_page(
    web: TestClient, app: App, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(page_cases, "WORKLIST_LIMIT", 3)
    filed = []
    for day in (2, 3, 4, 5, 6, 9, 10, 11):  # deadlines from overdue to on track
        clock.set(datetime(2026, 3, day, 9, 0, tzinfo=WIB))
        filed.append(file_case(app, summary=f"kasus {day}"))
    clock.set(datetime(2026, 3, 12, 10, 0, tzinfo=WIB))
    sign_in(web, app, "kab.bogor")

    for sort, expected in (("due", filed), ("-due", filed[::-1]), ("-id", sorted(filed)[::-1])):
        seen, path, pages_seen = [], f"/?sort={sort}", 0
        while path:
            html = web.get(path).text
            pages_seen += 1
            assert chips(html) == expected_flags(app, "3271")  # every case, on every page
            assert sum(chips(html)) == 8 and "dari 8 kasus terbuka" in html
            seen += ids_on(html)
            path = next_link(html)
        assert seen == expected, sort
        assert pages_seen == 3
    assert "Menampilkan 7–8 dari 8" in html and "Halaman pertama" in html


def test_a_case_without_deadlines_is_counted_apart_not_as_on_track(
    web: TestClient, app: App, clock: Clock
) -> None:
    """A KKN suspension has no deadline to keep: its own chip, not "Sesuai jadwal"."""
    from workflows.staff import add_staff

    clock.set(datetime(2026, 3, 12, 10, 0, tzinfo=WIB))
    add_staff(app.db, "Budi Prasetyo", "operator", "3271", username="kab.bogor2", now=clock())
    file_case(app, type="kkn", accused="Budi Prasetyo")  # the complaint and its KKN case
    sign_in(web, app, "kab.bogor")
    html = web.get("/").text
    assert "Sesuai jadwal: 1</span>" in html and "Tanpa tenggat: 1</span>" in html
    assert "dari 2 kasus terbuka" in html
    assert re.search(r'<tr class="none" data-case="KKN-', html)
    # its page is about the staff member, not a complaint's facts
    kkn = re.search(r'data-case="(KKN-[0-9-]+)"', html)
    assert kkn is not None
    page = web.get(f"/cases/{kkn.group(1)}/view").text
    assert "<h2>Data kasus petugas</h2>" in page and "Data pengaduan" not in page
    assert "<dt>Petugas yang bersangkutan</dt><dd>Budi Prasetyo</dd>" in page


def test_no_id_is_a_sort_and_the_header_says_which(web: TestClient, app: App) -> None:
    filed = [file_case(app, summary=f"kasus {i}") for i in range(3)]
    sign_in(web, app, "kab.bogor")
    html = web.get("/?sort=id").text
    assert ids_on(html) == sorted(filed)
    assert 'href="/?sort=-id"' in html and "No. kasus ▲" in html
    html = web.get("/?sort=-id").text
    assert ids_on(html) == sorted(filed, reverse=True) and "No. kasus ▼" in html


def test_a_tampered_cursor_is_the_first_page(web: TestClient, app: App) -> None:
    case_id = file_case(app)
    sign_in(web, app, "kab.bogor")
    for after in ("x", "~", "bukan-tanggal~ADU", "2026-03-02T00:00~"):
        r = web.get("/", params={"after": after, "start": "-5"})
        assert r.status_code == 200 and ids_on(r.text) == [case_id], after


# ---------------------------------------------------------------------- #5 long notes
def test_note_and_reason_fields_hold_at_most_2000_characters_and_long_words_wrap(
    web: TestClient, app: App
) -> None:
    case_id = file_case(app)
    sign_in(web, app, "kab.bogor")
    html = web.get(f"/cases/{case_id}/view").text
    notes = re.findall(r'<textarea name="note"[^>]*>', html)
    assert notes and all('maxlength="2000"' in t for t in notes)
    reasons = re.findall(r'<textarea name="f_reason"[^>]*>', html)
    assert reasons and all('maxlength="2000"' in t for t in reasons)
    assert "overflow-wrap: anywhere" in html


# ------------------------------------------------------------------ #6 expired session
def test_a_form_posted_after_the_session_expired_comes_back_filled_after_sign_in(
    web: TestClient, app: App, clock: Clock
) -> None:
    add_user(app.db, "kab.web", "kabupaten", "3271", now=clock(), password=PASSWORD)
    sign_in(web, app, "kab.web")
    token = csrf_from(web, "/complaints/new")
    clock.set(clock() + TOKEN_TTL + timedelta(minutes=5))
    form = {
        "csrf": token,
        "type": "pembayaran",
        "channel": "surat",
        "region": "3271011001",
        "summary": "Bantuan tahap II belum diterima <b>",
        "reporter_name": "Ibu Siti",
        "zone": "WIB",
    }
    r = web.post("/complaints/new", data=form, follow_redirects=False)
    assert r.status_code == 401 and "Sesi berakhir; data formulir belum tersimpan" in r.text
    kept = dict(re.findall(r'<input type="hidden" name="(keep\.[^"]+)" value="([^"]*)">', r.text))
    assert kept["keep.summary"] == "Bantuan tahap II belum diterima &lt;b&gt;"
    assert "keep.csrf" not in kept and "keep.password" not in kept
    assert r.headers.get("location") is None  # nothing of the form went into a URL

    login_csrf = re.search(r'name="csrf" value="([^"]+)"', r.text).group(1)  # type: ignore[union-attr]
    kept = {k: v.replace("&lt;", "<").replace("&gt;", ">") for k, v in kept.items()}
    # the kept form's own token goes with it, as every hidden input of the sign-in form does
    kept["kept_csrf"] = re.search(r'name="kept_csrf" value="([^"]+)"', r.text).group(1)  # type: ignore[union-attr]
    signed = web.post(
        "/login",
        data={
            "csrf": login_csrf,
            "next": "/complaints/new",
            "username": "kab.web",
            "password": PASSWORD,
            **kept,
        },
        follow_redirects=False,
    )
    assert signed.status_code == 200, signed.text
    assert 'id="resumed"' in signed.text and "BELUM tersimpan" in signed.text
    assert "Bantuan tahap II belum diterima &lt;b&gt;</textarea>" in signed.text
    assert 'value="Ibu Siti"' in signed.text
    assert "pkh_session" in signed.headers.get("set-cookie", "")
    with app.db.reading() as s:
        _, total, _ = search_cases(s, CaseFilter(status="open"), limit=1)
    assert total == 0  # nothing was saved behind the officer's back


def test_an_expired_case_action_comes_back_open_and_filled(
    web: TestClient, app: App, clock: Clock
) -> None:
    add_user(app.db, "kab.web", "kabupaten", "3271", now=clock(), password=PASSWORD)
    case_id = file_case(app)
    sign_in(web, app, "kab.web")
    token = csrf_from(web, f"/cases/{case_id}/view")
    clock.set(clock() + TOKEN_TTL + timedelta(minutes=1))
    form = {"csrf": token, "event": "escalate", "version": "1"}
    form |= {"f_reason": "menunggu data Dinsos", "note": "catatan panjang"}
    r = web.post(f"/cases/{case_id}/view", data=form)
    assert r.status_code == 401 and 'name="keep.f_reason" value="menunggu data Dinsos"' in r.text
    login_csrf = re.search(r'name="csrf" value="([^"]+)"', r.text).group(1)  # type: ignore[union-attr]
    kept = dict(re.findall(r'name="(keep\.[^"]+)" value="([^"]*)"', r.text))
    # the kept form's own token goes with it, as every hidden input of the sign-in form does
    kept["kept_csrf"] = re.search(r'name="kept_csrf" value="([^"]+)"', r.text).group(1)  # type: ignore[union-attr]
    signed = web.post(
        "/login",
        data={"csrf": login_csrf, "next": f"/cases/{case_id}/view", "username": "kab.web"}
        | {"password": PASSWORD, **kept},
    )
    assert signed.status_code == 200
    assert '<details class="action" id="do-escalate" open>' in signed.text
    assert "menunggu data Dinsos</textarea>" in signed.text
    assert "catatan panjang</textarea>" in signed.text
    assert app.service.get(case_id).version == 1


def test_the_sign_in_page_says_why_for_an_expired_session(web: TestClient) -> None:
    html = web.get("/login?next=/&ended=expired").text
    assert "Sesi berakhir; data formulir belum tersimpan" in html


# ---------------------------------------------------------------------- #9 suspension
def test_a_suspended_officer_is_told_on_every_page_and_offered_no_forms(
    web: TestClient, app: App, clock: Clock
) -> None:
    from workflows.staff import add_staff

    case_id = file_case(app)
    add_staff(app.db, "Andi Pendamping", "pendamping", "327101", username="pdp.bogor", now=clock())
    file_case(app, type="kkn", accused="Andi Pendamping", summary="memotong bantuan")
    sign_in(web, app, "pdp.bogor")
    for path in ("/", f"/cases/{case_id}/view", "/complaints/new", "/calendar"):
        html = web.get(path).text
        assert 'id="suspended"' in html, path
        assert re.search(r"Anda sedang dibebastugaskan sejak 2 Mar 2026 \S+ WIB \(KKN-", html), path
    assert '<details class="action"' not in web.get(f"/cases/{case_id}/view").text
    assert 'action="/complaints/new"' not in web.get("/complaints/new").text
    sign_in(web, app, "kab.bogor")
    assert 'id="suspended"' not in web.get("/").text


# ------------------------------------------------------------------ #12 small wording
def _close(app: App, case_id: str) -> None:
    full = {"parties": "Dinas Sosial", "result": "Bantuan dibayar", "informed_via": "surat"}
    for _ in range(12):
        if app.service.get(case_id).status != "open":
            return
        try:
            app.service.apply(case_id, "advance", {}, "kab.bogor")
        except EngineError:
            app.service.apply(case_id, "advance", full, "kab.bogor")
    raise AssertionError("the case did not close")


def test_closing_says_the_case_is_closed_and_a_refusal_speaks_indonesian(
    web: TestClient, app: App
) -> None:
    case_id = file_case(app)
    _close(app, case_id)
    sign_in(web, app, "kab.bogor")
    html = web.get(f"/cases/{case_id}/view?done=advance").text
    assert "Tersimpan: kasus ditutup (" in html
    assert "Lanjut ke tahap berikutnya." not in html
    assert re.search(r'<span class="badge closed">', html)

    version = app.service.get(case_id).version
    token = csrf_from(web, f"/cases/{case_id}/view")
    r = web.post(
        f"/cases/{case_id}/view", data={"csrf": token, "event": "advance", "version": version}
    )
    assert r.status_code == 409
    assert "Langkah ini tidak diizinkan" in r.text
    assert "Langkah yang dapat dilakukan sekarang: Buka kembali." in r.text
    assert "is not allowed" not in r.text and "allowed:" not in r.text


def test_a_refusal_names_the_allowed_steps_in_indonesian(web: TestClient, app: App) -> None:
    case_id = file_case(app)
    sign_in(web, app, "kab.bogor")
    token = csrf_from(web, f"/cases/{case_id}/view")
    r = web.post(f"/cases/{case_id}/view", data={"csrf": token, "event": "pulihkan", "version": 1})
    assert "Langkah yang dapat dilakukan sekarang: " in r.text
    assert "Lanjut ke tahap berikutnya" in r.text and "allowed:" not in r.text


# ----------------------------------------------------------------------------- browser
@pytest.fixture
def served(app: App, clock: Clock) -> Iterator[str]:
    add_user(app.db, "pusat.web", "pusat", None, now=clock(), password=PASSWORD)
    base, server, thread = _serve(app)
    yield base
    server.should_exit = True
    thread.join(timeout=10)


@pytest.mark.slow
def test_paging_chips_expired_session_and_phone_width_in_a_real_browser(
    served: str, app: App, clock: Clock
) -> None:
    require_chromium()
    from playwright.sync_api import expect

    # 230 open cases (more than two pages of 100) in two zones, filed over two weeks
    for i in range(230):
        clock.set(datetime(2026, 3, 2 + i % 12, 8, i % 60, tzinfo=WIB))
        region, actor = (
            ("7371011001", "kab.makassar") if i % 3 == 0 else ("3271011001", "kab.bogor")
        )
        file_case(app, actor, region=region, summary=f"kasus {i}")
    clock.set(datetime(2026, 3, 16, 9, 0, tzinfo=WIB))
    with app.db.reading() as s:
        everything, _, _ = search_cases(s, CaseFilter(status="open"), limit=1000)
    in_due_order = [st.id for st in everything]

    with signed_in_page(served, "pusat.web") as page:
        expect(page.locator("h1")).to_have_text("Daftar kerja")
        counts = [int(t.split(":")[-1]) for t in page.locator(".chips .badge").all_inner_texts()]
        assert counts == expected_flags(app, None) and sum(counts) == 230
        seen: list[str] = []
        while True:
            seen += page.locator("tr[data-case]").evaluate_all(
                "rows => rows.map(r => r.dataset.case)"
            )
            more = page.locator("a[rel=next]")
            if more.count() == 0:
                break
            # read the next page only once it has loaded: reading while the click's
            # navigation is under way sees an empty or half-parsed table
            with page.expect_navigation(wait_until="load"):
                more.click()
        assert seen == in_due_order  # all 230, each once, soonest deadline first
        expect(page.locator("p.muted").first).to_contain_text("201–230 dari 230")

        page.goto(f"{served}/?sort=-due")
        first = page.locator("tr[data-case]").first.get_attribute("data-case")
        assert first == max(everything, key=lambda st: (st.stage_due, st.id)).id

        # a phone: the page is no wider than the screen (the table scrolls inside)
        page.set_viewport_size({"width": 390, "height": 800})
        page.goto(f"{served}/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

        # the session expires while a complaint is being written
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"{served}/complaints/new")
        page.select_option("#type", "pembayaran")
        page.select_option("#channel", "surat")
        page.fill("#region", "3271011001")
        page.fill("#summary", "Ditulis sebelum sesi berakhir")
        page.fill("#reporter_name", "Ibu Siti")
        clock.set(clock() + TOKEN_TTL + timedelta(minutes=1))
        page.click("text=Simpan pengaduan")
        expect(page.locator(".alert")).to_contain_text("Sesi berakhir")
        assert "Ditulis" not in page.url and "csrf" not in page.url
        page.fill("#username", "pusat.web")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        expect(page.locator("#resumed")).to_be_visible()
        expect(page.locator("#summary")).to_have_value("Ditulis sebelum sesi berakhir")
        expect(page.locator("#reporter_name")).to_have_value("Ibu Siti")
        assert "password" not in page.url and "Ditulis" not in page.url
        page.click("text=Simpan pengaduan")
        expect(page.locator("h1")).to_contain_text("ADU-")  # the saved case's page has loaded
        errors = page.locator(".alert.error")
        assert errors.count() == 0, errors.all_inner_texts()
        expect(page.locator(".alert.done")).to_be_visible()


@pytest.mark.slow
def test_a_long_summary_does_not_squeeze_the_timelines_words_in_a_real_browser(
    served: str, app: App
) -> None:
    """A 4,000-character summary in the filing's details: the event and who did it keep
    their words whole ("Pengadu/an", "kab.b/ogor" before), the text wraps in its column."""
    require_chromium()
    words = "Bantuan tahap II belum diterima karena nama di kartu berbeda dengan KTP. "
    case_id = app.service.open_case(
        "complaint", complaint_data(summary=(words * 60)[:3990]), "kab.bogor"
    ).id
    with signed_in_page(served, "pusat.web") as page:
        page.goto(f"{served}/cases/{case_id}/view")
        row = page.locator("section.timeline tr.event").first
        event, actor = row.locator("td").nth(2), row.locator("td").nth(3)
        for cell in (event, actor):
            box = cell.bounding_box()
            assert box is not None and box["width"] >= 140, box  # 9rem
        name = actor.evaluate("td => td.firstChild.textContent.trim()")
        height = actor.evaluate(
            "td => { const r = document.createRange(); r.selectNodeContents(td.firstChild);"
            " return r.getBoundingClientRect().height; }"
        )
        assert name == "kab.bogor" and height < 30, height  # one line
