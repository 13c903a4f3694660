"""The monthly report from the real store (SQLite and PostgreSQL): numbers, CSV, HTML, the API
route, the `pkh report monthly` command and the Prefect flow's body.

March 2026 in Kota Bogor (3271) and Kota Bandung (3273), around the Nyepi and Idul Fitri
holidays (18-24 March off):
- c1 payment, Bogor: filed 2 March, walks Tabel 2 and closes on the 17th (11 working days);
  identifikasi, due 10 March, is left on the 12th (late);
- c2 payment, Bandung: filed 17 March, rejected on the 25th (1 working day);
- c3 participant data, Bogor: filed 10 March, still in dokumentasi (due 17 March) at month end,
  advanced on 2 April;
- c4 filed in April: not March's.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.http import TOKEN_TTL, create_app
from api.security import create_token
from api.wiring import App
from engine.report import ALL, SlaRow
from engine.store.report_source import iter_case_facts, stage_records
from notifications.report import build_report, read_csv_sections, render, to_csv, to_html
from tests.conftest import TEST_SECRET, WIB, Clock, complaint_data


def _at(clock: Clock, month: int, day: int, hour: int = 9) -> None:
    clock.set(datetime(2026, month, day, hour, 0, tzinfo=WIB))


@pytest.fixture
def march(app: App, clock: Clock) -> dict[str, str]:
    svc = app.service
    c1 = svc.open_case("complaint", complaint_data(type="pembayaran"), "kab.bogor").id
    _at(clock, 3, 5)
    svc.apply(c1, "advance", {}, "kab.bogor")
    _at(clock, 3, 10)
    c3 = svc.open_case("complaint", complaint_data(channel="telepon"), "kab.bogor").id
    _at(clock, 3, 12)
    svc.apply(c1, "advance", {"parties": "PT Pos"}, "kab.bogor")
    _at(clock, 3, 16)
    svc.apply(c1, "advance", {"result": "bantuan dibayarkan"}, "kab.bogor")
    _at(clock, 3, 17)
    svc.apply(c1, "advance", {"informed_via": "surat"}, "kab.bogor")
    c2 = svc.open_case(
        "complaint",
        complaint_data(type="pembayaran", region="3273", channel="web"),
        "kab.bandung",
    ).id
    _at(clock, 3, 25)
    svc.apply(c2, "reject", {"reason": "bukan_pkh", "informed_via": "surat"}, "kab.bandung")
    _at(clock, 4, 2)
    svc.apply(c3, "advance", {}, "kab.bogor")
    c4 = svc.open_case("complaint", complaint_data(), "kab.bogor").id
    return {"c1": c1, "c2": c2, "c3": c3, "c4": c4}


def test_the_store_yields_the_facts_the_month_needs(app: App, march: dict[str, str]) -> None:
    with app.db.reading() as s:
        facts = {f.id: f for f in iter_case_facts(s, "2026-03", workflow="complaint")}
        feb = list(iter_case_facts(s, "2026-02", workflow="complaint"))
        bandung = [f.id for f in iter_case_facts(s, "2026-03", region_prefix="3273")]
    assert set(facts) == {march["c1"], march["c2"], march["c3"]}  # c4 was created in April
    assert feb == [] and bandung == [march["c2"]]
    c1 = facts[march["c1"]]
    assert (c1.case_type, c1.channel, c1.entry_level, c1.status) == (
        "pembayaran",
        "surat",
        "kabupaten",
        "closed",
    )
    assert [(r.stage, r.closed) for r in c1.stages] == [
        ("dokumentasi", False),
        ("identifikasi", False),
        ("tindak_lanjut", False),
        ("pemberitahuan", True),
    ]
    ident = c1.stages[1]
    assert ident.due_at is not None and ident.due_at.astimezone(WIB).day == 10
    assert ident.left_at is not None and ident.left_at.astimezone(WIB).day == 12
    c3 = facts[march["c3"]]
    assert [r.stage for r in c3.stages] == ["dokumentasi", "identifikasi"]
    assert c3.stages[0].left_at is not None and c3.stages[0].left_at.month == 4


def test_march_numbers(app: App, march: dict[str, str]) -> None:
    r = build_report(app, "2026-03")
    assert (r.total.received, r.total.closed, r.total.overdue) == (3, 2, 1)
    kab = {row.key: (row.received, row.closed, row.overdue) for row in r.rows("kabupaten")}
    assert kab == {"3271": (2, 1, 1), "3273": (1, 1, 0)}
    types = {row.key: (row.received, row.closed, row.overdue) for row in r.rows("type")}
    assert types == {"pembayaran": (2, 2, 0), "data_peserta": (1, 0, 1)}
    assert {row.key: row.received for row in r.rows("channel")} == {
        "surat": 1,
        "telepon": 1,
        "web": 1,
    }
    assert [(row.key, row.received) for row in r.rows("provinsi")] == [("32", 3)]
    assert [(row.key, row.received) for row in r.rows("level")] == [("kabupaten", 3)]
    ttc = r.close_time()
    assert ttc is not None and (ttc.closed, ttc.median, ttc.p90) == (2, 6.0, 11)
    assert r.sla_for("dokumentasi") == SlaRow("dokumentasi", ALL, 5, 2, 2, 1)
    assert r.sla_for("identifikasi") == SlaRow("identifikasi", ALL, 3, 1, 0, 0)
    assert r.sla_for("pemberitahuan", "kabupaten") == SlaRow(
        "pemberitahuan", "kabupaten", 3, 1, 1, 0
    )
    assert r.recurring_map() == {"pembayaran": ("3271", "3273")}
    assert not r.partial
    # April, read on 2 April (the clock): c3's dokumentasi was left late; c4 received; nothing
    # is overdue yet (c3 is in identifikasi, due 7 April; c4 in dokumentasi, due 10 April)
    april = build_report(app, "2026-04")
    assert april.partial and april.recurring == ()
    assert (april.total.received, april.total.closed, april.total.overdue) == (1, 0, 0)
    assert april.sla_for("dokumentasi") == SlaRow("dokumentasi", ALL, 5, 1, 0, 0)
    # the same facts read after April ended: both deadlines have passed
    after = build_report(app, "2026-04", as_of=datetime(2026, 5, 4, 7, 0, tzinfo=WIB))
    assert not after.partial and after.total.overdue == 2
    assert after.sla_for("dokumentasi") == SlaRow("dokumentasi", ALL, 5, 1, 0, 1)
    # an officer's scope: Bandung sees its one case and no recurring problem
    scoped = build_report(app, "2026-03", "3273")
    assert scoped.total.received == 1 and scoped.recurring == () and scoped.scope == "3273"


def test_csv_parses_with_the_csv_module(app: App, march: dict[str, str]) -> None:
    text = to_csv(build_report(app, "2026-03"), datetime(2026, 4, 1, 7, 0, tzinfo=WIB))
    sections = read_csv_sections(text)
    assert list(sections) == ["dimension", "ttc_dimension", "sla_stage", "recurring_type", "meta"]
    counts = {(r["dimension"], r["key"]): r for r in sections["dimension"]}
    assert counts[("total", "all")] == {
        "dimension": "total",
        "key": "all",
        "received": "3",
        "closed": "2",
        "overdue": "1",
    }
    assert counts[("kabupaten", "3273")]["closed"] == "1"
    ttc = sections["ttc_dimension"][0]
    assert (ttc["median_working_days"], ttc["p90_working_days"]) == ("6", "11")
    ident = next(
        r for r in sections["sla_stage"] if (r["sla_stage"], r["level"]) == ("identifikasi", "all")
    )
    assert (ident["left"], ident["late"], ident["compliance_pct"]) == ("1", "1", "0")
    assert [(r["recurring_type"], r["kabupaten"]) for r in sections["recurring_type"]] == [
        ("pembayaran", "3271"),
        ("pembayaran", "3273"),
    ]
    meta = {r["meta"]: r["value"] for r in sections["meta"]}
    assert meta["month"] == "2026-03" and meta["scope"] == "all"


def test_html_has_svg_charts_and_underlines_the_recurring_problem(
    app: App, march: dict[str, str]
) -> None:
    report = build_report(app, "2026-03")
    page = to_html(report, "id", datetime(2026, 4, 1, 7, 0, tzinfo=WIB))
    assert page.count("<svg") == 4 and 'role="img"' in page
    assert '<html lang="id">' in page and "Laporan Bulanan Pengaduan PKH" in page
    assert "Maret 2026" in page and "Masalah berulang" in page
    assert "<u>3271 Kota Bogor</u>" in page and "<u>3273 Kota Bandung</u>" in page
    assert (
        "@media print" in page
        and "<script" not in page
        and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    )
    english = to_html(report, "en")
    assert '<html lang="en">' in english and "PKH Monthly Complaint Report" in english
    assert "March 2026" in english and "<svg" in english


def test_the_route_scopes_by_region_and_serves_three_formats(
    app: App, march: dict[str, str]
) -> None:
    web = create_app(app)
    if not any(getattr(r, "path", None) == "/reports/monthly" for r in web.routes):
        from api.routes_reports import router

        web.include_router(router)
    client = TestClient(web)
    now = app.service.clock()

    def get(user: str, **params: str) -> httpx.Response:
        token = create_token(user, app.settings.secret_key, now, TOKEN_TTL)
        return client.get(
            "/reports/monthly", params=params, headers={"Authorization": f"Bearer {token}"}
        )

    body = get("pusat.spm", month="2026-03").json()
    assert body["month"] == "2026-03" and body["scope"] is None
    assert body["counts"][0] == {
        "dimension": "total",
        "key": "all",
        "received": 3,
        "closed": 2,
        "overdue": 1,
    }
    bandung = get("kab.bandung", month="2026-03").json()
    assert bandung["scope"] == "3273" and bandung["counts"][0]["received"] == 1
    csv_resp = get("auditor", month="2026-03", format="csv")
    assert csv_resp.status_code == 200
    assert csv_resp.headers["content-type"].startswith("text/csv")
    assert "laporan-pengaduan-2026-03.csv" in csv_resp.headers["content-disposition"]
    assert read_csv_sections(csv_resp.text)["dimension"][0]["received"] == "3"
    html = get("admin", month="2026-03", format="html", lang="en")
    assert html.headers["content-type"].startswith("text/html")
    assert "<svg" in html.text
    # default month: the one before the clock's (2 April) -> March
    assert get("pusat.spm").json()["month"] == "2026-03"
    assert get("pdp.bogor", month="2026-03").status_code == 403
    assert get("pusat.spm", month="2026-13").status_code == 422
    assert get("pusat.spm", month="2026-03", format="pdf").status_code == 422


def test_a_browser_asking_for_a_bad_month_gets_a_page_in_the_officers_language(
    app: App,
) -> None:
    """An officer's browser (the pages' session cookie) asking for the HTML report of a month
    that is none got the API's English JSON; it gets the pages' problem page naming the month
    in the officer's language. API clients (a bearer token, format=json) still get the JSON."""
    client = TestClient(create_app(app))
    token = create_token("pusat.spm", app.settings.secret_key, app.service.clock(), TOKEN_TTL)
    html = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    client.cookies.set("pkh_session", token)
    page = client.get("/reports/monthly?format=html&month=2026-13", headers=html)
    assert page.status_code == 400 and page.headers["content-type"].startswith("text/html")
    assert "bulan: tidak ada bulan 2026-13" in page.text and "Daftar kerja" in page.text
    assert "no such month" not in page.text
    shaped = client.get("/reports/monthly?format=html&month=03-2026", headers=html)
    assert shaped.status_code == 400 and "bulan: bentuknya salah" in shaped.text
    assert "String should match" not in shaped.text
    nul = client.get("/reports/monthly?format=html&month=2026-0%00", headers=html)
    assert nul.status_code == 422 and nul.headers["content-type"].startswith("text/html")
    assert "Daftar kerja" in nul.text  # the pages' problem page, not the API's JSON
    no_format = client.get("/reports/monthly?format=pdf", headers=html)
    assert "format: bukan salah satu pilihan" in no_format.text
    client.cookies.set("lang", "en")
    english = client.get("/reports/monthly?format=html&month=2026-13", headers=html)
    assert english.status_code == 400 and "month: no such month: 2026-13" in english.text
    client.cookies.clear()
    signed_out = client.get(
        "/reports/monthly?format=html&month=2026-03", headers=html, follow_redirects=False
    )
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/login")
    bearer = {"Authorization": f"Bearer {token}"}
    for params in ("format=html&month=2026-13", "format=json&month=2026-13", "month=2026-13"):
        api = client.get(f"/reports/monthly?{params}", headers=bearer)
        assert api.status_code == 422 and api.json()["field"] == "month", params
    client.cookies.set("pkh_session", token)
    as_json = client.get("/reports/monthly?format=json&month=2026-13")
    assert as_json.status_code == 422 and as_json.json()["field"] == "month"
    shape = client.get("/reports/monthly?month=03-2026", headers=bearer)
    assert shape.status_code == 422 and shape.json()["field"] == "query.month"


