"""The engine's error family: every refusal derives from EngineError so doors map them once."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Reason:
    """Why something was refused: a stable English key plus Bahasa Indonesia and English text."""

    key: str
    id: str
    en: str
    # the inputs it is about, by the API's paths ('anggota.03.kelas', 'tambah[0].komponen'),
    # each with what is wrong with it (Indonesian, English): for a form to say it beside them
    fields: tuple[tuple[str, str, str], ...] = ()

    def as_dict(self) -> dict[str, str]:
        return {"key": self.key, "id": self.id, "en": self.en}


class EngineError(Exception):
    """Base of every refusal the engine can give."""

    code = "engine_error"

    def as_dict(self) -> dict[str, object]:
        return {"error": self.code, "message": str(self)}


class CaseNotFound(EngineError):
    code = "case_not_found"

    def __init__(self, case_id: str) -> None:
        super().__init__(f"case not found: {case_id}")
        self.case_id = case_id


class NotFound(EngineError):
    """Something other than a case (a user, a workflow) does not exist."""

    code = "not_found"


class UnknownActor(NotFound):
    """The acting user does not exist or is no longer active."""


class TransitionNotAllowed(EngineError):
    code = "transition_not_allowed"

    def __init__(self, event: str, state: str, allowed: Sequence[str]) -> None:
        allowed_txt = ", ".join(allowed) if allowed else "none"
        super().__init__(
            f"event '{event}' is not allowed in state '{state}'; allowed: {allowed_txt}"
        )
        self.event = event
        self.state = state
        self.allowed = list(allowed)

    def as_dict(self) -> dict[str, object]:
        return {
            **super().as_dict(),
            "event": self.event,
            "state": self.state,
            "allowed": self.allowed,
        }


class GuardRejected(EngineError):
    code = "guard_rejected"

    def __init__(self, event: str, reasons: Sequence[Reason]) -> None:
        text = "; ".join(f"{r.key}: {r.en} / {r.id}" for r in reasons)
        super().__init__(f"event '{event}' refused: {text}")
        self.event = event
        self.reasons = list(reasons)

    def as_dict(self) -> dict[str, object]:
        return {
            **super().as_dict(),
            "event": self.event,
            "reasons": [r.as_dict() for r in self.reasons],
        }


class NotPermitted(EngineError):
    """The actor's role or region may not do this; outside the region, doors say not found.
    A refusal of the actor's role names it (`role`), the command (`event`, None when the role
    may change nothing of the workflow's) and the roles that may (`allowed`), so a door can
    say it in its own words and language."""

    code = "not_permitted"

    def __init__(
        self,
        message: str,
        *,
        out_of_scope: bool = False,
        role: str | None = None,
        event: str | None = None,
        workflow: str | None = None,
        allowed: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.out_of_scope = out_of_scope
        self.role, self.event, self.workflow = role, event, workflow
        self.allowed = tuple(allowed)


class ConcurrencyConflict(EngineError):
    code = "version_conflict"

    def __init__(self, case_id: str, expected: int, current: int) -> None:
        super().__init__(
            f"case {case_id} is at version {current}, not {expected}; reload and try again"
        )
        self.case_id = case_id
        self.expected = expected
        self.current = current

    def as_dict(self) -> dict[str, object]:
        return {
            **super().as_dict(),
            "expected_version": self.expected,
            "current_version": self.current,
        }


class AlreadyRunning(EngineError):
    """A job that runs one at a time (a whole-store audit verification) is under way."""

    code = "already_running"

    def __init__(self, message: str, *, run_id: int) -> None:
        super().__init__(message)
        self.run_id = run_id

    def as_dict(self) -> dict[str, object]:
        return {**super().as_dict(), "run_id": self.run_id}


class StoredDataUnreadable(EngineError):
    """A stored event or case row cannot be read as the engine wrote it (JSON that does not
    parse, a date that is not one): the store was altered behind the engine's back. The case's
    history cannot be shown, replayed or changed until it is repaired; `pkh audit verify`
    reports every such row. Nothing about the request is wrong (HTTP 409, exit 1)."""

    code = "stored_data_unreadable"

    def __init__(
        self,
        case_id: str,
        version: int | None,
        column: str,
        detail: str,
        *,
        detail_id: str | None = None,
    ) -> None:
        where = f"case {case_id}" + (f" version {version}" if version is not None else "")
        super().__init__(
            f"{where}: the stored {column} cannot be read ({detail}); the store was altered "
            "outside pkh: `pkh audit verify --all` lists every such row"
        )
        self.case_id, self.version, self.column, self.detail = case_id, version, column, detail
        # `detail` in Bahasa Indonesia where pkh words it (None: a reason the database driver
        # or Python gave, said as given)
        self.detail_id = detail_id

    def as_dict(self) -> dict[str, object]:
        return {
            **super().as_dict(),
            "case_id": self.case_id,
            "version": self.version,
            "column": self.column,
        }


ECHOED = 40  # characters of a refused value a message repeats


def echoed(value: object, limit: int = ECHOED) -> str:
    """A refused value as a message repeats it: quoted, and cut after `limit` characters, so a
    pasted page does not come back whole in the refusal (in either language)."""
    text = str(value)
    return f"'{text}'" if len(text) <= limit else f"'{text[:limit]}…'"


class InvalidInput(EngineError):
    """A value is malformed or unknown; names the field. `more`: the other fields refused by
    the same check (a form checked whole, `Findings`), so every one is named at once."""

    code = "invalid_input"

    def __init__(
        self,
        field: str,
        message: str,
        *,
        message_id: str | None = None,
        more: Sequence[InvalidInput] = (),
    ) -> None:
        self.field: str = field
        self.message: str = message
        self.more: tuple[InvalidInput, ...] = tuple(more)
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in self.every))
        # the same in Bahasa Indonesia, where the officer pages should say it so
        self.message_id = message_id

    @property
    def every(self) -> tuple[InvalidInput, ...]:
        """This refusal and the others found with it, in the order of the fields checked."""
        return (self, *self.more)

    def as_dict(self) -> dict[str, object]:
        # `errors` lists every field refused, as the API's schema refusals do; each with its
        # Indonesian (`message_id`) where the check words it so, as the officer pages say it
        errors = [_refused(e) for e in self.every]
        return {**super().as_dict(), "field": self.field, "errors": errors}


def _refused(e: InvalidInput) -> dict[str, object]:
    out: dict[str, object] = {"field": e.field, "message": e.message}
    if e.message_id:
        out["message_id"] = e.message_id
    return out


class Findings:
    """The checks of a form's fields, each run even after one refuses, so a form with three
    mistakes is refused once naming all three (`InvalidInput.more`), not three times."""

    def __init__(self) -> None:
        self.found: list[InvalidInput] = []

    def check(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """fn(*args, **kwargs), or None with its refusal kept."""
        try:
            return fn(*args, **kwargs)
        except InvalidInput as e:
            self.found.extend(e.every)
            return None

    @property
    def failed(self) -> frozenset[str]:
        return frozenset(e.field for e in self.found)

    def raise_found(self) -> None:
        if self.found:
            first, *rest = self.found
            raise InvalidInput(
                first.field, first.message, message_id=first.message_id, more=rest
            ) from None


def one_of(field: str, value: str | None, allowed: Iterable[str]) -> None:
    """Refuse a filter or option value nothing can have (a mistyped level or workflow would
    otherwise read as an empty worklist), naming the choices; None is no filter."""
    options = sorted(allowed)
    choices = ", ".join(options)
    if value is not None and value not in options:
        raise InvalidInput(
            field,
            f"unknown {field} {echoed(value)}; one of: {choices}",
            message_id=f"{field} {echoed(value)} tidak dikenal; pilihan: {choices}",
        )


def refuse_unknown_keys(data: Mapping[str, object], keys: Sequence[str]) -> None:
    """Refuse data keys a command does not take, naming the first (and the others): a typo or
    a stray key would otherwise be dropped, or kept in the event log for good, unchecked."""
    unknown = [str(k) for k in data if k not in keys]
    if not unknown:
        return
    takes_en = f"it takes {', '.join(keys)}" if keys else "it takes no data"
    takes_id = f"yang diterima: {', '.join(keys)}" if keys else "perintah ini tanpa data"
    also_en = f"; nor are {', '.join(unknown[1:])}" if unknown[1:] else ""
    also_id = f"; begitu pula {', '.join(unknown[1:])}" if unknown[1:] else ""
    raise InvalidInput(
        unknown[0],
        f"is not data of this command ({takes_en}){also_en}",
        message_id=f"bukan data perintah ini ({takes_id}){also_id}",
    )


def instant(value: datetime, field: str) -> datetime:
    """An input instant as UTC: it must carry a zone and lie where UTC can hold it."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(
            field,
            "needs a time zone offset, e.g. +07:00",
            message_id="perlu selisih zona waktu, mis. +07:00",
        )
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise InvalidInput(
            field,
            f"{value.isoformat()} is out of range",
            message_id=f"{value.isoformat()} di luar rentang waktu yang dapat dicatat",
        ) from None
