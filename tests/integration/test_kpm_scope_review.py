"""The KPM review's findings at the doors: a ketua kelompok reads no household (list, case,
history, replay, pages, CLI) while its complaints stay readable; the decree date and the
reinstatement through the register's commands; `pkh kpm import` and `verify-month` name who
records them."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.http import create_app
from api.wiring import App
from engine.errors import CaseNotFound, InvalidInput
from engine.store import audit_runner
from engine.store.repository import EV
from tests.conftest import complaint_data
from tests.e2e.test_pages import sign_in
from tests.integration.test_api import auth
from tests.integration.test_kpm_import import (
    KK1,
    KK2,
    household_at_peserta,
    kpm_registered,  # noqa: F401  (autouse fixture)
    two_households,
    write_csv,
)
from workflows import kpm_store as store
from workflows.kpm_import import import_file
from workflows.roles import WORKFLOW_READERS

KETUA = "kk.batutulis"  # ketua kelompok of Batutulis (3271011001), where both households live


@pytest.fixture
def cli(app: App, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    import api.cli
    import api.cli_kpm  # noqa: F401  (registers `pkh kpm`)

    monkeypatch.setattr(api.cli, "_APP", app)
    yield CliRunner()


def households_and_a_complaint(app: App, tmp_path: Path) -> tuple[str, str, str]:
    import_file(app, write_csv(tmp_path / "hh.csv", two_households()), actor="kab.bogor")
    with app.db.reading() as s:
        first, second = store.resolve(s, KK1), store.resolve(s, KK2)
    complaint = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    return first, second, complaint.id


# ------------------------------------------------------------------------- read scope (#5)
def test_the_read_rule_is_one_table_of_which_roles_read_which_workflows(app: App) -> None:
    assert "ketua_kelompok" not in WORKFLOW_READERS["kpm"]
    assert {"pendamping", "kabupaten", "provinsi", "pusat", "auditor"} <= WORKFLOW_READERS["kpm"]
    assert "complaint" not in WORKFLOW_READERS  # every role reads complaints in its region
    # and the staff's personnel files (tests/integration/test_staff_file_scope.py)
    assert app.service.unreadable(app.service.actor(KETUA)) == ("discipline", "kkn", "kpm")
    assert app.service.unreadable(app.service.actor("pdp.bogor")) == ("discipline", "kkn")


def test_a_ketua_kelompok_finds_no_household_through_the_api(app: App, tmp_path: Path) -> None:
    household, _, complaint = households_and_a_complaint(app, tmp_path)
    client = TestClient(create_app(app), raise_server_exceptions=False)
    ketua, pendamping = auth(app, KETUA), auth(app, "pdp.bogor")

    listed = client.get("/cases", params={"workflow": "kpm", "limit": 100}, headers=ketua)
    assert listed.status_code == 200, listed.text
    assert (listed.json()["total"], listed.json()["items"]) == (0, [])
    everything = client.get("/cases", params={"limit": 100}, headers=ketua).json()
    assert [c["id"] for c in everything["items"]] == [complaint]  # its complaint, as today
    assert everything["total"] == 1
    for path in ("", "/history", "/replay"):
        answer = client.get(f"/cases/{household}{path}", headers=ketua)
        assert answer.status_code == 404, (path, answer.text)
        assert "3271010101800001" not in answer.text  # no NIK, not even in an error
    posted = client.post(
        f"/cases/{household}/events", json={"event": "pertemuan_awal", "data": {}}, headers=ketua
    )
    assert posted.status_code == 404  # as outside its region: it does not exist for it
    assert client.get(f"/cases/{complaint}", headers=ketua).status_code == 200
    assert client.get(f"/cases/{complaint}/history", headers=ketua).status_code == 200

    # the pendamping of the kecamatan reads both households, as before
    theirs = client.get("/cases", params={"workflow": "kpm"}, headers=pendamping).json()
    assert theirs["total"] == 2
    shown = client.get(f"/cases/{household}", headers=pendamping).json()
    assert shown["attrs"]["anggota"]["01"]["nama_ibu_kandung"] == "Siti"
    assert client.get(f"/cases/{household}/history", headers=pendamping).status_code == 200


def test_a_ketua_kelompok_finds_no_household_on_the_pages(app: App, tmp_path: Path) -> None:
    household, other, complaint = households_and_a_complaint(app, tmp_path)
    with TestClient(create_app(app)) as web:
        sign_in(web, app, KETUA)
        worklist = web.get("/").text
        assert f'data-case="{complaint}"' in worklist
        assert household not in worklist and other not in worklist
        page = web.get(f"/cases/{household}/view")
        assert page.status_code == 404
        assert "Tidak ditemukan" in page.text and "3271010101800001" not in page.text
        sign_in(web, app, "pdp.bogor")
        assert household in web.get("/").text
        assert web.get(f"/cases/{household}/view").status_code == 200


def test_a_ketua_kelompok_finds_no_household_through_the_cli(
    app: App, cli: CliRunner, tmp_path: Path
) -> None:
    from api.cli import app as typer_app

    household, _, complaint = households_and_a_complaint(app, tmp_path)
    for args in (
        ["kpm", "show", KK1, "--actor", KETUA],
        ["case", "show", household, "--actor", KETUA],
        ["case", "history", household, "--actor", KETUA],
        ["case", "replay", household, "--actor", KETUA],
    ):
        out = cli.invoke(typer_app, args)
        assert out.exit_code == 3, (args, out.output)
        assert "3271010101800001" not in out.output
    with pytest.raises(CaseNotFound):
        app.service.get(household, KETUA)
    assert cli.invoke(typer_app, ["case", "show", complaint, "--actor", KETUA]).exit_code == 0
    shown = cli.invoke(typer_app, ["kpm", "show", KK1, "--actor", "pdp.bogor", "--json"])
    assert shown.exit_code == 0 and json.loads(shown.stdout)["id"] == household


# ------------------------------------------------------------- decree and reinstatement
def test_a_decree_before_the_validation_is_refused_naming_tanggal_sk(
    app: App, cli: CliRunner, tmp_path: Path
) -> None:
    """The reviewer's typo: registered and validated today (2 March 2026), decreed 2025."""
    from api.cli import app as typer_app

    _, household, _ = households_and_a_complaint(app, tmp_path)
    store.apply(app, household, "validasi", {"hasil": "eligible"}, "pdp.bogor")
    before = app.service.get(household)
    args = ["kpm", "advance", household, "tetapkan", "--actor", "pusat.spm"]
    out = cli.invoke(
        typer_app, [*args, "--data", "nomor_sk=SK/1/2026", "--data", "tanggal_sk=2025-03-02"]
    )
    assert out.exit_code == 2, out.output
    assert out.stderr.startswith(
        "error: tanggal_sk: 2025-03-02 is before the household was validated (2026-03-02)"
    )
    assert app.service.get(household) == before
    ok = cli.invoke(
        typer_app, [*args, "--data", "nomor_sk=SK/1/2026", "--data", "tanggal_sk=2026-03-02"]
    )
    assert ok.exit_code == 0, ok.output
    assert app.service.get(household).state == "peserta"


