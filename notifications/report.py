"""The monthly complaint report for UPPKH Pusat and the Tim Teknis: gathered from the store,
rendered as CSV and as a printable HTML page (Bahasa Indonesia, or English) with SVG charts.

CSV: one file (`text/csv`, UTF-8, CRLF), in sections separated by an empty line; each section
starts with its own header row, whose first cell names it:

    dimension,key,received,closed,overdue                  counts; dimension is total, type,
                                                           provinsi, kabupaten, channel, level
    ttc_dimension,key,closed,median_working_days,p90_working_days   time to close
    sla_stage,level,budget_working_days,left,on_time,late,compliance_pct,open_overdue
    recurring_type,kabupaten,received                      one row per type and kabupaten
    meta,value                                             month, scope, cases_examined, ...

`read_csv_sections` reads it back. One file rather than a zip of tables: it opens as it is in a
spreadsheet and attaches to a mail, and the first section is the plain counts table.

Charts are small horizontal bar charts drawn here as inline SVG (geometry in `hbar_chart`, markup
in `templates/report/_macros.html`): no library, nothing fetched by the browser, the same bytes for
the same report, readable when printed in black and white (every bar carries its value).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from engine.errors import InvalidInput
from engine.report import ALL, NONE, Month, MonthlyReport, build_monthly_report
from notifications import labels as L

JAKARTA = ZoneInfo("Asia/Jakarta")
FORMATS = ("json", "csv", "html")
LANGS = ("id", "en")
MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
}
COUNT_HEADER = ("dimension", "key", "received", "closed", "overdue")
TTC_HEADER = ("ttc_dimension", "key", "closed", "median_working_days", "p90_working_days")
SLA_HEADER = (
    "sla_stage",
    "level",
    "budget_working_days",
    "left",
    "on_time",
    "late",
    "compliance_pct",
    "open_overdue",
)
RECURRING_HEADER = ("recurring_type", "kabupaten", "received")
META_HEADER = ("meta", "value")


# --------------------------------------------------------------------------------- gathering
def build_report(
    app: Any, month: Month | str, scope: str | None = None, as_of: datetime | None = None
) -> MonthlyReport:
    """The complaint workflow's report for `month`, limited to regions under `scope` if given,
    as the store stands now (`as_of`, default the service clock: matters for a running month)."""
    from engine.store.report_source import iter_case_facts
    from workflows.complaint_codes import LEVELS, NAME, TABEL_2, zone_for

    month = Month.of(month)
    calendar = app.service.calendar()
    as_of = as_of or app.service.clock()
    with app.db.reading() as s:
        facts = iter_case_facts(s, month, workflow=NAME, region_prefix=scope)
        return build_monthly_report(
            facts,
            month,
            calendar,
            zone_for,
            stage_budgets=TABEL_2,
            levels=LEVELS,
            scope=scope,
            as_of=as_of,
            # as this installation configures them (the ketua kelompok's days are a setting)
            level_stage_budgets=stage_budgets_by_level(app.service.workflows.get(NAME)),
        )


def stage_budgets_by_level(d: Any) -> dict[tuple[str, str], int]:
    """(stage, level) -> working days, from the workflow's own budgets: the penanganan stage
    of a ketua kelompok (20) and of a pendamping (5) has none in Tabel 2."""
    out: dict[tuple[str, str], int] = {}
    for name, budget in d.stage_budgets.items():
        sd = d.state(name)
        if sd.stage and sd.level and not budget.months:
            out[(sd.stage, sd.level)] = budget.working_days
    return out


def check_format(fmt: str) -> str:
    fmt = (fmt or "").strip().lower()
    if fmt not in FORMATS:
        raise InvalidInput("format", f"unknown format '{fmt}'; expected one of: json, csv, html")
    return fmt


def check_lang(lang: str) -> str:
    lang = (lang or "").strip().lower()
    if lang not in LANGS:
        raise InvalidInput("lang", f"unknown language '{lang}'; expected id or en")
    return lang


def filename(report: MonthlyReport, fmt: str) -> str:
    scope = f"-{report.scope}" if report.scope else ""
    return f"laporan-pengaduan-{report.month}{scope}.{fmt}"


def render(
    report: MonthlyReport, fmt: str, lang: str = "id", generated_at: datetime | None = None
) -> str:
    fmt = check_format(fmt)
    if fmt == "csv":
        return to_csv(report, generated_at)
    if fmt == "html":
        return to_html(report, lang, generated_at)
    out = report.as_dict()
    if generated_at is not None:
        out["generated_at"] = generated_at.isoformat()
    return json.dumps(out, ensure_ascii=False, indent=2) + "\n"


# --------------------------------------------------------------------------------------- CSV
def _num(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def to_csv(report: MonthlyReport, generated_at: datetime | None = None) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(COUNT_HEADER)
    w.writerows((r.dimension, r.key, r.received, r.closed, r.overdue) for r in report.counts)
    w.writerow(())
    w.writerow(TTC_HEADER)
    w.writerows((r.dimension, r.key, r.closed, _num(r.median), r.p90) for r in report.time_to_close)
    w.writerow(())
    w.writerow(SLA_HEADER)
    w.writerows(
        (
            r.stage,
            r.level,
            "" if r.budget is None else r.budget,
            r.left,
            r.on_time,
            r.late,
            "" if r.compliance is None else _num(round(r.compliance * 100, 1)),
            r.open_overdue,
        )
        for r in report.sla
    )
    w.writerow(())
    w.writerow(RECURRING_HEADER)
    for rec in report.recurring:
        w.writerows((rec.case_type, k, n) for k, n in zip(rec.kabupaten, rec.received, strict=True))
    w.writerow(())
    w.writerow(META_HEADER)
    w.writerow(("month", str(report.month)))
    w.writerow(("scope", report.scope or ALL))
    w.writerow(("cases_examined", report.cases))
    if report.as_of is not None:
        w.writerow(("as_of", report.as_of.isoformat()))
    w.writerow(("partial", "true" if report.partial else "false"))
    w.writerow(("not_begun", "true" if report.not_begun else "false"))
    if generated_at is not None:
        w.writerow(("generated_at", generated_at.isoformat()))
    return buf.getvalue()


def read_csv_sections(text: str) -> dict[str, list[dict[str, str]]]:
    """The report's CSV back as {first header cell: rows as dicts}."""
    sections: dict[str, list[dict[str, str]]] = {}
    header: list[str] | None = None
    for row in csv.reader(io.StringIO(text)):
        if not row:
            header = None
        elif header is None:
            header = row
            sections[row[0]] = []
        else:
            sections[header[0]].append(dict(zip(header, row, strict=True)))
    return sections


