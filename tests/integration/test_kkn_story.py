"""The KKN story end to end on the store: suspension in the same transaction, reassignment,
no action while suspended, reinstatement, a second allegation; then replay and verify."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa

from api.admin import add_user
from api.wiring import App
from engine.errors import GuardRejected, InvalidInput, NotPermitted
from engine.store import audit_runner
from engine.store.repository import OUTBOX
from notifications.letters import compose
from notifications.render import render
from tests.conftest import Clock, complaint_data
from workflows.staff import add_staff, get_staff


@pytest.fixture
def staffed(app: App, clock: Clock) -> App:
    add_user(app.db, "pdp.andi", "pendamping", "327101", now=clock())
    add_user(app.db, "koord.bogor", "kabupaten", "3271", now=clock())
    add_staff(app.db, "Andi", "pendamping", "327101", username="pdp.andi", now=clock())
    add_staff(
        app.db, "Koordinator Bogor", "koordinator", "3271", username="koord.bogor", now=clock()
    )
    add_staff(app.db, "Budi", "operator", "3271", username="kab.bogor2", now=clock())
    return app


def kkn_against(app: App, name: str, actor: str = "kab.bogor") -> str:
    data = complaint_data(type="kkn", accused=name, summary="Pungutan liar saat penyaluran")
    return app.service.open_case("complaint", data, actor).id


def test_the_whole_kkn_story_replays_and_verifies(staffed: App, clock: Clock) -> None:
    app = staffed
    # Andi handles a pendamping-level case, Budi a kabupaten-level case
    own = app.service.open_case(
        "complaint", complaint_data(level="pendamping", region="327101"), "pdp.andi"
    )
    assert get_staff(app.db, "Andi").status == "active"

    # 1. a KKN complaint names Andi: suspended in the same transaction
    complaint = kkn_against(app, "Andi")
    andi = get_staff(app.db, "Andi")
    assert andi.status == "suspended"
    kkn_id = andi.cases[0]["id"]
    kkn = app.service.get(kkn_id)
    assert kkn.attrs["complaint_id"] == complaint and kkn.region == "327101"
    first = app.service.history(kkn_id)[0].event
    assert (first.type, first.actor) == ("StaffSuspended", "system")

    # 2. Andi's open case goes back to the office queue, recorded as a system event
    assert app.service.get(own.id).handler is None
    released = app.service.history(own.id)[-1].event
    assert (released.type, released.actor) == ("HandlerReleased", "system")
    assert "Andi" in released.data["reason"]

    # 3. Andi can act on nothing, the complaint about Andi included, and is told why
    for case_id in (own.id, complaint):
        with pytest.raises(GuardRejected) as err:
            app.service.apply(case_id, "advance", {"result": "x"}, "pdp.andi")
        assert err.value.reasons[0].key == "actor_suspended"
    with pytest.raises(GuardRejected, match="handler_ineligible"):
        app.service.apply(own.id, "assign", {"handler": "pdp.andi"}, "pdp.bogor")

    # 4. found not guilty: reinstated, and can act again at once
    clock.set(clock() + timedelta(days=2))
    app.service.apply(kkn_id, "find_not_guilty", {}, "pusat.spm")
    assert get_staff(app.db, "Andi").status == "active"
    app.service.apply(own.id, "assign", {"handler": "pdp.andi"}, "pdp.bogor")
    app.service.apply(own.id, "advance", {"result": "selesai", "informed_via": "surat"}, "pdp.andi")

    # 5. a second allegation suspends Andi again, in a new KKN case
    clock.set(clock() + timedelta(days=1))
    kkn_against(app, "Andi")
    andi = get_staff(app.db, "Andi")
    assert andi.status == "suspended"
    assert [c["state"] for c in andi.cases] == ["reinstated", "suspended"]

    report = audit_runner.verify(app.db)
    assert report.ok, report.problems


def test_a_suspended_kabupaten_officers_cases_go_to_the_coordinator(staffed: App) -> None:
    app = staffed
    case = app.service.open_case("complaint", complaint_data(), "kab.bogor2")  # Budi's
    assert case.handler == "kab.bogor2"
    kkn_against(app, "Budi")
    assert app.service.get(case.id).handler == "koord.bogor"
    last = app.service.history(case.id)[-1].event
    assert (last.type, last.actor, last.data["handler"]) == (
        "HandlerAssigned",
        "system",
        "koord.bogor",
    )


def test_guilty_means_dismissed_and_referred_and_the_reporter_gets_the_outcome(
    staffed: App, clock: Clock
) -> None:
    app = staffed
    kkn_against(app, "Andi")
    kkn_id = get_staff(app.db, "Andi").cases[0]["id"]
    with pytest.raises(InvalidInput, match="referred_to"):  # missing: bad input naming it
        app.service.apply(kkn_id, "find_guilty", {}, "pusat.spm")
    with pytest.raises(InvalidInput, match="referred_to"):
        app.service.apply(kkn_id, "find_guilty", {"referred_to": "tetangga"}, "pusat.spm")
    app.service.apply(kkn_id, "find_guilty", {"referred_to": "kejaksaan"}, "pusat.spm")
    assert get_staff(app.db, "Andi").status == "dismissed"
    assert app.service.get(kkn_id).attrs["referred_to"] == "kejaksaan"
    with app.db.reading() as s:
        letters = s.execute(
            sa.select(OUTBOX.c.template, OUTBOX.c.recipient)
            .where(OUTBOX.c.case_id == kkn_id)
            .order_by(OUTBOX.c.id)
        ).all()
    assert [tuple(r) for r in letters] == [
        ("kkn_suspension", "user:pdp.andi"),
        ("kkn_outcome", "reporter"),
        ("kkn_decision", "user:pdp.andi"),  # the finding, to Andi too
    ]
    # the letters go out under UPPKH Pusat, not under the accused's own office, and the
    # accused is addressed by name, not by the account name
    with app.db.reading() as s:
        rows = s.execute(sa.select(OUTBOX).where(OUTBOX.c.case_id == kkn_id)).all()
    texts = [render(r.template, "id", compose(app.db, r, clock(), "http://x").context).text
             for r in rows]  # fmt: skip
    assert all("Hormat kami,\nUPPKH Pusat" in t for t in texts), texts
    assert not any("Kecamatan" in t for t in texts)
    assert "Yth. Andi" in texts[0] and "pdp.andi" not in texts[0]


def test_the_kabupaten_gathers_information_but_does_not_clear_its_own_staff(
    staffed: App,
) -> None:
    app = staffed
    kkn_against(app, "Andi")
    kkn_id = get_staff(app.db, "Andi").cases[0]["id"]
    for trigger, data in (("find_not_guilty", {}), ("find_guilty", {"referred_to": "kpk"})):
        with pytest.raises(NotPermitted):
            app.service.apply(kkn_id, trigger, data, "kab.bogor")
    assert get_staff(app.db, "Andi").status == "suspended"


def test_a_kkn_complaint_about_someone_who_is_not_staff_suspends_nobody(staffed: App) -> None:
    app = staffed
    kkn_against(app, "Kepala Desa X")
    assert get_staff(app.db, "Andi").status == "active"
    with app.db.reading() as s:
        kinds = s.execute(sa.text("SELECT workflow FROM cases")).scalars().all()
    assert kinds == ["complaint"]


def test_reclassifying_a_complaint_as_kkn_suspends_the_named_staff(staffed: App) -> None:
    app = staffed
    case = app.service.open_case(
        "complaint", complaint_data(type="teknis_administrasi", accused="Andi"), "kab.bogor"
    )
    assert get_staff(app.db, "Andi").status == "active"
    app.service.apply(case.id, "reclassify", {"type": "kkn"}, "kab.bogor")
    assert get_staff(app.db, "Andi").status == "suspended"


def test_a_suspension_letter_to_staff_with_no_e_mail_waits_to_be_printed(
    staffed: App, clock: Clock
) -> None:
    """A formal letter to the accused (relieved of duty) is posted on paper when their account
    has no address; it is not merely logged. With an address but no e-mail channel, the same."""
    from notifications.dispatch import Dispatcher
    from notifications.paper import letter_page, waiting_letters

    app = staffed
    kkn_against(app, "Andi")
    kkn_id = get_staff(app.db, "Andi").cases[0]["id"]
    report = Dispatcher(app.db, app.settings).run_once(clock())
    with app.db.reading() as s:
        letter = s.execute(
            sa.select(OUTBOX).where(
                OUTBOX.c.case_id == kkn_id, OUTBOX.c.template == "kkn_suspension"
            )
        ).one()
    assert letter.status == "print" and letter.id in report.to_print
    waiting, more = waiting_letters(app.db, lambda state: True)
    shown = [w for w in waiting if w["id"] == letter.id]
    assert not more and shown and shown[0]["addressee"] == "Andi"
    page = letter_page(app.db, app.settings, letter.id, clock(), lambda state: True)
    assert "Yth. Andi" in page and "UPPKH Pusat" in page

    # the next suspension letter of someone with an address: with no e-mail channel
    # configured here it is printed all the same, never only logged (its address kept)
    with app.db.transaction() as s:
        s.execute(
            sa.text("UPDATE users SET email = 'andi@uppkh.example' WHERE username = 'pdp.andi'")
        )
    app.service.apply(kkn_id, "find_not_guilty", {}, "pusat.spm")
    complaint = kkn_against(app, "Andi")
    second = [c["id"] for c in get_staff(app.db, "Andi").cases if c["id"] != kkn_id]
    assert complaint and len(second) == 1
    Dispatcher(app.db, app.settings).run_once(clock())
    with app.db.reading() as s:
        row = s.execute(
            sa.select(OUTBOX).where(
                OUTBOX.c.case_id == second[0], OUTBOX.c.template == "kkn_suspension"
            )
        ).one()
    assert (row.status, row.channel, row.address) == ("print", "letter", "andi@uppkh.example")
    assert "no email channel configured" in row.last_error


def test_a_suspension_letter_printed_days_later_says_the_day_of_the_suspension(
    staffed: App, clock: Clock
) -> None:
    """The letter said 'dibebastugaskan ... terhitung sejak' the day it was rendered: a paper
    letter printed on Thursday told the staff member they were suspended from Thursday, though
    the engine had held them suspended since Monday's recording. It says Monday now; the
    letter's own date is still the day it is printed."""
    from notifications.dispatch import Dispatcher
    from notifications.paper import letter_page

    app = staffed
    kkn_against(app, "Andi")  # Monday 2 March 2026, 09:00 WIB
    kkn_id = get_staff(app.db, "Andi").cases[0]["id"]
    clock.set(clock() + timedelta(days=3))  # Thursday 5 March
    Dispatcher(app.db, app.settings).run_once(clock())
    with app.db.reading() as s:
        letter = s.execute(
            sa.select(OUTBOX).where(
                OUTBOX.c.case_id == kkn_id, OUTBOX.c.template == "kkn_suspension"
            )
        ).one()
    page = letter_page(app.db, app.settings, letter.id, clock(), lambda state: True)
    assert "terhitung sejak 2 Maret 2026" in page, page
    assert "5 Maret 2026" in page  # the letter's date: the day it is printed


