"""Data control (kontrol data) as a Prefect flow: one task per province with open households.

What each household needs is decided by a pure function (`plan`, over `kpm_rules.control` and
`kpm_rules.due_corrections`); the flow applies it as events by the `system` actor, in batches,
through the same bulk path as the import. The events' own effects move the members and decide,
purely, whether the household graduates alamiah (no eligible component left) or exits.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from prefect import flow, task

from engine.bulk import Bulk, Item, load_for_update
from engine.errors import EngineError, InvalidInput
from engine.state import SYSTEM, CaseState
from engine.store import repository as repo
from workflows import kpm_rules as K
from workflows import kpm_store as store
from workflows.flows import _app, refusing
from workflows.regions import UnknownRegion, get_region

PAGE = 2000
STEPS = ("kontrol_data", "koreksi_berlaku")
WIB = ZoneInfo("Asia/Jakarta")  # the programme's office day: the flow runs at 05:00 WIB
WIT = ZoneInfo("Asia/Jayapura")  # the first zone to reach a date


def control_day(on: str | date | None, now: datetime) -> date:
    """The day data control runs for (pure): `on`, an ISO date, or else today in WIB (at the
    flow's 05:00 WIB it is still yesterday in UTC). Never a day that has not begun anywhere
    in Indonesia: members would move, and households graduate for good, ahead of time."""
    if on is None or on == "":
        return now.astimezone(WIB).date()
    if isinstance(on, date):
        day = on
    else:
        try:
            day = date.fromisoformat(on.strip())
        except ValueError:
            raise InvalidInput(
                "on",
                f"expected a date as YYYY-MM-DD, got '{on}'",
                message_id=f"tanggal harus berbentuk YYYY-MM-DD, bukan '{on}'",
            ) from None
    latest = now.astimezone(WIT).date()
    if day > latest:
        raise InvalidInput(
            "on",
            f"{day.isoformat()} has not come yet (today is {latest.isoformat()} at the latest)",
            message_id=f"{day.isoformat()} belum tiba (hari ini paling akhir {latest.isoformat()})",
        )
    return day


def province_codes(provinces: list[str] | None) -> list[str] | None:
    """The provinces named (2-digit Kemendagri codes), each checked; None for all."""
    if not provinces:
        return None
    out = []
    for p in provinces:
        code = p.strip()
        try:
            if len(code) != 2 or get_region(code).level != 1:
                raise UnknownRegion(code)
        except UnknownRegion:
            raise InvalidInput(
                "province",
                f"'{p}' is not a province code (2 digits, e.g. 32 Jawa Barat)",
                message_id=f"'{p}' bukan kode provinsi (2 digit, mis. 32 Jawa Barat)",
            ) from None
        out.append(code)
    return out


def plan(state: CaseState, on: date) -> list[str]:
    """The data-control events this household needs on this date (pure)."""
    if state.workflow != "kpm" or state.status != "open":
        return []
    todo = []
    if K.control(state.attrs.get("anggota", {}), on):
        todo.append("kontrol_data")
    due, _ = K.due_corrections(state.attrs.get("koreksi_tertunda", []), on)
    if due:
        todo.append("koreksi_berlaku")
    return todo


def _pages(app: Any, province: str | None) -> Any:
    """Open KPM households in id order, a page at a time (bounded memory)."""
    c = repo.CASES.c
    after = ""
    while True:
        q = sa.select(repo.CASES).where(c.workflow == "kpm", c.status == "open", c.id > after)
        if province:
            q = q.where(repo.region_within(c.region, province))
        with app.db.reading() as s:
            page = [repo.state_from_row(r) for r in s.execute(q.order_by(c.id).limit(PAGE))]
        if not page:
            return
        yield page
        after = page[-1].id


def control_once(app: Any, on: date, provinces: list[str] | None = None) -> dict[str, Any]:
    """Run data control for `on` over the open households (of these provinces)."""
    now = app.service.clock()
    on = control_day(on, now)
    provinces = province_codes(provinces)
    bulk = store.bulk_for(app, now)
    result: dict[str, Any] = {"on": on.isoformat(), "examined": 0, "failed": []}
    result |= {step: 0 for step in STEPS} | {"graduasi_alamiah": 0, "keluar": 0}
    for province in [*provinces] if provinces else [None]:
        for page in _pages(app, province):
            result["examined"] += len(page)
            todo = {st.id: plan(st, on) for st in page}
            for step in STEPS:
                chosen = [st for st in page if step in todo[st.id]]
                if chosen:
                    _apply(app, bulk, step, chosen, on, now, result)
    return result


def _apply(
    app: Any,
    bulk: Bulk,
    step: str,
    states: list[CaseState],
    on: date,
    now: Any,
    result: dict[str, Any],
) -> None:
    items = [
        Item(step, {"tanggal": on.isoformat()}, SYSTEM, now, st.id, note="kontrol data")
        for st in states
    ]
    with app.db.transaction() as s:
        before = load_for_update(s, [st.id for st in states])
        done = []
        for item, res in zip(items, bulk.apply(s, items), strict=True):
            if isinstance(res, EngineError):
                result["failed"].append({"case_id": item.case_id, "step": step, "error": str(res)})
                continue
            done.append((before[res.id], res))
            result[step] += 1
            if res.state in ("graduasi_alamiah", "keluar"):
                result[res.state] += 1
        store.index_changed(s, done)


@task(name="kpm-control-province", retries=2, retry_delay_seconds=10)
def control_province(province: str, on: str, database_url: str | None = None) -> dict[str, Any]:
    app = _app(database_url)
    try:
        return control_once(app, date.fromisoformat(on), [province])
    finally:
        app.db.dispose()


def open_kpm_provinces(app: Any) -> list[str]:
    c = repo.CASES.c
    with app.db.reading() as s:
        rows = s.execute(
            sa.select(sa.func.substr(c.region, 1, 2))
            .where(c.workflow == "kpm", c.status == "open")
            .distinct()
        )
        return sorted(r[0] for r in rows)


@flow(name="pkh-kpm-data-control", log_prints=True)
@refusing
def kpm_data_control(
    on: str | None = None, provinces: list[str] | None = None, database_url: str | None = None
) -> dict[str, Any]:
    """Move members between components (age, school year), apply due corrections."""
    app = _app(database_url)
    try:
        day = control_day(on, app.service.clock())
        todo = province_codes(provinces) or open_kpm_provinces(app)
    finally:
        app.db.dispose()
    futures = [control_province.submit(p, day.isoformat(), database_url) for p in todo]
    merged: dict[str, Any] = {"on": day.isoformat(), "provinces": todo, "failed": []}
    for fut in futures:
        for key, value in fut.result().items():
            if isinstance(value, int):
                merged[key] = merged.get(key, 0) + value
            elif key == "failed":
                merged["failed"] += value
    from prefect import get_run_logger

    logger = get_run_logger()
    logger.info(
        "data control %s: %s",
        merged["on"],
        ", ".join(f"{k} {v}" for k, v in merged.items() if isinstance(v, int)),
    )
    for f in merged["failed"]:
        logger.error("failed: %s %s: %s", f["case_id"], f["step"], f["error"])
    if merged["failed"]:  # after the whole pass, so that Prefect's notifications see it
        raise RuntimeError(failed_line(merged["failed"]))
    return merged


def failed_line(failed: list[dict[str, str]]) -> str:
    """One line naming the households whose data control the engine refused."""
    shown = "; ".join(f"{f['case_id']} {f['step']}: {f['error']}" for f in failed[:5])
    more = f"; and {len(failed) - 5} more (--json lists them)" if len(failed) > 5 else ""
    return f"{len(failed)} household(s) failed data control: {shown}{more}"


def deployment() -> Any:
    """Every day at 05:00 WIB, before offices open: birthdays and the school year move members."""
    from prefect.schedules import Cron

    return kpm_data_control.to_deployment(
        name="daily", schedules=[Cron("0 5 * * *", timezone="Asia/Jakarta")]
    )
