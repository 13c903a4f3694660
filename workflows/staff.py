"""PKH staff (SDM) records, their derived status, and how suspensions reach every workflow.

Status is not stored: a person is suspended while a KKN case about them is in `suspended`, and
dismissed once a KKN case ends in `dismissed` or a discipline case in `terminated`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from engine.errors import InvalidInput, NotFound, echoed
from engine.machine import Command
from engine.service import FollowUp, ReactionContext
from engine.state import CaseState, Event, name_key
from engine.store import repository as repo
from engine.store.db import Database
from engine.store.prepared import Prepared
from engine.store.tables import StaffRow, UserRow
from workflows.complaint_parse import REPORTER_KEYS, parse_region

# pendamping sosial, asisten pendamping, administrator pangkalan data (operator), koordinator
# (kabupaten/kota, wilayah), supervisor
POSITIONS = ("pendamping", "asisten", "operator", "koordinator", "supervisor")
STAFF = repo.CASES.c
_STAFF_TABLE = StaffRow.__table__  # type: ignore[attr-defined]
# asked on every command (is the actor, or the handler named, suspended?): built once
# asked on every command (staff_facts): run as a prepared write-path statement
_NAMES_OF_USER = Prepared(
    sa.select(_STAFF_TABLE.c.name).where(_STAFF_TABLE.c.username == sa.bindparam("b_user"))
)
_CASES_ABOUT = (
    sa.select(STAFF.id, STAFF.workflow, STAFF.state, STAFF.status)
    .where(STAFF.subject == sa.bindparam("b_name"), STAFF.workflow.in_(("kkn", "discipline")))
    .order_by(STAFF.id)
)


@dataclass(frozen=True)
class Staff:
    name: str
    position: str
    region: str
    username: str | None
    status: str  # active | suspended | dismissed
    cases: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "position": self.position,
            "region": self.region,
            "user": self.username,
            "status": self.status,
            "cases": self.cases,
        }


def add_staff(
    db: Database, name: str, position: str, region: str, *, username: str | None, now: datetime
) -> StaffRow:
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput("name", "use 1-100 characters", message_id="gunakan 1-100 karakter")
    if any(ch == "/" or not ch.isprintable() for ch in name):
        # the name is the record's address (/staff/{name}): a "/" made it unreachable, and a
        # line break would break the letters that name the person
        raise InvalidInput(
            "name",
            f"{echoed(name)} may not hold '/' or a control character (a line break, a tab)",
            message_id=f"{echoed(name)} tidak boleh memuat '/' atau karakter kendali "
            "(pindah baris, tab)",
        )
    position = (position or "").strip().lower()
    if position not in POSITIONS:
        raise InvalidInput(
            "position",
            f"unknown position {echoed(position)}; expected one of: {', '.join(POSITIONS)}",
            message_id=f"jabatan {echoed(position)} tidak dikenal; pilihan: {', '.join(POSITIONS)}",
        )
    code = parse_region(region)
    with db.transaction() as s:
        if s.get(StaffRow, name) is not None:
            raise InvalidInput(
                "name",
                f"staff member {name} already exists",
                message_id=f"petugas {name} sudah terdaftar",
            )
        if username is not None:
            if s.get(UserRow, username) is None:
                raise InvalidInput(
                    "user",
                    f"unknown user {username}",
                    message_id=f"pengguna {username} tidak dikenal",
                )
            taken = s.execute(
                sa.select(col(StaffRow.name)).where(col(StaffRow.username) == username)
            )
            if taken.first():
                raise InvalidInput(
                    "user",
                    f"user {username} is already linked to a staff record",
                    message_id=f"pengguna {username} sudah terhubung dengan data petugas lain",
                )
        row = StaffRow(name=name, position=position, region=code, username=username, created_at=now)
        s.add(row)
        return row


def _cases_about(s: Session, name: str) -> list[Any]:
    return list(s.execute(_CASES_ABOUT, {"b_name": name}))


ENDED = frozenset({("kkn", "dismissed"), ("discipline", "terminated")})


def register(s: Session) -> repo.StaffRegister:
    """What the register says of accounts, in two reads: those whose staff record is relieved
    of duty (a KKN case suspends it) or dismissed, and each linked record's account by name
    (engine: office notices and the sweep's reminders leave them out)."""
    t, c = _STAFF_TABLE.c, repo.CASES.c
    linked = s.execute(sa.select(t.name, t.username).where(t.username.is_not(None))).all()
    cases = s.execute(
        sa.select(t.username, c.workflow, c.state)
        .join(repo.CASES, c.subject == t.name)
        .where(t.username.is_not(None), c.workflow.in_(("kkn", "discipline")))
    ).all()
    by_user: dict[str, list[Any]] = {}
    for row in cases:
        by_user.setdefault(row.username, []).append(row)
    relieved = {u: status_of(rows) for u, rows in by_user.items()}
    return repo.StaffRegister(
        {u: why for u, why in relieved.items() if why != "active"},
        {name_key(r.name): r.username for r in linked},
    )


def dismissed_by(rows: Sequence[Any]) -> str | None:
    """The case that ended the person's engagement, if one did."""
    return next((r.id for r in rows if (r.workflow, r.state) in ENDED), None)


def status_of(rows: Sequence[Any]) -> str:
    states = {(r.workflow, r.state) for r in rows}
    if states & ENDED:
        return "dismissed"
    if ("kkn", "suspended") in states:
        return "suspended"
    return "active"


def get_staff(db: Database, name: str) -> Staff:
    with db.reading() as s:
        row = s.get(StaffRow, name)
        if row is None:
            raise NotFound(f"unknown staff member: {name}")
        cases = _cases_about(s, name)
    return Staff(
        row.name,
        row.position,
        row.region,
        row.username,
        status_of(cases),
        [{"id": c.id, "workflow": c.workflow, "state": c.state} for c in cases],
    )


def kkn_case_to_decide(db: Database, name: str, case_id: str | None, *, field: str) -> str:
    """The KKN case about `name` to decide: the one named (it must be about them: deciding it
    would otherwise clear or dismiss somebody else), or their investigation in progress."""
    with db.reading() as s:
        q = sa.select(STAFF.id).where(STAFF.subject == name, STAFF.workflow == "kkn")
        q = q.where(STAFF.id == case_id) if case_id else q.where(STAFF.state == "suspended")
        row = s.execute(q.order_by(STAFF.id)).first()
    if row is not None:
        return str(row.id)
    if case_id:
        # the same words whether or not the case exists elsewhere: nothing leaks
        raise InvalidInput(
            field,
            f"{case_id} is not a KKN case about {name}",
            message_id=f"{case_id} bukan kasus KKN tentang {name}",
        )
    raise NotFound(f"{name} has no KKN investigation in progress")


def list_staff(db: Database, region: str | None = None) -> list[Staff]:
    with db.reading() as s:
        q = sa.select(col(StaffRow.name)).order_by(col(StaffRow.name))
        if region:
            q = q.where(col(StaffRow.region).startswith(region, autoescape=True))
        names = [r.name for r in s.execute(q)]
    return [get_staff(db, n) for n in names]


def _suspended_user(s: Session, username: str | None) -> bool:
    if not username or repo.known_not_staff(s, username):  # its account row says so
        return False
    names = [r.name for r in _NAMES_OF_USER.run(s, {"b_user": username})]
    return bool(names) and any(status_of(_cases_about(s, n)) != "active" for n in names)


def find_staff(s: Session, named: object) -> StaffRow | None:
    """The staff record a complaint's `accused` names: its exact name; else, ignoring case and
    extra spaces, the one record whose name or linked account name it is (the filing form asks
    for the officer's account name; an officer may type the name in another case). None when
    nobody, or more than one record, answers to it: not PKH staff, or not clear who."""
    key = " ".join(str(named or "").split())
    if not key:
        return None
    row = s.get(StaffRow, key)
    if row is not None:
        return row
    low = key.lower()
    table = _STAFF_TABLE
    rows = s.execute(
        sa.select(table.c.name).where(
            sa.or_(sa.func.lower(table.c.name) == low, sa.func.lower(table.c.username) == low)
        )
    ).all()
    return s.get(StaffRow, rows[0].name) if len(rows) == 1 else None


def staff_facts(s: Session, cmd: Command, state: CaseState | None) -> Mapping[str, Any]:
    """Suspension and conflict-of-interest facts for any decision (see engine.service)."""
    facts: dict[str, Any] = {"actor_suspended": _suspended_user(s, cmd.actor.username)}
    handler = str(cmd.data.get("handler") or "").strip()
    if handler:
        # asked of the account the handler names, however it was typed (as the engine takes
        # it): the name as typed ("PDP.Andi") is nobody's, and would pass a suspended officer
        if repo.user_row(s, handler) is None:
            names = repo.usernames_ignoring_case(s, handler, 2)
            handler = names[0] if len(names) == 1 else handler
        facts["handler_suspended"] = _suspended_user(s, handler)
    subject = cmd.data.get("accused") if state is None else state.attrs.get("subject")
    if subject:
        row = find_staff(s, subject)
        if row is not None and row.username:
            facts["subject_user"] = row.username
        if row is not None and state is not None and state.workflow in ("discipline", "kkn"):
            # a dismissed person gets no new sanction (and no second letter), and a KKN
            # finding or reopening does not restore or suspend them: name the case that
            # ended the engagement (another one than this)
            others = [r for r in _cases_about(s, row.name) if r.id != state.id]
            facts["subject_dismissed"] = dismissed_by(others)
            # cleared here while another allegation still relieves them of duty: not restored
            facts["subject_suspended_by"] = _still_suspended_by(s, others)
    return facts


def _still_suspended_by(s: Session, others: Sequence[Any]) -> str | None:
    """The complaint (else the case) of another KKN investigation that still relieves the
    person of duty: what that investigation's letters cite."""
    case_id = next((r.id for r in others if (r.workflow, r.state) == ("kkn", "suspended")), None)
    if case_id is None:
        return None
    attrs = s.execute(sa.select(STAFF.attrs).where(STAFF.id == case_id)).scalar_one_or_none()
    return str((attrs or {}).get("complaint_id") or case_id)


# --------------------------------------------------------------------------------- reactions
def kkn_complaint_suspends_staff(
    ctx: ReactionContext, state: CaseState, ev: Event
) -> list[FollowUp]:
    """A corruption complaint naming PKH staff relieves them of duty at once (DOMAIN.md)."""
    if state.attrs.get("type") != "kkn" or not state.attrs.get("subject"):
        return []
    if ev.type == "ComplaintReclassified" and state.attrs.get("previous_type") == "kkn":
        return []
    staff = find_staff(ctx.session, state.attrs["subject"])
    if staff is None:
        return []  # not PKH staff (e.g. a village official): nobody to relieve of duty
    if dismissed_by(_cases_about(ctx.session, staff.name)):
        return []  # no longer on duty: no new case, no suspension letter (the complaint stays)
    if _kkn_cases_of(ctx.session, staff.name, state.id):
        # reclassified away from KKN and back: one case per person and allegation (a
        # reinstated one is reopened with the new information, not opened twice)
        return []
    data = {
        "staff": staff.name,
        "staff_user": staff.username,
        "complaint_id": state.id,
        "region": staff.region,
        "reporter_name": state.attrs.get("reporter_name"),
        "reporter_contact": state.attrs.get("reporter_contact"),
        "anonymous": bool(state.attrs.get("anonymous")),
        "confidential": bool(state.attrs.get("confidential")),
        # its other reporters so far, told the outcome too
        "reporters": int(state.attrs.get("reporters", 1)),
        "linked_reporters": state.attrs.get("linked_reporters"),
    }
    return [
        FollowUp(
            "suspend", data, workflow="kkn", note=f"dibebastugaskan karena pengaduan KKN {state.id}"
        )
    ]


def kkn_complaint_reporter_follows(
    ctx: ReactionContext, state: CaseState, ev: Event
) -> list[FollowUp]:
    """A reporter linked to a complaint with a KKN case (opened when it was filed or
    reclassified as KKN, whatever its type is now) is linked to that case too: the outcome
    letter goes to every reporter of the complaint."""
    if not state.attrs.get("subject"):
        return []
    who = (state.attrs.get("linked_reporters") or {}).get(str(state.attrs.get("reporters")))
    staff = find_staff(ctx.session, state.attrs["subject"])
    if not isinstance(who, Mapping) or staff is None:
        return []
    data = {k: who.get(k) for k in REPORTER_KEYS}
    return [
        FollowUp("link_reporter", data, case_id=kkn_id, note=f"pelapor pengaduan {state.id}")
        for kkn_id in _kkn_cases_of(ctx.session, staff.name, state.id)
    ]


def kkn_duplicate_is_merged(ctx: ReactionContext, state: CaseState, ev: Event) -> list[FollowUp]:
    """A KKN complaint rejected as a duplicate of another about the same person, whose KKN
    case is open: its own open KKN case is merged into that one (one case per person and
    allegation: one decision, one outcome letter to each reporter, who were passed on to the
    other complaint). Not when its reporters were not passed on (they keep their case)."""
    if state.attrs.get("reason") != "duplikat" or not state.attrs.get("duplicate_follows"):
        return []
    staff = find_staff(ctx.session, state.attrs.get("subject"))
    if staff is None:
        return []
    mine = _kkn_cases_of(ctx.session, staff.name, state.id, "suspended")
    theirs = _kkn_cases_of(ctx.session, staff.name, str(state.attrs["duplicate_of"]), "suspended")
    if not mine or not theirs:
        return []
    note = f"pengaduan {state.id} ditolak sebagai duplikat {state.attrs['duplicate_of']}"
    return [FollowUp("merge", {"into": theirs[0]}, case_id=m, note=note) for m in mine]


def _kkn_cases_of(
    s: Session, staff: str, complaint_id: str, in_state: str | None = None
) -> list[str]:
    """The KKN cases about `staff` that complaint `complaint_id` opened (in `in_state`)."""
    rows = _cases_about(s, staff)
    found = (
        repo.load_case(s, r.id) for r in rows if r.workflow == "kkn" and in_state in (None, r.state)
    )
    return [c.id for c in found if c is not None and c.attrs.get("complaint_id") == complaint_id]


def kkn_step_of(s: Session, complaint: CaseState) -> dict[str, Any] | None:
    """What a KKN complaint did to the person it names, for the officer to read: the staff
    record it matched and the KKN case it opened ({"staff", "case"}), or {"staff": None} when
    the name is nobody in the staff register (a village official; or a typo, which the
    officer should see at once: nobody was relieved of duty), with the KKN case's state. None
    for any other complaint."""
    if complaint.attrs.get("type") != "kkn" or not complaint.attrs.get("subject"):
        return None
    staff = find_staff(s, complaint.attrs["subject"])
    if staff is None:
        return {"staff": None, "case": None, "dismissed": None}
    about = _cases_about(s, staff.name)
    cases = _kkn_cases_of(s, staff.name, complaint.id)
    # nobody relieved of duty because the engagement had already ended: say by which case
    dismissed = None if cases else dismissed_by(about)
    case = cases[-1] if cases else None
    return {
        "staff": staff.name,
        "case": case,
        # where the investigation stands (suspended, dismissed, reinstated, merged): the page
        # must not say "relieved of duty" of someone since cleared or dismissed
        "state": next((r.state for r in about if r.id == case), None),
        "dismissed": dismissed,
    }


def suspension_reassigns_cases(ctx: ReactionContext, state: CaseState, ev: Event) -> list[FollowUp]:
    """The suspended (or dismissed) person's open cases go to the kabupaten coordinator (or
    the office)."""
    staff = ctx.session.get(StaffRow, str(state.attrs.get("staff")))
    if staff is None or not staff.username:
        return []
    handled = ctx.session.execute(
        sa.select(STAFF.id, STAFF.region, STAFF.level).where(
            STAFF.handler == staff.username, STAFF.status == "open"
        )
    ).all()
    steps = []
    why = "diberhentikan" if ev.type == "EngagementTerminated" else "dibebastugaskan"
    reason = f"{staff.name} {why} ({state.id})"
    for case in handled:
        # the coordinator can take kabupaten-level cases; others go back to their office queue
        coordinator = (
            _coordinator(ctx.session, case.id, case.region, staff.username)
            if case.level == "kabupaten"
            else None
        )
        if coordinator:
            steps.append(FollowUp("assign", {"handler": coordinator}, case_id=case.id, note=reason))
        else:
            steps.append(FollowUp("release", {"reason": reason}, case_id=case.id, note=reason))
    return steps


def _coordinator(s: Session, case_id: str, region: str, not_user: str) -> str | None:
    """A coordinator of the case's kabupaten who may handle it (the assignment's guard would
    otherwise refuse it, and with it the complaint that suspended `not_user`): covering its
    region, and not the person the complaint is about."""
    rows = s.execute(
        sa.select(col(StaffRow.name), col(StaffRow.username))
        .where(
            col(StaffRow.position) == "koordinator",
            col(StaffRow.region).startswith(region[:4]),
            col(StaffRow.username).is_not(None),
            col(StaffRow.username) != not_user,
        )
        .order_by(col(StaffRow.name))
    ).all()
    case = repo.load_case(s, case_id)
    accused = case.attrs.get("accused") if case is not None else None
    named = find_staff(s, accused) if accused else None
    about = {name_key(accused), name_key(case.attrs.get("subject_user") if case else None)}
    about |= {name_key(named.username), name_key(named.name)} if named is not None else set()
    for r in rows:
        if about & {name_key(r.username), name_key(r.name)}:
            continue
        user = s.get(UserRow, r.username)
        if (
            user
            and user.active
            and user.role == "kabupaten"
            and region.startswith(user.region or "")
            and not _suspended_user(s, r.username)
        ):
            return str(r.username)
    return None


REACTIONS = {
    ("complaint", "ComplaintFiled"): [kkn_complaint_suspends_staff],
    ("complaint", "ComplaintReclassified"): [kkn_complaint_suspends_staff],
    ("complaint", "ReporterLinked"): [kkn_complaint_reporter_follows],
    ("complaint", "CaseRejected"): [kkn_duplicate_is_merged],
    ("kkn", "StaffSuspended"): [suspension_reassigns_cases],
    # relieved of duty again: the cases taken since the reinstatement leave them too
    ("kkn", "InvestigationReopened"): [suspension_reassigns_cases],
    # an engagement ended (after SP-3, resignation, death, ...): nobody is left to act on them
    ("discipline", "EngagementTerminated"): [suspension_reassigns_cases],
}