@pytest.mark.parametrize("named", ["pdp.andi", "PDP.Andi", "andi", "  Andi  "])
def test_a_kkn_complaint_naming_the_accused_by_account_or_another_case_suspends_them(
    staffed: App, named: str
) -> None:
    """The filing form asks for the officer's account name; an officer may also type the
    staff name in other letters or with extra spaces. Each names Andi, who is relieved of duty
    at once (it used to be only the exact staff name: the others left him on duty silently)."""
    kkn_against(staffed, named)
    andi = get_staff(staffed.db, "Andi")
    assert andi.status == "suspended"
    assert [c["workflow"] for c in andi.cases] == ["kkn"]


def test_a_kkn_complaint_naming_nobody_on_the_staff_suspends_nobody(
    staffed: App, clock: Clock
) -> None:
    # two records answer to "budi" ignoring case: not clear who, so nobody is suspended
    add_staff(staffed.db, "BUDI", "operator", "3271", username=None, now=clock())
    kkn_against(staffed, "budi")
    kkn_against(staffed, "Kepala Desa Batutulis")
    assert get_staff(staffed.db, "Budi").status == "active"
    assert get_staff(staffed.db, "BUDI").status == "active"
    assert get_staff(staffed.db, "Andi").status == "active"


def test_the_accused_never_sees_who_reported_them(staffed: App) -> None:
    """Not confidential, yet the pendamping a KPM reported for cutting their benefit reads
    neither the complaint's reporter nor the KKN case's (DOMAIN: conflict of interest); the
    kabupaten officer handling it does."""
    from api.views import case_out

    app = staffed
    complaint = kkn_against(app, "pdp.andi")
    kkn = get_staff(app.db, "Andi").cases[0]["id"]
    andi, kab = app.service.actor("pdp.andi"), app.service.actor("kab.bogor")
    for case_id in (complaint, kkn):
        state = app.service.get(case_id)
        assert state.attrs["reporter_name"] == "Ibu Siti"
        seen = case_out(app.registry, state, andi)["attrs"]
        assert "Ibu Siti" not in str(seen) and "siti@example.org" not in str(seen)
        assert case_out(app.registry, state, kab)["attrs"]["reporter_name"] == "Ibu Siti"


