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
            "Verifikasi komitmen dicatat dari berkas bulanan: pkh kpm verify-month BERKAS.",
            "Commitment verification is recorded from the monthly file: pkh kpm verify-month FILE.",
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
