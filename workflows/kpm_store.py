"""The KPM register's storage side: lookups by no_kk, NIK and code; participant numbers; the
index written with the events; and single KPM commands that keep the index in step.

The index tables (engine/store/kpm_tables.py) are derived from the KPM cases: every function
here that records events updates them in the same transaction. A NIK is indexed to one
household: the open one that holds it, else the one that held it last. A closed household
(moved away, non-eligible, graduated, ...) takes no event, so its NIKs do not block the same
people's registration in another household (a family that moved has a new KK): the index row
moves to the household that takes the NIK, and the closed case keeps its members as they were.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.bulk import Bulk
from engine.errors import CaseNotFound, EngineError, GuardRejected, NotPermitted
from engine.machine import SUSPENDED, Command
from engine.state import Actor, CaseState
from engine.store import repository as repo
from engine.store.kpm_tables import COUNTERS, HOUSEHOLDS, MEMBERS
from engine.store.prepared import Prepared
from workflows import kpm_codes as C
from workflows.kpm_parse import nested

CHUNK = 500


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), CHUNK):
        yield values[i : i + CHUNK]


def households_by_kk(s: Session, no_kks: Iterable[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for chunk in _chunks(sorted(set(no_kks))):
        q = sa.select(HOUSEHOLDS).where(HOUSEHOLDS.c.no_kk.in_(chunk))
        out.update((r.no_kk, r) for r in s.execute(q))
    return out


def households_by_code(s: Session, codes: Iterable[str]) -> dict[str, str]:
    """kode peserta -> case id."""
    out: dict[str, str] = {}
    for chunk in _chunks(sorted(set(codes))):
        q = sa.select(HOUSEHOLDS.c.kode_peserta, HOUSEHOLDS.c.case_id).where(
            HOUSEHOLDS.c.kode_peserta.in_(chunk)
        )
        out.update((r.kode_peserta, r.case_id) for r in s.execute(q))
    return out


def case_regions(s: Session, case_ids: Iterable[str]) -> dict[str, str]:
    """case id -> its region, for the cases of `case_ids` that exist."""
    return {i: region for i, (_, region) in repo.case_scopes(s, list(case_ids)).items()}


def members_by_nik(s: Session, niks: Iterable[str]) -> dict[str, tuple[str, str]]:
    """NIK -> (case id, member number) for the NIKs the register already holds."""
    out: dict[str, tuple[str, str]] = {}
    for chunk in _chunks(sorted(set(niks))):
        q = sa.select(MEMBERS.c.nik, MEMBERS.c.case_id, MEMBERS.c.member_no).where(
            MEMBERS.c.nik.in_(chunk)
        )
        out.update((r.nik, (r.case_id, r.member_no)) for r in s.execute(q))
    return out


@dataclass(frozen=True)
class Holder:
    """A household that holds a NIK, as a NIK conflict names it."""

    case_id: str
    state: str
    closed: bool
    # member numbers a closed household records as deceased: their NIKs are not free
    deceased: frozenset[str] = frozenset()

    @property
    def said(self) -> str:
        """'KPM-2026-000003 (peserta)'."""
        return f"{self.case_id} ({self.state})"

    def frees(self, member_no: str) -> bool:
        """Whether this household's NIK of `member_no` may go to another household: it has
        closed, and the member left it alive (moved away, non-eligible, ...)."""
        return self.closed and member_no not in self.deceased


def _deceased(attrs: Any) -> frozenset[str]:
    members = attrs.get("anggota") if isinstance(attrs, Mapping) else None
    if not isinstance(members, Mapping):
        return frozenset()
    return frozenset(
        str(no)
        for no, m in members.items()
        if isinstance(m, Mapping) and m.get("komponen") == C.MENINGGAL
    )


def holders(s: Session, case_ids: Iterable[str]) -> dict[str, Holder]:
    """Case id -> its state, open or closed (with whom a closed one records as deceased): for
    the few households a NIK conflict names."""
    out: dict[str, Holder] = {}
    c = repo.CASES.c
    for chunk in _chunks(sorted(set(case_ids))):
        q = sa.select(c.id, c.state, c.status).where(c.id.in_(chunk))
        out.update((r.id, Holder(r.id, r.state, r.status == "closed")) for r in s.execute(q))
    closed = sorted(k for k, h in out.items() if h.closed)
    for chunk in _chunks(closed):
        q = sa.select(c.id, c.attrs["anggota"].label("anggota")).where(c.id.in_(chunk))
        for r in s.execute(q):
            dead = _deceased({"anggota": r.anggota})
            if dead:
                out[r.id] = Holder(r.id, out[r.id].state, True, dead)
    return out


def release_closed(s: Session, niks: Iterable[str]) -> None:
    """Drop the index rows of these NIKs that a closed household holds, before the household
    taking them is indexed. An open household's row is kept (inserting over it then fails, as
    a NIK two open households hold must)."""
    closed = sa.select(repo.CASES.c.id).where(repo.CASES.c.status == "closed")
    for chunk in _chunks(sorted(set(niks))):
        s.execute(sa.delete(MEMBERS).where(MEMBERS.c.nik.in_(chunk), MEMBERS.c.case_id.in_(closed)))


def last_participant_numbers(s: Session, keys: Iterable[str]) -> dict[str, int]:
    """For each key (kecamatan + yy) that has one, the last sequence number of participant
    codes issued under it, its counter row locked until the transaction ends. One locking
    read for all keys: a batch touches thousands of kecamatan. A key missing here starts at 0
    (`record_participant_numbers` inserts its row; a concurrent first import of the same key
    meets the primary key, and the batch is redone)."""
    last: dict[str, int] = {}
    for chunk in _chunks(sorted(set(keys))):
        q = sa.select(COUNTERS.c.key, COUNTERS.c.last).where(COUNTERS.c.key.in_(chunk))
        last.update((r.key, r.last) for r in s.execute(q.with_for_update()))
    return last


def record_participant_numbers(
    s: Session, last: Mapping[str, int], used: Mapping[str, int]
) -> None:
    """Advance each key's counter past the `used` numbers issued after `last` (as
    `last_participant_numbers` read it): one insert and one update for all keys."""
    keys = sorted(k for k, n in used.items() if n)
    fresh = [{"key": k, "last": used[k]} for k in keys if k not in last]
    if fresh:
        s.execute(sa.insert(COUNTERS), fresh)
    moved = [{"k": k, "v": last[k] + used[k]} for k in keys if k in last]
    if moved:
        s.execute(
            COUNTERS.update()
            .where(COUNTERS.c.key == sa.bindparam("k"))
            .values(last=sa.bindparam("v")),
            moved,
        )


def _member_rows(state: CaseState) -> list[dict[str, str]]:
    return [
        {"nik": m["nik"], "case_id": state.id, "member_no": no}
        for no, m in state.attrs.get("anggota", {}).items()
    ]


_INSERT_HOUSEHOLDS = Prepared(sa.insert(HOUSEHOLDS))
_INSERT_MEMBERS = Prepared(sa.insert(MEMBERS))


def index_new(s: Session, states: Sequence[CaseState]) -> None:
    if not states:
        return
    _INSERT_HOUSEHOLDS.run(
        s,
        [
            {
                "no_kk": st.attrs["no_kk"],
                "case_id": st.id,
                "kode_peserta": st.attrs["kode_peserta"],
                "region": st.region,
            }
            for st in states
        ],
    )
    members = [r for st in states for r in _member_rows(st)]
    if members:
        _INSERT_MEMBERS.run(s, members)


def index_changed(s: Session, pairs: Sequence[tuple[CaseState, CaseState]]) -> None:
    """Bring the member index in step with each (before, after) pair of a case. A row is
    dropped only as the case's own: the NIK may have moved on to another household since. A
    NIK new to the case that a closed household held moves here (whichever door decided it:
    the import, a data update, a correction applied by data control)."""
    added: list[dict[str, str]] = []
    for before, after in pairs:
        old = {(r["nik"], r["member_no"]) for r in _member_rows(before)}
        new = {(r["nik"], r["member_no"]) for r in _member_rows(after)}
        gone = [nik for nik, _ in old - new]
        for chunk in _chunks(gone):
            s.execute(
                sa.delete(MEMBERS).where(MEMBERS.c.nik.in_(chunk), MEMBERS.c.case_id == after.id)
            )
        added += [{"nik": n, "case_id": after.id, "member_no": no} for n, no in new - old]
    if added:
        release_closed(s, [r["nik"] for r in added])
        s.execute(sa.insert(MEMBERS), added)


def niks_free_for(
    s: Session, niks: Iterable[str], case_id: str | None = None
) -> tuple[list[str], dict[str, Holder], dict[str, Holder]]:
    """(free, taken, closed) for these NIKs seen from household `case_id` (None: a new one):
    the NIKs it may take (no other household holds them, or only a closed one), the open
    households holding the others, and the closed households the free ones come from."""
    wanted = sorted(set(niks))
    held = {n: cm for n, cm in members_by_nik(s, wanted).items() if cm[0] != case_id}
    found = holders(s, (c for c, _ in held.values()))
    # a row naming a case that is not there blocks, as any holder did before it closed
    unknown = {c: Holder(c, "?", closed=False) for c, _ in held.values() if c not in found}
    found |= unknown
    # a member recorded as deceased keeps the NIK where they died, closed or not
    taken = {n: found[c] for n, (c, no) in held.items() if not found[c].frees(no)}
    closed = {n: found[c] for n, (c, no) in held.items() if found[c].frees(no)}
    return [n for n in wanted if n not in taken], taken, closed


def free_niks(s: Session, niks: Iterable[str], case_id: str | None = None) -> list[str]:
    """The NIKs no other open household holds: the fact the workflow's `new_niks_are_free`
    needs."""
    return niks_free_for(s, niks, case_id)[0]


def resolve(s: Session, code: str) -> str:
    """A household's case id from its case id, kode peserta, kode anggota, no_kk or NIK.

    A code must name someone the register holds: a kode anggota whose member number the
    household does not have (or no longer has) is not found, as a NIK nobody holds is; it
    does not fall back to the household of its first 13 digits."""
    code = code.strip()
    h, m = HOUSEHOLDS.c, MEMBERS.c
    if code.upper().startswith("KPM-"):
        return code.upper()
    found = None
    if code.isascii() and code.isdigit():
        if len(code) == C.PARTICIPANT_CODE_LENGTH:
            found = s.execute(sa.select(h.case_id).where(h.kode_peserta == code)).scalar()
        elif len(code) == C.PARTICIPANT_CODE_LENGTH + 2:
            participant, no = code[: C.PARTICIPANT_CODE_LENGTH], code[C.PARTICIPANT_CODE_LENGTH :]
            q = (
                sa.select(h.case_id)
                .join(MEMBERS, m.case_id == h.case_id)
                .where(h.kode_peserta == participant, m.member_no == no)
            )
            found = s.execute(q).scalar()
        elif len(code) == 16:
            found = s.execute(sa.select(h.case_id).where(h.no_kk == code)).scalar()
            found = found or s.execute(sa.select(m.case_id).where(m.nik == code)).scalar()
    if found is None:
        raise CaseNotFound(code)
    return str(found)


def stats(s: Session) -> dict[str, Any]:
    households = int(s.execute(sa.select(sa.func.count()).select_from(HOUSEHOLDS)).scalar_one())
    members = int(s.execute(sa.select(sa.func.count()).select_from(MEMBERS)).scalar_one())
    c = repo.CASES.c
    by_state = {
        r.state: int(r.n)
        for r in s.execute(
            sa.select(c.state, sa.func.count().label("n"))
            .where(c.workflow == "kpm")
            .group_by(c.state)
            .order_by(c.state)
        )
    }
    return {"households": households, "members": members, "by_state": by_state}


def rebuild_index(s: Session) -> dict[str, int]:
    """Rebuild the index tables from the KPM cases (their projections, which verify replays).

    A NIK two households list (one of them closed: the person moved on) goes to the open one;
    one only closed households list goes to the one that closed last, which held it last (a
    NIK passes only from a closed household to a household that closes after taking it). So
    the open households are indexed first, then the closed ones from the latest closed back,
    each NIK by the first that lists it."""
    s.execute(sa.delete(MEMBERS))
    s.execute(sa.delete(HOUSEHOLDS))
    c = repo.CASES.c
    kpm = sa.select(repo.CASES).where(c.workflow == "kpm")
    for state_rows in _batches(s.execute(kpm.where(c.status != "closed").order_by(c.id))):
        index_new(s, state_rows)
    latest = (c.closed_at.desc().nulls_last(), c.id.desc())
    for state_rows in _batches(s.execute(kpm.where(c.status == "closed").order_by(*latest))):
        _index_unless_held(s, state_rows)
    return stats(s)


def _batches(rows: Iterable[Any], size: int = 1000) -> Iterator[list[CaseState]]:
    states: list[CaseState] = []
    for row in rows:
        states.append(repo.state_from_row(row))
        if len(states) >= size:
            yield states
            states = []
    if states:
        yield states


def _index_unless_held(s: Session, states: Sequence[CaseState]) -> None:
    """Index these households, each NIK by the first of them that lists it unless a household
    indexed before holds it."""
    _INSERT_HOUSEHOLDS.run(
        s,
        [
            {
                "no_kk": st.attrs["no_kk"],
                "case_id": st.id,
                "kode_peserta": st.attrs["kode_peserta"],
                "region": st.region,
            }
            for st in states
        ],
    )
    rows: dict[str, dict[str, str]] = {}
    for st in states:
        for r in _member_rows(st):
            rows.setdefault(r["nik"], r)
    held = members_by_nik(s, rows)
    members = [r for nik, r in rows.items() if nik not in held]
    if members:
        _INSERT_MEMBERS.run(s, members)


# ----------------------------------------------------------------------------- one command
def complaint_fact(s: Session, complaint_id: str | None) -> dict[str, Any]:
    """What a correction's guard needs to know of the complaint behind it."""
    state = repo.load_case(s, complaint_id) if complaint_id else None
    if state is None or state.workflow != "complaint":
        return {}
    return {
        "type": state.attrs.get("type"),
        "level": state.level,
        "household": state.attrs.get("household"),
    }