def test_the_accused_does_not_see_the_reporter_when_linked_to_the_name_after_filing(
    app: App, clock: Clock
) -> None:
    """The complaint names "Rina Wulandari", who had no staff record then (nothing recorded
    her account at filing); her staff record, linked to her account, is added later. She
    still does not read who reported her, whatever case or spacing the complaint used."""
    from api.views import case_out

    data = complaint_data(type="teknis_administrasi", accused="rina  WULANDARI")
    complaint = app.service.open_case("complaint", data, "kab.bogor")
    assert "subject_user" not in complaint.attrs
    add_user(app.db, "pdp.rina", "pendamping", "327101", now=clock())
    rina = app.service.actor("pdp.rina")
    assert case_out(app.registry, complaint, rina)["attrs"]["reporter_name"] == "Ibu Siti"
    add_staff(app.db, "Rina Wulandari", "pendamping", "327101", username="pdp.rina", now=clock())
    rina = app.service.actor("pdp.rina")
    assert rina.staff_name == "Rina Wulandari"
    seen = case_out(app.registry, app.service.get(complaint.id), rina)["attrs"]
    assert "Ibu Siti" not in str(seen) and "siti@example.org" not in str(seen)
    # an officer the complaint is not about still reads the reporter
    kab = app.service.actor("kab.bogor")
    assert case_out(app.registry, complaint, kab)["attrs"]["reporter_name"] == "Ibu Siti"