# -------------------------------------------------------------------------------- SVG charts
@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: int
    text: str  # the value as shown


@dataclass(frozen=True)
class ChartRow:
    label: str  # shown (possibly shortened)
    title: str  # full label, for the tooltip and screen readers
    y: float  # baseline of the label
    bars: tuple[Bar, ...]
    marked: bool  # underlined: part of a recurring problem


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    width: int
    height: int
    left: int  # x where the bars start
    plot_width: int
    top: int
    series: tuple[str, ...]
    ticks: tuple[tuple[float, str], ...]
    rows: tuple[ChartRow, ...]
    empty: str  # shown when there are no rows


def _nice_step(top: float, target: int = 5, *, whole: bool = False) -> float:
    raw = top / target
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10) if whole else (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag  # pragma: no cover - the loop always returns


def _short(label: str, n: int = 30) -> str:
    return label if len(label) <= n else label[: n - 1].rstrip() + "\u2026"


def hbar_chart(
    chart_id: str,
    title: str,
    categories: Sequence[tuple[str, Sequence[float], bool]],
    series: Sequence[str],
    *,
    empty: str,
    unit: str = "",
    max_value: float | None = None,
    width: int = 680,
    label_width: int = 200,
    label_chars: int = 30,
    bar_height: int = 12,
    gap: int = 10,
) -> Chart:
    """Grouped horizontal bars: one group per category (label, one value per series, marked)."""
    top = 30 if len(series) > 1 else 12
    plot = width - label_width - 56
    biggest = max((v for _, values, _ in categories for v in values), default=0)
    scale_top = max_value if max_value is not None else max(biggest, 1)
    step = _nice_step(scale_top, whole=not unit)
    if not unit:  # counts: whole-number ticks
        step = max(step, 1)
    if max_value is None:
        scale_top = step * math.ceil(scale_top / step)
    ticks = []
    t = 0.0
    while t <= scale_top + 1e-9:
        ticks.append((label_width + plot * t / scale_top, f"{_num(t)}{unit}"))
        t += step
    group = bar_height * len(series) + gap
    rows = []
    for i, (label, values, marked) in enumerate(categories):
        y0 = top + i * group
        bars = tuple(
            Bar(
                x=label_width,
                y=y0 + j * bar_height,
                width=round(plot * min(v, scale_top) / scale_top, 2),
                height=bar_height - 2,
                series=j,
                text=f"{_num(v)}{unit}",
            )
            for j, v in enumerate(values)
        )
        rows.append(ChartRow(_short(label), label, y0 + group / 2 - gap / 2 + 4, bars, marked))
    height = top + max(len(rows), 1) * group + 22
    return Chart(
        chart_id,
        title,
        width,
        height,
        label_width,
        plot,
        top,
        tuple(series),
        tuple(ticks),
        tuple(rows),
        empty,
    )


# ------------------------------------------------------------------------------------- HTML
WORDS: dict[str, dict[str, str]] = {
    "id": {
        "ministry": "Kementerian Sosial RI \u2014 Program Keluarga Harapan",
        "title": "Laporan Bulanan Pengaduan PKH",
        "subtitle": "Sistem Pengaduan Masyarakat (SPM-PKH)",
        "period": "Periode",
        "scope": "Wilayah",
        "scope_all": "Seluruh Indonesia",
        "generated": "Dibuat",
        "examined": "Kasus yang diperiksa",
        "summary": "Ringkasan",
        "received": "Diterima",
        "closed": "Diselesaikan",
        "overdue": "Melewati batas waktu",
        "median": "Median waktu penyelesaian",
        "p90": "Persentil ke-90 waktu penyelesaian",
        "working_days": "hari kerja",
        "recurring_title": "Masalah berulang di lebih dari satu kabupaten/kota",
        "recurring_intro": (
            "Jenis pengaduan yang sama diterima di dua kabupaten/kota atau lebih dalam bulan ini."
        ),
        "recurring_none": (
            "Tidak ada jenis pengaduan yang diterima di lebih dari satu kabupaten/kota "
            "dalam bulan ini."
        ),
        "kabupaten_count": "Kabupaten/kota",
        "type": "Jenis pengaduan",
        "code": "Kode",
        "name": "Nama",
        "by_type": "Menurut jenis pengaduan",
        "by_provinsi": "Menurut provinsi",
        "by_kabupaten": "Menurut kabupaten/kota",
        "by_channel": "Menurut saluran pengaduan",
        "by_level": "Menurut tingkat penanganan",
        "time_to_close": "Waktu penyelesaian (hari kerja)",
        "dimension": "Dimensi",
        "p90_short": "Persentil ke-90",
        "median_short": "Median",
        "sla": "Kepatuhan batas waktu per tahap (Tabel 2)",
        "stage": "Tahap",
        "level": "Tingkat",
        "budget": "Batas (hari kerja)",
        "left": "Tahap dilalui",
        "on_time": "Tepat waktu",
        "late": "Terlambat",
        "compliance": "Kepatuhan",
        "open_overdue": "Masih berjalan, lewat batas",
        "all_levels": "Semua tingkat",
        "none": "(tidak ada)",
        "no_data": "Tidak ada data untuk bulan ini.",
        "recurring_mark": "berulang",
        "chart_type": "Pengaduan menurut jenis",
        "chart_kabupaten": "Pengaduan diterima menurut kabupaten/kota",
        "chart_channel": "Pengaduan diterima menurut saluran",
        "chart_sla": "Kepatuhan batas waktu per tahap Tabel 2 (%)",
        "dim_total": "Jumlah",
        "dim_type": "Jenis",
        "dim_provinsi": "Provinsi",
        "dim_kabupaten": "Kabupaten/kota",
        "dim_channel": "Saluran",
        "dim_level": "Tingkat",
        "notes": "Keterangan",
        "partial": "Bulan berjalan: keadaan per",
        "not_begun": "Bulan ini belum dimulai, belum ada angka: keadaan per",
        "note_received": (
            "Diterima: pengaduan yang dicatat dalam bulan ini, menurut tanggal setempat kantor "
            "yang menerima, pada tingkat tempat pengaduan masuk."
        ),
        "note_closed": (
            "Diselesaikan: pengaduan yang ditutup (selesai atau ditolak) dalam bulan ini, pada "
            "tingkat tempat pengaduan ditutup."
        ),
        "note_overdue": (
            "Melewati batas waktu: masih diproses pada akhir bulan dengan batas waktu tahap atau "
            "tingkat yang sudah lewat, atau ditutup dalam bulan ini setelah batas waktu tingkat."
        ),
        "note_ttc": (
            "Waktu penyelesaian dihitung dalam hari kerja (tanpa Sabtu, Minggu, libur nasional "
            "dan cuti bersama) dari tanggal pengaduan dicatat sampai tanggal ditutup. Persentil "
            "ke-90: 90% pengaduan selesai dalam waktu tersebut."
        ),
        "note_sla": (
            "Kepatuhan: bagian dari tahap yang dilalui dalam bulan ini yang selesai sebelum "
            "batas waktunya (Tabel 2: dokumentasi 5, identifikasi 3, tindak lanjut 15, "
            "pemberitahuan 3 hari kerja)."
        ),
        "note_recurring": (
            "Garis bawah menandai masalah berulang: jenis pengaduan yang sama di dua "
            "kabupaten/kota atau lebih."
        ),
    },
    "en": {
        "ministry": "Ministry of Social Affairs \u2014 Program Keluarga Harapan (PKH)",
        "title": "PKH Monthly Complaint Report",
        "subtitle": "Public complaint system (SPM-PKH)",
        "period": "Period",
        "scope": "Area",
        "scope_all": "All of Indonesia",
        "generated": "Generated",
        "examined": "Cases examined",
        "summary": "Summary",
        "received": "Received",
        "closed": "Closed",
        "overdue": "Overdue",
        "median": "Median time to close",
        "p90": "90th percentile time to close",
        "working_days": "working days",
        "recurring_title": "Problems recurring in more than one kabupaten/kota",
        "recurring_intro": (
            "The same complaint type was received in two or more kabupaten/kota this month."
        ),
        "recurring_none": (
            "No complaint type was received in more than one kabupaten/kota this month."
        ),
        "kabupaten_count": "Kabupaten/kota",
        "type": "Complaint type",
        "code": "Code",
        "name": "Name",
        "by_type": "By complaint type",
        "by_provinsi": "By province",
        "by_kabupaten": "By kabupaten/kota",
        "by_channel": "By channel",
        "by_level": "By handling level",
        "time_to_close": "Time to close (working days)",
        "dimension": "Dimension",
        "p90_short": "90th percentile",
        "median_short": "Median",
        "sla": "Deadline compliance per stage (Tabel 2)",
        "stage": "Stage",
        "level": "Level",
        "budget": "Budget (working days)",
        "left": "Stages completed",
        "on_time": "On time",
        "late": "Late",
        "compliance": "Compliance",
        "open_overdue": "Still running, overdue",
        "all_levels": "All levels",
        "none": "(none)",
        "no_data": "No data for this month.",
        "recurring_mark": "recurring",
        "chart_type": "Complaints by type",
        "chart_kabupaten": "Complaints received by kabupaten/kota",
        "chart_channel": "Complaints received by channel",
        "chart_sla": "Deadline compliance per Tabel 2 stage (%)",
        "dim_total": "Total",
        "dim_type": "Type",
        "dim_provinsi": "Province",
        "dim_kabupaten": "Kabupaten/kota",
        "dim_channel": "Channel",
        "dim_level": "Level",
        "notes": "Notes",
        "partial": "Month still running: as of",
        "not_begun": "This month has not begun, no figures yet: as of",
        "note_received": (
            "Received: complaints recorded this month, by the local date of the receiving "
            "office, at the level they entered."
        ),
        "note_closed": (
            "Closed: complaints closed (resolved or rejected) this month, at the level they "
            "closed at."
        ),
        "note_overdue": (
            "Overdue: still open at the end of the month with the stage or level deadline "
            "passed, or closed this month after the level deadline."
        ),
        "note_ttc": (
            "Time to close counts working days (no Saturdays, Sundays, national holidays or cuti "
            "bersama) from the date the complaint was recorded to the date it closed. 90th "
            "percentile: 90% of the complaints closed within it."
        ),
        "note_sla": (
            "Compliance: the share of the stages completed this month that were completed by "
            "their deadline (Tabel 2: documentation 5, identification 3, follow-up 15, informing "
            "the reporter 3 working days)."
        ),
        "note_recurring": (
            "Underlined: a recurring problem, the same complaint type in two or more "
            "kabupaten/kota."
        ),
    },
}

SHORT_TYPES: dict[str, dict[str, str]] = {
    "id": {
        "data_peserta": "Data peserta",
        "komitmen_verifikasi": "Komitmen & verifikasi",
        "bukan_peserta": "Bukan peserta",
        "pembayaran": "Pembayaran",
        "ketersediaan_layanan": "Ketersediaan layanan",
        "teknis_administrasi": "Teknis & administrasi",
        "kkn": "KKN",
    },
    "en": {
        "data_peserta": "Participant data",
        "komitmen_verifikasi": "Commitment & verification",
        "bukan_peserta": "Non-participant",
        "pembayaran": "Payment",
        "ketersediaan_layanan": "Service availability",
        "teknis_administrasi": "Technical & administrative",
        "kkn": "KKN (corruption)",
    },
}


SHORT_STAGES: dict[str, dict[str, str]] = {
    "id": {
        "dokumentasi": "Dokumentasi",
        "identifikasi": "Identifikasi",
        "tindak_lanjut": "Tindak lanjut",
        "pemberitahuan": "Pemberitahuan",
        "penanganan": "Penanganan",
        "dirujuk": "Dirujuk",
    },
    "en": {
        "dokumentasi": "Documentation",
        "identifikasi": "Identification",
        "tindak_lanjut": "Follow-up",
        "pemberitahuan": "Informing the reporter",
        "penanganan": "Handling",
        "dirujuk": "Referred",
    },
}


def _region_label(code: str) -> str:
    from workflows.regions import UnknownRegion, region_name

    if code in (NONE, ALL, ""):
        return code
    try:
        return region_name(code)
    except UnknownRegion:
        return code


class _Names:
    """Labels for the keys of each dimension, in one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.w = WORDS[lang]

    def key(self, dimension: str, key: str) -> str:
        if key == NONE:
            return self.w["none"]
        if dimension == "total":
            return self.w["dim_total"]
        table: Mapping[str, str] = {
            "type": L.TYPES[self.lang],
            "channel": L.CHANNELS[self.lang],
            "level": L.LEVELS[self.lang],
        }.get(dimension, {})
        if dimension in ("provinsi", "kabupaten"):
            return _region_label(key)
        return table.get(key, key)

    def short_type(self, key: str) -> str:
        return SHORT_TYPES[self.lang].get(key, self.key("type", key))

    def stage(self, stage: str) -> str:
        return L.STAGES[self.lang].get(stage, stage)

    def short_stage(self, stage: str) -> str:
        return SHORT_STAGES[self.lang].get(stage, stage)

    def level(self, level: str) -> str:
        return self.w["all_levels"] if level == ALL else self.key("level", level)


HALF: dict[str, Any] = {"width": 340, "label_width": 130, "label_chars": 21}


def _charts(report: MonthlyReport, names: _Names, recurring_kabs: set[str]) -> list[Chart]:
    w = names.w
    recurring_types = set(report.recurring_map())
    series3 = (w["received"], w["closed"], w["overdue"])
    charts = [
        hbar_chart(
            "chart-type",
            w["chart_type"],
            [
                (
                    names.short_type(r.key),
                    (r.received, r.closed, r.overdue),
                    r.key in recurring_types,
                )
                for r in report.rows("type")
            ],
            series3,
            empty=w["no_data"],
        )
    ]
    kabs = sorted(
        (r for r in report.rows("kabupaten") if r.received),
        key=lambda r: (-r.received, r.key),
    )[:15]
    charts.append(
        hbar_chart(
            "chart-kabupaten",
            w["chart_kabupaten"],
            [
                (f"{r.key} {names.key('kabupaten', r.key)}", (r.received,), r.key in recurring_kabs)
                for r in kabs
            ],
            (w["received"],),
            empty=w["no_data"],
            **HALF,
        )
    )
    channels = sorted(
        (r for r in report.rows("channel") if r.received), key=lambda r: (-r.received, r.key)
    )
    charts.append(
        hbar_chart(
            "chart-channel",
            w["chart_channel"],
            [(names.key("channel", r.key), (r.received,), False) for r in channels],
            (w["received"],),
            empty=w["no_data"],
            **HALF,
        )
    )
    sla = [r for r in report.sla if r.level == ALL and r.compliance is not None]
    charts.append(
        hbar_chart(
            "chart-sla",
            w["chart_sla"],
            [
                (names.short_stage(r.stage), (round(r.compliance * 100, 1),), False)  # type: ignore[operator]
                for r in sla
            ],
            (w["compliance"],),
            empty=w["no_data"],
            unit="%",
            max_value=100,
        )
    )
    return charts


def _date(value: datetime, lang: str) -> str:
    """In UPPKH Pusat's zone: '2 April 2026, 07:00 WIB'."""
    v = value.astimezone(JAKARTA)
    return f"{v.day} {L.MONTHS[lang][v.month - 1]} {v.year}, {v:%H:%M} {v.tzname()}"


def to_html(report: MonthlyReport, lang: str = "id", generated_at: datetime | None = None) -> str:
    from notifications.render import environment

    lang = check_lang(lang)
    names = _Names(lang)
    recurring_kabs = {k for r in report.recurring for k in r.kabupaten}
    total_ttc = report.close_time()
    context = {
        "lang": lang,
        "w": names.w,
        "names": names,
        "report": report,
        "month_label": f"{L.MONTHS[lang][report.month.month - 1]} {report.month.year}",
        "scope_label": (f"{report.scope} {_region_label(report.scope)}" if report.scope else None),
        "generated": _date(generated_at, lang) if generated_at else None,
        "as_of": _date(report.as_of, lang) if report.as_of and report.partial else None,
        "as_of_label": names.w["not_begun" if report.not_begun else "partial"],
        "total": report.total,
        "ttc": total_ttc,
        "num": _num,
        "charts": _charts(report, names, recurring_kabs),
        "recurring_types": set(report.recurring_map()),
        "recurring_kabs": recurring_kabs,
        "dimensions": ("type", "provinsi", "kabupaten", "channel", "level"),
    }
    html = environment().get_template("report/_page.html").render(context)
    return "\n".join(line for line in html.splitlines() if line.strip()) + "\n"
