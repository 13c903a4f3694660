"""Discipline through the staff doors (the `pkh staff` commands, the HTTP routes) on the store:
the letters each sanction sends (who signs them, what they say, on paper and by e-mail), the
staff member with no account, the dismissed staff member, and KKN decisions about the right
person."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.admin import add_user
from api.wiring import App
from engine.store.repository import CASES, OUTBOX
from notifications.dispatch import Dispatcher
from notifications.letters import compose
from notifications.paper import letter_page, waiting_letters
from notifications.render import render, render_letter_page
from tests.conftest import Clock, complaint_data
from tests.integration.test_api import auth, client_for
from workflows.staff import add_staff, get_staff

ANDI = "Andi Wijaya"  # pendamping of Kecamatan Bogor Selatan (327101), Kota Bogor (3271)
BUDI = "Budi Op"  # operator of Kota Bogor, no user account
CITRA = "Citra Dewi"
RAW_CODES = ("negligence", "double_job", "after_sp3", "data_markup", "oral_warnings")


@pytest.fixture
def staffed(app: App, clock: Clock) -> App:
    add_user(app.db, "pdp.andi", "pendamping", "327101", now=clock())
    add_user(app.db, "pdp.citra", "pendamping", "327101", now=clock())
    add_staff(app.db, ANDI, "pendamping", "327101", username="pdp.andi", now=clock())
    add_staff(app.db, CITRA, "pendamping", "327101", username="pdp.citra", now=clock())
    add_staff(app.db, BUDI, "operator", "3271", username=None, now=clock())
    return app


@pytest.fixture
def pkh(staffed: App, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """`pkh ...` in this process, on the test's store: (exit code, stdout, stderr)."""
    import api.cli
    import api.cli_staff  # noqa: F401  (registers `pkh staff`)

    monkeypatch.setattr(api.cli, "_APP", staffed)
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str, str]:
        out = runner.invoke(api.cli.app, list(args))
        return out.exit_code, out.stdout, out.stderr

    yield run


def ok(pkh: Any, *args: str) -> str:
    code, out, err = pkh(*args)
    assert code == 0, f"pkh {' '.join(args)} -> {code}\n{out}{err}"
    return out


def sanction(pkh: Any, name: str, event: str, actor: str = "kab.bogor", **data: str) -> None:
    ok(
        pkh,
        "staff",
        "discipline",
        name,
        event,
        "--actor",
        actor,
        *[a for k, v in data.items() for a in ("--data", f"{k}={v}")],
    )


def letters(app: App, case_id: str | None = None) -> list[Any]:
    with app.db.reading() as s:
        q = sa.select(OUTBOX).order_by(OUTBOX.c.id)
        if case_id:
            q = q.where(OUTBOX.c.case_id == case_id)
        return list(s.execute(q).all())


def in_language(app: App, row: Any, lang: str) -> Any:
    """The outbox row as if it had been queued in `lang`."""
    payload = {**(row.payload or {}), "language": lang}
    with app.db.transaction() as s:
        s.execute(sa.update(OUTBOX).where(OUTBOX.c.id == row.id).values(payload=payload))
    return next(r for r in letters(app) if r.id == row.id)


