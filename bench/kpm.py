"""kpm_import_rows_per_s: `workflows.kpm_import.import_file` over a generated DTKS/BDT extract.

The KPM import (issue 6) is being built while this harness is written: if the module or its
`import_file` is missing, or the import fails on a valid file, the figure is skipped with the
reason, not faked.

The file: CSV with the issue's columns, one row per member, households of 2-6 members (kepala
keluarga, spouse, children whose komponen/jenjang/kelas follow their age, sometimes a lansia
parent), desa codes from the Kemendagri reference, NIKs that agree with birth date and sex and
are unique, unique 16-digit no_kk. Every row is valid, so every row must be accepted.

Each run imports into a fresh SQLite file in a child process (wall time of `import_file` only,
and that process's peak RSS). Baseline: bare Python reading the same CSV (csv module) and
inserting every row into one plain table with sqlite3 executemany, 20,000 rows per commit.
Full: 1,000,000 rows; quick: 100,000.
"""

from __future__ import annotations

import csv
import importlib
import json
import random
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.core import Check, Context, Figure, log, median, rate_figure
from bench.store import migrated_sqlite, raw_sqlite, sqlite_url

NAME = "kpm_import_rows_per_s"


def _skip(note: str) -> list[Figure]:
    f = Figure(NAME, None, "rows/s", skipped=True, note=note)
    return [f.judge(Check("value", ">=", 20_000, ">= 20,000 rows/s, peak <= 500 MB"))]


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def generate(path: Path, rows: int, seed: int = 8) -> int:
    """Write `rows` valid member rows; returns the number of households."""
    from bench.store import desa_by_kabupaten
    from workflows.kpm_codes import COLUMNS

    rng = random.Random(seed)
    today = datetime.now(UTC).date()
    desa = [d for ds in desa_by_kabupaten().values() for d in ds]
    serial: dict[str, int] = {}
    households = written = 0

    def born_at(age_lo: int, age_hi: int) -> date:
        """A birth date in the past giving an age in [age_lo, age_hi] today, kept clear of
        birthdays near today (so the age is the same in every zone and tomorrow)."""
        while True:
            b = today - timedelta(days=rng.randint(age_lo * 366 + 5, age_hi * 365 + 360))
            if b.month == 2 and b.day == 29:
                continue
            if (
                age_lo <= _age(b, today) <= age_hi
                and abs((b.replace(year=today.year) - today).days) > 3
            ):
                return b

    def nik(kec: str, born: date, sex: int) -> str:
        dd = born.day + (40 if sex == 2 else 0)
        stem = f"{kec}{dd:02d}{born.month:02d}{born.year % 100:02d}"
        n = serial.get(stem, 0) + 1
        serial[stem] = n
        return f"{stem}{n:04d}"

    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(COLUMNS)
        while written < rows:
            households += 1
            region = desa[rng.randrange(len(desa))]
            kec = region[:6]
            no_kk = f"{kec}{households:010d}"
            size = min(rng.randint(2, 6), rows - written)
            members: list[
                tuple[int, int, date, int, Any, Any]
            ] = []  # hub, sex, born, komp, jen, kel
            head_sex = 1 if rng.random() < 0.85 else 2
            members.append((1, head_sex, born_at(28, 58), 9, "", ""))
            for i in range(1, size):
                if i == 1 and rng.random() < 0.8:
                    sex = 3 - head_sex
                    b = born_at(24, 44)
                    komp = 1 if sex == 2 and rng.random() < 0.15 else 9
                    members.append((2, sex, b, komp, "", ""))
                elif i == size - 1 and size >= 4 and rng.random() < 0.3:
                    members.append((5, rng.randint(1, 2), born_at(61, 85), 8, "", ""))
                else:
                    sex = rng.randint(1, 2)
                    b = born_at(0, 18)
                    age = _age(b, today)
                    if age <= 6:
                        members.append((3, sex, b, 2, "", ""))
                    elif age <= 12:
                        members.append((3, sex, b, 4, 1, max(1, min(6, age - 6))))
                    elif age <= 15:
                        members.append((3, sex, b, 5, 2, max(7, min(9, age - 6))))
                    else:
                        members.append((3, sex, b, 6, 3, max(10, min(12, age - 6))))
            for j, (hub, sex, b, komp, jen, kel) in enumerate(members):
                w.writerow(
                    (
                        no_kk,
                        nik(kec, b, sex),
                        f"Anggota {households}-{j + 1}",
                        sex,
                        "Bogor",
                        b.isoformat(),
                        hub,
                        f"Ibu {households}-{j + 1}",
                        region,
                        komp,
                        jen,
                        kel,
                    )
                )
            written += len(members)
    return households


