"""A case as it stood at a moment, the same for the `pkh` command, the API and the audit page.

How a moment is read: a bare date (YYYY-MM-DD) means the END of that day, 23:59:59.999999, "as
the case stood on that day"; a date and time without an offset is read in the case's office
zone (on the audit page: in the zone chosen, the case's by default); an offset (+07:00, Z)
wins. The API takes only a date and time with an offset. What a replay answers: the case with
the moment and the basis it was replayed on, and whether that moment is now or later (the case
as it stands now: events still to come could change it). Before the case's first event there
is nothing to show: a refusal naming the moment and the first event's times, not "not found".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from itertools import takewhile
from operator import attrgetter
from typing import Any
from zoneinfo import ZoneInfo

from api.views import case_out
from api.wiring import App
from engine.audit import ChainedEvent
from engine.errors import InvalidInput, StoredDataUnreadable, instant
from engine.state import Actor, CaseState, Event, ReplayError, replay
from workflows import Registry
from workflows.indonesia import zone_label
from workflows.roles import AUDITOR_ROLES, is_subject, masked, sees_reporter

BASES = ("recorded", "occurred")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# a '+' written unencoded in a URL's query arrives as a space: "...T10:00:00 07:00"
_SPACED_OFFSET = re.compile(r"(.*T[\d:.]+) (\d{2}(?::?\d{2})?)")
API_MOMENT_HELP = (
    "an ISO 8601 date and time with its offset, e.g. 2026-11-18T23:59:59+07:00 (WIB; WITA "
    "+08:00, WIT +09:00, UTC Z); in a URL the + is written %2B"
)


def check_basis(value: str) -> str:
    if value not in BASES:
        raise InvalidInput(
            "basis",
            f"'{value}' is not a basis: use 'recorded' (the events as the store had recorded "
            "them by then) or 'occurred' (the events that had happened by then, backdated ones "
            "included)",
            message_id=f"'{value}' bukan dasar waktu: gunakan 'recorded' (waktu pencatatan) "
            "atau 'occurred' (waktu kejadian)",
        )
    return value


def end_of_day(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time.max, tzinfo=zone)


def read_moment(raw: str, zone: tzinfo, field: str) -> datetime:
    """A moment typed by a person (the CLI's --as-of, the audit page's `at`): a bare date is
    the end of that day in `zone`; a date and time is read in `zone` unless it has an offset."""
    value = raw.strip()
    try:
        if _DATE.fullmatch(value):
            dt = end_of_day(date.fromisoformat(value), zone)
        else:
            dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            field,
            f"'{raw}' is not a date (YYYY-MM-DD, the end of that day) or a date and time "
            "(YYYY-MM-DDTHH:MM, optionally with an offset such as +07:00)",
            message_id=f"'{raw}' bukan tanggal (YYYY-MM-DD, akhir hari itu) atau tanggal dan "
            "jam (YYYY-MM-DDTHH:MM, boleh dengan selisih zona seperti +07:00)",
        ) from None
    return in_zone(dt, raw, zone, field)


def in_zone(dt: datetime, raw: str, zone: tzinfo, field: str) -> datetime:
    """A moment read from `raw`, in `zone` unless it carries an offset; refused outside the
    years 2000-2100 (far years overflow when moved between zones)."""
    if not 2000 <= dt.year <= 2100:  # far years overflow when moved between zones
        raise InvalidInput(
            field,
            f"'{raw}' is outside the years 2000-2100",
            message_id=f"'{raw}' di luar tahun 2000-2100",
        )
    return dt if dt.tzinfo else dt.replace(tzinfo=zone)


def plus_restored(raw: str) -> str:
    """A moment from a URL's query with the '+' of its offset given back: written unencoded,
    it arrives as a space ("...T10:00:00 07:00")."""
    value = raw.strip()
    spaced = _SPACED_OFFSET.fullmatch(value)
    return f"{spaced[1]}+{spaced[2]}" if spaced else value


def api_moment(raw: str, field: str = "as_of") -> datetime:
    """The API's moment: a date and time with an offset (a program says what it means)."""
    value = plus_restored(raw)
    if _DATE.fullmatch(value):
        raise InvalidInput(
            field,
            f"'{raw}' is a date without a time: give {API_MOMENT_HELP}; the end of that day in "
            f"WIB is {value}T23:59:59.999999+07:00",
        )
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(field, f"'{raw}' is not {API_MOMENT_HELP}") from None
    if dt.tzinfo is None:
        raise InvalidInput(field, f"'{raw}' needs a time zone offset: give {API_MOMENT_HELP}")
    return instant(dt, field)


def local(dt: datetime, zone: str) -> str:
    """An instant as the office reads it, to the second: '2026-11-18 23:59:59 WIB'."""
    return f"{dt.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M:%S} {zone_label(zone)}"


@dataclass(frozen=True)
class Replay:
    now: CaseState  # the case as it stands (its zone; masking follows it)
    state: CaseState | None  # None: no event yet at the moment, on this basis
    as_of: datetime
    basis: str
    current: bool  # the moment is now or later: this is the case as it stands now
    first: ChainedEvent
    history: tuple[ChainedEvent, ...] = ()  # every event of the case, in version order

    def events(self, *, upto: bool) -> list[Event]:
        """The case's events: all of them, or (`upto`) those the replay folded."""
        events = [c.event for c in self.history]
        if not upto:
            return events
        moment = attrgetter("recorded_at" if self.basis == "recorded" else "occurred_at")
        return list(takewhile(lambda ev: moment(ev) <= self.as_of, events))


