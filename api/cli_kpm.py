"""`pkh kpm`: the KPM household register: import extracts and verification files, read, act."""

from __future__ import annotations

import json
import sys
from datetime import UTC
from typing import Any

import typer

from api.cli import app, command, emit, get_app, parse_data, parse_instant

kpm_app = typer.Typer(no_args_is_help=True, help="KPM households: import, verify, show, act.")
app.add_typer(kpm_app, name="kpm")

MAX_SHOWN = 20


def _progress(flag: bool | None) -> bool:
    return sys.stderr.isatty() if flag is None else flag


def _report_text(r: dict[str, Any]) -> str:
    counts = "  ".join(f"{k}: {v}" for k, v in r.items() if isinstance(v, int))
    lines = [f"{r['file']}", f"  {counts}"]
    if r.get("outcomes"):
        lines.append("  " + "  ".join(f"{k}: {v}" for k, v in r["outcomes"].items()))
    rejected = r["rejected"]
    lines.append(f"  rejected: {len(rejected)}")
    lines += [f"    line {x['line']}: {x['reason']}" for x in rejected[:MAX_SHOWN]]
    if len(rejected) > MAX_SHOWN:
        lines.append(f"    ... {len(rejected) - MAX_SHOWN} more (--json lists them all)")
    return "\n".join(lines)


def _exit_if_rejected(r: dict[str, Any], kept: str = "the other rows are imported") -> None:
    """Exit 1 when rows were rejected: a script (or `set -e`) must not take a partly imported
    file for a whole one. The rows that passed are committed and stay; the report on stdout
    lists the others. Fixed rows are taken by importing the file again (what is already
    registered is unchanged by a rerun)."""
    rejected = len(r["rejected"])
    if rejected:
        if rejected >= r["rows"]:  # nothing passed: no "other rows" were imported
            kept = "none was imported"
        typer.echo(
            f"error: {rejected} of {r['rows']} rows rejected (the report lists them; {kept}): "
            "fix those rows and import the file again",
            err=True,
        )
        raise typer.Exit(1)


