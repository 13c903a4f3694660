"""Monthly commitment verification files (verifikasi komitmen), imported like the extract.

Columns: `periode` (YYYY-MM), `hadir` (1 attended / 0 did not; ya/tidak), and the member by
`kode_anggota` (participant code + member number) or `nik`. One row per member and month. Rows
are grouped per household and month; each group is one `verifikasi_komitmen` event, whose
decision sets the household's compliance and may suspend, reinstate or terminate it. A
household's months are recorded in order, whatever the order of the file's rows.

A month is recorded whole or not at all: when a row of a household's month is rejected (or a row
of the household whose month cannot be read), nothing is recorded for that month and its other
rows are rejected naming the rejected line(s); the later months of the household in the file wait
too (recording them would close the earlier month for good). Fixing the rejected rows and
importing the file again records them. A row whose member cannot be found at all (a NIK or code
the register does not hold) belongs to no household and holds nothing back.

A rerun changes nothing: a household's month that is already recorded with the same attendance
counts as unchanged; with different attendance, a month before the last one recorded, or a
month before the household's decree (SK penetapan: it was not a participant yet), its rows are
rejected with the reason. Reasons are given in Bahasa Indonesia, then English (`field: id / en`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.bulk import Bulk, Item, load_for_update
from engine.errors import (
    CaseNotFound,
    EngineError,
    GuardRejected,
    InvalidInput,
    TransitionNotAllowed,
)
from engine.state import CaseState
from workflows import kpm_codes as C
from workflows import kpm_parse as P
from workflows import kpm_rules as K
from workflows import kpm_store as store
from workflows.kpm_files import Staging, as_record, open_table, progress_bar

REQUIRED = ("periode", "hadir")
LOOKUP_CHUNK = 5000
BATCH_HOUSEHOLDS = 2000
REJECTED = None  # the attendance staged for a row already rejected: it spoils its month
# A month refused for one of these reasons can never be recorded: it holds no later month back.
OUT_OF_ORDER = frozenset({"period_already_verified", "period_before_participation"})
SHOWN_LINES = 5


@dataclass
class VerifyReport:
    """What a verification file did. `households` counts distinct households with at least one
    month recorded, `household_months` the months recorded (one `verifikasi_komitmen` event
    each); `unchanged_households` / `unchanged_household_months` the same for months already
    recorded with the same attendance. `outcomes`: households by their state after this file."""

    file: str
    rows: int = 0
    accepted_members: int = 0
    households: int = 0
    household_months: int = 0
    unchanged_households: int = 0
    unchanged_household_months: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)  # state -> households
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def reject(self, line: int, reason: str) -> None:
        self.rejected.append({"line": line, "reason": reason})

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k not in ("rejected", "outcomes")}
        out["outcomes"] = dict(sorted(self.outcomes.items()))
        out["rejected"] = sorted(self.rejected, key=lambda r: r["line"])
        return out


class Said(str):
    """A rejection reason as the reports give it, `field: Indonesian / English`, that keeps its
    parts apart for a page showing one language: `field` (the column or "household"), `id`,
    `en`."""

    field: str
    id: str
    en: str

    def __new__(cls, text: str, field_: str, said_id: str, said_en: str) -> Said:
        out = super().__new__(cls, text)
        out.field, out.id, out.en = field_, said_id, said_en
        return out


def said(field_: str, said_id: str, said_en: str) -> Said:
    """A rejection reason as the KPM reports give it: the field, then Bahasa Indonesia / English."""
    return Said(f"{field_}: {said_id} / {said_en}", field_, said_id, said_en)


def input_reason(e: InvalidInput) -> Said:
    if e.message_id and e.message_id != e.message:
        return said(e.field, e.message_id, e.message)
    # worded in one language only: said as it is in both
    return Said(str(e), e.field, e.message, e.message)


def engine_reason(e: EngineError) -> Said:
    """Why the workflow refused a household's month; a guard's reasons already carry both."""
    if isinstance(e, InvalidInput):
        r = input_reason(e)
        return Said("household: " + r, "household", f"{r.field}: {r.id}", f"{r.field}: {r.en}")
    if isinstance(e, TransitionNotAllowed):
        return said(
            "household",
            f"peristiwa '{e.event}' tidak diizinkan pada status '{e.state}'",
            str(e),
        )
    if isinstance(e, CaseNotFound):
        return said("household", f"kasus tidak ditemukan: {e.case_id}", str(e))
    if isinstance(e, GuardRejected):
        return Said(
            f"household: {e}",
            "household",
            "; ".join(r.id for r in e.reasons),
            "; ".join(r.en for r in e.reasons),
        )
    return Said(f"household: {e}", "household", str(e), str(e))


def _lines(lines: list[int]) -> tuple[str, str]:
    """('baris 3, 4', 'lines 3, 4'), at most SHOWN_LINES of them."""
    shown = ", ".join(map(str, lines[:SHOWN_LINES]))
    more = len(lines) - SHOWN_LINES
    if more > 0:
        return f"baris {shown} (dan {more} lagi)", f"lines {shown} (and {more} more)"
    return f"baris {shown}", (f"line {shown}" if len(lines) == 1 else f"lines {shown}")


def parse_row(record: dict[str, Any]) -> tuple[str, str, str, bool]:
    """(periode, 'nik' or 'kode', identifier, attended)."""
    periode = P.period(record.get("periode"))
    try:
        hadir = P.verification({"periode": periode, "hadir": {"1": record.get("hadir")}})
    except InvalidInput as e:  # said of this row's column, not of a member number
        raise InvalidInput("hadir", e.message, message_id=e.message_id) from None
    attended = hadir["hadir"]["01"]
    kode = record.get("kode_anggota")
    if kode not in (None, ""):
        return periode, "kode", "".join(C.split_member_code(kode)), attended
    if record.get("nik") in (None, ""):
        raise InvalidInput(
            "kode_anggota",
            "a row names its member by kode_anggota or nik",
            message_id="setiap baris harus menyebut anggotanya dengan kode_anggota atau nik",
        )
    return periode, "nik", C.parse_nik(record.get("nik")), attended


def _attribution(record: dict[str, Any]) -> tuple[str | None, str, str] | None:
    """For a row rejected as it was read: the household (and month, when readable) it names,
    as (periode or None, 'nik' or 'kode', identifier), so its month is not recorded without it;
    None when it names no member it could be matched to."""
    try:
        periode: str | None = P.period(record.get("periode"))
    except InvalidInput:
        periode = None
    kode = record.get("kode_anggota")
    if kode not in (None, ""):
        s = _plain_digits(kode)
        if s is not None and len(s) in (C.PARTICIPANT_CODE_LENGTH, C.PARTICIPANT_CODE_LENGTH + 2):
            return periode, "kode", s  # a kode peserta alone still names the household
        return None
    s = _plain_digits(record.get("nik"))
    return (periode, "nik", s) if s is not None and len(s) == 16 else None


def _plain_digits(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    s = str(value).strip().removeprefix("'")
    return s if s.isascii() and s.isdigit() else None


def verify_file(
    app: Any, path: str | Path, *, actor: str = "system", progress: bool = False
) -> VerifyReport:
    service = app.service
    who = service.actor(actor)
    store.check_door(app, who, "verifikasi_komitmen")
    now = service.clock()
    bulk = store.bulk_for(app, now)
    report = VerifyReport(file=str(path))
    table = open_table(path, REQUIRED)
    if "kode_anggota" not in table.header and "nik" not in table.header:
        table.close()
        raise InvalidInput(
            "file",
            "needs a kode_anggota or a nik column",
            message_id="harus memiliki kolom kode_anggota atau nik",
        )
    with Staging() as stage, progress_bar(progress) as bar:
        reading = bar.add_task("membaca / reading", total=table.size or None)
        pending: list[tuple[int, tuple[str | None, str, str, bool | None]]] = []
        try:
            for line, values in table.rows:
                report.rows += 1
                record = as_record(table.header, values)
                try:
                    if isinstance(record, InvalidInput):
                        raise record
                    pending.append((line, parse_row(record)))
                except InvalidInput as e:
                    report.reject(line, input_reason(e))
                    where = _attribution(dict(zip(table.header, values, strict=False)))
                    if where is not None:
                        pending.append((line, (*where, REJECTED)))
                if len(pending) >= LOOKUP_CHUNK:
                    _resolve(app, who, pending, stage, report)
                    bar.update(reading, completed=table.position())
            _resolve(app, who, pending, stage, report)
        finally:
            table.close()
        work = bar.add_task("verifikasi / verifying", total=stage.count)
        batch: list[tuple[str, list[tuple[int, Any]]]] = []
        for case_id, rows in stage.groups():
            batch.append((case_id, rows))
            if len(batch) >= BATCH_HOUSEHOLDS:
                _commit(app, bulk, who, now, batch, report)
                bar.advance(work, sum(len(r) for _, r in batch))
                batch = []
        if batch:
            _commit(app, bulk, who, now, batch, report)
            bar.advance(work, sum(len(r) for _, r in batch))
    return report


def _resolve(app: Any, who: Any, pending: list, stage: Staging, report: VerifyReport) -> None:
    """Find each row's household and member number; stage by household. A row already
    rejected is staged too (its attendance REJECTED) when its household is found: it keeps its
    month from being recorded without it. A household outside `who`'s area is not found, said
    as a code or NIK the register does not hold: an officer's upload must not tell which NIKs
    are KPM members elsewhere, nor their case numbers (`CaseService.may_read`)."""
    with app.db.reading() as s:
        by_nik = store.members_by_nik(s, (r[2] for _, r in pending if r[1] == "nik"))
        codes = {r[2][: C.PARTICIPANT_CODE_LENGTH] for _, r in pending if r[1] == "kode"}
        by_code = store.households_by_code(s, codes)
        named = {c for c, _ in by_nik.values()} | set(by_code.values())
        scopes = store.case_regions(s, named) if who.region is not None else {}
    if who.region is not None:
        theirs = {c for c, region in scopes.items() if who.covers(region)}
        by_nik = {k: v for k, v in by_nik.items() if v[0] in theirs}
        by_code = {k: v for k, v in by_code.items() if v in theirs}
    # said as true for both: not registered at all, or registered outside the officer's area
    where_id, where_en = (
        (f" di wilayah Anda ({who.region})", f" in your area ({who.region})")
        if who.region is not None
        else ("", "")
    )
    for line, (periode, kind, ident, attended) in pending:
        if kind == "nik":
            found = by_nik.get(ident)
            if found is None:
                if attended is not REJECTED:
                    report.reject(
                        line,
                        said(
                            "nik",
                            f"{ident} bukan anggota KPM yang terdaftar{where_id}",
                            f"{ident} is not a registered KPM member{where_en}",
                        ),
                    )
                continue
            case_id, no = found
        else:
            code_case = by_code.get(ident[: C.PARTICIPANT_CODE_LENGTH])
            no = ident[C.PARTICIPANT_CODE_LENGTH :]
            if code_case is None:
                if attended is not REJECTED:
                    report.reject(
                        line,
                        said(
                            "kode_anggota",
                            f"{ident} tidak menyebut rumah tangga KPM yang terdaftar{where_id}",
                            f"{ident} names no registered KPM household{where_en}",
                        ),
                    )
                continue
            case_id = code_case
        stage.add(case_id, line, [periode, no, attended])
    pending.clear()


def _commit(app: Any, bulk: Bulk, who: Any, now: Any, batch: list, report: VerifyReport) -> None:
    """A batch of households in one transaction: their first months in one bulk step, then
    their second months, and so on (one command per case per step)."""
    households = [_Household(case_id, rows) for case_id, rows in batch]
    with app.db.transaction() as s:
        step = 0
        while due := [h for h in households if step < len(h.months)]:
            states = load_for_update(s, [h.case_id for h in due])
            items: list[Item] = []
            taken: list[tuple[_Household, str, list[int]]] = []
            for h in due:
                periode, rows = h.months[step]
                state = states.get(h.case_id)
                if state is not None and not who.covers(state.region):
                    state = None  # outside the actor's area: "case not found", nothing more
                month = h.month(state, periode, rows, report)
                if month is None:
                    continue
                hadir, kept = month
                items.append(
                    Item(
                        "verifikasi_komitmen",
                        {"periode": periode, "hadir": hadir},
                        who,
                        now,
                        h.case_id,
                        note="impor verifikasi komitmen",
                    )
                )
                taken.append((h, periode, kept))
            results = bulk.apply(s, items) if items else []
            for (h, periode, kept), result in zip(taken, results, strict=True):
                h.settle(periode, kept, result, report)
            step += 1
    for h in households:
        if h.state is not None:
            report.households += 1
            report.outcomes[h.state] += 1
        if h.unchanged:
            report.unchanged_households += 1


class _Household:
    """One household's rows of the file, by month in order, and what became of them."""

    def __init__(self, case_id: str, rows: list[tuple[int, Any]]) -> None:
        self.case_id = case_id
        by_month: dict[str, list[tuple[int, Any]]] = {}
        self.unplaced: list[int] = []  # rejected rows of the household whose month is unreadable
        for line, row in rows:
            if row[0] is None:
                self.unplaced.append(line)
            else:
                by_month.setdefault(row[0], []).append((line, row))
        self.months = sorted(by_month.items())
        # an earlier month of the file not recorded that still can be: (month, its lines)
        self.held: tuple[str, list[int]] | None = None
        self.state: str | None = None  # the state after the last month recorded
        self.unchanged = False

    def month(
        self, state: CaseState | None, periode: str, rows: list[tuple[int, Any]], report: Any
    ) -> tuple[dict[str, bool], list[int]] | None:
        """(attendance, lines) to record for the month, or None with every row accounted for."""
        case_id = self.case_id
        members = state.attrs.get("anggota", {}) if state else {}
        rejected = [line for line, (_, _, attended) in rows if attended is REJECTED]
        rejected += self.unplaced
        hadir: dict[str, bool] = {}
        first: dict[str, int] = {}
        kept: list[int] = []
        for line, (_, no, attended) in rows:
            if attended is REJECTED:
                continue
            if state is not None and no not in members:
                report.reject(
                    line,
                    said(
                        "kode_anggota",
                        f"{case_id} tidak memiliki anggota {no}",
                        f"{case_id} has no member {no}",
                    ),
                )
                rejected.append(line)
            elif no in first:
                report.reject(
                    line,
                    said(
                        "kode_anggota",
                        f"anggota {no} {case_id} muncul dua kali (pertama di baris {first[no]})",
                        f"member {no} of {case_id} appears twice (first on line {first[no]})",
                    ),
                )
                rejected.append(line)
            else:
                first[no] = line
                hadir[no] = attended
                kept.append(line)
        if rejected:
            lines_id, lines_en = _lines(sorted(set(rejected)))
            were = "was" if len(set(rejected)) == 1 else "were"
            for line in kept:
                report.reject(
                    line,
                    said(
                        "household",
                        f"bulan {periode} {case_id} tidak dicatat karena {lines_id} ditolak; "
                        "perbaiki baris itu lalu impor ulang berkas",
                        f"month {periode} of {case_id} not recorded because {lines_en} {were} "
                        "rejected; fix them and import the file again",
                    ),
                )
            if self.held is None and _still_open(state, periode):
                self.held = (periode, sorted(set(rejected)))
            return None
        if self.held is not None:
            earlier, where = self.held
            lines_id, lines_en = _lines(where)
            for line in kept:
                report.reject(
                    line,
                    said(
                        "household",
                        f"bulan {periode} {case_id} tidak dicatat: bulan {earlier} sebelumnya "
                        f"({lines_id}) tidak tercatat; bulan dicatat berurutan",
                        f"month {periode} of {case_id} not recorded: the earlier month "
                        f"{earlier} ({lines_en}) was not recorded; months are recorded in order",
                    ),
                )
            return None
        last = state.attrs.get("verifikasi_terakhir") if state else None
        if last and last.get("periode") == periode:
            if last.get("hadir") == hadir:
                self.unchanged = True
                report.unchanged_household_months += 1
                report.accepted_members += len(kept)
                return None
            for line in kept:
                report.reject(
                    line,
                    said(
                        "periode",
                        f"{periode} {case_id} sudah tercatat dengan kehadiran lain",
                        f"{periode} of {case_id} is already recorded with other attendance",
                    ),
                )
            return None
        sk = K.decree_after(state.attrs, periode) if state else None
        if sk is not None:
            for line in kept:
                report.reject(
                    line,
                    said(
                        "periode",
                        f"{periode} sebelum {case_id} menjadi peserta (SK penetapan {sk})",
                        f"{periode} is before {case_id} became a participant "
                        f"(SK penetapan of {sk})",
                    ),
                )
            return None
        return hadir, kept

    def settle(self, periode: str, kept: list[int], result: Any, report: Any) -> None:
        if isinstance(result, EngineError):
            for line in kept:
                report.reject(line, engine_reason(result))
            keys = {r.key for r in result.reasons} if isinstance(result, GuardRejected) else None
            if self.held is None and keys is not None and not keys & OUT_OF_ORDER:
                self.held = (periode, kept)
            return
        self.state = result.state
        report.household_months += 1
        report.accepted_members += len(kept)


def _still_open(state: CaseState | None, periode: str) -> bool:
    """Whether the month can still be recorded by a later file: after the last month recorded,
    and not before the decree."""
    if state is None:
        return False
    last = (state.attrs.get("verifikasi_terakhir") or {}).get("periode")
    return (last is None or periode > last) and K.decree_after(state.attrs, periode) is None