def test_tidak_layak_keeps_no_stray_key_and_lainnya_needs_keterangan(
    app: App, tmp_path: Path
) -> None:
    household = household_at_peserta(app, tmp_path)
    with pytest.raises(InvalidInput) as stray:
        store.apply(
            app, household, "tidak_layak", {"alasan": "data_ganda", "foo": "bar"}, "kab.bogor"
        )
    assert stray.value.field == "foo"
    with pytest.raises(InvalidInput) as bare:
        store.apply(app, household, "tidak_layak", {"alasan": "lainnya"}, "kab.bogor")
    assert bare.value.field == "keterangan"
    said = {"alasan": "lainnya", "keterangan": "terdaftar di kabupaten lain"}
    state = store.apply(app, household, "tidak_layak", said, "kab.bogor")
    assert (state.state, state.attrs["alasan_keluar"]) == ("keluar", "lainnya")
    last = app.service.history(household)[-1].event
    assert (last.trigger, dict(last.data)) == ("tidak_layak", said)  # no stray key recorded
    assert audit_runner.verify(app.db).ok


def verification_file(path: Path, code: str, months: list[str], hadir: str) -> Path:
    with path.open("w", newline="") as f:
        csv.writer(f).writerows(
            [
                ("periode", "kode_anggota", "nik", "hadir"),
                *((m, f"{code}02", "", hadir) for m in months),
            ]
        )
    return path