def test_the_command_writes_the_report(
    app: App, march: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    import api.cli
    import api.cli_report  # noqa: F401  (registers `pkh report`)

    monkeypatch.setattr(api.cli, "_APP", app)
    runner = CliRunner()
    out = tmp_path / "maret.csv"
    result = runner.invoke(
        api.cli.app, ["report", "monthly", "--month", "2026-03", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "3 received, 2 closed, 1 overdue, 1 recurring" in result.output
    assert read_csv_sections(out.read_text(encoding="utf-8"))["meta"][0]["value"] == "2026-03"
    shown = runner.invoke(
        api.cli.app, ["report", "monthly", "--month", "2026-03", "--format", "json"]
    )
    assert shown.exit_code == 0 and '"recurring"' in shown.output
    bad = runner.invoke(api.cli.app, ["report", "monthly", "--month", "03-2026"])
    assert bad.exit_code == 2 and "error: " in bad.output


def test_the_command_refuses_a_region_that_is_not_one_instead_of_an_empty_report(
    app: App, march: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mistyped --region matched no case and printed an all-zero report, exit 0: a report
    to file that looks like a quiet month. A region is read as `pkh user add` reads one."""
    from typer.testing import CliRunner

    import api.cli
    import api.cli_report  # noqa: F401  (registers `pkh report`)

    monkeypatch.setattr(api.cli, "_APP", app)
    runner = CliRunner()
    month = ["report", "monthly", "--month", "2026-03", "--format", "json"]
    for region in ("abc", "99", "32711"):
        bad = runner.invoke(api.cli.app, [*month, "--region", region])
        assert bad.exit_code == 2 and "error: region: " in bad.output, (region, bad.output)
    spaced = runner.invoke(api.cli.app, [*month, "--region", " 32.71 "])
    assert spaced.exit_code == 0, spaced.output
    report = json.loads(spaced.output)
    assert report["scope"] == "3271" and report["counts"][0]["received"] == 2


def test_the_flow_writes_csv_and_html_for_the_previous_month(
    app: App, march: dict[str, str], db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine.settings import get_settings
    from workflows.report_flow import deployment, monthly_report

    monkeypatch.setenv("PKH_SECRET_KEY", TEST_SECRET)
    get_settings.cache_clear()
    try:
        result = monthly_report.fn(month="2026-03", database_url=db_url, out_dir=str(tmp_path))
    finally:
        get_settings.cache_clear()
    assert (result["received"], result["closed"], result["overdue"]) == (3, 2, 1)
    assert result["recurring"] == {"pembayaran": ("3271", "3273")}
    csv_file, html_file = Path(result["files"]["csv"]), Path(result["files"]["html"])
    assert csv_file.name == "laporan-pengaduan-2026-03.csv"
    assert read_csv_sections(csv_file.read_text(encoding="utf-8"))["dimension"]
    assert "<svg" in html_file.read_text(encoding="utf-8")
    cron = deployment().schedules[0].schedule
    assert (cron.cron, cron.timezone) == ("0 7 1 * *", "Asia/Jakarta")


def test_the_flow_logs_and_returns_absolute_paths_for_a_relative_out_dir(
    app: App, march: dict[str, str], db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: the flow logged `var/reports/laporan-pengaduan-2026-03.csv`, relative to
    the --source checkout a process worker runs it in, which the log does not name. The
    files it returns and logs are absolute, where they were written."""
    import logging

    from engine.settings import get_settings
    from workflows.report_flow import monthly_report

    logged: list[str] = []

    class Recorder(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            logged.append(record.getMessage())

    logger = logging.getLogger("pkh.report")  # the flow's logger outside a flow run
    recorder = Recorder()
    logger.addHandler(recorder)
    logger.setLevel(logging.INFO)
    monkeypatch.setenv("PKH_SECRET_KEY", TEST_SECRET)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    try:
        result = monthly_report.fn(month="2026-03", database_url=db_url, out_dir="var/reports")
    finally:
        get_settings.cache_clear()
        logger.removeHandler(recorder)
    want = tmp_path.resolve() / "var" / "reports" / "laporan-pengaduan-2026-03.csv"
    assert result["files"]["csv"] == str(want) and want.is_file(), result["files"]
    assert Path(result["files"]["html"]).is_absolute()
    assert any(f"-> {want}, " in line for line in logged), logged


def test_render_json_and_the_stage_records_of_an_extension(app: App) -> None:
    report = build_report(app, "2026-03")
    assert '"month": "2026-03"' in render(report, "json")
    # an extension moves the due of the stage in progress; it does not start a new one
    records = stage_records(
        [
            {
                "state": "pusat_dokumentasi",
                "stage": "dokumentasi",
                "level": "pusat",
                "status": "open",
                "stage_started_at": "2026-03-02T09:00:00+07:00",
                "stage_due": "2026-03-09T23:59:59+07:00",
                "level_due": "2026-04-15T23:59:59+07:00",
            },
            {
                "stage_due": "2026-03-12T23:59:59+07:00",
                "level_due": "2026-04-20T23:59:59+07:00",
            },
            {
                "state": "ditolak",
                "stage": None,
                "status": "closed",
                "stage_started_at": None,
                "stage_due": None,
                "level_due": None,
                "closed_at": "2026-03-11T10:00:00+07:00",
            },
        ]
    )
    (rec,) = records
    assert rec.closed and rec.level == "pusat" and rec.due_at is not None
    assert rec.due_at.day == 12 and rec.level_due is not None and rec.level_due.day == 20


def test_the_penanganan_stage_has_its_budget_at_each_level(app: App, clock: Clock) -> None:
    """Tabel 2 has no penanganan stage: its budget is the ketua kelompok's (20 working days,
    a setting) or the pendamping's (5), as the workflow configures them, not "–"; both levels
    together have no single budget."""
    svc = app.service
    _at(clock, 3, 2)
    pdp = svc.open_case(
        "complaint", complaint_data(level="pendamping", region="327101"), "pdp.bogor"
    )
    kk = svc.open_case("complaint", complaint_data(level="ketua_kelompok"), "kk.batutulis")
    _at(clock, 3, 4)  # each leaves its penanganan stage: a row for each level
    svc.apply(pdp.id, "escalate", {"reason": "perlu kabupaten"}, "pdp.bogor")
    svc.apply(kk.id, "escalate", {"reason": "perlu pendamping"}, "kk.batutulis")
    r = build_report(app, "2026-03")
    rows = {(row.stage, row.level): row.budget for row in r.sla if row.stage == "penanganan"}
    assert rows == {
        ("penanganan", ALL): None,
        ("penanganan", "ketua_kelompok"): 20,
        ("penanganan", "pendamping"): 5,
    }