def test_a_pendamping_does_not_see_the_paper_letters_of_staff_files(
    staffed: App, clock: Clock
) -> None:
    """A KKN case and a discipline record are personnel files a pendamping does not read
    (workflows.roles.WORKFLOW_READERS), yet the letters page listed their paper letters to a
    pendamping of the region, and opened them: a colleague's suspension letter, and the KKN
    outcome letter naming its reporter. The kabupaten still sees them."""
    from fastapi.testclient import TestClient

    from api.http import TOKEN_TTL, create_app
    from api.security import create_token
    from notifications.dispatch import Dispatcher

    app = staffed
    add_user(app.db, "pdp.rekan", "pendamping", "327101", now=clock())
    kkn_against(app, "Andi")
    kkn_id = get_staff(app.db, "Andi").cases[0]["id"]
    app.service.apply(kkn_id, "find_guilty", {"referred_to": "kejaksaan"}, "pusat.spm")
    Dispatcher(app.db, app.settings).run_once(clock())
    with app.db.reading() as s:
        staff_letters = s.execute(
            sa.select(OUTBOX.c.id, OUTBOX.c.template).where(
                OUTBOX.c.case_id.like("KKN-%"), OUTBOX.c.status == "print"
            )
        ).all()
    assert {t for _, t in staff_letters} == {"kkn_suspension", "kkn_outcome", "kkn_decision"}
    with TestClient(create_app(app)) as client:
        for user, sees in (("pdp.rekan", False), ("kab.bogor", True)):
            token = create_token(user, app.settings.secret_key, app.service.clock(), TOKEN_TTL)
            client.cookies.set("pkh_session", token)
            listed = client.get("/letters")
            assert listed.status_code == 200
            for letter_id, _ in staff_letters:
                opened = client.get(f"/letters/{letter_id}")
                assert (opened.status_code == 200) is sees, (user, letter_id)
                assert (f"/letters/{letter_id}" in listed.text) is sees, (user, letter_id)