def test_a_reinstated_household_is_not_suspended_again_by_the_next_missed_month(
    app: App, cli: CliRunner, tmp_path: Path
) -> None:
    from api.cli import app as typer_app

    household = household_at_peserta(app, tmp_path)
    code = app.service.get(household).attrs["kode_peserta"]
    verify = ["kpm", "verify-month", "--actor", "pdp.bogor"]
    missed = verification_file(tmp_path / "v1.csv", code, ["2025-12", "2026-01", "2026-02"], "0")
    assert cli.invoke(typer_app, [*verify, str(missed)]).exit_code == 0
    assert app.service.get(household).state == "penangguhan"
    store.apply(app, household, "pulihkan", {"alasan": "sakit, surat dokter"}, "kab.bogor")
    state = app.service.get(household)
    assert (state.state, state.attrs["bulan_tidak_patuh"], state.attrs["kepatuhan"]) == (
        "peserta",
        0,
        None,
    )
    # the officer excused the three months: the next one missed counts as the first
    march = verification_file(tmp_path / "v2.csv", code, ["2026-03"], "0")
    assert cli.invoke(typer_app, [*verify, str(march)]).exit_code == 0
    state = app.service.get(household)
    assert (state.state, state.attrs["bulan_tidak_patuh"]) == ("peserta", 1)
    assert audit_runner.verify(app.db).ok


# ----------------------------------------------------------------- who records a file (#15)
def test_import_and_verify_month_need_the_officer_who_records_them(
    app: App, cli: CliRunner, tmp_path: Path
) -> None:
    from api.cli import app as typer_app

    extract = write_csv(tmp_path / "hh.csv", two_households())
    for command in ("import", "verify-month"):
        out = cli.invoke(typer_app, ["kpm", command, str(extract)])
        assert out.exit_code == 2, out.output
        assert "--actor" in out.output
    with app.db.reading() as s:
        assert s.execute(sa.select(sa.func.count()).select_from(EV)).scalar_one() == 0
    done = cli.invoke(typer_app, ["kpm", "import", str(extract), "--actor", "kab.bogor"])
    assert done.exit_code == 0, done.output
    with app.db.reading() as s:
        actors = set(s.execute(sa.select(EV.c.actor)).scalars())
    assert actors == {"kab.bogor"}  # the events name the officer, not `system`


def test_a_ketua_kelompok_cannot_probe_the_register_through_a_complaint(
    app: App, tmp_path: Path
) -> None:
    """Naming a registered NIK in a complaint must answer as an unknown one does for a ketua
    kelompok, or the filing tells whether a person is a PKH participant (second read)."""
    households_and_a_complaint(app, tmp_path)
    refused = {}
    for nik in ("3271010101800001", "3271019999990009"):  # registered, unknown
        data = complaint_data(
            type="data_peserta", level="ketua_kelompok", region="3271011001", household=nik
        )
        with pytest.raises(InvalidInput) as e:
            app.service.open_case("complaint", data, KETUA)
        refused[nik] = (e.value.field, str(e.value).replace(nik, "NIK"))
    assert refused["3271010101800001"] == refused["3271019999990009"]
    assert refused["3271010101800001"][0] == "household"
    # a pendamping of the same desa still names it
    data = complaint_data(
        type="data_peserta", level="pendamping", region="327101", household="3271010101800001"
    )
    assert (
        app.service.open_case("complaint", data, "pdp.bogor").attrs["household"].startswith("KPM-")
    )


def test_a_complaint_page_links_the_household_it_names_for_those_who_may_open_it(
    app: App, tmp_path: Path
) -> None:
    """A data complaint naming a household: pusat, which makes the correction on that
    household's page, read the complaint's facts without it (only the timeline's filing
    line said 'Rumah tangga: 3271010101200001', the code as typed, unlinked). The facts now
    link the household; for a ketua kelompok households do not exist, so not shown."""
    from tests.e2e.test_pages import sign_in

    household, _, _ = households_and_a_complaint(app, tmp_path)
    data = complaint_data(region="3271011001", household=KK1)
    complaint = app.service.open_case("complaint", data, "kab.bogor").id
    link = f'<dd class="household-named"><a href="/cases/{household}/view">{household}</a></dd>'
    with TestClient(create_app(app)) as web:
        for officer in ("kab.bogor", "pusat.spm"):
            sign_in(web, app, officer)
            assert link in web.get(f"/cases/{complaint}/view").text, officer
        sign_in(web, app, KETUA)
        page = web.get(f"/cases/{complaint}/view")
        assert page.status_code == 200
        assert "household-named" not in page.text and household not in page.text


