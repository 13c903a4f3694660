"""Bulk import of a DTKS/BDT extract: one row per member, grouped into households by no_kk.

Every row ends up accepted or in the rejected report with its line and reason (`field: message`);
nothing is accepted silently wrong. A household is one `kpm` case opened in state `calon` by the
workflow's own `daftar` decision; batches of households commit together with their index rows.

Rerunning a file changes nothing: a household is known by its no_kk and a member by its NIK.
A row identical to the registered member is accepted as unchanged. A row with a NIK new to a
known household adds the member through a data update (pemutakhiran) event. A row that differs
from the registered member is rejected with the differences: the register is never overwritten
by an extract, since the register may be newer (data updates, data control); record changes as
pemutakhiran; a new NIK for a person the household already holds (same name, birth date and
sex) is such a change, a NIK correction, not a new member. A member missing from a rerun file is
not removed (a file may be partial).

A NIK another household holds is refused while that household is open; one a closed household
(moved away, non-eligible, ...) held is taken over, and the member records the case it came from
(`kasus_sebelumnya`), unless it recorded the member as deceased. Each reason is given in Bahasa
Indonesia and in English (`field: alasan / reason`), as the operator of a kabupaten reads the
report.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.bulk import Bulk, Item, load_for_update
from engine.errors import (
    EngineError,
    Findings,
    GuardRejected,
    InvalidInput,
    TransitionNotAllowed,
)
from engine.state import Actor, CaseState
from workflows import kpm_codes as C
from workflows import kpm_parse as P
from workflows import kpm_rules as K
from workflows import kpm_store as store
from workflows.kpm import zone_for
from workflows.kpm_files import Staging, as_record, open_table, progress_bar

Rows = list[tuple[int, Any]]  # (line, [region, member])


@dataclass(frozen=True)
class Why:
    """Why a row is rejected: the field, in Bahasa Indonesia and in English."""

    field: str
    id: str
    en: str
    also: tuple[Why, ...] = ()  # the row's other fields refused with it, in column order

    def __str__(self) -> str:
        # " | " between fields: a message may hold "; " itself ("...; pilihan: ...")
        return " | ".join(w._one() for w in (self, *self.also))

    def _one(self) -> str:
        said = self.id if self.id == self.en else f"{self.id} / {self.en}"
        return f"{self.field}: {said}"


def said(e: InvalidInput) -> Why:
    """An InvalidInput as a Why, with every field it refused (`InvalidInput.more`). Some
    messages are bilingual already ('alasan / reason', as region codes and whole-file refusals
    give them): their English part is taken alone."""
    first, *rest = (_said_one(x) for x in e.every)
    return Why(first.field, first.id, first.en, tuple(rest))


def _said_one(e: InvalidInput) -> Why:
    en, said_id = e.message, e.message_id or e.message
    if en.startswith(f"{said_id} / "):
        en = en[len(said_id) + 3 :]
    elif " / " in en and said_id.startswith(en.split(" / ", 1)[0]):
        en = en.split(" / ", 1)[1]
    return Why(e.field, said_id, en)


@dataclass
class ImportReport:
    file: str
    rows: int = 0
    accepted_members: int = 0  # rows whose member is in the register as the row states
    accepted_households: int = 0  # households with at least one accepted row
    new_households: int = 0
    new_members: int = 0  # in new households
    added_members: int = 0  # new members of known households
    unchanged_members: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def reject(self, line: int, reason: Why) -> None:
        fields = [reason.field, *(w.field for w in reason.also)]
        self.rejected.append({"line": line, "reason": str(reason), "fields": fields})

    def merge(self, other: ImportReport) -> None:
        for k in ("accepted_members", "accepted_households", "new_households", "new_members"):
            setattr(self, k, getattr(self, k) + getattr(other, k))
        self.added_members += other.added_members
        self.unchanged_members += other.unchanged_members
        self.rejected += other.rejected

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "rejected"}
        out["rejected"] = sorted(self.rejected, key=lambda r: r["line"])
        return out


def parse_row(record: dict[str, Any], now: datetime) -> tuple[str, str, dict[str, Any]]:
    """(no_kk, region, member) of one row, or InvalidInput naming the field."""
    return _RowParser(now)(record)


class _RowParser:
    """`parse_row` for the rows of one file: the same checks, with what repeats from row to
    row (a desa code looked up in the region reference, the date in a province's zone) worked
    out once."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self._regions: dict[Any, str] = {}
        self._days: dict[str, date] = {}

    def __call__(self, record: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        try:
            no_kk = C.digits(record.get("no_kk"), "no_kk", 16)
            region = self._region(record.get("kode_wilayah"))
            return no_kk, region, C.parse_member(record, self._as_of(region))
        except InvalidInput as refused:
            first = refused
        # refused: the row again, every field checked, so the report names all its mistakes
        found = Findings()
        found.check(C.digits, record.get("no_kk"), "no_kk", 16)
        known = found.check(self._region, record.get("kode_wilayah"))  # None if refused
        found.found += C.member_refusals(record, None if known is None else self._as_of(known))
        found.raise_found()
        raise first  # (the second pass always finds it; this keeps the refusal if it did not)

    def _region(self, raw: Any) -> str:
        region = self._regions.get(raw) if type(raw) is str else None
        if region is None:
            region = P.region(raw)
            if type(raw) is str and len(self._regions) < 100_000:
                self._regions[raw] = region
        return region

    def _as_of(self, region: str) -> date:
        as_of = self._days.get(region[:2])
        if as_of is None:
            as_of = self._days[region[:2]] = self.now.astimezone(zone_for(None, region)).date()
        return as_of


def _parsed(table: Any, now: datetime) -> Iterator[tuple[int, Any, str | None]]:
    """Each row as (line, (no_kk, region, member), None) or, rejected, (line, Why, the no_kk
    of the household whose kepala keluarga the row says it is, if it says so)."""
    parse = _RowParser(now)
    header = table.header
    for line, values in table.rows:
        record = as_record(header, values)
        try:
            if isinstance(record, InvalidInput):
                raise record
            yield line, parse(record), None
        except InvalidInput as e:
            yield line, said(e), _head_of(record)


def _head_of(record: Any) -> str | None:
    """The no_kk of a rejected row that names itself kepala keluarga, so the rest of its
    household can say their head was rejected, not that they have none."""
    if not isinstance(record, dict):
        return None
    try:
        if C.code(record.get("hubungan_keluarga"), "", C.HUBUNGAN) != C.KEPALA_KELUARGA:
            return None
        return C.digits(record.get("no_kk"), "no_kk", 16)
    except InvalidInput:
        return None


def import_file(
    app: Any,
    path: str | Path,
    *,
    actor: str = "system",
    batch_rows: int = 20_000,
    progress: bool = False,
) -> ImportReport:
    service = app.service
    who = service.actor(actor)
    store.check_door(app, who, "daftar")
    now = service.clock()
    bulk = store.bulk_for(app, now)
    report = ImportReport(file=str(path))
    table = open_table(path, C.COLUMNS)
    failed_heads: dict[str, tuple[int, Why]] = {}  # no_kk -> its head's rejected row
    with _collector_paused(), Staging() as stage, progress_bar(progress) as bar:
        reading = bar.add_task("membaca / reading", total=table.size or None)
        try:
            for line, parsed, head_of in _parsed(table, now):
                report.rows += 1
                if isinstance(parsed, Why):
                    report.reject(line, parsed)
                    if head_of is not None:
                        failed_heads.setdefault(head_of, (line, parsed))
                else:
                    no_kk, region, member = parsed
                    stage.add(no_kk, line, (region, dict(member)))
                if report.rows % 5000 == 0:
                    bar.update(reading, completed=table.position())
            bar.update(reading, completed=table.size)
        finally:
            table.close()
        importing = bar.add_task("mengimpor / importing", total=stage.count)
        batch: list[tuple[str, Rows]] = []
        size = 0
        for no_kk, staged in stage.groups():
            # normalised by `parse_row` before they were staged: Members again
            rows: Rows = [(line, [region, C.Member(m)]) for line, (region, m) in staged]
            batch.append((no_kk, rows))
            size += len(rows)
            if size >= batch_rows:
                report.merge(_commit_batch(app, bulk, who, batch, now, failed_heads))
                bar.advance(importing, size)
                batch, size = [], 0
                gc.collect(0)  # what the batch left in cycles (the ORM's), while paused
        if batch:
            report.merge(_commit_batch(app, bulk, who, batch, now, failed_heads))
            bar.advance(importing, size)
    return report


@contextmanager
def _collector_paused() -> Iterator[None]:
    """CPython's cyclic garbage collector, paused for the import. An import holds tens of
    thousands of rows alive at once (a batch) and makes no reference cycles of its own; the
    collector, run every 700 allocations, walked those rows again and again: ~12% of an
    import's time (measured, 50,000 rows). Process-wide, as the collector is: imports run
    from the CLI. Reference counting frees everything else as usual."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _commit_batch(
    app: Any,
    bulk: Bulk,
    who: Actor,
    batch: list[tuple[str, Rows]],
    now: datetime,
    failed_heads: dict[str, tuple[int, Why]],
) -> ImportReport:
    """One transaction; a concurrent import that took a no_kk or NIK first means: redo once."""
    for attempt in range(2):
        out = ImportReport(file="")
        try:
            with app.db.transaction() as s:
                _Batch(s, bulk, who, now, out, failed_heads).run(batch)
            return out
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")


class _Batch:
    def __init__(
        self,
        s: Session,
        bulk: Bulk,
        who: Actor,
        now: datetime,
        out: ImportReport,
        failed_heads: Mapping[str, tuple[int, Why]] | None = None,
    ):
        self.s, self.bulk, self.who, self.now, self.out = s, bulk, who, now, out
        self.accepted: Counter[str] = Counter()  # no_kk -> accepted rows
        self.failed_heads = dict(failed_heads or {})  # no_kk -> (line, why) of its head's row
        self.holders: dict[str, store.Holder] = {}  # other households holding a batch NIK
        self.moved: set[str] = set()  # NIKs taken over from closed households

    def run(self, batch: list[tuple[str, Rows]]) -> None:
        known = store.households_by_kk(self.s, (kk for kk, _ in batch))
        held = store.members_by_nik(self.s, (r[1][1]["nik"] for _, rows in batch for r in rows))
        own = {kk: h.case_id for kk, h in known.items()}
        others = {
            held[m["nik"]][0]
            for kk, rows in batch
            for _, (_, m) in rows
            if m["nik"] in held and held[m["nik"]][0] != own.get(kk)
        }
        self.holders = store.holders(self.s, others)
        claimed: dict[str, tuple[str, int]] = {}  # NIK -> (no_kk, line) in this batch
        new: list[tuple[str, str, Rows]] = []
        old: list[tuple[Any, Rows]] = []
        for no_kk, rows in batch:
            h = known.get(no_kk)
            screened = self._screen(no_kk, rows, h, held, claimed)
            if h is None:
                keep = self._role_ages(self._one_head(no_kk, screened))
                # a NIK of a row rejected here is free again for the households after it
                kept = {line for line, _ in keep}
                for line, (_, m) in screened:
                    if line not in kept and claimed.get(m["nik"]) == (no_kk, line):
                        del claimed[m["nik"]]
                if keep:
                    new.append((no_kk, keep[0][1][0], keep))
            elif screened:
                old.append((h, screened))
        self._create(new)
        self._extend(old)
        self.out.accepted_households += len(self.accepted)

    def _screen(
        self, no_kk: str, rows: Rows, h: Any, held: dict[str, tuple[str, str]], claimed: dict
    ) -> Rows:
        """Row checks against the household, the batch and the register."""
        keep: Rows = []
        home = h.region if h is not None else rows[0][1][0]
        for line, (region, member) in rows:
            nik = member["nik"]
            owner = held.get(nik)
            other = claimed.get(nik)
            why: Why | None = None
            if region != home:
                why = Why(
                    "kode_wilayah",
                    f"{region} berbeda dengan wilayah rumah tangga {home}"
                    + (f" ({h.case_id}); kepindahan dicatat sebagai pindah" if h else ""),
                    f"{region} differs from the household's {home}"
                    + (f" ({h.case_id}); a move is recorded as pindah" if h else ""),
                )
            elif other is not None and other[0] == no_kk:
                why = Why(
                    "nik",
                    f"{nik} tercatat dua kali dalam rumah tangga no_kk {no_kk} (baris {other[1]})",
                    f"{nik} appears twice in household no_kk {no_kk} (line {other[1]})",
                )
            elif other is not None:
                why = Why(
                    "nik",
                    f"{nik} sudah dipakai dalam rumah tangga no_kk {other[0]} (baris {other[1]})",
                    f"{nik} is already used in household no_kk {other[0]} (line {other[1]})",
                )
            elif owner is not None and (h is None or owner[0] != h.case_id):
                holder = self.holders.get(owner[0])
                if holder is not None and holder.frees(owner[1]):
                    # the person left that household (moved, non-eligible, ...): taken over
                    member = C.moved_from(member, holder.case_id)
                    self.moved.add(nik)
                elif holder is not None and holder.closed:
                    why = Why(
                        "nik",
                        f"{nik} tercatat meninggal dunia di {holder.said}, anggota {owner[1]}: "
                        "tidak didaftarkan lagi",
                        f"{nik} is recorded as deceased in {holder.said}, member {owner[1]}: "
                        "not registered again",
                    )
                else:
                    held_by = holder.said if holder else owner[0]
                    why = Why(
                        "nik",
                        f"{nik} sudah dipakai rumah tangga lain yang masih terbuka: {held_by}",
                        f"{nik} is already used in another household, which is open: {held_by}",
                    )
            if why is None:
                claimed[nik] = (no_kk, line)
                keep.append((line, [region, member]))
                continue
            self.out.reject(line, why)
            if member["hubungan_keluarga"] == C.KEPALA_KELUARGA:
                self.failed_heads.setdefault(no_kk, (line, why))
        return keep

    def _one_head(self, no_kk: str, rows: Rows) -> Rows:
        """A new household registers with one living kepala keluarga (a deceased one may be
        listed too); without one every row is rejected, saying why there is none."""
        heads = [(line, m) for line, (_, m) in rows if m["hubungan_keluarga"] == C.KEPALA_KELUARGA]
        living = [line for line, m in heads if m["komponen"] != C.MENINGGAL]
        if not living:
            why = self._headless(no_kk, [line for line, _ in heads])
            for line, _ in rows:
                self.out.reject(line, why)
            return []
        for line in living[1:]:
            self.out.reject(
                line,
                Why(
                    "hubungan_keluarga",
                    f"kepala keluarga kedua (yang pertama pada baris {living[0]})",
                    f"a second kepala keluarga (the first is line {living[0]})",
                ),
            )
        return [r for r in rows if r[0] not in living[1:]]

    def _headless(self, no_kk: str, deceased: list[int]) -> Why:
        failed = self.failed_heads.get(no_kk)
        if failed is not None:
            line, why = failed
            return Why(
                "hubungan_keluarga",
                f"kepala keluarga rumah tangga ini (baris {line}) ditolak: {why.field}: {why.id}",
                f"its kepala keluarga (line {line}) was rejected: {why.field}: {why.en}",
            )
        if deceased:
            return Why(
                "hubungan_keluarga",
                f"kepala keluarga (baris {deceased[0]}) tercatat meninggal (komponen 10); rumah "
                "tangga tanpa kepala keluarga yang hidup tidak dapat didaftarkan",
                f"the kepala keluarga (line {deceased[0]}) is recorded as deceased (komponen "
                "10); a household without a living kepala keluarga cannot be registered",
            )
        return Why(
            "hubungan_keluarga",
            "rumah tangga ini tidak memiliki kepala keluarga (1)",
            "the household has no kepala keluarga (1)",
        )

    def _role_ages(self, rows: Rows, registered: Mapping[str, Any] | None = None) -> Rows:
        """Rows whose age cannot be right for their relation to the kepala keluarga (an orang
        tua younger than the head, an anak older, see `kpm_codes.role_age_problems`) are
        rejected naming both lines and ages; `registered` are a known household's members."""
        if not rows:
            return rows
        members: dict[Any, Any] = dict(registered or {})
        members.update((line, m) for line, (_, m) in rows)
        today = self.now.astimezone(zone_for(None, rows[0][1][0])).date()
        problems = C.role_age_problems(members, today, _where)
        if not problems:
            return rows
        keep: Rows = []
        for line, value in rows:
            problem = problems.get(line)
            if problem is None:
                keep.append((line, value))
            else:
                self.out.reject(line, said(problem))
        return keep

    def _create(self, new: list[tuple[str, str, Rows]]) -> None:
        """Register the new households, numbered without gaps: a household the workflow
        refuses must not take a participant number. Codes are part of the `daftar` event, so
        they are given before deciding; when some household is refused (rare: its rows passed
        every row check), the batch's registrations are undone to a savepoint and decided
        again without it, numbered afresh. A batch with none refused decides once."""
        if not new:
            return
        keys = [f"{region[:6]}{self._year(region) % 100:02d}" for _, region, _ in new]
        last = store.last_participant_numbers(self.s, keys)
        todo = list(range(len(new)))
        while todo:
            used: Counter[str] = Counter()
            items = []
            for i in todo:
                no_kk, region, rows = new[i]
                used[keys[i]] += 1
                sequence = last.get(keys[i], 0) + used[keys[i]]
                items.append(self._registration(no_kk, region, rows, sequence))
            savepoint = self.s.begin_nested()
            results = self.bulk.open_cases(self.s, "kpm", items)
            refused = [
                (i, r) for i, r in zip(todo, results, strict=True) if isinstance(r, EngineError)
            ]
            if refused:
                savepoint.rollback()
                for i, error in refused:
                    self._reject_all(new[i][2], error)
                gone = {i for i, _ in refused}
                todo = [i for i in todo if i not in gone]
                continue
            savepoint.commit()
            store.record_participant_numbers(self.s, last, used)
            created = [r for r in results if isinstance(r, CaseState)]
            for i in todo:
                no_kk, _, rows = new[i]
                self.out.new_households += 1
                self.out.new_members += len(rows)
                self._accept(no_kk, len(rows))
            self._take_over(created)
            store.index_new(self.s, created)
            return

    def _take_over(self, states: Sequence[CaseState]) -> None:
        """Free the index rows of the NIKs these new households took from closed ones (only
        those: `index_new` inserts a batch's thousands of NIKs)."""
        if self.moved:
            niks = [m["nik"] for st in states for m in st.attrs.get("anggota", {}).values()]
            store.release_closed(self.s, [n for n in niks if n in self.moved])

    def _registration(self, no_kk: str, region: str, rows: Rows, sequence: int) -> Item:
        members = [m for _, (_, m) in rows]
        return Item(
            "daftar",
            {
                "no_kk": no_kk,
                "region": region,
                "kode_peserta": C.participant_code(region, self._year(region), sequence),
                "anggota": members,
            },
            self.who,
            self.now,
            note="impor DTKS/BDT",
            facts={"free_niks": [m["nik"] for m in members]},
        )

    def _year(self, region: str) -> int:
        return self.now.astimezone(zone_for(None, region)).year

    def _extend(self, old: list[tuple[Any, Rows]]) -> None:
        if not old:
            return
        states = load_for_update(self.s, [h.case_id for h, _ in old])
        items, pending = [], []
        for h, rows in old:
            state = states[h.case_id]
            additions = self._compare(h.no_kk, state, rows)
            if not additions:
                continue
            if state.status == "closed":
                why = Why(
                    "no_kk",
                    f"rumah tangga {state.id} sudah ditutup ({state.state})",
                    f"household {state.id} is closed ({state.state})",
                )
                for line, _ in additions:
                    self.out.reject(line, why)
                continue
            additions = self._no_second_head(state, additions)
            additions = self._role_ages(additions, state.attrs.get("anggota", {}))
            if not additions:
                continue
            members = [m for _, (_, m) in additions]
            items.append(
                Item(
                    "pemutakhiran",
                    {"tambah": members},
                    self.who,
                    self.now,
                    state.id,
                    note="impor DTKS/BDT: anggota baru",
                    facts={"free_niks": [m["nik"] for m in members]},
                )
            )
            pending.append((h.no_kk, state, additions))
        results = self.bulk.apply(self.s, items)
        changed: list[tuple[CaseState, CaseState]] = []
        for (no_kk, state, rows), result in zip(pending, results, strict=True):
            if isinstance(result, EngineError):
                self._reject_all(rows, result)
                continue
            changed.append((state, result))
            self.out.added_members += len(rows)
            self._accept(no_kk, len(rows))
        store.index_changed(self.s, changed)  # takes over NIKs of closed households too

    def _no_second_head(self, state: CaseState, rows: Rows) -> Rows:
        if not K.living_heads(state.attrs.get("anggota", {})):
            return rows
        keep: Rows = []
        for line, (region, member) in rows:
            if member["hubungan_keluarga"] == C.KEPALA_KELUARGA:
                self.out.reject(
                    line,
                    Why(
                        "hubungan_keluarga",
                        f"{state.id} sudah memiliki kepala keluarga",
                        f"{state.id} already has a kepala keluarga",
                    ),
                )
            else:
                keep.append((line, [region, member]))
        return keep

    def _compare(self, no_kk: str, state: CaseState, rows: Rows) -> Rows:
        """Accept rows equal to the registered members; reject differing ones, and a new NIK
        for a living member (a NIK correction); return the new members."""
        members = state.attrs.get("anggota", {})
        by_nik = {m["nik"]: (no, m) for no, m in members.items()}
        by_person = {_person(m): no for no, m in members.items() if m["komponen"] != C.MENINGGAL}
        additions: Rows = []
        for line, (region, member) in rows:
            found = by_nik.get(member["nik"])
            if found is None:
                same = by_person.get(_person(member))
                if same is None:
                    additions.append((line, [region, member]))
                else:
                    self.out.reject(line, _nik_correction(state.id, same, members[same], member))
                continue
            no, current = found
            differing = [f for f in C.MEMBER_FIELDS if current.get(f) != member.get(f)]
            # each column in the words officers read (the file's own headers are the keys)
            said = [
                [
                    f"{C.field_words(f, mid_sentence=True)[lang]} "
                    f"({_cell(current.get(f))} -> {_cell(member.get(f))})"
                    for f in differing
                ]
                for lang in (0, 1)
            ]
            if differing:
                died = member["komponen"] == C.MENINGGAL != current.get("komponen")
                # a death is not a data update: it has its own command, with its date
                do_id, do_en = (
                    (
                        "catat kematiannya dengan langkah “Anggota meninggal dunia” "
                        "(anggota_meninggal) beserta tanggalnya",
                        "record the death with the command “A member died” "
                        "(anggota_meninggal), with its date",
                    )
                    if died
                    else ("catat perubahan sebagai pemutakhiran", "record changes as pemutakhiran")
                )
                self.out.reject(
                    line,
                    Why(
                        differing[0],
                        f"berbeda dengan anggota {no} dari {state.id} pada {', '.join(said[0])}; "
                        + do_id,
                        f"differs from member {no} of {state.id} in {', '.join(said[1])}; " + do_en,
                    ),
                )
            else:
                self.out.unchanged_members += 1
                self._accept(no_kk, 1)
        return additions

    def _accept(self, no_kk: str, n: int) -> None:
        self.accepted[no_kk] += n
        self.out.accepted_members += n

    def _reject_all(self, rows: Sequence[tuple[int, Any]], error: EngineError) -> None:
        why = _refusal(error)
        for line, _ in rows:
            self.out.reject(line, why)


def _cell(value: Any) -> Any:
    """A member's value in a refusal: an empty one as a dash, not Python's None."""
    return "–" if value is None or value == "" else value


def _where(key: Any) -> tuple[str, str]:
    """A member in a role-age reason: a row of the file by its line, a registered member by
    its number."""
    return (f"baris {key}", f"line {key}") if type(key) is int else C.member_label(key)


def _person(m: Mapping[str, Any]) -> tuple[str, Any, Any]:
    """Who a member is apart from the NIK: name (spacing and case aside), birth date, sex."""
    return (
        " ".join(str(m.get("nama", "")).split()).casefold(),
        m["tanggal_lahir"],
        m["jenis_kelamin"],
    )


def _nik_correction(case_id: str, no: str, current: Mapping[str, Any], row: Mapping) -> Why:
    nik, who = row["nik"], f"{current.get('nama')}, {current['tanggal_lahir']}"
    return Why(
        "nik",
        f"{nik} tampaknya anggota {no} dari {case_id} ({who}) yang tercatat dengan NIK lain "
        f"({current['nik']}); catat koreksi NIK sebagai pemutakhiran (anggota.{no}.nik={nik})",
        f"{nik} looks like member {no} of {case_id} ({who}), registered with another NIK "
        f"({current['nik']}); record the NIK correction as pemutakhiran (anggota.{no}.nik={nik})",
    )


def _refusal(error: EngineError) -> Why:
    """The workflow's refusal of a household's event, in both languages where it has them."""
    if isinstance(error, GuardRejected):
        return Why(
            "household",
            f"peristiwa '{error.event}' ditolak: "
            + "; ".join(f"{r.key}: {r.id}" for r in error.reasons),
            f"event '{error.event}' refused: "
            + "; ".join(f"{r.key}: {r.en}" for r in error.reasons),
        )
    if isinstance(error, InvalidInput):
        inner = said(error)
        return Why("household", f"{inner.field}: {inner.id}", f"{inner.field}: {inner.en}")
    if isinstance(error, TransitionNotAllowed):
        return Why(
            "household",
            f"peristiwa '{error.event}' tidak diizinkan pada status '{error.state}'",
            str(error),
        )
    return Why("household", str(error), str(error))
