"""The officer page's handler picker offers exactly the officers the assignment's guard accepts.

Before this, the picker read every account and left out only the disabled, the suspended
account and the accused as typed: an officer relieved of duty by a KKN case (the staff
register) or named by another spelling ("KAB.BOGOR") was offered, and choosing them was
refused by the guard.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from api import page_views as pv
from api.wiring import App
from engine.errors import GuardRejected
from engine.store.repository import USERS
from tests.conftest import OFFICERS, Clock, complaint_data


def offered(app: App, case_id: str) -> list[str]:
    state = app.service.get(case_id)
    return [value for value, _ in pv._field(app, state, "assign", "handler", True, "id")["options"]]


def accepted(app: App, case_id: str, actor: str) -> list[str]:
    """The accounts the assignment's guard accepts as the handler, tried one by one."""
    out = []
    for username, *_ in OFFICERS:
        try:
            app.service.apply(case_id, "assign", {"handler": username}, actor)
        except GuardRejected:
            continue
        out.append(username)
    return out


def test_an_officer_relieved_of_duty_by_a_kkn_case_is_not_offered(app: App, clock: Clock) -> None:
    from workflows.staff import add_staff

    add_staff(app.db, "Budi Prasetyo", "operator", "3271", username="kab.bogor2", now=clock())
    case = app.service.open_case("complaint", complaint_data(), "pusat.spm")
    assert offered(app, case.id) == ["kab.bogor", "kab.bogor2"]
    app.service.open_case(
        "complaint", complaint_data(type="kkn", accused="Budi Prasetyo"), "kab.bogor"
    )
    assert offered(app, case.id) == ["kab.bogor"] == accepted(app, case.id, "kab.bogor")
    with pytest.raises(GuardRejected, match="handler_ineligible"):
        app.service.apply(case.id, "assign", {"handler": "kab.bogor2"}, "kab.bogor")


def test_the_officer_a_complaint_is_about_is_not_offered_however_it_is_typed(app: App) -> None:
    case = app.service.open_case(
        "complaint",
        complaint_data(type="teknis_administrasi", accused="KAB.BOGOR"),
        "pusat.spm",
    )
    assert offered(app, case.id) == ["kab.bogor2"] == accepted(app, case.id, "kab.bogor2")
    with pytest.raises(GuardRejected, match="handler_ineligible"):
        app.service.apply(case.id, "assign", {"handler": "kab.bogor"}, "kab.bogor2")


def test_disabled_suspended_and_other_offices_are_not_offered_and_names_are_shown(
    app: App,
) -> None:
    with app.db.transaction() as s:
        s.execute(
            sa.update(USERS).where(USERS.c.username == "kab.bogor").values(full_name="Siti Aminah")
        )
    case = app.service.open_case("complaint", complaint_data(), "pusat.spm")
    state = app.service.get(case.id)
    options = pv._field(app, state, "assign", "handler", True, "id")["options"]
    assert options == [("kab.bogor", "kab.bogor (Siti Aminah)"), ("kab.bogor2", "kab.bogor2")]
    with app.db.transaction() as s:
        s.execute(sa.update(USERS).where(USERS.c.username == "kab.bogor").values(active=False))
        s.execute(sa.update(USERS).where(USERS.c.username == "kab.bogor2").values(suspended=True))
    assert offered(app, case.id) == []


def test_an_officer_named_by_the_accused_staff_record_since_is_neither_offered_nor_reminded(
    app: App, clock: Clock
) -> None:
    """kab.bogor took the complaint; the staff record it names was linked to kab.bogor after
    filing (helper-42 #4): the guard accepted kab.bogor as handler again, and the sweep went
    on reminding the officer the complaint is about."""
    from engine.sweeper import sweep
    from notifications.letters import compose
    from notifications.render import render
    from tests.integration.test_sweep import at
    from tests.integration.test_sweep_review import OVERDUE, sweep_rows
    from workflows.staff import add_staff

    case = app.service.open_case(
        "complaint",
        complaint_data(type="teknis_administrasi", accused="Rahmat Hidayat"),
        "kab.bogor",
    )
    assert case.handler == "kab.bogor"
    add_staff(app.db, "Rahmat Hidayat", "operator", "3271", username="kab.bogor", now=clock())
    sweep(app.service, at(clock, OVERDUE))
    rows = sweep_rows(app)
    assert ("reminder_overdue", "user:kab.bogor2") in {(r.template, r.recipient) for r in rows}
    assert "user:kab.bogor" not in {r.recipient for r in rows}
    notice = next(r for r in rows if r.template == "supervisor_overdue")
    letter = compose(app.db, notice, clock(), "https://pkh.example")
    text = render(notice.template, letter.lang, letter.context).text
    assert "Petugas penanganan: kab.bogor (pihak yang diadukan)" in text
    assert offered(app, case.id) == ["kab.bogor2"] == accepted(app, case.id, "kab.bogor2")


def test_the_handler_the_case_has_is_not_offered_and_with_nobody_else_no_form(app: App) -> None:
    """Assigning the case to the officer who has it is refused (it records nothing new):
    the picker leaves them out; with nobody else able, the page says so (helper-45)."""
    case = app.service.open_case("complaint", complaint_data(), "pusat.spm")
    app.service.apply(case.id, "assign", {"handler": "kab.bogor"}, "kab.bogor")
    assert offered(app, case.id) == ["kab.bogor2"]
    with app.db.transaction() as s:
        s.execute(sa.update(USERS).where(USERS.c.username == "kab.bogor2").values(active=False))
    state = app.service.get(case.id)
    me = app.service.actor("kab.bogor")
    form = pv.event_form(app, app.registry.get("complaint"), state, me, "assign", "id")
    assert form["fields"] == [] and "Tidak ada petugas lain" in form["elsewhere"]


def test_assigning_over_the_api_tells_nothing_of_accounts_out_of_the_cases_reach(
    app: App,
) -> None:
    """A kabupaten officer typing names learns no account of another region or role, nor a
    disabled one: each is refused in the same words as a name nobody has."""
    from tests.integration.test_api import auth, client_for

    with app.db.transaction() as s:
        s.execute(sa.update(USERS).where(USERS.c.username == "kab.bogor2").values(active=False))
    case = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    client = client_for(app)

    def refusal(name: str) -> tuple[int, str]:
        r = client.post(
            f"/cases/{case.id}/events",
            json={"event": "assign", "data": {"handler": name}},
            headers=auth(app, "kab.bogor"),
        )
        return r.status_code, r.text.replace(name, "NAME")

    said = {
        name: refusal(name)
        for name in ("nobody", "kab.bandung", "pdp.bogor", "pusat.spm", "admin", "kab.bogor2")
    }
    assert len(set(said.values())) == 1, said
    status, body = said["nobody"]
    assert status == 422 and '"key":"handler_not_assignable"' in body, body
    assert app.service.get(case.id).version == 1
