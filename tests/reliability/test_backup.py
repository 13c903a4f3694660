"""Backups: `engine.store.backup` and `pkh db backup / restore`, on SQLite and PostgreSQL.

Backup, change things (file, advance, a user, an override, a checkpoint), restore: every table
is exactly as it was at the backup, verify passes, and the service carries on from there (new
case numbers and event ids follow the backup's). A backup taken while a writer is busy is
consistent. Through the CLI: restore verifies and exits non-zero when the restored store fails
verify; a file that is not a backup is refused and the database is left alone.
"""

from __future__ import annotations

import re
import stat
import tempfile
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel
from typer.testing import CliRunner

from api.admin import add_override, add_user
from api.wiring import App
from engine.store import audit_runner
from engine.store.backup import BackupError, backup, restore
from engine.store.migrate import upgrade
from tests.conftest import POSTGRES_URL, _postgres_schema_url, complaint_data
from tests.reliability._support import ADVANCE_DATA, dump_figures, make_app


def snapshot(app: App) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a stable order."""
    out = {}
    with app.db.reading() as s:
        for name, table in sorted(SQLModel.metadata.tables.items()):
            rows = s.execute(sa.select(table)).all()
            out[name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def seed(app: App) -> list[str]:
    svc = app.service
    ids = [
        svc.open_case("complaint", complaint_data(summary=f"cadangan {i}"), "kab.bogor").id
        for i in range(4)
    ]
    svc.apply(ids[0], "advance", ADVANCE_DATA, "kab.bogor")
    svc.apply(ids[1], "escalate", {"reason": "perlu pusat"}, "kab.bogor")
    svc.apply(ids[2], "reject", {"reason": "bukan_pkh", "informed_via": "surat"}, "kab.bogor")
    audit_runner.checkpoint(app.db, svc.clock())
    add_override(
        app.db, date(2026, 8, 18), working=False, name="Cuti", actor="admin", now=svc.clock()
    )
    return ids


def change(app: App, ids: list[str]) -> None:
    svc = app.service
    svc.apply(ids[0], "advance", ADVANCE_DATA, "kab.bogor")
    svc.apply(ids[3], "link_reporter", {"reporter_name": "Ibu Sesudah"}, "kab.bogor")
    svc.open_case("complaint", complaint_data(summary="sesudah cadangan"), "kab.bogor")
    add_user(app.db, "kab.baru", "kabupaten", "3271", now=svc.clock())
    add_override(
        app.db, date(2026, 12, 24), working=False, name="Cuti 2", actor="admin", now=svc.clock()
    )
    audit_runner.checkpoint(app.db, svc.clock())


def test_backup_change_restore_gives_back_the_backups_state(
    app: App, db_url: str, tmp_path: Path
) -> None:
    ids = seed(app)
    before = snapshot(app)
    info = backup(db_url, tmp_path / "pkh.backup")
    change(app, ids)
    assert snapshot(app) != before
    app.db.dispose()
    restore(db_url, info.path)
    report = audit_runner.verify(app.db, stop_at_first=False)
    assert report.ok, report.problems
    after = snapshot(app)
    assert after == before, [t for t in before if before[t] != after[t]]
    # the service carries on from the backup: the next case number and event ids follow it
    new = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    assert new.id == "ADU-2026-000005"
    app.service.apply(ids[0], "advance", ADVANCE_DATA, "kab.bogor")
    assert audit_runner.verify(app.db, stop_at_first=False).ok
    dump_figures(
        f"backup[{app.db.dialect}]",
        {
            "backend": app.db.dialect,
            "backup_bytes": info.size,
            "cases": report.cases,
            "events": report.events,
            "checkpoints": report.checkpoints,
            "tables_compared": len(before),
        },
    )


def test_a_backup_taken_while_a_writer_is_busy_is_consistent(
    app: App, db_url: str, tmp_path: Path
) -> None:
    ids = seed(app)
    stop = threading.Event()
    writes = [0]
    errors: list[BaseException] = []

    def writer() -> None:
        w = make_app(db_url)
        try:
            while not stop.is_set():
                case_id = (ids[0], ids[3])[writes[0] % 2]  # the two still open at kabupaten
                w.service.apply(
                    case_id, "link_reporter", {"reporter_name": f"Ibu {writes[0]}"}, "kab.bogor"
                )
                writes[0] += 1
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            w.db.dispose()

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        copies = [backup(db_url, tmp_path / f"busy-{i}.backup") for i in range(3)]
    finally:
        stop.set()
        thread.join(60)
    assert writes[0] > 0 and not errors, errors
    app.db.dispose()
    for info in copies:  # each copy, restored, is a sound store
        restore(db_url, info.path)
        assert audit_runner.verify(app.db, stop_at_first=False).ok, info.path


# ----------------------------------------------------------------------------------- the CLI
@pytest.fixture
def cli(app: App, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    import api.cli
    from api import cli_admin, cli_backup  # noqa: F401 - register `pkh db ...`

    monkeypatch.setattr(api.cli, "_APP", app)
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(api.cli.app, list(args))

    yield run


def test_pkh_db_backup_and_restore_verify_and_fail_on_a_tampered_backup(
    app: App, db_url: str, tmp_path: Path, cli: Any
) -> None:
    ids = seed(app)
    good = tmp_path / "good.backup"
    r = cli("db", "backup", str(good), "--json")
    assert r.exit_code == 0 and good.is_file(), r.output
    before = snapshot(app)
    change(app, ids)
    r = cli("db", "restore", str(good), "--json")
    assert r.exit_code == 0, r.output
    assert '"verified": true' in r.output
    assert snapshot(app) == before

    # a backup of a tampered store restores, and the command says so and fails
    with app.db.write_engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE case_events SET actor = 'penyusup' WHERE case_id = :c AND version = 1"),
            {"c": ids[2]},
        )
    bad = tmp_path / "tampered.backup"
    assert cli("db", "backup", str(bad)).exit_code == 0
    r = cli("db", "restore", str(bad))
    assert r.exit_code == 1, r.output
    assert ids[2] in r.output and "audit verify" in r.output

    # not a backup at all: refused, the database left as it was
    restore(db_url, good)
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"this is not a backup\n" * 10)
    r = cli("db", "restore", str(junk))
    assert r.exit_code != 0 and "error:" in r.output, r.output
    missing = cli("db", "restore", str(tmp_path / "missing"))
    assert missing.exit_code == 3 and "missing does not exist" in missing.output
    assert snapshot(app) == before and audit_runner.verify(app.db).ok


def test_a_backup_that_fails_verify_leaves_the_database_as_it_was(
    app: App, db_url: str, tmp_path: Path, cli: Any
) -> None:
    """Regression: restoring a tampered backup replaced the live database and only then said
    it failed audit verify; the office was left with the tampered store (and perhaps no other
    copy of the sound one). Now the database is copied first and put back."""
    ids = seed(app)
    first = {"c": ids[1]}
    with app.db.write_engine.begin() as conn:  # a backup of a tampered store
        first["a"] = conn.execute(
            sa.text("SELECT actor FROM case_events WHERE case_id = :c AND version = 1"), first
        ).scalar_one()
        conn.execute(
            sa.text("UPDATE case_events SET actor = 'penyusup' WHERE case_id = :c AND version = 1"),
            {"c": ids[1]},
        )
    bad = tmp_path / "tampered.backup"
    assert cli("db", "backup", str(bad)).exit_code == 0
    with app.db.write_engine.begin() as conn:  # the live store, sound, and changed since
        conn.execute(
            sa.text("UPDATE case_events SET actor = :a WHERE case_id = :c AND version = 1"), first
        )
    change(app, ids)
    assert audit_runner.verify(app.db).ok
    live = snapshot(app)

    r = cli("db", "restore", str(bad), "--json")
    assert r.exit_code == 1, r.output
    assert '"verified": false' in r.output and '"put_back": true' in r.output
    assert ids[1] in r.output and "put back as it was before the restore" in r.output
    assert snapshot(app) == live and audit_runner.verify(app.db).ok

    said = cli("db", "restore", str(bad))  # in words: not "restored", then "put back"
    assert said.exit_code == 1 and f"tried restoring {bad} into " in said.output, said.output
    assert "restored " + str(bad) not in said.output and snapshot(app) == live

    kept = cli("db", "restore", str(bad), "--keep-failed")
    assert kept.exit_code == 1 and "kept as restored (--keep-failed)" in kept.output
    assert f"restored {bad} into " in kept.output
    assert snapshot(app) != live and not audit_runner.verify(app.db).ok


def test_the_restores_copy_of_the_database_is_beside_a_sqlite_file_and_gone_when_done(
    app: App, db_url: str, tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: the copy of the database as it was went to the system temporary folder,
    perhaps a RAM-backed /tmp lost at a reboot (or filled by a large database). A SQLite
    database's copy is now beside its file, hidden, dated and readable by its owner alone; a
    PostgreSQL one's pg_dump stays in the temporary folder ($TMPDIR). Removed once the restore
    is done; kept, and named, when a failing backup is kept (--keep-failed)."""
    tmp = tmp_path / "tmp"  # the system temporary folder, as the command sees it
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    ids = seed(app)
    backups = tmp_path / "backups"  # not the database's folder either
    good = backups / "good.backup"
    assert cli("db", "backup", str(good)).exit_code == 0
    sqlite = db_url.startswith("sqlite")
    folder = Path(sa.engine.make_url(db_url).database or "").parent if sqlite else tmp

    def said_copy(output: str) -> Path:
        found = re.search(
            r"copied to (\S+): if this restore is interrupted, "
            r"`pkh db restore (\S+)` puts it back",
            output,
        )
        assert found and found.group(1) == found.group(2), output
        return Path(found.group(1))

    r = cli("db", "restore", str(good))
    assert r.exit_code == 0, r.output
    copy = said_copy(r.output)
    assert copy.parent == folder.resolve(), copy
    pattern = r"\.pkh\.db" if sqlite else r"pkh-\w+"
    assert re.fullmatch(pattern + r"\.before-restore-\d{8}T\d{6}Z\.backup", copy.name), copy
    assert not copy.exists()  # done: removed
    assert list(tmp.iterdir()) == [] and [p.name for p in backups.iterdir()] == ["good.backup"]
    if sqlite:
        assert sorted(p.name for p in folder.iterdir() if "before-restore" in p.name) == []

    with app.db.write_engine.begin() as conn:  # a backup of a tampered store
        conn.execute(
            sa.text("UPDATE case_events SET actor = 'penyusup' WHERE case_id = :c AND version = 1"),
            {"c": ids[1]},
        )
    bad = backups / "tampered.backup"
    assert cli("db", "backup", str(bad)).exit_code == 0
    restore(db_url, good)
    live = snapshot(app)
    kept = cli("db", "restore", str(bad), "--keep-failed", "--json")
    assert kept.exit_code == 1, kept.output
    copy = said_copy(kept.output)
    assert copy.parent == folder.resolve() and copy.is_file()
    assert f'"copy_kept": "{copy}"' in kept.output
    assert f"kept in {copy}: `pkh db restore {copy}` puts it back" in kept.output
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert cli("db", "restore", str(copy)).exit_code == 0  # the command it names puts it back
    assert snapshot(app) == live and audit_runner.verify(app.db).ok
    copy.unlink()