def test_a_ketua_kelompok_reads_a_complaint_without_the_household_it_names(
    app: App, cli: CliRunner, tmp_path: Path
) -> None:
    """The household a data complaint names was in every view of it but the page's facts:
    `attrs.household` (its case number) in the API's case, list, and replay, and the filing's
    data (the no_kk as typed) in the history, the timeline and `pkh case history`. For a
    ketua kelompok households do not exist: the complaint is read without it; an officer who
    may open the household reads it as before."""
    from api.cli import app as typer_app

    household, _, _ = households_and_a_complaint(app, tmp_path)
    data = complaint_data(region="3271011001", household=KK1)
    complaint = app.service.open_case("complaint", data, "kab.bogor").id
    secret = (household, KK1)

    def hides(text: str, where: object) -> None:
        assert all(s not in text for s in secret), (where, text)

    client = TestClient(create_app(app))
    ketua, kab = auth(app, KETUA), auth(app, "kab.bogor")
    for path in ("", "/history", "/replay"):
        answer = client.get(f"/cases/{complaint}{path}", headers=ketua)
        assert answer.status_code == 200, (path, answer.text)
        hides(answer.text, path)
    listed = client.get("/cases", params={"limit": 100}, headers=ketua)
    assert complaint in listed.text
    hides(listed.text, "/cases")
    assert client.get(f"/cases/{complaint}", headers=kab).json()["attrs"]["household"] == household
    filed = client.get(f"/cases/{complaint}/history", headers=kab).json()[0]
    assert (filed["data"]["household"], filed["changes"]["attrs"]["household"]) == secret[::-1]

    with TestClient(create_app(app)) as web:
        sign_in(web, app, KETUA)
        page = web.get(f"/cases/{complaint}/view")
        assert page.status_code == 200
        hides(page.text, "page")

    for args in (["show"], ["history"], ["replay"], ["history", "--json"], ["show", "--json"]):
        out = cli.invoke(typer_app, ["case", args[0], complaint, "--actor", KETUA, *args[1:]])
        assert out.exit_code == 0, (args, out.output)
        hides(out.output, args)
    shown = cli.invoke(typer_app, ["case", "history", complaint, "--actor", "kab.bogor"])
    assert KK1 in shown.output