@kpm_app.command("import")
@command
def kpm_import(
    file: str = typer.Argument(..., help="CSV or Excel (.xlsx) extract, one row per member"),
    actor: str = typer.Option(..., help="the officer who records the households"),
    batch_rows: int = typer.Option(20_000, min=100, help="rows per transaction"),
    progress: bool | None = typer.Option(None, "--progress/--no-progress"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Import a DTKS/BDT extract; rerunning the same file changes nothing.

    Exits 1 when rows were rejected (the others are imported)."""
    from workflows.kpm_import import import_file

    report = import_file(
        get_app(), file, actor=actor, batch_rows=batch_rows, progress=_progress(progress)
    ).as_dict()
    emit(report, as_json, _report_text)
    _exit_if_rejected(report)


@kpm_app.command("verify-month")
@command
def kpm_verify_month(
    file: str = typer.Argument(..., help="periode, kode_anggota or nik, hadir (1/0)"),
    actor: str = typer.Option(..., help="the officer who records the attendance"),
    progress: bool | None = typer.Option(None, "--progress/--no-progress"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Import a monthly commitment verification file.

    Exits 1 when rows were rejected (a household's month is recorded whole or not at all; the
    other households' are recorded)."""
    from workflows.kpm_verify import verify_file

    report = verify_file(get_app(), file, actor=actor, progress=_progress(progress)).as_dict()
    emit(report, as_json, _report_text)
    _exit_if_rejected(report, "a household's month with a rejected row is not recorded")


@kpm_app.command("stats")
@command
def kpm_stats(as_json: bool = typer.Option(False, "--json")) -> None:
    """Households and members in the register, households by state."""
    from workflows.kpm_store import stats

    with get_app().db.reading() as s:
        result = stats(s)

    def text(r: dict[str, Any]) -> str:
        by = "  ".join(f"{k}: {v}" for k, v in r["by_state"].items())
        return f"households: {r['households']}  members: {r['members']}\n  {by}"

    emit(result, as_json, text)


def household_view(state: Any) -> dict[str, Any]:
    """Deadlines as `pkh case show` gives them: `stage_due` the date in the household's own
    zone (WIB/WITA/WIT), `stage_due_at` the instant in UTC, whether the state was just decided
    (its deadline in the office's zone) or read back from the store."""
    from api.views import local_date
    from workflows.indonesia import zone_label
    from workflows.kpm_codes import KOMPONEN, member_code

    attrs = dict(state.attrs)
    members = attrs.pop("anggota", {})
    code = attrs.get("kode_peserta", "")
    return {
        "id": state.id,
        "kode_peserta": code,
        "no_kk": attrs.pop("no_kk", None),
        "state": state.state,
        "status": state.status,
        "region": state.region,
        "version": state.version,
        "zone": zone_label(state.zone),
        "stage_due": local_date(state, state.stage_due),
        "stage_due_at": state.stage_due.astimezone(UTC).isoformat() if state.stage_due else None,
        "members": [
            {
                "nomor": no,
                "kode_anggota": member_code(code, no),
                "komponen_label": KOMPONEN.get(m.get("komponen"), "?"),
                **m,
            }
            for no, m in sorted(members.items())
        ],
        "attrs": attrs,
    }


def _household_text(v: dict[str, Any]) -> str:
    lines = [
        f"{v['id']}  kode peserta {v['kode_peserta']}  no_kk {v['no_kk']}  {v['state']} "
        f"({v['status']})  wilayah {v['region']}  v{v['version']}"
    ]
    if v["stage_due"]:
        lines.append(f"  due {v['stage_due']} ({v['zone']})")
    for m in v["members"]:
        school = f" kelas {m['kelas']}" if m.get("kelas") else ""
        lines.append(
            f"  {m['kode_anggota']}  {m['nik']}  {m['nama']:<24} hub {m['hubungan_keluarga']}  "
            f"{m['komponen']} {m['komponen_label']}{school}"
        )
    for k, val in v["attrs"].items():
        if val is None:  # not recorded (yet): Python's "None" said nothing to an operator
            continue
        if isinstance(val, dict | list):  # as --json writes it, not Python's repr (False)
            val = json.dumps(val, ensure_ascii=False)
        lines.append(f"  {k}: {val}")
    return "\n".join(lines)


@kpm_app.command("show")
@command
def kpm_show(
    code: str = typer.Argument(..., help="case id, kode peserta, kode anggota, no_kk or NIK"),
    actor: str | None = typer.Option(None),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """A household with its members and their member codes."""
    from workflows.kpm_store import resolve

    a = get_app()
    with a.db.reading() as s:
        case_id = resolve(s, code)
    emit(household_view(a.service.get(case_id, actor)), as_json, _household_text)


@kpm_app.command("advance")
@command
def kpm_advance(
    code: str = typer.Argument(..., help="case id, kode peserta, no_kk or NIK"),
    event: str = typer.Argument(..., help="pertemuan_awal, validasi, pemutakhiran, koreksi, ..."),
    actor: str = typer.Option(...),
    data: list[str] = typer.Option([], "--data", help="KEY=VALUE (nested values as JSON)"),
    at: str | None = typer.Option(None, help="when it happened (ISO); default now"),
    note: str | None = typer.Option(None),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Record a KPM event with the register's checks, keeping its index in step.

    The checks: NIK uniqueness, and the complaint behind a correction."""
    from workflows.kpm_store import apply, resolve

    a = get_app()
    with a.db.reading() as s:
        case_id = resolve(s, code)
    when = parse_instant(at, "at") if at else None
    state = apply(a, case_id, event, parse_data(data), actor, at=when, note=note)
    emit(household_view(state), as_json, _household_text)


@kpm_app.command("control")
@command
def kpm_control(
    on: str | None = typer.Option(
        None, help="the date data control runs for, YYYY-MM-DD (default today in WIB)"
    ),
    province: list[str] = typer.Option([], "--province", help="2-digit code; repeatable"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Data control once: components by age and school year, and corrections now due.

    Moves members between components by age and school year; applies corrections whose
    payment period has come. Exits 1 naming the households whose control was refused."""
    from workflows.kpm_flow import control_day, control_once, failed_line

    a = get_app()
    day = control_day(on, a.service.clock())
    result = control_once(a, day, provinces=province or None)

    def text(r: dict[str, Any]) -> str:
        counts = "  ".join(f"{k}: {v}" for k, v in r.items() if k != "failed")
        failed = [f"failed: {f['case_id']} {f['step']}: {f['error']}" for f in r["failed"]]
        return "\n".join([counts, *failed])

    emit(result, as_json, text)
    if result["failed"]:
        typer.echo(f"error: {failed_line(result['failed'])}", err=True)
        raise typer.Exit(1)


@kpm_app.command("reindex")
@command
def kpm_reindex(as_json: bool = typer.Option(False, "--json")) -> None:
    """Rebuild the register's lookup tables (no_kk, NIK) from the KPM cases."""
    from workflows.kpm_store import rebuild_index

    with get_app().db.transaction() as s:
        result = rebuild_index(s)
    emit(result, as_json, lambda r: f"households: {r['households']}  members: {r['members']}")