def test_a_reopened_investigation_takes_the_cases_taken_since_reinstatement_off_them(
    staffed: App, clock: Clock
) -> None:
    """Reinstated, Andi takes cases again; new information reopens the investigation and
    relieves him of duty once more, so those cases leave him as on the first suspension (they
    stayed with him, who could no longer act on them and could not be replaced)."""
    app = staffed
    kkn_against(app, "Andi")
    kkn_id = get_staff(app.db, "Andi").cases[0]["id"]
    app.service.apply(kkn_id, "find_not_guilty", {}, "pusat.spm")
    own = app.service.open_case(
        "complaint", complaint_data(level="pendamping", region="327101"), "pdp.andi"
    )
    assert own.handler == "pdp.andi"
    clock.set(clock() + timedelta(days=1))
    app.service.apply(kkn_id, "reopen", {"reason": "bukti baru dari APIP"}, "kab.bogor")
    assert get_staff(app.db, "Andi").status == "suspended"
    assert app.service.get(own.id).handler is None
    released = app.service.history(own.id)[-1].event
    assert (released.type, released.actor) == ("HandlerReleased", "system")
    assert "Andi" in released.data["reason"] and kkn_id in released.data["reason"]
    assert audit_runner.verify(app.db).ok


def test_a_kkn_complaint_about_someone_already_dismissed_opens_no_case_and_sends_no_letter(
    staffed: App,
) -> None:
    """Andi was found guilty and dismissed. A later KKN complaint naming him is handled as a
    complaint, but relieves nobody of duty: it opened a second KKN case, wrote to him that he
    was "dibebastugaskan" from a post he no longer holds, and a not-guilty finding on it
    would have told its reporter his rights were restored while he stays dismissed."""
    from fastapi.testclient import TestClient

    from api.http import TOKEN_TTL, create_app
    from api.security import create_token

    app = staffed
    kkn_against(app, "Andi")
    first = get_staff(app.db, "Andi").cases[0]["id"]
    app.service.apply(first, "find_guilty", {"referred_to": "kpk"}, "pusat.spm")
    with app.db.reading() as s:
        before = s.execute(sa.select(sa.func.count()).select_from(OUTBOX)).scalar_one()
    complaint = kkn_against(app, "Andi")
    andi = get_staff(app.db, "Andi")
    assert andi.status == "dismissed" and [c["id"] for c in andi.cases] == [first]
    with app.db.reading() as s:
        letters = s.execute(
            sa.select(OUTBOX.c.template).where(OUTBOX.c.id > before)
        ).scalars().all()  # fmt: skip
    assert "kkn_suspension" not in letters
    # the complaint's page says why nobody was relieved of duty, naming the case that ended
    # the engagement to those who read personnel files
    with TestClient(create_app(app)) as client:
        for user, names_case in (("kab.bogor", True), ("pdp.bogor", False)):
            token = create_token(user, app.settings.secret_key, app.service.clock(), TOKEN_TTL)
            client.cookies.set("pkh_session", token)
            page = client.get(f"/cases/{complaint}/view")
            assert page.status_code == 200 and "sudah berakhir" in page.text, user
            assert (first in page.text) is names_case, user