def new_niks_in(data: Mapping[str, Any]) -> list[str]:
    """NIKs a command's data brings (new members, changed NIKs), as the parsers will read it."""
    try:
        added = nested(data, "tambah", list)
        changes = nested(data, "anggota", dict)
    except EngineError:
        return []  # the parser names the bad field when the command is decided
    niks = [m.get("nik") for m in added if isinstance(m, Mapping)]
    niks += [f.get("nik") for f in changes.values() if isinstance(f, Mapping)]
    return [str(n).strip() for n in niks if n]


def bulk_for(app: Any, now: datetime) -> Bulk:
    """The bulk path deciding as the service does: its workflows, calendar, backdating limit,
    what it knows of the actor (a suspension) and whom the staff register relieves of duty."""
    return Bulk(
        app.registry,
        app.service.calendar(),
        now,
        app.settings.max_backdate_days,
        actor_facts=app.service.actor_facts,
        calendar_in=app.service.calendar_in,
        staff_register=app.service.staff_register,
    )


def check_door(app: Any, who: Actor, trigger: str) -> None:
    """Refuse a whole file at once when its actor may record none of it: a role the command
    does not admit (NotPermitted), or a person relieved of duty (GuardRejected), instead of
    the same refusal on every row."""
    transitions = app.registry.get("kpm").transitions
    roles = {r for t in transitions if t.trigger == trigger for r in t.roles}
    if who.role not in roles:
        raise NotPermitted(
            f"role '{who.role}' may not record '{trigger}' on KPM households "
            f"(allowed roles: {', '.join(sorted(roles))})"
        )
    with app.db.reading() as s:
        if who.role != "system" and app.service.actor_facts(s, who).get("actor_suspended"):
            raise GuardRejected(trigger, [SUSPENDED])


