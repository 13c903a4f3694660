"""End to end through the real `pkh` command: a subprocess per call, a SQLite file per database.

Every `pkh` call costs about a second (interpreter start and imports), so the schema and the
officers are set up once (`pkh db upgrade`, `pkh user add ...`) and each test starts from a copy
of that database; independent calls run side by side.

The service refuses event times in the future or more than 60 days back from the real clock, so
the CLI tests date their events relative to today and compute the expected due dates with their
own working-day count over the project's list of non-working days. The hand-checked dates of
March/April 2026 (the Nyepi / Idul Fitri block) are pinned in `test_the_views_of_a_complaint_...`
through the `app` fixture, whose clock stands still on Monday 2 March 2026.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import complaint_data
from workflows.indonesia import build_calendar, non_working_days

WIB = timezone(timedelta(hours=7))
CASE_ID = re.compile(r"ADU-\d{4}-\d{6}")

USERS = [
    ("admin", "admin", None),
    ("kab.bogor", "kabupaten", "3271"),
    ("kab.bandung", "kabupaten", "3273"),
    ("pdp.bogor", "pendamping", "327101"),
    ("pusat.spm", "pusat", None),
]


def _pkh_executable() -> str:
    beside = Path(sys.executable).with_name("pkh")
    found = str(beside) if beside.exists() else shutil.which("pkh")
    if not found:
        pytest.skip("the pkh command is not installed")
    return found


# ------------------------------------------------------------------------------------ helpers
@dataclass
class Pkh:
    """Runs `pkh` against one SQLite file."""

    db: Path

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PKH_")}
        env["PKH_DATABASE_URL"] = f"sqlite:///{self.db}"
        return env

    def command(self, *args: str) -> list[str]:
        return [_pkh_executable(), *args]

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(*args),
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env(),
            cwd=self.db.parent,
            timeout=120,
        )

    def ok(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        r = self.run(*args, stdin=stdin)
        assert r.returncode == 0, f"pkh {' '.join(args)} -> {r.returncode}\n{r.stdout}{r.stderr}"
        return r

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args).stdout)

    def all(self, calls: Iterable[Sequence[str]]) -> list[subprocess.CompletedProcess[str]]:
        """Independent calls side by side, results in the order given."""
        calls = list(calls)
        with ThreadPoolExecutor(max_workers=4) as pool:
            return list(pool.map(lambda args: self.run(*args), calls))

    def json_all(self, *calls: Sequence[str]) -> list[Any]:
        results = self.all(calls)
        for args, r in zip(calls, results, strict=True):
            assert r.returncode == 0, f"pkh {' '.join(args)} -> {r.returncode}\n{r.stderr}"
        return [json.loads(r.stdout) for r in results]


def copy_db(src: Path, dst: Path) -> Path:
    with closing(sqlite3.connect(src)) as a, closing(sqlite3.connect(dst)) as b:
        a.backup(b)
    return dst


def sql(db: Path, *statements: tuple[str, Sequence[Any]] | str) -> None:
    with closing(sqlite3.connect(db)) as con:
        for st in statements:
            q, params = (st, ()) if isinstance(st, str) else st
            con.execute(q, params)
        con.commit()


def query(db: Path, q: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(db)) as con:
        return con.execute(q, params).fetchall()


@cache
def _non_working(years: tuple[int, ...]) -> frozenset[date]:
    return frozenset(d.date for d in non_working_days(years, []))


def wd(start: date, n: int) -> str:
    """The n-th working day after `start` (n >= 1), counted here day by day, as YYYY-MM-DD."""
    off = _non_working(tuple(range(start.year - 1, start.year + 3)))
    d, left = start, n
    while left > 0:
        d += timedelta(days=1)
        if d.weekday() < 5 and d not in off:
            left -= 1
    # the same answer from the project's calendar (a cross-check of the two ways of counting)
    assert _calendar().add_working_days(start, n) == d
    return d.isoformat()


@cache
def _calendar():  # type: ignore[no-untyped-def]
    return build_calendar()


def at(day: date, hour: int = 10) -> datetime:
    """`hour` o'clock WIB on `day`."""
    return datetime.combine(day, time(hour), tzinfo=WIB)


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def subset(view: dict[str, Any], **expected: Any) -> None:
    got = {k: view.get(k) for k in expected}
    assert got == expected, f"case view differs:\n got      {got}\n expected {expected}"


def one_line_error(r: subprocess.CompletedProcess[str]) -> str:
    """Assert the refusal shape: non-zero exit, exactly one stderr line starting 'error:'."""
    assert r.returncode != 0, f"expected a refusal, got exit 0:\n{r.stdout}"
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), f"stderr was:\n{r.stderr}"
    return lines[0]


FILE_ARGS = (
    "complaint",
    "file",
    "--type",
    "data_peserta",
    "--channel",
    "surat",
    "--level",
    "kabupaten",
    "--region",
    "3271011001",
    "--summary",
    "Nama KPM salah di data peserta",
    "--reporter-name",
    "Ibu Siti",
    "--actor",
    "kab.bogor",
    "--json",
)


def file_complaint(pkh: Pkh, received: datetime) -> str:
    filed = pkh.json(*FILE_ARGS, "--received", received.isoformat())
    assert CASE_ID.fullmatch(filed["id"]), filed
    return str(filed["id"])