def test_a_restore_whose_copy_cannot_be_written_says_so_before_and_leaves_no_part_of_it(
    app: App, db_url: str, tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Helper-74's review: when the copy of the database could not be written (a full disk
    beside it), the restore went on over the database saying nothing until the end, and a
    copy cut short stayed on disk, never named. It is said before anything is replaced, and
    what was written of the copy is removed."""
    import api.cli_backup as cb

    seed(app)
    good = tmp_path / "good.backup"
    assert cli("db", "backup", str(good)).exit_code == 0
    real, written = cb.backup, []

    def disk_full(url: str, dest: Any) -> Any:
        Path(dest).write_bytes(b"half a copy")
        written.append(Path(dest))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cb, "backup", disk_full)
    r = cli("db", "restore", str(good))
    monkeypatch.setattr(cb, "backup", real)
    assert r.exit_code == 0, r.output
    warning = "warning: the database could not be copied before the restore"
    assert warning in r.output and "No space left on device" in r.output, r.output
    assert r.output.index(warning) < r.output.index("restored"), r.output
    assert written and not written[0].exists()
    assert audit_runner.verify(app.db).ok


def test_restoring_a_sqlite_backup_into_postgresql_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "a.db"
    upgrade(f"sqlite:///{src}")
    dump = backup(f"sqlite:///{src}", tmp_path / "a.backup")
    with pytest.raises(BackupError, match="pg_dump"):
        restore(POSTGRES_URL, dump.path)


@pytest.mark.postgres
def test_a_database_without_a_search_path_is_backed_up_as_its_public_schema(
    postgres_url: str, tmp_path: Path
) -> None:
    """The deployment URL (no options): pg_dump / pg_restore of the `public` schema."""
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"pkh_backup_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(url)
        app = make_app(url)
        add_user(app.db, "kab.bogor", "kabupaten", "3271", now=datetime.now(UTC))
        add_user(app.db, "admin", "admin", None, now=datetime.now(UTC))
        ids = seed(app)
        before = snapshot(app)
        info = backup(url, tmp_path / "public.backup")
        assert info.schema == "public"
        change(app, ids)
        app.db.dispose()
        restore(url, info.path)
        assert snapshot(app) == before
        assert audit_runner.verify(app.db).ok
        app.db.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm", ".secret_key"])
def test_a_backup_over_the_sqlite_database_itself_is_refused_and_writes_nothing(
    tmp_path: Path, suffix: str
) -> None:
    """Regression: `pkh db backup var/pkh.db` (the database's own path, a slip for `var/pkh.db.bak`)
    replaced the live file by rename. The API, still holding the old file, went on writing
    to it: an officer's advance answered 200 and was seen by no later reader (`pkh case
    show` gave the version before it). Over the -wal the commits not yet checkpointed would be
    lost. Now each is refused, naming the database, and nothing is written."""
    url = f"sqlite:///{tmp_path / 'pkh.db'}"
    upgrade(url)
    app = make_app(url)
    add_user(app.db, "kab.bogor", "kabupaten", "3271", now=datetime.now(UTC))
    case_id = app.service.open_case("complaint", complaint_data(), "kab.bogor").id
    dest = tmp_path / f"pkh.db{suffix}"
    if suffix == ".secret_key":
        dest.write_text("k" * 64)
    before = {p.name: (p.stat().st_ino, p.read_bytes()) for p in tmp_path.iterdir()}
    with pytest.raises(BackupError, match=re.escape(f"{dest} is ")):
        backup(url, dest)
    with pytest.raises(BackupError, match="another name"):  # by another path to the same file
        backup(url, tmp_path / "." / f"pkh.db{suffix}")
    after = {p.name: (p.stat().st_ino, p.read_bytes()) for p in tmp_path.iterdir()}
    assert after == before
    app.service.apply(case_id, "advance", ADVANCE_DATA, "kab.bogor")  # the same file still
    fresh = make_app(url)
    assert fresh.service.get(case_id).version == 2
    fresh.db.dispose()
    app.db.dispose()


def test_a_folder_or_a_file_that_is_no_backup_is_refused_before_the_database_is_copied(
    app: App, tmp_path: Path, cli: Any
) -> None:
    """Regression: `pkh db restore /tmp/backups` (a folder) first copied the whole database
    aside, announcing the copy, and then said 'error: /tmp/backups does not exist'; a text
    file was refused only after that copy too (minutes and gigabytes for a large store). Now
    both are refused at once, a folder as a folder, and no copy is made or announced."""
    folder = tmp_path / "backups"
    folder.mkdir()
    junk = tmp_path / "notes.txt"
    junk.write_text("not a backup\n")
    for src, said in ((folder, "is a directory"), (junk, "is not a")):
        r = cli("db", "restore", str(src))
        # bad input, exit 2 as every command's (it said 1, as for a restore that failed)
        assert r.exit_code == 2 and f"error: {src} {said}" in r.output, r.output
        assert "copied" not in r.output and "does not exist" not in r.output, r.output
    assert not [p for p in tmp_path.iterdir() if "before-restore" in p.name]


@pytest.mark.postgres
def test_a_backup_of_another_schema_is_refused_before_the_copy_saying_where_it_restores(
    postgres_app: App, postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: `pkh db restore a.dump` with PKH_DATABASE_URL on schema h86b, a.dump taken
    of schema h86a, first pg_dumped the whole database to $TMPDIR (announcing the copy), then
    said only 'error: a.dump holds schema h86a; this database uses h86b': not that nothing
    was restored, nor how to restore it. Now it is refused before any copy, saying both and
    the search_path option that restores it into its own schema."""
    import api.cli
    from api import cli_admin, cli_backup  # noqa: F401 - register `pkh db ...`

    seed(postgres_app)
    dump = backup(postgres_url, tmp_path / "a.dump")
    theirs = dump.schema
    gen = _postgres_schema_url()
    other = next(gen)
    try:
        upgrade(other)
        app = make_app(other)
        monkeypatch.setattr(api.cli, "_APP", app)
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the copy would go
        r = CliRunner().invoke(api.cli.app, ["db", "restore", str(dump.path)])
        assert r.exit_code == 2, r.output  # bad input, as every command's
        assert f"holds schema {theirs}; this database uses " in r.output
        assert "nothing restored" in r.output
        assert f"options=-csearch_path%3D{theirs}" in r.output
        assert "copied" not in r.output, r.output
        assert [p.name for p in tmp_path.iterdir()] == ["a.dump"]
        app.db.dispose()
    finally:
        gen.close()


def test_a_restore_that_drops_checkpoints_says_so(app: App, tmp_path: Path, cli: Any) -> None:
    """A backup made before `pkh audit checkpoint` restored over the store that had it:
    the checkpoint (and the anchor the auditor kept for it outside the store) was gone, and
    the restore said only "restored ...; verify: ... 0 checkpoints"; the next
    `pkh audit verify --anchor` failed with checkpoint_missing, news to everyone (helper-86's
    finding). The restore now warns, naming the checkpoints the database as it was held and
    the restored one does not, and --json lists them."""
    seed(app)
    old = tmp_path / "before-checkpoint.backup"
    assert cli("db", "backup", str(old)).exit_code == 0
    sealed = cli("audit", "checkpoint", "--json")
    assert sealed.exit_code == 0, sealed.output
    made = re.search(r'"id": (\d+)', sealed.output)
    assert made, sealed.output
    r = cli("db", "restore", str(old))
    assert r.exit_code == 0, r.output
    said = f"warning: 1 checkpoint ({made.group(1)}) of the database as it was is not in the "
    assert said in r.output, r.output
    assert "checkpoint_missing" in r.output and "pkh audit checkpoint" in r.output
    # a restore that loses none says nothing of it
    assert cli("audit", "checkpoint").exit_code == 0
    same = tmp_path / "with-checkpoint.backup"
    assert cli("db", "backup", str(same)).exit_code == 0
    r = cli("db", "restore", str(same), "--json")
    assert r.exit_code == 0 and '"checkpoints_lost": []' in r.output, r.output
    assert "warning:" not in r.output
