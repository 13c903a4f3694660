"""The words of the KPM household pages: a household's facts and members, its decisions and
their reasons, the data-update and correction forms; the master lists' names of a member's coded
fields in Indonesian (CODE_NAMES_ID; the English: workflows.kpm_codes.CODE_NAMES_EN); and a
staff case's recorded values."""

from __future__ import annotations

from collections.abc import Mapping

from api.i18n.common import STRINGS
from api.i18n.labels import LABELS
from workflows.kpm_codes import (
    FIELD_WORDS,
    HUBUNGAN,
    JENIS_KELAMIN,
    JENJANG_SEKOLAH,
    KOMPONEN,
    MEMBER_FIELDS,
)
from workflows.kpm_parse import NON_ELIGIBLE_LABELS, VALIDATION_LABELS

STRINGS.update(
    {
        "hasil": ("Hasil", "Result"),
        "alasan": ("Alasan", "Reason"),
        "nomor_sk": ("Nomor SK penetapan", "Decree (SK) number"),
        "tanggal_sk": ("Tanggal SK", "Decree date"),
        "nomor_anggota": ("Anggota", "Member"),
        "tanggal": ("Tanggal", "Date"),
        "tujuan": ("Tujuan pindah", "Moving to"),
        "keterangan": ("Keterangan", "Explanation"),
        # when an input is needed (api.page_views.PAGE_INPUTS): said in its label
        "needed_for_other": ("wajib untuk alasan Lainnya", "required when the reason is Other"),
        "needed_for_non_eligible": (
            "wajib bila hasilnya Tidak memenuhi syarat",
            "required when the result is Not eligible",
        ),
        "household": ("Rumah tangga", "Household"),
        "members": ("Anggota rumah tangga", "Household members"),
        "no_kk": FIELD_WORDS["no_kk"],
        "kode_peserta": ("Kode peserta", "Participant code"),
        "member_no": ("No.", "No."),
        "member_name": ("Nama", "Name"),
        "nik": ("NIK", "NIK"),
        "born": ("Tanggal lahir", "Born"),
        "relationship": ("Hubungan", "Relationship"),
        "component": ("Komponen", "Component"),
        "compliance": ("Kepatuhan terakhir", "Last compliance"),
        "exit_reason": ("Alasan keluar", "Exit reason"),
        # the staff member a KKN or discipline case is about ("Petugas" alone is the handler)
        "staff": ("Petugas yang bersangkutan", "Staff member concerned"),
        "complaint_id": ("Pengaduan asal", "Originating complaint"),
        "kpm_verify_elsewhere": (
            "Verifikasi komitmen dicatat dari berkas bulanan seluruh rumah tangga: unggah "
            "berkasnya di halaman Verifikasi komitmen.",
            "Commitment verification is recorded from the month's file for every household: "
            "upload it on the Commitment verification page.",
        ),
        "verify_open": (
            "Buka halaman Verifikasi komitmen",
            "Open the Commitment verification page",
        ),
        # the month's commitment verification file, uploaded (api.page_kpm)
        "verify_nav": ("Verifikasi komitmen", "Verification"),
        "verify_title": ("Verifikasi komitmen bulanan", "Monthly commitment verification"),
        "verify_refused": ("Berkas tidak dicatat", "The file was not recorded"),
        "verify_upload": ("Unggah berkas bulan ini", "Upload the month's file"),
        "verify_intro": (
            "Kehadiran anggota KPM di fasilitas pendidikan dan kesehatan bulan itu, satu baris "
            "per anggota. Bulan sebuah rumah tangga dicatat utuh atau tidak sama sekali: bila "
            "satu barisnya ditolak, bulan itu tidak dicatat; perbaiki baris itu lalu unggah "
            "ulang berkas (yang sudah tercatat tidak berubah).",
            "Attendance of KPM members at school and health services that month, one row per "
            "member. A household's month is recorded whole or not at all: when one of its rows "
            "is rejected the month is not recorded; fix that row and upload the file again "
            "(what is already recorded stays unchanged).",
        ),
        "verify_file": (
            "Berkas CSV (UTF-8) atau Excel (.xlsx)",
            "CSV (UTF-8) or Excel (.xlsx) file",
        ),
        "verify_limit": (
            "Paling besar {mb} MB per unggahan; berkas yang lebih besar dibagi menjadi "
            "beberapa berkas.",
            "At most {mb} MB per upload; split a larger file into several.",
        ),
        "verify_submit": ("Unggah dan catat", "Upload and record"),
        "verify_format": ("Kolom berkas", "The file's columns"),
        "verify_col_periode": ("bulan yang diverifikasi, YYYY-MM", "the month verified, YYYY-MM"),
        "verify_col_kode": (
            "kode anggota: kode peserta (13 digit) dan nomor anggota (2 digit)",
            "member code: participant code (13 digits) and member number (2 digits)",
        ),
        "verify_col_nik": (
            "NIK anggota (16 digit), bila kode_anggota kosong",
            "the member's NIK (16 digits), when kode_anggota is empty",
        ),
        "verify_col_hadir": (
            "1 (hadir) atau 0 (tidak hadir); ya/tidak juga diterima",
            "1 (attended) or 0 (did not); ya/tidak are accepted too",
        ),
        "verify_format_note": (
            "Baris pertama adalah nama kolom; periode dan hadir wajib, dan setidaknya salah "
            "satu dari kode_anggota atau nik. Pemisah koma atau titik koma. Sama dengan berkas "
            "pkh kpm verify-month.",
            "The first line names the columns; periode and hadir are required, and at least "
            "one of kode_anggota or nik. Comma or semicolon separated. The same file as "
            "pkh kpm verify-month takes.",
        ),
        "verify_example": ("Contoh", "Example"),
        "verify_report": ("Hasil berkas {file}", "Report of {file}"),
        "verify_all_taken": (
            "Semua {rows} baris diterima.",
            "All {rows} rows were accepted.",
        ),
        "verify_some_rejected": (
            "{n} dari {rows} baris ditolak; baris lain yang lolos sudah dicatat. Perbaiki baris "
            "yang ditolak lalu unggah ulang berkas.",
            "{n} of {rows} rows were rejected; the other rows that passed are recorded. Fix the "
            "rejected rows and upload the file again.",
        ),
        "verify_no_rows": (
            "Berkas hanya berisi baris nama kolom, tanpa baris data: tidak ada yang dicatat.",
            "The file holds only the column names, no data rows: nothing was recorded.",
        ),
        "verify_rows": ("Baris data", "Data rows"),
        "verify_accepted": ("Baris diterima", "Rows accepted"),
        "verify_households": ("Rumah tangga diverifikasi", "Households verified"),
        "verify_months": ("Bulan rumah tangga dicatat", "Household-months recorded"),
        "verify_unchanged": (
            "Bulan yang sudah tercatat sama (tidak berubah)",
            "Months already recorded the same (unchanged)",
        ),
        "verify_rejected": ("Baris ditolak", "Rows rejected"),
        "verify_outcomes": ("Status rumah tangga sesudahnya", "Households' status afterwards"),
        "verify_rejected_rows": ("Baris yang ditolak", "Rejected rows"),
        "verify_fix_hint": (
            "Nomor baris dihitung dari baris nama kolom (baris 1).",
            "Line numbers count the column names' line as line 1.",
        ),
        "verify_line": ("Baris", "Line"),
        "verify_reason": ("Alasan", "Reason"),
        "verify_no_file": (
            "Pilih berkas verifikasi terlebih dahulu.",
            "Choose the verification file first.",
        ),
        "verify_empty_file": (
            "Berkas {name} kosong (0 bita).",
            "The file {name} is empty (0 bytes).",
        ),
        "verify_suspended": (
            "Verifikasi komitmen tidak dapat dicatat selama Anda dibebastugaskan.",
            "Commitment verification cannot be recorded while you are relieved of duty.",
        ),
        "kpm_update_elsewhere": (
            "Perubahan data anggota dicatat dengan pkh kpm advance (atau impor berkas).",
            "Changes to members are recorded with pkh kpm advance (or a file import).",
        ),
    }
)
LABELS["hasil"] = {
    **VALIDATION_LABELS,
    "tetap": ("Tetap (masih miskin)", "Stays (still poor)"),
    "membaik": ("Membaik: transisi", "Better off: transition"),
}
LABELS["alasan"] = {
    **NON_ELIGIBLE_LABELS,
    "data_tidak_sesuai": ("Data tidak sesuai", "Data do not match"),
    "bukan_sasaran": ("Bukan sasaran", "Not a target household"),
    "lainnya": ("Lainnya", "Other"),
}
LABELS["validasi_hasil"] = dict(VALIDATION_LABELS)
LABELS["validasi_alasan"] = dict(NON_ELIGIBLE_LABELS)
LABELS["previous_type"] = LABELS["type"]
LABELS["entry_level"] = LABELS["level"]
LABELS["alasan_keluar"] = {
    **LABELS["alasan"],
    "pindah": ("Pindah domisili", "Moved away"),
    "graduasi_mandiri": ("Graduasi mandiri", "Self-reliant graduation"),
    "anggota_meninggal": ("Anggota meninggal dunia", "A member died"),
    "hentikan": ("Kepesertaan dihentikan", "Participation ended"),
}
STRINGS["attended"] = ("hadir", "attended")
# a household's compliance counters (workflows.kpm_rules.compliance_after): the auditor's page
# compares them, and a suspended household's page says how many months were missed
STRINGS.update(
    {
        "kepatuhan": ("Kepatuhan", "Compliance"),
        "bulan_tidak_patuh": (
            "Bulan tidak patuh berturut-turut",
            "Consecutive months not compliant",
        ),
        "bulan_patuh": ("Bulan patuh berturut-turut", "Consecutive months compliant"),
    }
)
LABELS["kepatuhan"] = {
    "patuh": ("Patuh", "Compliant"),
    "tidak_patuh": ("Tidak patuh", "Not compliant"),
}
LABELS["alasan"].update(
    {
        "tidak_memenuhi_komitmen": ("Tidak memenuhi komitmen", "Commitments not met"),
        "graduasi_alamiah": ("Graduasi alamiah", "Natural graduation"),
    }
)