# ------------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="session")
def users_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database with the officers, built once through the CLI."""
    pkh = Pkh(tmp_path_factory.mktemp("template") / "pkh.db")
    out = pkh.ok("db", "upgrade")
    assert "database at head" in out.stdout
    results = pkh.all(
        ["user", "add", name, "--role", role, *(["--region", reg] if reg else []), "--no-password"]
        for name, role, reg in USERS
    )
    for r in results:
        assert r.returncode == 0, r.stderr
    assert set(query(pkh.db, "SELECT username, role, region FROM users")) == set(USERS)
    return pkh.db


@pytest.fixture
def pkh(users_db: Path, tmp_path: Path) -> Pkh:
    return Pkh(copy_db(users_db, tmp_path / "pkh.db"))


# ----------------------------------------------------------------- 1. a complaint, step by step
def test_a_complaint_filed_at_kabupaten_escalated_to_pusat_and_closed_shows_right_due_dates_at_every_step(  # noqa: E501
    pkh: Pkh,
) -> None:
    today = datetime.now(WIB).date()
    base = today - timedelta(days=30)
    # 20:30 UTC the evening before is 03:30 WIB on `base`: the office's local date counts.
    received = datetime.combine(base - timedelta(days=1), time(20, 30), tzinfo=UTC)
    case_id = file_complaint(pkh, received)

    shown = pkh.json("case", "show", case_id, "--actor", "kab.bogor", "--json")
    subset(
        shown,
        id=case_id,
        level="kabupaten",
        state="kabupaten_dokumentasi",
        stage="dokumentasi",
        status="open",
        zone="WIB",
        stage_due=wd(base, 5),
        level_due=wd(base, 26),
        handler="kab.bogor",
        version=1,
    )
    assert {"advance", "escalate", "reject", "assign"} <= set(shown["allowed_events"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", shown["stage_due"])

    def step(day: date, *args: str, actor: str) -> dict[str, Any]:
        return pkh.json(
            "case",
            "advance",
            case_id,
            *args,
            "--actor",
            actor,
            "--at",
            at(day).isoformat(),
            "--json",
        )

    # kabupaten: dokumentasi (5) -> identifikasi (3); the level clock keeps running
    d1 = base + timedelta(days=2)
    v = step(d1, "advance", actor="kab.bogor")
    subset(
        v,
        level="kabupaten",
        state="kabupaten_identifikasi",
        stage="identifikasi",
        status="open",
        stage_due=wd(d1, 3),
        level_due=wd(base, 26),
        handler="kab.bogor",
        version=2,
    )

    # escalate to pusat: a new level, so both clocks restart from the escalation day
    d2 = base + timedelta(days=4)
    v = step(d2, "escalate", "--data", "reason=perbaikan Master Database", actor="kab.bogor")
    subset(
        v,
        level="pusat",
        state="pusat_dokumentasi",
        stage="dokumentasi",
        status="open",
        zone="WIB",
        stage_due=wd(d2, 5),
        level_due=wd(d2, 26),
        handler=None,
        version=3,
    )
    shown, kab_view = pkh.json_all(
        ("case", "show", case_id, "--actor", "pusat.spm", "--json"),
        ("case", "show", case_id, "--actor", "kab.bogor", "--json"),
    )
    same = (
        "id",
        "level",
        "state",
        "stage",
        "status",
        "region",
        "zone",
        "stage_due",
        "level_due",
        "handler",
        "version",
        "attrs",
    )
    assert {k: shown[k] for k in same} == {k: v[k] for k in same}
    assert "advance" in shown["allowed_events"]
    assert kab_view["allowed_events"] == []  # the case has left kabupaten's hands

    # pusat walks Tabel 2: dokumentasi 5, identifikasi 3, tindak lanjut 15, pemberitahuan 3
    d3 = base + timedelta(days=6)
    v = step(d3, "advance", actor="pusat.spm")
    subset(
        v,
        state="pusat_identifikasi",
        stage="identifikasi",
        stage_due=wd(d3, 3),
        level_due=wd(d2, 26),
        version=4,
    )
    d4 = base + timedelta(days=9)
    v = step(d4, "advance", "--data", "parties=Dinas Sosial Kota Bogor", actor="pusat.spm")
    subset(
        v,
        state="pusat_tindak_lanjut",
        stage="tindak_lanjut",
        stage_due=wd(d4, 15),
        level_due=wd(d2, 26),
        version=5,
    )
    d5 = base + timedelta(days=20)
    v = step(d5, "advance", "--data", "result=data diperbaiki", actor="pusat.spm")
    subset(
        v,
        state="pusat_pemberitahuan",
        stage="pemberitahuan",
        stage_due=wd(d5, 3),
        level_due=wd(d2, 26),
        version=6,
    )
    d6 = base + timedelta(days=23)
    v = step(d6, "advance", "--data", "informed_via=surat", actor="pusat.spm")
    subset(v, state="selesai", status="closed", stage_due=None, level_due=None, version=7)
    assert datetime.fromisoformat(v["closed_at"]) == at(d6)
    assert v["attrs"]["outcome"] == "resolved"
    assert v["attrs"]["informed_via"] == "surat"

    show, hist, verified = pkh.all(
        [
            ("case", "show", case_id, "--json"),
            ("case", "history", case_id, "--json"),
            ("audit", "verify"),
        ]
    )
    shown, history = json.loads(show.stdout), json.loads(hist.stdout)
    subset(shown, state="selesai", status="closed", stage_due=None, level_due=None, version=7)
    assert [h["version"] for h in history] == list(range(1, 8))
    assert [h["type"] for h in history] == [
        "ComplaintFiled",
        "StageAdvanced",
        "CaseEscalated",
        "StageAdvanced",
        "StageAdvanced",
        "StageAdvanced",
        "CaseResolved",
    ]
    assert [h["actor"] for h in history] == ["kab.bogor"] * 3 + ["pusat.spm"] * 4

    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("ok: 1 case, 7 events")


def test_the_views_of_a_complaint_received_monday_2_march_2026_count_past_the_nyepi_and_idul_fitri_block(  # noqa: E501
    app, clock
) -> None:  # type: ignore[no-untyped-def]
    """Hand-checked dates. 2026: 18 Mar cuti Nyepi, 19 Nyepi, 20 cuti Idul Fitri, 21-22 Idul Fitri
    (weekend), 23-24 cuti Idul Fitri; 3 Apr Good Friday. The CLI prints exactly `case_view`."""
    from api.views import case_view

    state = app.service.open_case("complaint", complaint_data(), "kab.bogor")  # Mon 2 Mar 09:00
    v = case_view(app, state, "kab.bogor")
    # 5 wd: 3,4,5,6,9 Mar. 26 wd: 3-6, 9-13, 16-17 Mar (11), 25-27, 30-31 Mar (16), 1-2 Apr (18),
    # 6-10 Apr (23), 13-15 Apr (26).
    subset(
        v,
        state="kabupaten_dokumentasi",
        stage_due="2026-03-09",
        level_due="2026-04-15",
        handler="kab.bogor",
        version=1,
    )

    clock.set(datetime(2026, 3, 4, 10, 0, tzinfo=WIB))  # Wednesday: identifikasi, 3 wd
    v = case_view(app, app.service.apply(state.id, "advance", {}, "kab.bogor"), "kab.bogor")
    subset(v, state="kabupaten_identifikasi", stage_due="2026-03-09", level_due="2026-04-15")

    clock.set(datetime(2026, 3, 17, 10, 0, tzinfo=WIB))  # Tuesday before the block: escalate
    st = app.service.apply(state.id, "escalate", {"reason": "perlu pusat"}, "kab.bogor")
    v = case_view(app, st, "pusat.spm")
    # 5 wd: 25,26,27,30,31 Mar. 26 wd: 25-27,30-31 Mar (5), 1-2 Apr (7), 6-10 (12), 13-17 (17),
    # 20-24 (22), 27-30 Apr (26).
    subset(
        v,
        level="pusat",
        state="pusat_dokumentasi",
        stage_due="2026-03-31",
        level_due="2026-04-30",
        handler=None,
        version=3,
    )


def test_a_makassar_complaint_received_late_evening_in_jakarta_counts_from_the_wita_date(
    app, clock
) -> None:  # type: ignore[no-untyped-def]
    from api.views import case_view

    # Monday 2 March 23:30 WIB is Tuesday 3 March 00:30 WITA, Makassar's own date.
    clock.set(datetime(2026, 3, 2, 23, 45, tzinfo=WIB))
    received = datetime(2026, 3, 2, 23, 30, tzinfo=WIB)
    st = app.service.open_case(
        "complaint", complaint_data(region="7371"), "kab.makassar", at=received
    )
    v = case_view(app, st, "kab.makassar")
    # 5 wd after Tue 3 Mar: 4,5,6,9,10
    subset(v, zone="WITA", stage_due="2026-03-10")
    assert datetime.fromisoformat(v["stage_due_at"]) == datetime(
        2026, 3, 10, 23, 59, 59, tzinfo=timezone(timedelta(hours=8))
    )


# ------------------------------------------------------------------------------- 2. tampering
def _tamper_update_payload(db: Path, case_id: str) -> None:
    sql(
        db,
        (
            "UPDATE case_events SET payload = json_set(payload, '$.data.summary', "
            "'Ringkasan diubah diam-diam') WHERE case_id = ? AND version = 1",
            (case_id,),
        ),
    )


def _tamper_delete_middle(db: Path, case_id: str) -> None:
    sql(db, ("DELETE FROM case_events WHERE case_id = ? AND version = 2", (case_id,)))


def _tamper_swap_versions(db: Path, case_id: str) -> None:
    sql(
        db,
        ("UPDATE case_events SET version = -1 WHERE case_id = ? AND version = 2", (case_id,)),
        ("UPDATE case_events SET version = 2 WHERE case_id = ? AND version = 3", (case_id,)),
        ("UPDATE case_events SET version = 3 WHERE case_id = ? AND version = -1", (case_id,)),
    )


def _tamper_insert_copy(db: Path, case_id: str) -> None:
    cols = (
        "case_id, event_type, payload, workflow, workflow_version, actor, role, "
        "occurred_at, recorded_at, prev_hash, hash"
    )
    sql(
        db,
        (
            f"INSERT INTO case_events (version, {cols}) SELECT version + 1, {cols} "
            "FROM case_events WHERE case_id = ? AND version = 3",
            (case_id,),
        ),
    )


def _delete_case(db: Path, case_id: str) -> None:
    sql(
        db,
        ("DELETE FROM case_events WHERE case_id = ?", (case_id,)),
        ("DELETE FROM outbox WHERE case_id = ?", (case_id,)),
        ("DELETE FROM cases WHERE id = ?", (case_id,)),
    )


def _tamper_delete_case_after_checkpoint(db: Path, case_id: str) -> None:
    _delete_case(db, case_id)  # the database was sealed with `pkh audit checkpoint` beforehand


def _tamper_delete_newest_case_and_its_number_after_checkpoint(db: Path, case_id: str) -> None:
    """The thorough forger also winds the case counter back: only the checkpoint can tell."""
    newest = query(db, "SELECT max(id) FROM cases")[0][0]
    _delete_case(db, newest)
    key = newest.rsplit("-", 1)[0]
    sql(db, ("UPDATE case_counters SET last = last - 1 WHERE key = ?", (key,)))


SEALED = {
    _tamper_delete_case_after_checkpoint,
    _tamper_delete_newest_case_and_its_number_after_checkpoint,
}


@pytest.fixture(scope="module")
def three_cases(users_db: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """Three complaints; the middle one has three events (filed, advanced, advanced).

    Returns the database, a copy of it sealed by `pkh audit checkpoint`, and the middle id.
    """
    pkh = Pkh(copy_db(users_db, tmp_path_factory.mktemp("three") / "pkh.db"))
    received = now_utc() - timedelta(hours=3)
    with ThreadPoolExecutor(max_workers=3) as pool:
        ids = sorted(pool.map(lambda _: file_complaint(pkh, received), range(3)))
    assert len(set(ids)) == 3
    middle = ids[1]
    pkh.ok("case", "advance", middle, "advance", "--actor", "kab.bogor")
    pkh.ok(
        "case",
        "advance",
        middle,
        "advance",
        "--actor",
        "kab.bogor",
        "--data",
        "parties=Dinas Sosial",
    )
    sealed = Pkh(copy_db(pkh.db, pkh.db.with_name("sealed.db")))
    with ThreadPoolExecutor(max_workers=2) as pool:
        verifying = pool.submit(pkh.run, "audit", "verify")
        sealing_ = pool.submit(sealed.run, "audit", "checkpoint")
    verified, sealing = verifying.result(), sealing_.result()
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("ok: 3 cases, 5 events")
    assert sealing.returncode == 0 and "3 cases, 5 events" in sealing.stdout, sealing.stderr
    return pkh.db, sealed.db, middle


TAMPERS = [
    _tamper_update_payload,
    _tamper_delete_middle,
    _tamper_swap_versions,
    _tamper_insert_copy,
    _tamper_delete_case_after_checkpoint,
    _tamper_delete_newest_case_and_its_number_after_checkpoint,
]


@pytest.fixture(scope="module")
def tampered(
    three_cases: tuple[Path, Path, str], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, subprocess.CompletedProcess[str]]:
    """Each tampering applied to its own fresh copy; `pkh audit verify` run on all side by side."""
    plain, sealed, case_id = three_cases
    copies = []
    for tamper in TAMPERS:
        db = copy_db(
            sealed if tamper in SEALED else plain,
            tmp_path_factory.mktemp(tamper.__name__) / "pkh.db",
        )
        tamper(db, case_id)
        copies.append(Pkh(db))
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda p: p.run("audit", "verify"), copies))
    return {t.__name__: r for t, r in zip(TAMPERS, results, strict=True)}


@pytest.mark.parametrize("tamper", TAMPERS, ids=lambda f: f.__name__.removeprefix("_tamper_"))
def test_audit_verify_fails_and_names_the_case_when_the_event_log_is_tampered_with(
    tamper, three_cases, tampered
) -> None:  # type: ignore[no-untyped-def]
    case_id = three_cases[2]
    r = tampered[tamper.__name__]
    assert r.returncode != 0, f"tampering went unnoticed:\n{r.stdout}"
    out = r.stdout + r.stderr
    assert "TAMPERED" in r.stderr, out
    if tamper is _tamper_delete_newest_case_and_its_number_after_checkpoint:
        # no number is missing: the heads the checkpoint sealed tell, and name the case
        newest = query(three_cases[0], "SELECT max(id) FROM cases")[0][0]
        assert newest in out and "checkpoint 1" in out and "events are gone" in out, out
    else:
        assert case_id in out, out


def test_removing_the_checkpoints_as_well_is_told_by_the_audit_runs_and_by_an_anchor(
    three_cases: tuple[Path, Path, str], tmp_path: Path
) -> None:
    """The forger who deletes the newest case, winds its number back and then deletes every
    checkpoint too: an earlier recorded audit run remembers the checkpoints it verified; with
    the runs deleted as well, the store cannot tell by itself, and the anchor the auditor kept
    outside it does."""
    _, sealed, case_id = three_cases
    (digest,) = query(sealed, "SELECT digest FROM audit_checkpoints WHERE id = 1")[0]
    pkh = Pkh(copy_db(sealed, tmp_path / "pkh.db"))
    assert pkh.ok("audit", "verify", "--anchor", f"1:{digest}").stdout.startswith("ok:")
    _tamper_delete_newest_case_and_its_number_after_checkpoint(pkh.db, case_id)
    sql(pkh.db, "DELETE FROM audit_checkpoints")
    told = pkh.run("audit", "verify", "--no-record")
    assert told.returncode == 1 and "checkpoints were removed" in told.stderr, told.stderr

    sql(pkh.db, "DELETE FROM audit_runs")
    blind, anchored = pkh.all(
        [
            ("audit", "verify", "--no-record"),
            ("audit", "verify", "--no-record", "--anchor", f"1:{digest}"),
        ]
    )
    assert blind.returncode == 0  # what a store alone can say about itself ends here
    assert anchored.returncode == 1
    assert "the anchored checkpoint 1" in anchored.stderr and "gone" in anchored.stderr
    # a script reading the JSON finds the checkpoint named apart from the cases
    as_json = pkh.run("audit", "verify", "--no-record", "--json", "--anchor", f"1:{digest}")
    (gone,) = json.loads(as_json.stdout)["problems"]
    assert (gone["case_id"], gone["checkpoint"], gone["kind"]) == (None, 1, "checkpoint_missing")
    bad = pkh.run("audit", "verify", "--anchor", "1:abc")
    assert bad.returncode == 2 and "anchor" in one_line_error(bad)
    # sealing again gives the next anchor, as JSON for a script to keep
    sealed_again = pkh.json("audit", "checkpoint", "--json")
    assert sealed_again["anchor"] == f"{sealed_again['id']}:{sealed_again['digest']}"
    assert pkh.ok("audit", "verify", "--anchor", sealed_again["anchor"]).returncode == 0


@dataclass
class ReadOnlyPkh(Pkh):
    """`pkh` as a user who may only read the file: under root (which may write any file) the
    call drops to the `nobody` user."""

    def command(self, *args: str) -> list[str]:
        user = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        return [*(user if os.geteuid() == 0 else []), *super().command(*args)]


def test_a_copy_on_read_only_media_is_verified_and_read_and_a_write_says_why_it_fails(
    three_cases: tuple[Path, Path, str], tmp_path: Path
) -> None:
    """An auditor checks a copy they may not write (read-only media, another user's file): the
    file is opened read-only (a WAL database with no -shm beside it, as immutable); verify
    without recording and the read commands work; a command that writes says the database is
    read-only and what does work. A -wal holding writes that cannot be read is refused, not
    silently left out."""
    import tempfile

    _, sealed, case_id = three_cases
    folder = Path(tempfile.mkdtemp(prefix="pkh-ro-"))  # outside pytest's root-only folder
    try:
        db = copy_db(sealed, folder / "pkh.db")
        db.chmod(0o444)
        folder.chmod(0o555)
        pkh = ReadOnlyPkh(db)
        verified, recorded, shown, history = pkh.all(
            [
                ("audit", "verify", "--no-record", "--json"),
                ("audit", "verify"),
                ("case", "show", case_id, "--json"),
                ("case", "history", case_id, "--json"),
            ]
        )
        assert verified.returncode == 0, verified.stderr
        found = json.loads(verified.stdout)
        assert (found["ok"], found["cases"], found["events"], found["checkpoints"]) == (
            True,
            3,
            5,
            1,
        )
        assert recorded.returncode == 1
        assert one_line_error(recorded).startswith("error: the database is read-only")
        assert "pkh audit verify --no-record" in recorded.stderr
        assert shown.returncode == 0 and json.loads(shown.stdout)["id"] == case_id
        assert history.returncode == 0 and len(json.loads(history.stdout)) == 3
        assert sorted(p.name for p in folder.iterdir()) == ["pkh.db"]  # nothing written
        # and backed up from there, to a folder that can be written
        out = Path(tempfile.mkdtemp(prefix="pkh-ro-out-"))
        try:
            out.chmod(0o777)
            pkh.ok("db", "backup", str(out / "copy.db"))
            assert query(out / "copy.db", "SELECT count(*) FROM cases") == [(3,)]
        finally:
            shutil.rmtree(out)

        folder.chmod(0o755)  # a copy taken with its -wal, writes not yet checkpointed
        writable = copy_db(sealed, tmp_path / "busy.db")
        with closing(sqlite3.connect(writable)) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA wal_autocheckpoint=0")
            conn.execute("CREATE TABLE scratch (x)")
            conn.commit()
            shutil.copy(writable, folder / "busy.db")
            shutil.copy(f"{writable}-wal", folder / "busy.db-wal")
        (folder / "busy.db").chmod(0o444)
        folder.chmod(0o555)
        busy = ReadOnlyPkh(folder / "busy.db").run("audit", "verify", "--no-record")
        assert busy.returncode == 1
        assert "busy.db-wal holds writes not yet in the file" in busy.stderr, busy.stderr
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)


def test_audit_verify_says_when_its_totals_are_partial_and_when_an_anchor_matched(
    three_cases: tuple[Path, Path, str], tmp_path: Path
) -> None:
    """--no-record without --all stops at the first problem: its totals are marked partial
    (`complete: false`) and the text says how to see everything; a recorded run names itself;
    the ok line confirms the anchor it was given."""
    _, sealed, _ = three_cases
    (digest,) = query(sealed, "SELECT digest FROM audit_checkpoints WHERE id = 1")[0]
    pkh = Pkh(copy_db(sealed, tmp_path / "pkh.db"))
    anchor = f"1:{digest}"
    clean, clean_json, listed, listed_json = pkh.all(
        [
            ("audit", "verify", "--no-record", "--anchor", anchor),
            ("audit", "verify", "--no-record", "--anchor", anchor, "--json"),
            ("audit", "checkpoints"),
            ("audit", "checkpoints", "--json"),
        ]
    )
    # the anchors of past checkpoints can be listed again, to compare or keep
    (only,) = json.loads(listed_json.stdout)
    assert (only["id"], only["cases"], only["events"], only["anchor"]) == (1, 3, 5, anchor)
    assert listed.stdout.strip().endswith(f"3 cases, 5 events  anchor {anchor}"), listed.stdout
    assert clean.returncode == 0, clean.stderr
    assert clean.stdout.strip() == (
        f"ok: 3 cases, 5 events, 1 checkpoint verified; anchor 1:{digest[:16]}... matches"
    )
    whole = json.loads(clean_json.stdout)
    assert (whole["ok"], whole["complete"]) == (True, True)
    assert whole["anchors"] == [{"checkpoint": 1, "digest": digest, "matched": True}]

    sql(pkh.db, "UPDATE cases SET level = 'pusat'")  # every projection altered
    partial_json, partial, everything = pkh.all(
        [
            ("audit", "verify", "--no-record", "--json", "--anchor", anchor),
            ("audit", "verify", "--no-record"),
            ("audit", "verify", "--no-record", "--all", "--json"),
        ]
    )
    stopped = json.loads(partial_json.stdout)
    assert partial_json.returncode == 1
    assert (stopped["ok"], stopped["complete"], stopped["problem_count"]) == (False, False, 1)
    assert stopped["cases"] < 3  # counted up to the first problem only
    assert stopped["anchors"] == [{"checkpoint": 1, "digest": digest, "matched": None}]
    assert partial.returncode == 1
    last = partial.stderr.strip().splitlines()[-1]
    assert last.startswith("stopped at the first problem after") and "partial" in last
    assert "--all checks everything and lists every problem" in last
    full = json.loads(everything.stdout)
    assert (full["complete"], full["problem_count"], full["cases"]) == (True, 3, 3)

    recorded = pkh.run("audit", "verify")
    assert recorded.returncode == 1
    run_id = query(pkh.db, "SELECT max(id) FROM audit_runs")[0][0]
    last = recorded.stderr.strip().splitlines()[-1]
    assert last == (
        f"3 problems in all (--all lists them); audit run {run_id}: 3 cases, 5 events, "
        "1 checkpoint verified"
    )


def test_dispatch_shows_log_deliveries_and_prints_paper_letters(
    users_db: Path, tmp_path: Path
) -> None:
    """No SMTP or SMS gateway here: an officer's reminder goes to the log (shown on stderr);
    reporters' acknowledgements are paper letters, printed as A4 pages, the one to an e-mail
    address too (a letter the log alone held would be lost)."""
    pkh = Pkh(copy_db(users_db, tmp_path / "pkh.db"))
    # received a month ago; swept (as a missed sweep is run) at 10 o'clock WIB on the 10th
    # working day after: past the first stage's 5 working days, and still in the past (a
    # sweep in the future is refused: it would date events after the officers' next actions)
    month_ago = now_utc().astimezone(WIB).date() - timedelta(days=30)
    received = at(date.fromisoformat(wd(month_ago, 1))).isoformat()
    by_mail = pkh.json(
        *FILE_ARGS, "--reporter-contact", "siti@example.org", "--received", received
    )["id"]
    by_post = pkh.json(*FILE_ARGS, "--received", received)["id"]
    later = at(date.fromisoformat(wd(month_ago, 11))).isoformat()
    assert datetime.fromisoformat(later) < now_utc()
    future = (now_utc() + timedelta(days=1)).isoformat()
    refused = pkh.run("sweep", "--now", future)
    assert refused.returncode == 2 and "in the future" in one_line_error(refused)
    swept = pkh.json("sweep", "--now", later, "--json")
    assert swept["messages"] >= 1, swept
    # the real time is told in WIB, to the second (it was UTC with microseconds)
    told = pkh.ok("sweep").stdout.splitlines()[0]
    assert re.match(r"sweep at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00: ", told), told
    sent = pkh.ok("dispatch")
    counts = dict(zip(sent.stdout.split()[::2], map(int, sent.stdout.split()[1::2]), strict=True))
    assert counts["to_print:"] == 2 and counts["sent:"] >= 1, sent.stdout
    assert sent.stderr.startswith("log: message pkh-outbox-"), sent.stderr  # the reminders
    printed = pkh.json("outbox", "print", "--out", str(tmp_path / "letters"), "--json")
    assert sorted(p["case_id"] for p in printed["printed"]) == sorted([by_mail, by_post])
    pages = [Path(p["file"]).read_text(encoding="utf-8") for p in printed["printed"]]
    assert all("Yth. Ibu Siti" in page for page in pages)
    listed = pkh.json("outbox", "list", "--status", "printed", "--json")
    assert sorted(r["case_id"] for r in listed) == sorted([by_mail, by_post])
    unknown = pkh.run("outbox", "list", "--status", "lost")
    assert unknown.returncode == 2 and "status" in one_line_error(unknown)
    assert "skipped" in one_line_error(unknown)


# ---------------------------------------------------------------------------- 3. bad input
@dataclass(frozen=True)
class Bad:
    name: str
    args: tuple[str, ...]
    mentions: tuple[str, ...] = ()


@pytest.fixture(scope="module")
def refusals(users_db: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One case at kabupaten identifikasi (version 2); every bad command is run against it.

    Snapshots of what the CLI shows and of every table are taken before and after.
    """
    pkh = Pkh(copy_db(users_db, tmp_path_factory.mktemp("bad") / "pkh.db"))
    now = now_utc()
    case_id = file_complaint(pkh, now - timedelta(hours=2))
    pkh.ok("case", "advance", case_id, "advance", "--actor", "kab.bogor")
    other = case_id[:-6] + "999999"
    file_args = [a for a in FILE_ARGS if a != "--json"]

    def filed(**opts: str) -> tuple[str, ...]:
        args = list(file_args) + ["--received", (now - timedelta(hours=1)).isoformat()]
        for k, val in opts.items():
            i = args.index("--" + k.replace("_", "-"))
            args[i + 1] = val
        return tuple(args)

    def advance(*extra: str, actor: str = "kab.bogor", case: str = case_id) -> tuple[str, ...]:
        return ("case", "advance", case, *extra, "--actor", actor)

    bad = [
        Bad("unknown_type", filed(type="bantuan_lain"), ("type",)),
        Bad("bad_region_code", filed(region="3299"), ("region", "3299")),
        Bad(
            "received_in_the_future",
            filed(received=(now + timedelta(days=1)).isoformat()),
            ("future",),
        ),
        Bad("received_without_zone", filed(received="2026-01-05T10:00:00"), ("offset",)),
        Bad("unknown_actor_filing", filed(actor="siapa.saja"), ("siapa.saja",)),
        Bad(
            "unknown_household",
            (*filed(), "--household", "KPM-2026-999999"),
            ("household", "KPM-2026-999999"),
        ),
        Bad("unknown_event", advance("terbangkan"), ("terbangkan",)),
        Bad(
            "wrong_role",
            advance("advance", "--data", "parties=x", actor="pdp.bogor"),
            ("pendamping",),
        ),
        Bad(
            "wrong_region",
            advance("advance", "--data", "parties=x", actor="kab.bandung"),
            (f"case not found: {case_id}",),
        ),
        Bad(
            "no_such_case",
            advance("advance", actor="kab.bandung", case=other),
            (f"case not found: {other}",),
        ),
        Bad(
            "stale_version",
            advance("advance", "--data", "parties=x", "--if-version", "1"),
            ("version 2",),
        ),
        Bad("missing_parties", advance("advance"), ("parties",)),
        Bad(
            "unknown_actor_advancing",
            advance("advance", "--data", "parties=x", actor="siapa.saja"),
            ("siapa.saja",),
        ),
        # usage errors (Typer's own checks) are told the same way, not in a box
        Bad(
            "unknown_option",
            ("calendar", "deadline", "2026-03-17", "-3"),
            ("-3", "pkh calendar deadline --help"),
        ),
        Bad("year_out_of_range", ("calendar", "holidays", "1800"), ("year", "2004")),
        Bad("deadline_of_no_days", ("calendar", "deadline", "2026-03-20", "0"), ("'n'", "1")),
        Bad("unknown_command", ("terbang",), ("terbang",)),
        # a worklist filter nothing can match was "(no cases)", exit 0: a typo read as no work
        Bad("list_unknown_level", ("case", "list", "--level", "kabupatn"), ("level", "kabupaten")),
        Bad("list_unknown_status", ("case", "list", "--status", "opn"), ("status", "closed")),
        Bad("list_unknown_workflow", ("case", "list", "--workflow", "kkm"), ("workflow", "kpm")),
        Bad("list_region_not_a_code", ("case", "list", "--region", "bogor"), ("region", "bogor")),
        Bad("missing_argument", ("case", "advance", case_id), ("event",)),
    ]

    def cli_view() -> dict[str, Any]:
        show, hist, lst = pkh.all(
            [
                ("case", "show", case_id, "--json"),
                ("case", "history", case_id, "--json"),
                ("case", "list", "--status", "", "--json"),
            ]
        )
        return {
            "version": json.loads(show.stdout)["version"],
            "history": len(json.loads(hist.stdout)),
            "cases": len(json.loads(lst.stdout)),
        }

    def tables() -> dict[str, list[tuple[Any, ...]]]:
        return {
            t: query(pkh.db, f"SELECT * FROM {t} ORDER BY 1")
            for t in (
                "cases",
                "case_events",
                "case_counters",
                "outbox",
                "users",
                "calendar_overrides",
                "audit_checkpoints",
                "audit_checkpoint_heads",
            )
        }

    before = (cli_view(), tables())
    results = dict(zip([b.name for b in bad], pkh.all(b.args for b in bad), strict=True))
    after = (cli_view(), tables())
    return {
        "case_id": case_id,
        "bad": {b.name: b for b in bad},
        "results": results,
        "before": before,
        "after": after,
    }


BAD_NAMES = [
    "unknown_type",
    "bad_region_code",
    "received_in_the_future",
    "received_without_zone",
    "unknown_actor_filing",
    "unknown_household",
    "unknown_event",
    "wrong_role",
    "wrong_region",
    "no_such_case",
    "stale_version",
    "missing_parties",
    "unknown_actor_advancing",
    "unknown_option",
    "year_out_of_range",
    "deadline_of_no_days",
    "unknown_command",
    "missing_argument",
    "list_unknown_level",
    "list_unknown_status",
    "list_unknown_workflow",
    "list_region_not_a_code",
]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_bad_input_is_refused_with_one_clear_error_line_and_a_non_zero_exit(
    name: str, refusals: dict[str, Any]
) -> None:
    bad, r = refusals["bad"][name], refusals["results"][name]
    line = one_line_error(r)
    for word in bad.mentions:
        assert word in line, line
    assert r.stdout == "", r.stdout


def test_a_household_the_kpm_register_does_not_hold_is_bad_input_exit_2(
    refusals: dict[str, Any],
) -> None:
    line = one_line_error(refusals["results"]["unknown_household"])
    assert refusals["results"]["unknown_household"].returncode == 2
    assert line.startswith("error: household:"), line


def test_bad_input_changes_nothing(refusals: dict[str, Any]) -> None:
    assert sorted(refusals["bad"]) == sorted(BAD_NAMES)  # every refusal is checked above
    (view_before, tables_before), (view_after, tables_after) = refusals["before"], refusals["after"]
    assert view_before == {"version": 2, "history": 2, "cases": 1}
    assert view_after == view_before
    assert tables_after == tables_before  # no event, case, case number or outbox row appeared


def test_a_case_outside_the_officers_region_looks_exactly_like_a_case_that_does_not_exist(
    refusals: dict[str, Any],
) -> None:
    case_id = refusals["case_id"]
    hidden, missing = refusals["results"]["wrong_region"], refusals["results"]["no_such_case"]
    other = case_id[:-6] + "999999"
    assert hidden.returncode == missing.returncode != 0
    assert hidden.stderr.replace(case_id, "ID") == missing.stderr.replace(other, "ID")


def test_a_stale_if_version_names_the_current_version(refusals: dict[str, Any]) -> None:
    line = one_line_error(refusals["results"]["stale_version"])
    assert "version 2" in line and "not 1" in line, line


# ------------------------------------------------------------------------------- 4. calendar
ZONED_START = "2026-03-10T16:30:00+00:00"  # 23:30 WIB Tue 10 March, 01:30 WIT Wed 11 March
CALENDAR_CALLS = {
    "five": ("calendar", "deadline", "2026-03-17", "5"),
    "one": ("calendar", "deadline", "2026-03-17", "1"),
    "five_json": ("calendar", "deadline", "2026-03-17", "5", "--json"),
    "wib": ("calendar", "deadline", ZONED_START, "1", "--zone", "WIB", "--json"),
    "wit": ("calendar", "deadline", ZONED_START, "1", "--zone", "wit", "--json"),
    "wita": ("calendar", "deadline", ZONED_START, "1", "--zone", "WITA", "--json"),
    "holidays": ("calendar", "holidays", "2026", "--json"),
}


@pytest.fixture(scope="module")
def calendar_out(users_db: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    pkh = Pkh(copy_db(users_db, tmp_path_factory.mktemp("cal") / "pkh.db"))
    results = pkh.all(CALENDAR_CALLS.values())
    for args, r in zip(CALENDAR_CALLS.values(), results, strict=True):
        assert r.returncode == 0, f"pkh {' '.join(args)}: {r.stderr}"
    return {name: r.stdout for name, r in zip(CALENDAR_CALLS, results, strict=True)}


def test_calendar_deadline_counts_past_the_nyepi_and_idul_fitri_2026_block(
    calendar_out: dict[str, str],
) -> None:
    # 18 cuti Nyepi, 19 Nyepi, 20 cuti, 21-22 weekend (Idul Fitri), 23-24 cuti bersama:
    # the 1st working day after Tue 17 March is Wed 25, the 5th is Tue 31 March.
    assert calendar_out["one"].split()[0] == "2026-03-25", calendar_out["one"]
    assert calendar_out["five"].split()[0] == "2026-03-31", calendar_out["five"]
    assert json.loads(calendar_out["five_json"]) == {
        "due_date": "2026-03-31",
        "due_at": "2026-03-31T23:59:59+07:00",
        "zone": "WIB",
        "start_local": "2026-03-17T12:00:00+07:00",
        "working_days": 5,
    }


def test_calendar_deadline_counts_from_the_local_date_in_the_zone_asked_for(
    calendar_out: dict[str, str],
) -> None:
    wib, wit, wita = (json.loads(calendar_out[z]) for z in ("wib", "wit", "wita"))
    assert (wib["start_local"][:10], wib["due_date"]) == ("2026-03-10", "2026-03-11")
    assert (wit["start_local"][:10], wit["due_date"]) == ("2026-03-11", "2026-03-12")
    assert (wita["start_local"][:10], wita["due_date"]) == ("2026-03-11", "2026-03-12")
    assert wib["due_at"] == "2026-03-11T23:59:59+07:00"
    assert wit["due_at"] == "2026-03-12T23:59:59+09:00"
    assert wit["zone"] == "WIT"


def test_calendar_holidays_2026_lists_17_national_holidays_and_8_cuti_bersama(
    calendar_out: dict[str, str],
) -> None:
    rows = json.loads(calendar_out["holidays"])
    kinds = [r["kind"] for r in rows]
    assert kinds.count("libur_nasional") == 17
    assert kinds.count("cuti_bersama") == 8
    assert len(rows) == 25
    by_date = {r["date"]: r["kind"] for r in rows}
    assert [d for d in by_date if d.startswith("2026-03-")] == [
        "2026-03-18",
        "2026-03-19",
        "2026-03-20",
        "2026-03-21",
        "2026-03-22",
        "2026-03-23",
        "2026-03-24",
    ]
    assert by_date["2026-08-17"] == "libur_nasional"


def test_a_calendar_override_added_by_an_admin_is_listed_and_moves_deadlines(pkh: Pkh) -> None:
    before, refused = pkh.all(
        [
            ("calendar", "deadline", "2026-08-14", "1"),
            ("calendar", "override", "add", "2026-08-18", "--name", "x", "--actor", "kab.bogor"),
        ]
    )
    assert before.stdout.split()[0] == "2026-08-18"  # Fri 14 -> Mon 17 is Independence Day
    one_line_error(refused)  # only an admin may change the calendar
    assert refused.returncode == 7  # role not permitted
    saturday = pkh.run(
        "calendar", "override", "add", "2026-08-22", "--working", "--name", "x", "--actor", "admin"
    )
    assert "Saturdays and Sundays are never working days" in one_line_error(saturday)
    assert saturday.returncode == 2

    pkh.ok(
        "calendar",
        "override",
        "add",
        "2026-08-18",
        "--name",
        "Cuti bersama tambahan",
        "--actor",
        "admin",
    )
    holidays, after = pkh.all(
        [("calendar", "holidays", "2026", "--json"), ("calendar", "deadline", "2026-08-14", "1")]
    )
    rows = {r["date"]: r for r in json.loads(holidays.stdout)}
    assert rows["2026-08-18"]["kind"] == "override"
    assert rows["2026-08-18"]["name"] == "Cuti bersama tambahan"
    assert len(rows) == 26
    assert after.stdout.split()[0] == "2026-08-19"


# --------------------------------------------------------------------------------- 5. replay
@pytest.fixture(scope="module")
def replayed(users_db: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A case filed, advanced and escalated days apart (occurred), seconds apart (recorded);
    then every replay the tests look at, run side by side."""
    pkh = Pkh(copy_db(users_db, tmp_path_factory.mktemp("replay") / "pkh.db"))
    today = datetime.now(WIB).date()
    t0, t1, t2 = (at(today - timedelta(days=n)) for n in (9, 6, 3))
    case_id = file_complaint(pkh, t0)
    pkh.ok("case", "advance", case_id, "advance", "--actor", "kab.bogor", "--at", t1.isoformat())
    pkh.ok(
        "case",
        "advance",
        case_id,
        "escalate",
        "--actor",
        "kab.bogor",
        "--data",
        "reason=perlu pusat",
        "--at",
        t2.isoformat(),
    )
    history = pkh.json("case", "history", case_id, "--json")
    # the text shows when each event happened in the case's zone (a Bogor case: WIB), labelled
    text = pkh.ok("case", "history", case_id).stdout.splitlines()
    assert text[0].startswith(f"v1   {t0:%Y-%m-%d %H:%M} WIB   ComplaintFiled"), text
    r1, r2 = (datetime.fromisoformat(h["recorded_at"]) for h in history[:2])
    recorded_between = r1 + (r2 - r1) / 2  # both recorded seconds ago, though days apart
    occurred_between = t1 + (t2 - t1) / 2
    calls = {
        "occurred_between": ("--as-of", occurred_between.isoformat(), "--basis", "occurred"),
        "latest": (),
        "recorded_between": ("--as-of", recorded_between.isoformat()),
        "recorded_between_on_occurred_basis": (
            "--as-of",
            recorded_between.isoformat(),
            "--basis",
            "occurred",
        ),
        "before_filing": ("--as-of", (t0 - timedelta(hours=1)).isoformat(), "--basis", "occurred"),
        # happened by then, but recorded only today (backdated)
        "happened_not_recorded": ("--as-of", (t0 + timedelta(hours=1)).isoformat()),
        "day_of_t1": ("--as-of", t1.date().isoformat(), "--basis", "occurred"),
        "day_before_t1": (
            "--as-of",
            (t1.date() - timedelta(days=1)).isoformat(),
            "--basis",
            "occurred",
        ),
        "t1_local_time": ("--as-of", f"{t1:%Y-%m-%dT%H:%M}", "--basis", "occurred"),
        "future": ("--as-of", "2099-12-31"),
        "bogus_basis": ("--basis", "bogus"),
    }
    results = pkh.all(("case", "replay", case_id, *args, "--json") for args in calls.values())
    texts = pkh.all(
        [
            ("case", "replay", case_id, "--as-of", t1.date().isoformat(), "--basis", "occurred"),
            ("case", "replay", case_id, "--as-of", "2099-12-31"),
        ]
    )
    return {
        "id": case_id,
        "times": (t0, t1, t2),
        "recorded": (r1, r2),
        "history": text,
        "results": dict(zip(calls, results, strict=True)),
        "texts": texts,
    }


def _replay(replayed: dict[str, Any], name: str) -> dict[str, Any]:
    r = replayed["results"][name]
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)  # type: ignore[no-any-return]


def test_case_replay_as_of_an_occurred_moment_between_two_steps_shows_the_state_then(
    replayed: dict[str, Any],
) -> None:
    case_id, (t0, t1, t2) = replayed["id"], replayed["times"]
    subset(
        _replay(replayed, "occurred_between"),
        id=case_id,
        version=2,
        level="kabupaten",
        state="kabupaten_identifikasi",
        stage="identifikasi",
        status="open",
        stage_due=wd(t1.date(), 3),
        level_due=wd(t0.date(), 26),
        handler="kab.bogor",
        allowed_events=[],
    )
    subset(
        _replay(replayed, "latest"),
        version=3,
        state="pusat_dokumentasi",
        stage_due=wd(t2.date(), 5),
        level_due=wd(t2.date(), 26),
    )


def test_case_replay_as_of_uses_recorded_time_by_default(replayed: dict[str, Any]) -> None:
    r1, r2 = replayed["recorded"]
    assert r1 < r2
    subset(_replay(replayed, "recorded_between"), version=1, state="kabupaten_dokumentasi")
    # on the occurred basis the same moment lies after every event (they occurred days ago)
    subset(
        _replay(replayed, "recorded_between_on_occurred_basis"),
        version=3,
        state="pusat_dokumentasi",
    )


def test_case_replay_before_the_case_existed_is_bad_input_naming_the_moment_and_the_first_event(
    replayed: dict[str, Any],
) -> None:
    """The case exists (not "not found", exit 3): the moment lies before its first event, said
    as the API says it (422 on as_of), with what the store knows."""
    t0 = replayed["times"][0]
    r = replayed["results"]["before_filing"]
    line = one_line_error(r)
    assert r.returncode == 2, line
    assert line.startswith("error: as_of: ") and "had not happened yet at" in line
    assert f"its first event happened at {t0:%Y-%m-%d %H:%M}" in line and "WIB" in line


def test_case_replay_of_a_backdated_case_before_it_was_recorded_says_so_and_names_the_other_basis(
    replayed: dict[str, Any],
) -> None:
    """Filed today for a complaint received nine days ago: on the recorded basis, a moment in
    between is before anyone could have seen it, not before it existed."""
    t0, (r1, _) = replayed["times"][0], replayed["recorded"]
    r = replayed["results"]["happened_not_recorded"]
    line = one_line_error(r)
    assert r.returncode == 2 and "was not yet recorded at" in line, line
    assert f"its first event was recorded at {r1.astimezone(WIB):%Y-%m-%d %H:%M:%S} WIB" in line
    assert f"though it happened at {t0:%Y-%m-%d %H:%M}" in line
    assert "--basis occurred" in line


def test_a_bare_date_replays_to_the_end_of_that_day_in_the_cases_zone(
    replayed: dict[str, Any],
) -> None:
    """`--as-of 2026-10-28` is the case as it stood on that day: 23:59:59.999999 in the office's
    zone (WIB for Bogor); a time without an offset is read in that zone too."""
    t0, t1, _ = replayed["times"]
    end_of_t1_day = datetime.combine(t1.date(), time.max, tzinfo=WIB)
    on_the_day = _replay(replayed, "day_of_t1")
    subset(on_the_day, version=2, state="kabupaten_identifikasi", basis="occurred")
    assert datetime.fromisoformat(on_the_day["as_of"]) == end_of_t1_day
    assert on_the_day["current"] is False
    subset(_replay(replayed, "day_before_t1"), version=1, state="kabupaten_dokumentasi")
    local_time = _replay(replayed, "t1_local_time")
    assert datetime.fromisoformat(local_time["as_of"]) == t1 and local_time["version"] == 2


def test_case_replay_says_which_moment_and_basis_it_shows(replayed: dict[str, Any]) -> None:
    """The text's first line names the moment (in the case's zone) and the basis; the header
    names the workflow's definition, so "v<n>" means an event's version, as in the history."""
    t1 = replayed["times"][1]
    day, future = replayed["texts"]
    assert day.returncode == 0, day.stderr
    lines = day.stdout.splitlines()
    assert lines[0] == f"as of {t1:%Y-%m-%d} 23:59:59 WIB (events that happened by then)"
    assert lines[1].startswith(replayed["id"])
    assert "workflow complaint (definition 1)  version 2" in lines[1]
    assert " v1 " not in day.stdout
    latest = _replay(replayed, "latest")
    assert latest["basis"] == "recorded" and latest["current"] is True


def test_a_replay_moment_not_yet_come_is_the_current_state_and_says_so(
    replayed: dict[str, Any],
) -> None:
    future = _replay(replayed, "future")
    subset(future, version=3, state="pusat_dokumentasi", basis="recorded", current=True)
    assert future["as_of"] == "2099-12-31T16:59:59.999999+00:00"
    text = replayed["texts"][1]
    assert text.returncode == 0, text.stderr
    first = text.stdout.splitlines()[0]
    assert first.startswith("as of 2099-12-31 23:59:59 WIB (events recorded by then)"), first
    assert "not yet come, so the case as it stands now" in first


def test_case_replay_refuses_a_basis_it_does_not_know(replayed: dict[str, Any]) -> None:
    r = replayed["results"]["bogus_basis"]
    line = one_line_error(r)
    assert r.returncode == 2 and "basis: 'bogus'" in line and "'occurred'" in line


def test_case_history_text_shows_when_a_backdated_event_was_recorded_and_its_data(
    replayed: dict[str, Any],
) -> None:
    """Each event filed days after it happened shows when it was recorded; each shows its
    command and data, as the case page's timeline does."""
    text, (r1, _), t2 = replayed["history"], replayed["recorded"], replayed["times"][2]
    assert text[1] == f"     recorded {r1.astimezone(WIB):%Y-%m-%d %H:%M} WIB (backdated)"
    filed = text[2].split()
    assert filed[0] == "file" and "channel=surat" in filed and "region=3271011001" in filed
    assert 'summary="Nama KPM salah di data peserta"' in text[2]
    assert "anonymous=" not in text[2]  # unset flags and blanks left out, as on the page
    escalated = text.index(next(x for x in text if x.startswith("v3 ")))
    assert text[escalated].startswith(f"v3   {t2:%Y-%m-%d %H:%M} WIB   CaseEscalated")
    assert text[escalated + 2] == '     escalate reason="perlu pusat"'


def test_case_history_text_masks_a_confidential_reporter_as_the_json_does(pkh: Pkh) -> None:
    filed = pkh.json(
        *FILE_ARGS,
        "--confidential",
        "--reporter-contact",
        "0812-RAHASIA",
        "--received",
        (now_utc() - timedelta(hours=2)).isoformat(),
    )
    case_id = filed["id"]
    masked_text, masked_json, seen = pkh.all(
        [
            ("case", "history", case_id, "--actor", "pdp.bogor"),
            ("case", "history", case_id, "--actor", "pdp.bogor", "--json"),
            ("case", "history", case_id, "--actor", "kab.bogor"),
        ]
    )
    for r in (masked_text, masked_json, seen):
        assert r.returncode == 0, r.stderr
    assert json.loads(masked_json.stdout)[0]["data"]["reporter_name"] == "*** (dirahasiakan)"
    assert "Ibu Siti" not in masked_text.stdout and "0812-RAHASIA" not in masked_text.stdout
    assert 'reporter_name="*** (dirahasiakan)"' in masked_text.stdout
    assert 'reporter_name="Ibu Siti"' in seen.stdout and "0812-RAHASIA" in seen.stdout


# ------------------------------------------------------------------------------- 6. workflow
def _mermaid_edges(text: str) -> dict[tuple[str, str], set[str]]:
    edges: dict[tuple[str, str], set[str]] = {}
    for line in text.splitlines():
        m = re.fullmatch(r"\s*(\w+) --> (\w+)(?:: (.*))?", line)
        if m:
            edges.setdefault((m[1], m[2]), set()).update((m[3] or "").split(" | "))
    return edges


@pytest.fixture(scope="module")
def mermaid_text(users_db: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    pkh = Pkh(copy_db(users_db, tmp_path_factory.mktemp("wf") / "pkh.db"))
    return str(pkh.ok("workflow", "show", "complaint", "--mermaid").stdout)


def test_workflow_show_complaint_mermaid_prints_a_state_diagram(mermaid_text: str) -> None:
    assert "stateDiagram-v2" in [ln.strip() for ln in mermaid_text.splitlines()]
    edges = _mermaid_edges(mermaid_text)
    assert "advance" in edges[("kabupaten_dokumentasi", "kabupaten_identifikasi")]
    assert "escalate" in edges[("kabupaten_dokumentasi", "pusat_dokumentasi")]
    assert "advance" in edges[("pusat_pemberitahuan", "selesai")]
    assert "reject" in edges[("pusat_identifikasi", "ditolak")]
    assert "file" in edges[("baru", "kabupaten_dokumentasi")]


def test_workflow_mermaid_draws_internal_events_as_loops_that_keep_the_state(
    mermaid_text: str,
) -> None:
    """assign, reclassify, link_reporter and extend never move a case (internal transitions)."""
    internal = {"assign", "reclassify", "link_reporter", "extend"}
    moving = {
        (a, b): ev & internal
        for (a, b), ev in _mermaid_edges(mermaid_text).items()
        if a != b and ev & internal
    }
    assert moving == {}, f"internal events drawn as moves: {moving}"
    loops = _mermaid_edges(mermaid_text)
    assert "link_reporter" in loops[("pusat_identifikasi", "pusat_identifikasi")]


def test_workflow_show_text_and_json_say_an_internal_event_keeps_the_state(pkh: Pkh) -> None:
    """The text listed `assign` from every kabupaten state `-> kabupaten_dokumentasi`, and the
    JSON gave that as its `to`: the placeholder of an internal transition, not where it goes."""
    data = pkh.json("workflow", "show", "complaint", "--json")
    internal = [t for t in data["transitions"] if t["internal"]]
    assert {t["event"] for t in internal} >= {"assign", "release", "extend", "link_reporter"}
    assert {t["to"] for t in internal} == {None}
    assert all(t["to"] for t in data["transitions"] if not t["internal"])
    text = pkh.ok("workflow", "show", "complaint").stdout.splitlines()
    assign = [ln for ln in text if ln.split()[:1] == ["assign"]]
    assert assign and all(ln.endswith("-> (same state)") for ln in assign), assign
    advance = [ln for ln in text if ln.startswith("  advance") and "kabupaten_identifikasi " in ln]
    assert advance[0].endswith("-> kabupaten_tindak_lanjut"), advance


# ------------------------------------------------------------------- the KKN story, by command
def test_filing_a_kkn_complaint_says_whom_it_relieved_of_duty_or_that_nobody_was(pkh: Pkh) -> None:
    """As the pages' confirmation does (README, "Staff, KKN suspension and discipline"): the
    command printed the case alone, so a misspelt name, which suspends nobody, went unseen."""
    pkh.ok("user", "add", "pdp.andi", "--role", "pendamping", "--region", "327101", "--no-password")
    pkh.ok("staff", "add", "Andi", "--position", "pendamping", "--region", "327101")
    pkh.ok("staff", "add", "Budi", "--position", "pendamping", "--region", "327101")
    common = ["complaint", "file", "--type", "kkn", "--channel", "surat", "--level", "kabupaten"]
    common += ["--region", "3271011001", "--summary", "pungutan liar", "--reporter-name", "Pak B"]

    def filed(accused: str, actor: str = "kab.bogor") -> list[str]:
        out = pkh.ok(*common, "--accused", accused, "--actor", actor).stdout.splitlines()
        return [ln for ln in out if ln.startswith("kkn:")]

    said = filed("andi")
    assert len(said) == 1 and said[0].startswith("kkn: Andi, PKH staff, relieved of duty"), said
    assert said[0].endswith(": KKN-2026-000001"), said
    said = filed("Andy")
    assert said == [
        "kkn: nobody relieved of duty: the name complained of is not in the staff register "
        "(if PKH staff are meant, check the spelling of the name, or their account name)"
    ]
    # a role that does not read KKN cases is told who, not the case number
    said = filed("budi", actor="pdp.bogor")
    assert said == ["kkn: Budi, PKH staff, relieved of duty during the investigation"], said
    # --json stays the case alone; other types say nothing
    as_json = pkh.ok(*common, "--accused", "Andy", "--actor", "kab.bogor", "--json").stdout
    assert "kkn:" not in as_json and json.loads(as_json)["attrs"]["accused"] == "Andy"
    other = [*common[:3], "pembayaran", *common[4:], "--actor", "kab.bogor"]
    assert "kkn:" not in pkh.ok(*other).stdout


def test_the_kkn_story_through_the_staff_commands(pkh: Pkh) -> None:
    received = now_utc() - timedelta(days=2)
    pkh.ok("user", "add", "pdp.andi", "--role", "pendamping", "--region", "327101", "--no-password")
    pkh.ok(
        "staff",
        "add",
        "Andi",
        "--position",
        "pendamping",
        "--region",
        "327101",
        "--user",
        "pdp.andi",
    )
    own = pkh.json(
        "complaint",
        "file",
        "--type",
        "data_peserta",
        "--channel",
        "pendamping",
        "--level",
        "pendamping",
        "--region",
        "327101",
        "--summary",
        "pindah alamat",
        "--reporter-name",
        "Ibu Ani",
        "--actor",
        "pdp.andi",
        "--received",
        received.isoformat(),
        "--json",
    )
    assert own["handler"] == "pdp.andi"
    assert pkh.json("staff", "show", "Andi", "--json")["status"] == "active"

    # 1-2. the KKN complaint suspends Andi at once, and Andi's case is released
    kkn = pkh.json(
        *FILE_ARGS[:3],
        "kkn",
        *FILE_ARGS[4:],
        "--accused",
        "Andi",
        "--received",
        (received + timedelta(hours=1)).isoformat(),
    )
    assert pkh.json("staff", "show", "Andi", "--json")["status"] == "suspended"
    assert pkh.json("case", "show", own["id"], "--json")["handler"] is None

    # 3. Andi can act on nothing, and is told why
    for case_id in (own["id"], kkn["id"]):
        line = one_line_error(
            pkh.run(
                "case", "advance", case_id, "advance", "--actor", "pdp.andi", "--data", "result=x"
            )
        )
        assert "actor_suspended" in line

    # 4. not guilty: reinstated and can act again
    pkh.ok("staff", "decide", "Andi", "--outcome", "not_guilty", "--actor", "pusat.spm")
    assert pkh.json("staff", "show", "Andi", "--json")["status"] == "active"
    pkh.ok(
        "case", "advance", own["id"], "assign", "--actor", "pdp.bogor", "--data", "handler=pdp.andi"
    )
    assert pkh.json("case", "show", own["id"], "--json")["handler"] == "pdp.andi"

    # 5. a second allegation suspends Andi again; then guilty: dismissed
    pkh.ok(*FILE_ARGS[:3], "kkn", *FILE_ARGS[4:], "--accused", "Andi")
    assert pkh.json("staff", "show", "Andi", "--json")["status"] == "suspended"
    pkh.ok("staff", "decide", "Andi", "--outcome", "guilty", "--actor", "pusat.spm")
    assert pkh.json("staff", "show", "Andi", "--json")["status"] == "dismissed"
    assert "ok:" in pkh.ok("audit", "verify").stdout


def test_audit_verify_can_show_its_progress(pkh: Pkh) -> None:
    """A national store takes minutes to verify: --progress draws a bar on stderr (by default
    only on a terminal, so scripts and pipes get the result alone)."""
    file_complaint(pkh, datetime.now(UTC) - timedelta(hours=1))
    shown = pkh.ok("audit", "verify", "--progress")
    assert "ok: 1 case, 1 event" in shown.stdout
    assert "verifying" in shown.stderr and "1/1" in shown.stderr
    quiet = pkh.ok("audit", "verify")
    assert "ok: 1 case," in quiet.stdout and "verifying" not in quiet.stderr


def test_audit_verify_records_its_run_as_the_api_and_the_nightly_flow_do(pkh: Pkh) -> None:
    """The last verification is known whoever ran it: `pkh audit verify` records a run (who:
    cli:<OS user>), in full, and shows the first problem; --no-record only reads."""
    import getpass

    from engine.store import audit_runs
    from engine.store.db import Database

    received = datetime.now(UTC) - timedelta(hours=1)
    ids = [file_complaint(pkh, received) for _ in range(2)]
    first = pkh.json("audit", "verify", "--json")
    assert (first["ok"], first["run_id"], first["cases"], first["problem_count"]) == (
        True,
        1,
        2,
        0,
    ), first
    db = Database(f"sqlite:///{pkh.db}")
    try:
        runs = audit_runs.recent(db, datetime.now(UTC))
        who = f"cli:{getpass.getuser()}"
        assert [(r.id, r.status, r.started_by, r.cases, r.events_done) for r in runs] == [
            (1, "ok", who, 2, 2)
        ]
        assert "(audit run" not in pkh.ok("audit", "verify", "--no-record").stdout
        assert len(audit_runs.recent(db, datetime.now(UTC))) == 1

        with closing(sqlite3.connect(pkh.db)) as con, con:  # both projections altered
            con.execute("UPDATE cases SET level = 'pusat'")
        r = pkh.run("audit", "verify")
        assert r.returncode == 1, r.stdout + r.stderr
        assert r.stderr.count("TAMPERED") == 1 and ids[0] in r.stderr, r.stderr
        assert "2 problems in all (--all lists them)" in r.stderr
        assert pkh.run("audit", "verify", "--all").stderr.count("TAMPERED") == 2
        latest = audit_runs.recent(db, datetime.now(UTC))[0]
        assert (latest.status, latest.problem_count) == ("failed", 2)
        assert [p["case_id"] for p in latest.problems] == ids

        audit_runs.start(db, "auditor", datetime.now(UTC))  # one is running now
        busy = pkh.run("audit", "verify")
        assert busy.returncode == 8, busy.stdout + busy.stderr  # not 1: nothing was found
        assert "started by auditor" in busy.stderr and "still running" in busy.stderr
        assert pkh.run("audit", "verify", "--no-record").returncode == 1  # reading still works
    finally:
        db.dispose()


def test_a_setting_that_does_not_parse_is_named_without_a_traceback(pkh: Pkh) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PKH_")}
    env |= {"PKH_DATABASE_URL": f"sqlite:///{pkh.db}", "PKH_API_THREADS": "0"}
    env["PKH_SMTP_PORT"] = "dua lima"
    r = subprocess.run(
        [_pkh_executable(), "case", "list"], capture_output=True, text=True, env=env, timeout=120
    )
    assert r.returncode == 1
    assert "Traceback" not in r.stderr + r.stdout
    assert "configuration: " in r.stderr
    assert "PKH_API_THREADS: Input should be greater than or equal to 1" in r.stderr
    assert "PKH_SMTP_PORT: Input should be a valid integer" in r.stderr


def test_serve_refuses_a_database_whose_schema_is_behind(tmp_path: Path) -> None:
    from engine.store.migrate import head, upgrade

    old = tmp_path / "old.db"
    upgrade(f"sqlite:///{old}", "0007")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PKH_")}
    for db, says in (
        (
            old,
            f"is at schema revision 0007; this version of pkh needs {head()}: run `pkh db upgrade`",
        ),
        (
            tmp_path / "new.db",
            f"does not exist (nothing was created); this version of pkh needs {head()}",
        ),
    ):
        env["PKH_DATABASE_URL"] = f"sqlite:///{db}"
        r = subprocess.run(
            [_pkh_executable(), "serve", "--port", "1"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert r.returncode == 1, r.stdout + r.stderr
        assert says in r.stderr and "run `pkh db upgrade`" in r.stderr
    # a command on the old schema says what to do, too
    env["PKH_DATABASE_URL"] = f"sqlite:///{old}"
    r = subprocess.run(
        [_pkh_executable(), "case", "list"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert r.returncode == 1 and "run `pkh db upgrade`" in r.stderr, r.stderr


def test_python_m_api_cli_is_the_whole_pkh_command() -> None:
    """`python -m api.cli` (no `pkh` script on the path) has every command, not only those
    defined in api/cli.py itself."""
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    out = subprocess.run(
        [sys.executable, "-m", "api.cli", "--help"],
        capture_output=True,
        text=True,
        cwd=root,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    for name in ("demo", "sweep", "dispatch", "audit", "kpm", "user", "case", "complaint"):
        assert re.search(rf"^\W*{name}\b", out.stdout, re.M), (name, out.stdout)


def test_every_command_help_reads_as_whole_lines_not_the_source_s_broken_ones() -> None:
    """Typer shows a docstring's line breaks as they are: a group's `--help` lists each command
    by its first paragraph, and a command's own `--help` prints the rest, so text wrapped at the
    source's width read as broken lines ("--workers N" / "starts N processes ..."; "current:
    true when" / "the moment is now ..."). Every paragraph of every command's help is one line
    for the terminal to wrap, and the summary is a sentence of its own."""
    import inspect

    from typer.main import get_command
    from typer.testing import CliRunner

    import api.cli
    from api import cli_admin, cli_backup, cli_flows, cli_kpm, cli_report, cli_staff, cli_users  # noqa: F401

    def commands(cmd: Any, path: str) -> Iterable[tuple[str, str]]:
        yield path, inspect.cleandoc(cmd.help or "")
        for name, sub in getattr(cmd, "commands", {}).items():
            yield from commands(sub, f"{path} {name}")

    helps = dict(commands(get_command(api.cli.app), "pkh"))
    assert len(helps) > 50 and "pkh kpm import" in helps, sorted(helps)
    broken = {path: h for path, h in helps.items() if any("\n" in p for p in h.split("\n\n"))}
    assert broken == {}, broken
    assert all(h.split("\n\n")[0].strip() for h in helps.values()), helps
    # as printed: the replay command's second paragraph is no longer cut after "true when"
    shown = CliRunner().invoke(api.cli.app, ["case", "replay", "--help"], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    assert "current: true when the moment is now or later" in " ".join(shown.output.split())
    assert re.search(r"true when\s*\n", shown.output) is None, shown.output


def test_a_file_it_cannot_write_is_one_error_line_not_a_traceback(pkh: Pkh, tmp_path: Path) -> None:
    """`--out` naming a folder, or a place nobody can write: one `error:` line naming the path
    and why (helper-47 saw IsADirectoryError and FileNotFoundError tracebacks)."""
    folder = tmp_path / "a-folder"
    folder.mkdir()
    report, letters = pkh.all(
        [
            ("report", "monthly", "--month", "2026-11", "--out", str(folder)),
            ("outbox", "print", "--out", "/proc/pkh-cannot-be-here"),
        ]
    )
    assert one_line_error(report) == f"error: {folder}: Is a directory"
    assert one_line_error(letters).startswith("error: /proc/pkh-cannot-be-here")
    assert "Traceback" not in report.stderr + letters.stderr


def test_dispatch_refuses_a_moment_still_to_come_as_the_sweep_does(pkh: Pkh) -> None:
    """`pkh dispatch --now` in the future recorded messages as sent then (helper-47)."""
    later = (datetime.now(UTC) + timedelta(hours=2)).isoformat(timespec="minutes")
    refused = pkh.run("dispatch", "--now", later)
    assert "is in the future" in one_line_error(refused) and refused.returncode == 2
    earlier = (datetime.now(UTC) - timedelta(hours=2)).isoformat(timespec="minutes")
    assert pkh.run("dispatch", "--now", earlier).returncode == 0
