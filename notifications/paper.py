"""Paper letters: letters to reporters (or staff) with no e-mail or phone, or whose channel is
not configured, wait in the outbox with status `print`. `pkh outbox print` writes them as
printable A4 pages; the officer pages list a region's waiting letters, open one and mark it
printed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult

from engine.definition import LINKED_REPORTER
from engine.errors import InvalidInput, NotFound
from engine.settings import Settings
from engine.state import CaseState
from engine.store import repository as repo
from engine.store.db import Database
from notifications.catalog import AUDIENCE
from notifications.channels import postal_address
from notifications.letters import as_linked_reporter, compose
from notifications.render import render_letter_page

OUT = repo.OUTBOX


def print_letters(
    db: Database,
    settings: Settings,
    out_dir: Path,
    now: datetime,
    ids: list[int] | None = None,
    *,
    again: bool = False,
) -> dict[str, Any]:
    """Paper letters (status `print`: a reporter, or a staff member sent a suspension or
    discipline letter, with no e-mail or phone, or whose channel is not configured) as
    printable A4 HTML pages in `out_dir`, one file per letter, oldest first; each is then
    marked `printed`.
    `ids`: only these; `again`: letters already printed too (a lost or spoiled print). The
    files are written before anything is marked, so a failure leaves the letters waiting.
    A letter printed before keeps the moment of its first printing. Two people printing at
    once may both print a letter; each is told which letters it marked (`marked`)."""
    if again and not ids:
        raise InvalidInput("again", "name the letters to print again (their ids)")
    wanted = ["print", "printed"] if again else ["print"]
    with db.reading() as s:
        q = sa.select(OUT).where(OUT.c.status.in_(wanted)).order_by(OUT.c.id)
        if ids:
            q = q.where(OUT.c.id.in_(ids))
        rows = s.execute(q).all()
    if ids:
        missing = sorted(set(ids) - {r.id for r in rows})
        if missing:
            raise NotFound(
                f"no letter to print with id {', '.join(map(str, missing))} "
                f"({'print or printed' if again else 'status print; --again for printed ones'})"
            )
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    written: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for row in rows:
        try:
            letter = compose(db, row, now, settings.app_url)
            page = render_letter_page(row.template, letter.lang, letter.context)
        except Exception as e:  # noqa: BLE001 - reported; the letter stays waiting
            failed.append({"id": row.id, "case_id": row.case_id, "error": str(e)})
            continue
        path = out_dir / f"{row.id:06d}-{row.case_id}-{row.template}.html"
        # a reporter's name and address: readable by the one who prints, nobody else
        path.touch(mode=0o600)
        path.write_text(page, encoding="utf-8")
        written.append(
            {"id": row.id, "case_id": row.case_id, "template": row.template, "file": str(path)}
        )
    marked: list[int] = []
    if written:
        with db.transaction() as s:
            marked = sorted(
                int(i)
                for (i,) in s.execute(
                    sa.update(OUT)
                    .where(OUT.c.id.in_([w["id"] for w in written]), OUT.c.status == "print")
                    .values(status="printed", channel="letter", sent_at=now, last_error=None)
                    .returning(OUT.c.id)
                )
            )
    return {"printed": written, "failed": failed, "marked": marked}


def waiting_letters(
    db: Database,
    visible: Callable[[CaseState], bool],
    limit: int = 500,
    region: str | None = None,
) -> tuple[list[dict[str, Any]], bool]:
    """Paper letters waiting to be printed (status `print`) of the cases `visible` accepts
    (the officer pages: the officer's region, and a confidential reporter only for those who
    may see who reported), oldest first, at most `limit`; and whether more are waiting.
    `region`: only cases of that region code prefix are read at all."""
    cases = repo.CASES
    with db.reading() as s:
        q = (
            sa.select(
                OUT.c.id.label("letter_id"),
                OUT.c.template,
                OUT.c.recipient,
                OUT.c.created_at.label("queued_at"),
                OUT.c.payload.label("letter_payload"),
                cases,
            )
            .join(cases, cases.c.id == OUT.c.case_id)
            .where(OUT.c.status == "print")
            .order_by(OUT.c.id)
        )
        if region:
            q = q.where(repo.region_within(cases.c.region, region))
        out: list[dict[str, Any]] = []
        for row in s.execute(q):
            if len(out) >= limit:
                return out, True
            state = repo.state_from_row(row)
            if not visible(state):
                continue
            # addressed to the reporter (the one it is for: a linked reporter's is theirs), or
            # (suspension, discipline) to the staff member
            to_staff = AUDIENCE.get(row.template) == "staff"
            name = state.attrs.get("staff" if to_staff else "reporter_name") or ""
            contact = "" if to_staff else state.attrs.get("reporter_contact") or ""
            if row.recipient.startswith(LINKED_REPORTER):
                try:
                    who = as_linked_reporter(state, row.recipient.removeprefix(LINKED_REPORTER))
                except LookupError:
                    who = None
                name = (who.attrs.get("reporter_name") or "") if who else ""
                contact = (who.attrs.get("reporter_contact") or "") if who else ""
            out.append(
                {
                    "id": row.letter_id,
                    "case_id": state.id,
                    "template": row.template,
                    "queued_at": row.queued_at,
                    "zone": state.zone,
                    "addressee": name,
                    "address": postal_address(str(contact)),
                    # which letter of its kind (a discipline letter: SP-1 .. termination)
                    "sanction": _extra_of(row.letter_payload).get("sanction"),
                }
            )
        return out, False


def _extra_of(payload: Any) -> dict[str, Any]:
    """An outbox row's `extra` (the event's data), whatever form the driver gives it in."""
    if isinstance(payload, str | bytes):
        try:
            payload = json.loads(payload)
        except ValueError:
            return {}
    extra = payload.get("extra") if isinstance(payload, dict) else None
    return extra if isinstance(extra, dict) else {}


def letter_page(
    db: Database,
    settings: Settings,
    letter_id: int,
    now: datetime,
    visible: Callable[[CaseState], bool],
) -> str:
    """One paper letter (waiting or printed) as its printable A4 page, if `visible`."""
    row = _letter_row(db, letter_id, visible)
    letter = compose(db, row, now, settings.app_url)
    return render_letter_page(row.template, letter.lang, letter.context)


def mark_printed(
    db: Database, letter_id: int, now: datetime, visible: Callable[[CaseState], bool]
) -> bool:
    """Record that a waiting letter was printed; False if it already was."""
    _letter_row(db, letter_id, visible)
    with db.transaction() as s:
        # Session.execute is typed Result; an UPDATE without RETURNING gets a CursorResult
        # (sqlalchemy/sqlalchemy#12913)
        done = cast(
            "CursorResult[Any]",
            s.execute(
                sa.update(OUT)
                .where(OUT.c.id == letter_id, OUT.c.status == "print")
                .values(status="printed", channel="letter", sent_at=now, last_error=None)
            ),
        )
    return bool(done.rowcount)


def _letter_row(db: Database, letter_id: int, visible: Callable[[CaseState], bool]) -> Any:
    with db.reading() as s:
        row = s.execute(
            sa.select(OUT).where(OUT.c.id == letter_id, OUT.c.status.in_(("print", "printed")))
        ).first()
        state = repo.load_case(s, row.case_id) if row is not None else None
    if row is None or state is None or not visible(state):
        raise NotFound(f"no paper letter {letter_id}")
    return row