@pytest.mark.parametrize("typed", ["PDP.Andi", "  pdp.ANDI "])
def test_nobody_hands_a_case_to_a_suspended_officer_by_typing_the_account_in_another_case(
    staffed: App, typed: str
) -> None:
    """The handler is taken in any letter case (recorded as the account's own name), but the
    staff register was asked about the name as typed: "PDP.Andi" matched no staff account, so
    the case went to Andi, relieved of duty, who then held it and could not act."""
    app = staffed
    own = app.service.open_case(
        "complaint", complaint_data(level="pendamping", region="327101"), "pdp.bogor"
    )
    kkn_against(app, "Andi")
    with pytest.raises(GuardRejected, match="handler_ineligible"):
        app.service.apply(own.id, "assign", {"handler": typed}, "pdp.bogor")
    assert app.service.get(own.id).handler != "pdp.andi"


@pytest.mark.parametrize("accused", ["koord.bogor", "Koordinator Bogor"])
def test_a_suspended_officer_s_case_about_the_coordinator_goes_back_to_the_office(
    staffed: App, accused: str
) -> None:
    """Budi handles a complaint about the kabupaten coordinator. A KKN complaint names Budi:
    that case cannot go to the coordinator (nobody handles a complaint about themselves), so
    it goes back to the office queue. The coordinator's refusal used to refuse the KKN
    complaint itself: not filed, and Budi left on duty."""
    app = staffed
    data = complaint_data(type="teknis_administrasi", accused=accused)
    about_coordinator = app.service.open_case("complaint", data, "kab.bogor2")
    other = app.service.open_case("complaint", complaint_data(), "kab.bogor2")
    kkn_against(app, "Budi")
    assert get_staff(app.db, "Budi").status == "suspended"
    assert app.service.get(about_coordinator.id).handler is None
    last = app.service.history(about_coordinator.id)[-1].event
    assert (last.type, last.actor) == ("HandlerReleased", "system")
    assert app.service.get(other.id).handler == "koord.bogor"


def test_a_suspended_officer_s_cases_skip_a_coordinator_whose_account_covers_another_region(
    staffed: App, clock: Clock
) -> None:
    """The coordinator's staff record is of Kota Bogor but the account is Kota Bandung's:
    it cannot handle Bogor's cases, so they go back to the office queue (the refusal used to
    refuse the KKN complaint itself)."""
    app = staffed
    add_user(app.db, "koord.salah", "kabupaten", "3273", now=clock())
    with app.db.transaction() as s:
        s.execute(sa.text("UPDATE staff SET username = 'koord.salah' WHERE name = :n"),
                  {"n": "Koordinator Bogor"})  # fmt: skip
    case = app.service.open_case("complaint", complaint_data(), "kab.bogor2")
    kkn_against(app, "Budi")
    assert get_staff(app.db, "Budi").status == "suspended"
    assert app.service.get(case.id).handler is None