# ------------------------------------------- review: KPM data updates, members, staff cases
STRINGS.update(
    {
        # a staff case's recorded values (KKN, discipline): the accused, not the case handler
        "staff_name": ("Nama SDM PKH", "Staff member's name"),
        "staff_user": ("Akun SDM PKH", "Staff member's account"),
        "subject": ("Pihak yang diadukan", "Person concerned"),
        "suspensions": ("Jumlah pembebastugasan", "Times relieved of duty"),
        # the data-update and correction forms (api.page_views.PAGE_INPUTS)
        "isian": ("Data anggota yang diubah", "Member field to change"),
        "nilai_baru": ("Nilai baru", "New value"),
        "hapus_anggota": ("Hapus anggota", "Remove a member"),
        "hapus_alasan": ("Alasan menghapus anggota", "Reason for removing the member"),
        "pengaduan": ("No. pengaduan yang mendasari koreksi", "Complaint behind the correction"),
        # member fields: the members table, the timeline and the audit page
        **{f: FIELD_WORDS[f] for f in MEMBER_FIELDS if f != "nik"},
        "meninggal": ("Meninggal", "Died"),
        # a member's bookkeeping (workflows.kpm._stamped, kpm_codes.PREVIOUS_CASE): shown where a
        # member's record is compared (the auditor's page) or listed (the timeline)
        "sejak": ("Tercatat hamil sejak", "Pregnancy recorded on"),
        "tahun_ajaran": ("Tahun ajaran", "School year"),
        "kasus_sebelumnya": ("Kasus sebelumnya", "Previous case"),
        "anggota": ("Anggota", "Members"),
        "tambah": ("Anggota baru", "New members"),
        "hapus": ("Anggota dihapus", "Members removed"),
        "hadir": ("Kehadiran", "Attendance"),
        "periode": ("Bulan", "Month"),
        "verifikasi_terakhir": ("Verifikasi terakhir", "Last verification"),
        "koreksi_tertunda": ("Koreksi menunggu berlaku", "Corrections waiting to apply"),
        # a closed household gets no data control: what was waiting never applies
        "koreksi_tidak_berlaku": (
            "Koreksi yang tidak akan berlaku (rumah tangga sudah keluar dari PKH)",
            "Corrections that will not apply (the household has left PKH)",
        ),
        "berlaku_mulai": ("Berlaku mulai", "Applies from"),
        # what the workflow records beside a data control's and a correction's command (the
        # timeline, `pkh case history`): workflows.kpm.on_members_changed
        "perubahan": ("Perubahan hasil kontrol data", "Changes found by the data control"),
        "koreksi": ("Koreksi yang mulai berlaku", "Corrections now applied"),
        "kyc_missing": ("belum diisi", "missing"),
        "kyc_gaps": ("Data KYC belum lengkap", "KYC data incomplete"),
        "kyc_fill_before_decree": (
            "isi dengan Pemutakhiran data sebelum penetapan",
            "fill it in with a Data update before the decree",
        ),
        "kyc_fill": ("isi dengan Pemutakhiran data", "fill it in with a Data update"),
        "member_changes": ("Perubahan anggota", "Member changes"),
        "no_deadline": ("Kasus ini tidak bertenggat.", "This case has no deadline."),
        "added": ("ditambahkan", "added"),
        "removed": ("dihapus", "removed"),
    }
)
# The master lists' names of a member's coded fields: the Indonesian is the master list's own
# (KOMPONEN, HUBUNGAN, JENIS_KELAMIN, JENJANG_SEKOLAH), the English workflows.kpm_codes'.
CODE_NAMES_ID: dict[str, Mapping[int, str]] = {
    "komponen": KOMPONEN,
    "hubungan_keluarga": HUBUNGAN,
    "jenis_kelamin": JENIS_KELAMIN,
    "jenjang_sekolah": JENJANG_SEKOLAH,
}