def kpm_facts(s: Session, cmd: Command, state: CaseState | None) -> dict[str, Any]:
    """The facts only the register knows, for any KPM command whichever door it came in by
    (`pkh kpm`, `pkh case advance`, the API, the pages): which of the NIKs it brings no other
    household holds, and for a correction the complaint behind it."""
    data = cmd.data
    free, taken, closed = niks_free_for(s, new_niks_in(data), state.id if state else None)
    facts: dict[str, Any] = {
        # a NIK only a closed household holds is free: the index row moves (see kpm_index)
        "free_niks": free,
        "niks_held": {
            n: f"{h.case_id}, {h.state}" + (", meninggal dunia" if h.closed else "")
            for n, h in taken.items()
        },
        "niks_from_closed": {n: h.case_id for n, h in closed.items()},
    }
    if cmd.trigger == "koreksi":
        facts["pengaduan"] = complaint_fact(s, str(data.get("pengaduan") or ""))
    return facts


def kpm_index(s: Session, before: CaseState | None, after: CaseState) -> None:
    """Keep the index in step with a KPM case, in the transaction of its event (a projector
    of the service: every door that records a KPM event goes through it). A NIK new to the
    household that a closed household held moves here."""
    if before is None:
        release_closed(s, [m["nik"] for m in after.attrs.get("anggota", {}).values()])
        index_new(s, [after])
    else:
        index_changed(s, [(before, after)])


def apply(
    app: Any,
    case_id: str,
    trigger: str,
    data: Mapping[str, Any],
    actor: str,
    *,
    at: datetime | None = None,
    note: str | None = None,
) -> CaseState:
    """One KPM command: the service's own (the register's facts and its index come with
    every KPM command, see `kpm_facts` and `kpm_index`)."""
    return app.service.apply(case_id, trigger, data, actor, at=at, note=note)