def test_a_person_dismissed_while_their_kkn_case_is_open_is_not_said_restored_nor_suspended(
    staffed: App,
) -> None:
    """Andi is terminated (a legal case) while his KKN investigation runs. Found not guilty,
    the reporter was told "seluruh hak ... dipulihkan" while he stays dismissed; reopened, he
    was sent a second "dibebastugaskan" letter for a post he no longer holds."""
    app = staffed
    kkn_against(app, "Andi")
    kkn_id = get_staff(app.db, "Andi").cases[0]["id"]
    app.service.open_and_apply(
        "discipline",
        {"staff": "Andi", "region": "327101"},
        "kab.bogor",
        "terminate",
        {"reason": "legal_case"},
    )
    assert get_staff(app.db, "Andi").status == "dismissed"
    ended = next(c["id"] for c in get_staff(app.db, "Andi").cases if c["id"] != kkn_id)

    def letters_since(before: int) -> list[Any]:
        with app.db.reading() as s:
            return list(s.execute(sa.select(OUTBOX).where(OUTBOX.c.id > before)).all())

    with app.db.reading() as s:
        before = s.execute(sa.select(sa.func.max(OUTBOX.c.id))).scalar_one()
    found = app.service.apply(kkn_id, "find_not_guilty", {}, "pusat.spm")
    assert found.attrs["dismissed_by"] == ended
    assert get_staff(app.db, "Andi").status == "dismissed"
    outcome = letters_since(before)
    assert [r.template for r in outcome] == ["kkn_outcome"], outcome
    clock = app.service.clock
    for lang, said, not_said in (
        (
            "id",
            "hubungan kerja yang bersangkutan dengan PKH telah berakhir melalui perkara lain",
            "dipulihkan",
        ),
        (
            "en",
            "engagement with PKH, however, has already ended through another case",
            "have been restored",
        ),
    ):
        context = compose(app.db, outcome[0], clock(), "http://x").context
        text = render("kkn_outcome", lang, context).text
        assert said in text and not_said not in text, text

    with app.db.reading() as s:
        before = s.execute(sa.select(sa.func.max(OUTBOX.c.id))).scalar_one()
    app.service.apply(kkn_id, "reopen", {"reason": "bukti baru dari APIP"}, "kab.bogor")
    assert "kkn_suspension" not in [r.template for r in letters_since(before)]
    assert get_staff(app.db, "Andi").status == "dismissed"
    assert audit_runner.verify(app.db).ok


def _letters_of(app: App, case_id: str, template: str) -> list[tuple[str, str]]:
    """Each letter of `template` queued for the case, composed for delivery in Indonesian and
    then in English: (recipient, text) for each."""
    with app.db.reading() as s:
        rows = s.execute(
            sa.select(OUTBOX)
            .where(OUTBOX.c.case_id == case_id, OUTBOX.c.template == template)
            .order_by(OUTBOX.c.id)
        ).all()
    now = app.service.clock()
    out = []
    for r in rows:
        for lang in ("id", "en"):
            row = SimpleNamespace(**{**r._mapping, "payload": {**r.payload, "language": lang}})
            context = compose(app.db, row, now, "http://x").context
            out.append((r.recipient, render(template, lang, context).text))
    return out


def test_the_staff_member_is_told_the_finding_dismissed_or_restored(
    staffed: App, clock: Clock
) -> None:
    """The staff member got a letter relieving them of duty and then none with the finding: a
    pendamping cleared by UPPKH Pusat was never told they could go back to work, one found
    guilty never told they were dismissed (seed 003: restored at once, or dismissed)."""
    app = staffed
    kkn_against(app, "Andi")  # Monday 2 March 2026
    kkn_id = get_staff(app.db, "Andi").cases[0]["id"]
    clock.set(clock() + timedelta(days=1))
    app.service.apply(kkn_id, "find_not_guilty", {}, "pusat.spm")
    letters = _letters_of(app, kkn_id, "kkn_decision")
    assert [who for who, _ in letters] == ["user:pdp.andi"] * 2
    (_, id_text), (_, en_text) = letters
    assert "Yth. Andi" in id_text and "Hormat kami,\nUPPKH Pusat" in id_text
    assert "dinyatakan tidak bersalah" in id_text
    assert "dipulihkan terhitung sejak 3 Maret 2026" in id_text, id_text
    assert "restored from 3 March 2026: you may return to duty" in en_text, en_text

    kkn_against(app, "Budi")
    budi = next(c["id"] for c in get_staff(app.db, "Budi").cases)
    app.service.apply(budi, "find_guilty", {"referred_to": "kejaksaan"}, "pusat.spm")
    (who, id_text), (_, en_text) = _letters_of(app, budi, "kkn_decision")
    assert who == "user:kab.bogor2" and "Yth. Budi" in id_text
    assert "diberhentikan dari tugas dalam PKH terhitung sejak 3 Maret 2026" in id_text, id_text
    assert "Kejaksaan" in id_text and "dipulihkan" not in id_text
    assert "you are dismissed from PKH duties from 3 March 2026" in en_text, en_text
    assert audit_runner.verify(app.db).ok