class NotYetRecorded(InvalidInput):
    """The moment lies before the case's first event on the basis asked for. The case exists:
    bad input naming `as_of` (HTTP 422, exit 2), with what the store knows, not "not found"."""

    def __init__(self, r: Replay, field: str = "as_of", *, hint: str = "") -> None:
        super().__init__(field, not_yet_text(r, "en", hint=hint))
        self.replay = r

    def as_dict(self) -> dict[str, object]:
        ev = self.replay.first.event
        return {
            **super().as_dict(),
            "as_of": self.replay.as_of.astimezone(UTC).isoformat(),
            "basis": self.replay.basis,
            "first_recorded_at": ev.recorded_at.astimezone(UTC).isoformat(),
            "first_occurred_at": ev.occurred_at.astimezone(UTC).isoformat(),
        }


def replay_case(
    app: App,
    case_id: str,
    actor: str | None,
    as_of: datetime | str | None,
    basis: str,
    *,
    zone: tzinfo | None = None,
    field: str = "as_of",
) -> Replay:
    """The case `actor` may see, as it stood at `as_of` on `basis` (a typed moment is read in
    `zone`, else the case's own zone; None: now)."""
    basis = check_basis(basis)
    now_state, history = app.service.recorded(case_id, actor, replayed_for=AUDITOR_ROLES)
    now = app.service.clock()
    if isinstance(as_of, str):
        as_of = read_moment(as_of, zone or ZoneInfo(now_state.zone), field)
    moment = now if as_of is None else as_of
    try:
        state = replay((c.event for c in history), as_of=moment, basis=basis)
    except ReplayError as e:
        # stored events that do not fold (one deleted, one out of order): the store was
        # altered outside pkh, not the request wrong; said as any other damaged row is
        raise StoredDataUnreadable(
            case_id, e.version, "events", str(e), detail_id=e.message_id
        ) from None
    return Replay(now_state, state, moment, basis, moment >= now, history[0], tuple(history))


def not_yet_text(
    r: Replay,
    lang: str,
    *,
    hint: str = "",
    fmt: Callable[[datetime, str], str] = local,
    exact: Callable[[datetime, str], str] | None = None,
) -> str:
    """Why there is nothing to show at that moment: the first event's times, and where the
    case had happened by then but was recorded later, the other basis (`hint`: how to ask for
    it at this door, e.g. "--basis occurred"; `fmt(instant, zone)` writes a moment, `exact`
    to the second where `fmt` would write two different moments alike)."""
    zone, ev = r.now.zone, r.first.event
    moments = [r.as_of, ev.recorded_at]
    if ev.occurred_at != ev.recorded_at:
        moments.append(ev.occurred_at)
    written = [fmt(m, zone) for m in moments]
    if exact is not None and len(set(written)) < len(set(moments)):
        # "not yet recorded at 15:16: its first event was recorded at 15:16" (at 15:16:17)
        written = [exact(m, zone) for m in moments]
    at, recorded = written[0], written[1]
    occurred = written[2] if len(written) > 2 else None
    case = r.now.id
    if lang == "id":
        if r.basis == "occurred":
            return (
                f"{case} belum terjadi pada {at}: kejadian pertamanya terjadi pada "
                f"{occurred or recorded}" + (f" (dicatat {recorded})." if occurred else ".")
            )
        said = f"{case} belum tercatat pada {at}: kejadian pertamanya dicatat pada {recorded}"
        if occurred and ev.occurred_at <= r.as_of:
            return f"{said}, meskipun terjadi pada {occurred}." + (
                f" {hint} menampilkan kasus menurut waktu kejadian." if hint else ""
            )
        return said + (f" (terjadi {occurred})." if occurred else ".")
    if r.basis == "occurred":
        return (
            f"{case} had not happened yet at {at}: its first event happened at "
            f"{occurred or recorded}" + (f" (recorded {recorded})" if occurred else "")
        )
    said = f"{case} was not yet recorded at {at}: its first event was recorded at {recorded}"
    if occurred and ev.occurred_at <= r.as_of:
        return f"{said}, though it happened at {occurred}" + (
            f"; {hint} shows the case as things happened" if hint else ""
        )
    return said + (f" (it happened at {occurred})" if occurred else "")


def moment_text(r: Replay, given: bool) -> str:
    """The line that says which moment and basis a replay shows (the CLI's text)."""
    basis = "events recorded by then" if r.basis == "recorded" else "events that happened by then"
    at = local(r.as_of, r.now.zone)
    if not given:
        return f"as of now, {at} ({basis})"
    if r.current:
        return f"as of {at} ({basis}): a moment not yet come, so the case as it stands now"
    return f"as of {at} ({basis})"


def replay_out(
    registry: Registry, r: Replay, who: Actor | None, *, hidden: Collection[str] = ()
) -> dict[str, Any]:
    """The replayed case as `who` may see it, with the moment, the basis and `current`.
    Masking follows the case as it stands now: confidentiality never loosens looking back;
    `hidden`: the values `who` may not see (`api.views.unseen`, of the case now)."""
    assert r.state is not None
    view = case_out(registry, r.state, who, replayed=True, hidden=hidden)
    if not sees_reporter(who, r.now):
        view["attrs"] = masked(view["attrs"], subject=is_subject(who, r.now))
    return {**view, **replay_fields(r)}


def replay_fields(r: Replay) -> dict[str, Any]:
    return {"as_of": r.as_of.astimezone(UTC).isoformat(), "basis": r.basis, "current": r.current}
