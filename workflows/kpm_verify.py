"""Monthly commitment verification files (verifikasi komitmen), imported like the extract.

Columns: `periode` (YYYY-MM), `hadir` (1 attended / 0 did not; ya/tidak), and the member by
`kode_anggota` (participant code + member number) or `nik`. One row per member and month. Rows
are grouped per household and month; each group is one `verifikasi_komitmen` event, whose
decision sets the household's compliance and may suspend, reinstate or terminate it.

A rerun changes nothing: a household's month that is already recorded with the same attendance
counts as unchanged; with different attendance, a month before the last one recorded, or a
month before the household's decree (SK penetapan: it was not a participant yet), its rows are
rejected with the reason.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.bulk import Bulk, Item, load_for_update
from engine.errors import EngineError, InvalidInput
from workflows import kpm_codes as C
from workflows import kpm_parse as P
from workflows import kpm_rules as K
from workflows import kpm_store as store
from workflows.kpm_files import Staging, as_record, open_table, progress_bar

REQUIRED = ("periode", "hadir")
LOOKUP_CHUNK = 5000


@dataclass
class VerifyReport:
    file: str
    rows: int = 0
    accepted_members: int = 0
    households: int = 0
    unchanged_households: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)  # event type -> households
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def reject(self, line: int, reason: str) -> None:
        self.rejected.append({"line": line, "reason": reason})

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k not in ("rejected", "outcomes")}
        out["outcomes"] = dict(sorted(self.outcomes.items()))
        out["rejected"] = sorted(self.rejected, key=lambda r: r["line"])
        return out


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
        pending: list[tuple[int, tuple[str, str, str, bool]]] = []
        try:
            for line, values in table.rows:
                report.rows += 1
                record = as_record(table.header, values)
                try:
                    if isinstance(record, InvalidInput):
                        raise record
                    pending.append((line, parse_row(record)))
                except InvalidInput as e:
                    report.reject(line, str(e))
                if len(pending) >= LOOKUP_CHUNK:
                    _resolve(app, pending, stage, report)
                    bar.update(reading, completed=table.position())
            _resolve(app, pending, stage, report)
        finally:
            table.close()
        work = bar.add_task("verifikasi / verifying", total=stage.count)
        batch: list[tuple[str, list[tuple[int, Any]]]] = []
        cases: set[str] = set()
        for key, rows in stage.groups():
            case_id = key.split("|")[0]
            if case_id in cases or len(batch) >= 2000:
                _commit(app, bulk, who, now, batch, report)
                bar.advance(work, sum(len(r) for _, r in batch))
                batch, cases = [], set()
            batch.append((key, rows))
            cases.add(case_id)
        if batch:
            _commit(app, bulk, who, now, batch, report)
            bar.advance(work, sum(len(r) for _, r in batch))
    return report


def _resolve(app: Any, pending: list, stage: Staging, report: VerifyReport) -> None:
    """Find each row's household and member number; stage by household and month."""
    with app.db.reading() as s:
        by_nik = store.members_by_nik(s, (r[2] for _, r in pending if r[1] == "nik"))
        codes = {r[2][: C.PARTICIPANT_CODE_LENGTH] for _, r in pending if r[1] == "kode"}
        by_code = store.households_by_code(s, codes)
    for line, (periode, kind, ident, attended) in pending:
        if kind == "nik":
            found = by_nik.get(ident)
            if found is None:
                report.reject(line, f"nik: {ident} is not a registered KPM member")
                continue
            case_id, no = found
        else:
            code_case = by_code.get(ident[: C.PARTICIPANT_CODE_LENGTH])
            no = ident[C.PARTICIPANT_CODE_LENGTH :]
            if code_case is None:
                report.reject(line, f"kode_anggota: {ident} names no registered KPM household")
                continue
            case_id = code_case
        stage.add(f"{case_id}|{periode}", line, [no, attended])
    pending.clear()


def _commit(app: Any, bulk: Bulk, who: Any, now: Any, batch: list, report: VerifyReport) -> None:
    with app.db.transaction() as s:
        states = load_for_update(s, [key.split("|")[0] for key, _ in batch])
        items, groups = [], []
        for key, rows in batch:
            case_id, periode = key.split("|")
            hadir: dict[str, bool] = {}
            kept = []
            state = states.get(case_id)
            members = state.attrs.get("anggota", {}) if state else {}
            for line, (no, attended) in rows:
                if no in hadir:
                    report.reject(line, f"kode_anggota: member {no} of {case_id} appears twice")
                    continue
                if state is not None and no not in members:
                    # this row's own error: the household's other rows still count
                    report.reject(line, f"kode_anggota: {case_id} has no member {no}")
                    continue
                hadir[no] = attended
                kept.append(line)
            if not kept:
                continue
            last = state.attrs.get("verifikasi_terakhir") if state else None
            if last and last.get("periode") == periode:
                if last.get("hadir") == hadir:
                    report.unchanged_households += 1
                    report.accepted_members += len(kept)
                    continue
                for line in kept:
                    report.reject(
                        line,
                        f"periode: {periode} of {case_id} is already recorded "
                        "with other attendance",
                    )
                continue
            sk = K.decree_after(state.attrs, periode) if state else None
            if sk is not None:
                for line in kept:
                    report.reject(
                        line,
                        f"periode: {periode} is before {case_id} became a participant "
                        f"(SK penetapan of {sk})",
                    )
                continue
            items.append(
                Item(
                    "verifikasi_komitmen",
                    {"periode": periode, "hadir": hadir},
                    who,
                    now,
                    case_id,
                    note="impor verifikasi komitmen",
                )
            )
            groups.append(kept)
        for kept, result in zip(groups, bulk.apply(s, items), strict=True):
            if isinstance(result, EngineError):
                for line in kept:
                    report.reject(line, f"household: {result}")
                continue
            report.households += 1
            report.accepted_members += len(kept)
            report.outcomes[result.state] += 1