def test_the_list_asks_about_the_households_its_complaints_name_in_one_read(
    app: App, tmp_path: Path
) -> None:
    """`GET /cases` asked, for each complaint on the page naming a household, whether the
    reader may open it: one read per complaint (dc5c9c9). It now asks for the page at once:
    the same number of statements with one such complaint as with five, for a reader who may
    open the household and for one who may not, and each still sees what it saw."""
    household, other, _ = households_and_a_complaint(app, tmp_path)
    client = TestClient(create_app(app))
    engines = {id(e): e for e in (app.db.read_engine, app.db.write_engine)}.values()

    def listed(user: str) -> tuple[int, dict[str, Any]]:
        sent: list[str] = []
        headers = auth(app, user)

        def capture(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
            if statement.lstrip().upper().startswith("SELECT"):
                sent.append(statement)

        for engine in engines:
            sa.event.listen(engine, "before_cursor_execute", capture)
        try:
            answer = client.get("/cases", params={"limit": 100}, headers=headers)
        finally:
            for engine in engines:
                sa.event.remove(engine, "before_cursor_execute", capture)
        assert answer.status_code == 200, answer.text
        return len(sent), answer.json()

    def file(kk: str) -> str:
        data = complaint_data(region="3271011001", household=kk)
        return app.service.open_case("complaint", data, "kab.bogor").id

    first = file(KK1)
    reads = {user: listed(user)[0] for user in (KETUA, "kab.bogor")}
    more = [file(kk) for kk in (KK2, KK1, KK2, KK1)]
    for user in (KETUA, "kab.bogor"):
        count, page = listed(user)
        assert count == reads[user], (user, count, reads[user])
        named = {c["id"]: c["attrs"].get("household") for c in page["items"]}
        assert set(named) >= {first, *more}
        if user == KETUA:
            assert all(h is None for h in named.values()), named
        else:
            assert named[first] == household and {named[c] for c in more} == {household, other}


def test_the_complaint_page_asks_about_the_household_it_names_once(
    app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The complaint's page asked twice whether the reader may open the household it names
    (once to hide it, once to link it): one read each. It asks once, and links it as before."""
    household, _, _ = households_and_a_complaint(app, tmp_path)
    data = complaint_data(region="3271011001", household=KK1)
    complaint = app.service.open_case("complaint", data, "kab.bogor").id
    asked: list[object] = []
    service = type(app.service)
    for name in ("get", "readable_of"):
        if hasattr(service, name):
            real = getattr(service, name)

            def spy(self: Any, *a: Any, _real: Any = real, **kw: Any) -> Any:
                for ids in a:  # get(case_id, ...), readable_of(who, case_ids)
                    if ids == household or (isinstance(ids, set | frozenset) and household in ids):
                        asked.append(ids)
                return _real(self, *a, **kw)

            monkeypatch.setattr(service, name, spy)
    with TestClient(create_app(app)) as web:
        sign_in(web, app, "kab.bogor")
        page = web.get(f"/cases/{complaint}/view")
    assert page.status_code == 200
    assert f"/cases/{household}/view" in page.text  # linked: kab.bogor may open it
    assert len(asked) == 1, asked


def test_a_retried_request_answers_without_the_household_its_sender_may_no_longer_open(
    app: App, tmp_path: Path
) -> None:
    """A retry under the same Idempotency-Key gets its first answer, masked by the rules as
    they stand now: by the reporter rules only, so an officer who has since become a ketua
    kelompok was given back the household the complaint names (attrs.household), which every
    other read of the complaint leaves out for them (`unseen`)."""
    from api.admin import add_user, update_user

    household, _, _ = households_and_a_complaint(app, tmp_path)
    add_user(app.db, "kab.pindah", "kabupaten", "3271", now=app.service.clock())
    client = TestClient(create_app(app))
    h = {**auth(app, "kab.pindah"), "Idempotency-Key": "filing-hh-1"}
    data = complaint_data(region="3271011001", household=KK1)
    first = client.post("/complaints", json=data, headers=h)
    assert first.status_code == 201, first.text
    assert first.json()["attrs"]["household"] == household
    complaint = first.json()["id"]
    e = {**h, "Idempotency-Key": "advance-hh-1"}
    done = client.post(f"/cases/{complaint}/events", json={"event": "advance"}, headers=e)
    assert done.status_code == 200, done.text
    assert done.json()["attrs"]["household"] == household

    update_user(app.db, "kab.pindah", actor="admin", role="ketua_kelompok", region="3271011001")
    again = client.post("/complaints", json=data, headers=h)
    assert again.status_code == 201, again.text
    assert again.json()["id"] == complaint and "household" not in again.json()["attrs"]
    assert household not in again.text and KK1 not in again.text
    redo = client.post(f"/cases/{complaint}/events", json={"event": "advance"}, headers=e)
    assert redo.status_code == 200, redo.text
    assert redo.json()["version"] == done.json()["version"]  # the first answer, replayed
    assert household not in redo.text and KK1 not in redo.text
    read = client.get(f"/cases/{complaint}", headers=auth(app, "kab.pindah"))
    assert read.status_code == 200 and "household" not in read.json()["attrs"]  # as a read


def test_the_audit_page_opens_a_household_by_its_no_kk_or_nik_within_the_auditors_scope(
    app: App, tmp_path: Path
) -> None:
    """The worklist's search opens a household by its no_kk or a member's NIK; the audit page
    took only a case number and answered 'not found' for them. It now resolves them the same
    way (page_views.find_case), in the auditor's scope: outside it, as before, not found."""
    from api.admin import add_user

    NOT_FOUND = "tidak ada, atau di luar wilayah kerja Anda"  # noqa: N806
    household, _, _ = households_and_a_complaint(app, tmp_path)
    add_user(app.db, "aud.bandung", "auditor", "3273", now=app.service.clock())
    with TestClient(create_app(app)) as web:
        sign_in(web, app, "auditor")
        for code in (KK1, "3271010101800001", f" {KK1} "):
            answer = web.get("/audit", params={"case_id": code, "at": "2026-03-02"})
            assert answer.status_code == 200, (code, answer.text)
            assert f"/audit?case_id={household}&at=2026-03-02" in str(answer.url), code
            assert f'value="{household}"' in answer.text, code
            assert NOT_FOUND not in answer.text, code
        assert web.get("/audit", params={"case_id": household.lower()}).status_code == 200
        sign_in(web, app, "aud.bandung")  # Kota Bandung's auditor: a Bogor household
        outside = web.get("/audit", params={"case_id": KK1}, follow_redirects=False)
        assert outside.status_code == 200
        assert NOT_FOUND in outside.text and household not in outside.text