def _bare(db: Path, csv_path: Path) -> float:
    con = raw_sqlite(db)
    con.execute(
        "CREATE TABLE bare_rows (no_kk TEXT, nik TEXT, nama TEXT, jenis_kelamin TEXT, "
        "tempat_lahir TEXT, tanggal_lahir TEXT, hubungan_keluarga TEXT, nama_ibu_kandung TEXT, "
        "kode_wilayah TEXT, komponen TEXT, jenjang_sekolah TEXT, kelas TEXT)"
    )
    t = time.perf_counter()
    with csv_path.open(newline="", encoding="utf-8") as fh:
        r = csv.reader(fh)
        next(r)
        batch: list[list[str]] = []
        for row in r:
            batch.append(row)
            if len(batch) >= 20_000:
                con.execute("BEGIN")
                con.executemany(f"INSERT INTO bare_rows VALUES ({', '.join('?' * 12)})", batch)
                con.execute("COMMIT")
                batch = []
        if batch:
            con.execute("BEGIN")
            con.executemany(f"INSERT INTO bare_rows VALUES ({', '.join('?' * 12)})", batch)
            con.execute("COMMIT")
    dt = time.perf_counter() - t
    con.close()
    return dt


def child(db: str, csv_path: str, out: str) -> None:
    """Runs in its own process: build the app, import, report time, counts and peak RSS."""
    import resource

    from bench.store import build
    from workflows.kpm_import import import_file

    app = build(sqlite_url(Path(db)))
    t = time.perf_counter()
    report = import_file(app, csv_path)
    dt = time.perf_counter() - t
    app.db.dispose()
    d = report.as_dict() if hasattr(report, "as_dict") else dict(report.__dict__)
    rejected = d.get("rejected", [])
    Path(out).write_text(
        json.dumps(
            {
                "seconds": dt,
                "rows": d.get("rows"),
                "accepted_members": d.get("accepted_members"),
                "rejected": len(rejected),
                "rejected_sample": rejected[:5],
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            },
            default=str,
        )
    )


def run(ctx: Context) -> list[Figure]:
    try:
        mod = importlib.import_module("workflows.kpm_import")
    except ModuleNotFoundError as e:
        return _skip(f"workflows.kpm_import is missing ({e}); the KPM import (issue 6) is not in")
    except Exception as e:  # noqa: BLE001 - a half-built module must not stop the harness
        return _skip(f"workflows.kpm_import does not import: {type(e).__name__}: {e}")
    if not callable(getattr(mod, "import_file", None)):
        return _skip("workflows.kpm_import has no import_file(app, path); nothing to measure")

    rows = ctx.size(100_000, 1_000_000)
    csv_path = ctx.workdir / "kpm.csv"
    t = time.perf_counter()
    households = generate(csv_path, rows)
    log(
        f"  generated {rows:,} member rows in {households:,} households in "
        f"{time.perf_counter() - t:.0f} s"
    )

    times: list[float] = []
    base: list[float] = []
    peaks: list[float] = []
    for rep in range(ctx.reps):
        db = migrated_sqlite(ctx.workdir, "kpm.db")
        out = ctx.workdir / "kpm_child.json"
        out.unlink(missing_ok=True)
        p = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from bench.kpm import child; child(*sys.argv[1:])",
                str(db),
                str(csv_path),
                str(out),
            ],
            capture_output=True,
            text=True,
        )
        if p.returncode != 0 or not out.exists():
            tail = (p.stderr or p.stdout).strip().splitlines()[-1:] or ["no output"]
            return _skip(f"import_file failed on a valid generated file: {tail[0]}")
        r = json.loads(out.read_text())
        if r["rejected"] or r["accepted_members"] != rows:
            f = _skip(
                f"import_file accepted {r['accepted_members']} of {rows} valid rows, rejected "
                f"{r['rejected']} (e.g. {r['rejected_sample'][:2]}) in {r['seconds']:.0f} s; "
                "not a valid measurement"
            )
            return f
        times.append(r["seconds"])
        peaks.append(r["peak_rss_mb"])
        bare_db = migrated_sqlite(ctx.workdir, "kpm_bare.db")
        base.append(_bare(bare_db, csv_path))
        log(
            f"  kpm import rep {rep + 1}/{ctx.reps}: {rows / times[-1]:,.0f} rows/s, peak "
            f"{peaks[-1]:.0f} MB; bare {rows / base[-1]:,.0f} rows/s"
        )
    fig = rate_figure(
        NAME,
        "rows/s",
        rows,
        times,
        base,
        "bare Python: csv.reader over the same file + sqlite3 executemany into one plain table, "
        "20,000 rows per commit",
        f"{rows:,} member rows, {households:,} households, CSV",
    )
    fig.extra = {"peak_rss_mb": peaks}
    fig.note = (
        f"peak RSS of the importing process: median {median(peaks):.0f} MB, max {max(peaks):.0f} MB"
    )
    fig.judge(Check("value", ">=", 20_000, ">= 20,000 rows/s, peak <= 500 MB"))
    if fig.passed and max(peaks) > 500:
        fig.passed = False
    return [fig]