MEMBER_FIELD_KEYS = MEMBER_FIELDS  # the register's member fields, in its order
for _f in MEMBER_FIELD_KEYS:  # the new-member inputs: "Anggota baru: tempat lahir"
    _id, _en = STRINGS[_f]
    STRINGS[f"tambah_{_f}"] = (
        f"Anggota baru: {_id if _f == 'nik' else _id.lower()}",
        f"New member: {_en if _f == 'nik' else _en.lower()}",
    )
for _f in (*CODE_NAMES_ID, "kelas"):  # a member's field changed on the page, from its list
    # "Ubah komponen menjadi", not "Komponen baru" beside "Anggota baru: komponen" (a new
    # member's): this one changes the member chosen above
    _id, _en = STRINGS[_f]
    STRINGS[f"ubah_{_f}"] = (f"Ubah {_id.lower()} menjadi", f"Change {_en.lower()} to")
STRINGS["no_change"] = ("— tidak diubah —", "— no change —")
LABELS["isian"] = {f: STRINGS[f] for f in MEMBER_FIELD_KEYS}
LABELS["hapus_alasan"] = {
    "pindah_kk": ("Pindah ke KK lain", "Moved to another family card"),
    "menikah": ("Menikah", "Married"),
    "data_ganda": ("Data ganda", "Duplicate record"),
    "lainnya": ("Lainnya", "Other"),
}
LABELS["hapus"] = LABELS["hapus_alasan"]