def printed_text(page: str) -> str:
    """The A4 page's text as a text viewer or screen reader meets it: nothing hidden by CSS
    is left out (the page says its date and subject once, in its header)."""
    page = re.sub(r"<style>.*?</style>", "", page, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", page).replace("&mdash;", "-").replace("&middot;", " ")
    return " ".join(text.split())


def one_line(text: str) -> str:
    return " ".join(text.split())


def ladder(pkh: Any) -> None:
    """Andi's whole ladder: three oral warnings, SP-1 and SP-2 by the kabupaten, SP-3 by
    UPPKH Pusat, termination after SP-3 by the kabupaten."""
    for _ in range(3):
        sanction(pkh, ANDI, "warn", reason="late")
    sanction(pkh, ANDI, "issue_sp1")
    sanction(pkh, ANDI, "issue_sp2", reason="negligence")
    sanction(pkh, ANDI, "issue_sp3", actor="pusat.spm", reason="double_job")
    sanction(pkh, ANDI, "terminate", reason="after_sp3")


def andi_case(app: App) -> str:
    return str(next(c["id"] for c in get_staff(app.db, ANDI).cases))


# ------------------------------------------------------------------------------------------ A
def test_discipline_letters_are_signed_by_the_unit_that_issued_them_with_labelled_reasons(
    staffed: App, pkh: Any, clock: Clock
) -> None:
    app = staffed
    ladder(pkh)
    rows = letters(app, andi_case(app))
    assert [r.recipient for r in rows] == ["user:pdp.andi"] * 4  # SP-1, SP-2, SP-3, PHK
    texts = [
        render(r.template, "id", compose(app.db, r, clock(), "http://x").context).text for r in rows
    ]
    sp1, sp2, sp3, phk = texts
    for text in (sp1, sp2, phk):  # issued by the kabupaten/kota of Andi's kecamatan
        assert "Hormat kami,\nUPPKH Kota Bogor" in text, text
        assert "tanggapan tertulis kepada UPPKH Kota Bogor." in text
        assert "Kecamatan" not in text
    assert "Hormat kami,\nUPPKH Pusat" in sp3 and "tanggapan tertulis kepada UPPKH Pusat." in sp3
    assert "Alasan: telah mendapat teguran lisan lebih dari dua kali (3 kali)" in sp1
    assert "Alasan: lalai dalam menjalankan tugas dan kewajiban" in sp2
    assert "Alasan: pelanggaran kode etik berupa rangkap pekerjaan (dobel job)" in sp3
    assert "Alasan: telah mendapat Surat Peringatan Ketiga (SP-3)" in phk
    for text in texts:
        assert "Alasan: -" not in text and not any(code in text for code in RAW_CODES), text
        assert "Bapak/Ibu" not in text
        assert ".\n\nSaudara/Saudari dapat menyampaikan tanggapan" in text  # its own paragraph

    # in English: English labels, the same office
    english = [
        render(
            r.template,
            "en",
            compose(app.db, in_language(app, r, "en"), clock(), "http://x").context,
        )
        for r in rows
    ]
    assert "Second Warning Letter (SP-2)" in english[1].subject
    assert "Reason: negligence in carrying out duties and obligations" in english[1].text
    assert "Reason: breach of the code of ethics by holding a second job" in english[2].text
    assert "Yours faithfully,\nUPPKH Kota Bogor" in english[3].text
    assert "Termination of Engagement" in english[3].text
    for r in english:
        assert "Surat Peringatan" not in r.text and "Pemutusan" not in r.text
        assert "case number DSP-" in one_line(r.html)
        # "negligence" opens its English label; the codes with "_" are never words
        assert "Reason: negligence\n" not in r.text
        assert not any(code in r.text + r.html for code in RAW_CODES if "_" in code)


def test_the_printed_discipline_letter_says_what_the_e_mail_says_once(
    staffed: App, pkh: Any, clock: Clock
) -> None:
    app = staffed
    ladder(pkh)
    for row in letters(app, andi_case(app)):
        ctx = compose(app.db, row, clock(), "http://x").context
        text = one_line(render(row.template, "id", ctx).text)
        page = printed_text(render_letter_page(row.template, "id", ctx))
        # the explanatory paragraph of each SP, and the same closing, in both forms
        said = re.search(
            r"(Surat Peringatan \w+ ini diberikan[^.]*\.|Dengan surat ini[^.]*\.)", text
        )
        assert said, text
        assert said.group(1) in page, page
        assert "Atas perhatian Saudara/Saudari" in page and "Bapak/Ibu" not in page
        assert page.count(ctx["today"]) == 1 and page.count("Perihal") == 1, page
        assert page.count("Alasan:") == 1 and "UPPKH Kecamatan" not in page


# ------------------------------------------------------------------------------------------ D
def test_staff_without_an_account_get_discipline_and_suspension_letters_on_paper(
    staffed: App, pkh: Any, clock: Clock, web: TestClient
) -> None:
    app = staffed
    sanction(pkh, BUDI, "issue_sp3", reason="data_markup")
    sanction(pkh, BUDI, "terminate", reason="after_sp3")
    dsp = str(get_staff(app.db, BUDI).cases[0]["id"])
    assert [(r.template, r.recipient) for r in letters(app, dsp)] == [
        ("discipline_letter", "staff"),
        ("discipline_letter", "staff"),
    ]
    report = Dispatcher(app.db, app.settings).run_once(clock())
    rows = letters(app, dsp)
    assert [r.status for r in rows] == ["print", "print"]
    assert {r.id for r in rows} <= set(report.to_print)
    waiting, _ = waiting_letters(app.db, lambda state: True)
    assert [w["addressee"] for w in waiting if w["case_id"] == dsp] == [BUDI, BUDI]
    # the letters to print tell the SP-3 from the termination without opening each
    assert [w["sanction"] for w in waiting if w["case_id"] == dsp] == ["sp3", "terminated"]
    page_text = web.get("/letters").text
    assert "Surat Peringatan Ketiga (SP-3)" in page_text
    assert "Pemutusan Hubungan Kerja" in page_text
    page = letter_page(app.db, app.settings, rows[0].id, clock(), lambda state: True)
    assert "Yth. Budi Op" in page and "UPPKH Kota Bogor" in page and "dobel" not in page
    assert "mark-up data" in page


def test_a_suspension_letter_reaches_staff_without_an_account_on_paper(
    staffed: App, clock: Clock
) -> None:
    app = staffed
    data = complaint_data(type="kkn", accused=BUDI, summary="Pungutan liar saat penyaluran")
    app.service.open_case("complaint", data, "kab.bogor")
    kkn = str(get_staff(app.db, BUDI).cases[0]["id"])
    assert [(r.template, r.recipient) for r in letters(app, kkn)] == [("kkn_suspension", "staff")]
    Dispatcher(app.db, app.settings).run_once(clock())
    (row,) = letters(app, kkn)
    assert (row.status, row.address) == ("print", "-")  # never the reporter's address
    page = letter_page(app.db, app.settings, row.id, clock(), lambda state: True)
    assert "Yth. Budi Op" in page and "UPPKH Pusat" in page
    assert "Ibu Siti" not in page and "siti@example.org" not in page


# ------------------------------------------------------------------------------------------ C
def test_a_dismissed_staff_member_gets_no_new_sanction_case_or_letter(
    staffed: App, pkh: Any
) -> None:
    app = staffed
    ladder(pkh)
    before = len(letters(app))
    code, _, err = pkh(
        "staff",
        "discipline",
        ANDI,
        "issue_sp3",
        "--data",
        "reason=double_job",
        "--actor",
        "kab.bogor",
    )
    assert code == 6 and err.startswith("error:") and err.count("\n") == 1, err
    assert "staff_dismissed" in err and "diberhentikan" in err
    with app.db.reading() as s:
        kinds = s.execute(sa.select(CASES.c.id).where(CASES.c.workflow == "discipline")).all()
    assert len(kinds) == 1 and len(letters(app)) == before

    # the same through the HTTP route, and for someone dismissed by a KKN finding
    client = client_for(app)
    headers = auth(app, "kab.bogor")
    r = client.post(
        f"/staff/{ANDI}/discipline",
        headers=headers,
        json={"event": "warn", "data": {"reason": "late"}},
    )
    assert r.status_code == 422 and r.json()["reasons"][0]["key"] == "staff_dismissed"
    data = complaint_data(type="kkn", accused=CITRA, summary="Pungutan liar")
    app.service.open_case("complaint", data, "kab.bogor")
    ok(pkh, "staff", "decide", CITRA, "--outcome", "guilty", "--actor", "pusat.spm")
    code, _, err = pkh(
        "staff", "discipline", CITRA, "warn", "--data", "reason=late", "--actor", "kab.bogor"
    )
    assert code == 6 and "staff_dismissed" in err and "KKN-2026-000001" in err
    assert [c["workflow"] for c in get_staff(app.db, CITRA).cases] == ["kkn"]


# ------------------------------------------------------------------------------------------ B
def test_an_assessment_with_too_few_scores_is_refused_naming_the_field(
    staffed: App, pkh: Any
) -> None:
    app = staffed
    code, _, err = pkh(
        "staff",
        "discipline",
        BUDI,
        "assess_performance",
        "--data",
        "operational=5",
        "--data",
        "behavioural=5",
        "--actor",
        "kab.bogor",
    )
    assert code == 2 and err.startswith("error: operational:") and "8 scores" in err, err
    assert get_staff(app.db, BUDI).cases == []  # no empty record left behind
    client = client_for(app)
    headers = auth(app, "kab.bogor")
    body = {
        "event": "assess_performance",
        "data": {"operational": "5,5,5,5,5,5,5,5", "behavioural": "5,5"},
    }
    r = client.post(f"/staff/{BUDI}/discipline", headers=headers, json=body)
    assert r.status_code == 422 and r.json()["message"].startswith("behavioural:"), r.json()
    body["data"]["behavioural"] = "5,5,5,5,5"
    r = client.post(f"/staff/{BUDI}/discipline", headers=headers, json=body)
    assert r.status_code == 200 and r.json()["attrs"]["performance"]["total"] == 65
    code, _, err = pkh(
        "staff",
        "discipline",
        BUDI,
        "terminate",
        "--data",
        "reason=performance_below_26",
        "--actor",
        "kab.bogor",
    )
    assert code == 6 and "no_low_score" in err


# ------------------------------------------------------------------------------------------ E
def test_a_kkn_decision_must_name_a_case_about_that_person(staffed: App, pkh: Any) -> None:
    app = staffed
    data = complaint_data(type="kkn", accused=CITRA, summary="Pungutan liar")
    complaint = app.service.open_case("complaint", data, "kab.bogor").id
    citra_case = str(get_staff(app.db, CITRA).cases[0]["id"])
    for other in (citra_case, complaint, "KKN-2026-999999"):
        code, _, err = pkh(
            "staff",
            "decide",
            BUDI,
            "--outcome",
            "not_guilty",
            "--case",
            other,
            "--actor",
            "pusat.spm",
        )
        assert code == 2 and err == f"error: case: {other} is not a KKN case about {BUDI}\n"
    assert get_staff(app.db, CITRA).status == "suspended"

    client = client_for(app)
    headers = auth(app, "pusat.spm")
    r = client.post(
        f"/staff/{BUDI}/decision",
        headers=headers,
        json={"outcome": "not_guilty", "case_id": citra_case},
    )
    assert r.status_code == 422 and r.json()["field"] == "case_id", r.json()
    assert get_staff(app.db, CITRA).status == "suspended"

    # naming her own case works
    out = ok(
        pkh,
        "staff",
        "decide",
        CITRA,
        "--outcome",
        "not_guilty",
        "--case",
        citra_case,
        "--actor",
        "pusat.spm",
        "--json",
    )
    assert json.loads(out)["state"] == "reinstated"
    assert get_staff(app.db, CITRA).status == "active"


def test_a_terminated_staff_member_s_open_cases_leave_them(staffed: App, pkh: Any) -> None:
    """Andi resigns (or dies, or is terminated after SP-3) while handling a complaint: it goes
    back to the office queue, recorded as a system event naming why, as a suspension does. It
    stayed with him: a handler who can no longer act, whom nobody could replace."""
    app = staffed
    own = app.service.open_case(
        "complaint", complaint_data(level="pendamping", region="327101"), "pdp.andi"
    )
    assert own.handler == "pdp.andi"
    sanction(pkh, ANDI, "terminate", reason="resignation")
    assert get_staff(app.db, ANDI).status == "dismissed"
    assert app.service.get(own.id).handler is None
    released = app.service.history(own.id)[-1].event
    assert (released.type, released.actor) == ("HandlerReleased", "system")
    assert released.data["reason"] == f"{ANDI} diberhentikan ({andi_case(app)})"


def test_no_termination_letter_is_addressed_to_a_staff_member_who_has_died(
    staffed: App, pkh: Any
) -> None:
    """Terminated for death ("meninggal dunia", seed 002), Budi was sent a paper letter "Yth.
    Budi Op ... Dengan surat ini hubungan kerja Saudara/Saudari sebagai SDM Pelaksana PKH
    diakhiri ... Saudara/Saudari dapat menyampaikan tanggapan tertulis": a letter to the dead
    inviting their reply. The termination is recorded and ends the engagement; no letter is
    queued. A resignation is still answered with its letter."""
    app = staffed
    sanction(pkh, BUDI, "terminate", reason="death")
    dsp = next(c["id"] for c in get_staff(app.db, BUDI).cases)
    assert app.service.get(dsp).state == "terminated"
    assert get_staff(app.db, BUDI).status == "dismissed"
    assert letters(app, dsp) == []
    sanction(pkh, ANDI, "terminate", reason="resignation")
    assert [r.template for r in letters(app, andi_case(app))] == ["discipline_letter"]