def test_cleared_of_one_allegation_while_another_holds_is_not_said_restored(
    staffed: App,
) -> None:
    """Two KKN complaints name Andi. Cleared of the first, he stays relieved of duty by the
    second, yet the first's reporter was told "seluruh hak dan tanggung jawab yang
    bersangkutan dipulihkan": untrue until the second is decided too."""
    app = staffed
    first_complaint = kkn_against(app, "Andi")
    second_complaint = kkn_against(app, "Andi")
    first, second = (c["id"] for c in get_staff(app.db, "Andi").cases)
    assert app.service.get(first).attrs["complaint_id"] == first_complaint

    app.service.apply(first, "find_not_guilty", {}, "pusat.spm")
    assert get_staff(app.db, "Andi").status == "suspended"
    assert app.service.get(first).attrs["suspended_by"] == second_complaint
    (_, reporter_id), (_, reporter_en) = _letters_of(app, first, "kkn_outcome")
    assert "dipulihkan" not in reporter_id and "restored" not in reporter_en
    assert "Pembebastugasan yang bersangkutan atas pengaduan ini berakhir." in reporter_id
    assert "relief from duty under this complaint has ended" in reporter_en
    (_, staff_id), (_, staff_en) = _letters_of(app, first, "kkn_decision")
    assert "dipulihkan" not in staff_id and "may return to duty" not in staff_en
    held_id = f"tetap dibebastugaskan selama penyelidikan atas pengaduan nomor {second_complaint}"
    held_en = (
        f"remain relieved of duty while the investigation of complaint number {second_complaint}"
    )
    assert held_id in staff_id and held_en in staff_en, (staff_id, staff_en)

    # cleared of the second too: now restored, and both letters say so
    app.service.apply(second, "find_not_guilty", {}, "pusat.spm")
    assert get_staff(app.db, "Andi").status == "active"
    assert "suspended_by" not in app.service.get(second).attrs
    (_, reporter_id), _ = _letters_of(app, second, "kkn_outcome")
    assert "seluruh hak dan tanggung jawab yang bersangkutan dipulihkan" in reporter_id
    (_, staff_id), _ = _letters_of(app, second, "kkn_decision")
    assert "seluruh hak dan tanggung jawab Saudara/Saudari dipulihkan" in staff_id
    assert audit_runner.verify(app.db).ok


def test_a_reopening_drops_what_held_the_person_at_the_finding_it_undid(
    staffed: App, clock: Clock
) -> None:
    """Cleared of ADU-...001 while ADU-...002 still held Andi, the KKN case recorded
    suspended_by ADU-...002. Cleared of that one too, then the first investigation reopened and
    cleared again with nothing holding him: the case still said suspended_by ADU-...002 (its
    JSON, `pkh case show --json`, and the auditor's page as a value holding now), though he
    had been restored and the second finding's letters said so."""
    app = staffed
    kkn_against(app, "Andi")
    second_complaint = kkn_against(app, "Andi")
    first, second = (c["id"] for c in get_staff(app.db, "Andi").cases)
    app.service.apply(first, "find_not_guilty", {}, "pusat.spm")
    assert app.service.get(first).attrs["suspended_by"] == second_complaint
    app.service.apply(second, "find_not_guilty", {}, "pusat.spm")
    clock.set(clock() + timedelta(days=1))
    app.service.apply(first, "reopen", {"reason": "informasi baru"}, "pusat.spm")
    assert app.service.get(first).attrs.get("suspended_by") is None
    clock.set(clock() + timedelta(days=1))
    app.service.apply(first, "find_not_guilty", {}, "pusat.spm")
    assert get_staff(app.db, "Andi").status == "active"
    assert app.service.get(first).attrs.get("suspended_by") is None
    (_, staff_id), _ = _letters_of(app, first, "kkn_decision")[-2:]
    assert "seluruh hak dan tanggung jawab Saudara/Saudari dipulihkan" in staff_id
    assert audit_runner.verify(app.db).ok
