"""Indonesian and English labels for complaint types, levels, stages, reasons and dates in letters.

Wording follows the Pedoman SPM-PKH (seed 003): Tabel 1 for the complaint types, Tabel 2 for the
handling stages.
"""

from __future__ import annotations

from datetime import date

Labels = dict[str, dict[str, str]]

TYPES: Labels = {
    "id": {
        "data_peserta": "Data peserta PKH",
        "komitmen_verifikasi": "Pemenuhan komitmen dan verifikasi",
        "bukan_peserta": "Pengaduan bukan peserta PKH yang seharusnya mendapatkan bantuan",
        "pembayaran": "Pembayaran (keterlambatan, antrean, perubahan jumlah bantuan)",
        "ketersediaan_layanan": "Ketersediaan pelayanan pendidikan dan kesehatan",
        "teknis_administrasi": "Teknis, administrasi, dan kinerja pelaksana PKH",
        "kkn": "Penyimpangan / indikasi korupsi, kolusi dan nepotisme (KKN)",
    },
    "en": {
        "data_peserta": "Participant data",
        "komitmen_verifikasi": "Commitment fulfilment and verification",
        "bukan_peserta": "Non-participant who should be covered (exclusion error)",
        "pembayaran": "Payment (delays, queues, changed amount)",
        "ketersediaan_layanan": "Availability of education and health services",
        "teknis_administrasi": "Technical, administrative and staff performance",
        "kkn": "Irregularities / suspected corruption, collusion and nepotism (KKN)",
    },
}

LEVELS: Labels = {
    "id": {
        "ketua_kelompok": "Ketua Kelompok PKH",
        "pendamping": "Pendamping PKH (UPPKH Kecamatan)",
        "kabupaten": "UPPKH Kabupaten/Kota",
        "pusat": "UPPKH Pusat",
    },
    "en": {
        "ketua_kelompok": "KPM group leader (ketua kelompok)",
        "pendamping": "PKH facilitator (pendamping, UPPKH Kecamatan)",
        "kabupaten": "District unit (UPPKH Kabupaten/Kota)",
        "pusat": "National unit (UPPKH Pusat)",
    },
}

# Stages of Tabel 2, the single stage of the lower levels, referral, and the closed states.
STAGES: Labels = {
    "id": {
        "dokumentasi": "Dokumentasi, analisis, dan klarifikasi pengaduan",
        "identifikasi": "Mengidentifikasi pihak-pihak yang akan menindaklanjuti pengaduan",
        "tindak_lanjut": "Menindaklanjuti pengaduan",
        "pemberitahuan": "Menginformasikan kepada pelapor tentang hasil penyelidikan",
        "penanganan": "Penanganan pengaduan",
        "dirujuk": "Dirujuk kepada pihak terkait",
        "selesai": "Selesai",
        "ditolak": "Ditolak",
        "validasi": "Validasi rumah tangga",
    },
    "en": {
        "dokumentasi": "Documenting, analysing and clarifying the complaint",
        "identifikasi": "Identifying the parties who will follow it up",
        "tindak_lanjut": "Following up the complaint",
        "pemberitahuan": "Informing the reporter of the result",
        "penanganan": "Handling the complaint",
        "dirujuk": "Referred to a related body",
        "selesai": "Resolved",
        "ditolak": "Rejected",
        "validasi": "Validating the household",
    },
}

# The stage in a few words, for an SMS (160 characters in all)
STAGES_SHORT: Labels = {
    "id": {
        "dokumentasi": "dokumentasi",
        "identifikasi": "identifikasi pihak",
        "tindak_lanjut": "tindak lanjut",
        "pemberitahuan": "pemberitahuan hasil",
        "penanganan": "penanganan",
        "dirujuk": "dirujuk",
        "selesai": "selesai",
        "ditolak": "ditolak",
        "validasi": "validasi",
    },
    "en": {
        "dokumentasi": "documentation",
        "identifikasi": "identifying parties",
        "tindak_lanjut": "follow-up",
        "pemberitahuan": "informing the reporter",
        "penanganan": "handling",
        "dirujuk": "referred",
        "selesai": "resolved",
        "ditolak": "rejected",
        "validasi": "validation",
    },
}

NUMBER_LABELS: Labels = {
    "id": {"complaint": "Nomor pengaduan", "case": "Nomor kasus"},
    "en": {"complaint": "Complaint number", "case": "Case number"},
}

REASONS: Labels = {
    "id": {
        "bukan_pkh": "pengaduan tersebut bukan merupakan permasalahan PKH",
        "duplikat": "pengaduan tersebut sama dengan pengaduan yang telah tercatat sebelumnya",
    },
    "en": {
        "bukan_pkh": "the complaint is not a PKH matter",
        "duplikat": "the complaint duplicates one already recorded",
    },
}

CHANNELS: Labels = {
    "id": {
        "ketua_kelompok": "ketua kelompok",
        "pendamping": "pendamping PKH",
        "kantor_uppkh": "kantor UPPKH",
        "telepon": "telepon",
        "faks": "faksimile",
        "email": "email",
        "surat": "surat",
        "formulir": "formulir pengaduan",
        "kotak_pengaduan": "kotak pengaduan SPM-PKH",
        "kotak_pos": "Kotak Pos SPM-PKH",
        "sms": "SMS",
        "web": "situs web",
        "lapor": "SP4N-LAPOR!",
        "pemantauan": "temuan pemantauan",
        "musyawarah_desa": "musyawarah desa",
        "penelitian": "hasil penelitian/kajian",
        "apip_aph": "Aparat Pengawas Fungsional / Aparat Penegak Hukum",
        "dpr_dprd": "DPR/DPRD",
        "media_massa": "media massa",
    },
    "en": {
        "ketua_kelompok": "the group leader (ketua kelompok)",
        "pendamping": "the PKH facilitator (pendamping)",
        "kantor_uppkh": "the UPPKH office",
        "telepon": "telephone",
        "faks": "fax",
        "email": "e-mail",
        "surat": "letter",
        "formulir": "complaint form",
        "kotak_pengaduan": "SPM-PKH complaint box",
        "kotak_pos": "SPM-PKH post box",
        "sms": "SMS",
        "web": "website",
        "lapor": "SP4N-LAPOR!",
        "pemantauan": "monitoring findings",
        "musyawarah_desa": "village meeting (musyawarah desa)",
        "penelitian": "research findings",
        "apip_aph": "oversight or law-enforcement bodies (APIP/APH)",
        "dpr_dprd": "DPR/DPRD",
        "media_massa": "mass media",
    },
}

SIDE_BODIES: Labels = {
    "id": {
        "tim_koordinasi_kabupaten": "Tim Koordinasi PKH Kabupaten/Kota",
        "tim_koordinasi_provinsi": "Tim Koordinasi PKH Provinsi",
        "tim_koordinasi_pusat": "Tim Koordinasi Teknis Pusat",
        "dinas_teknis": "dinas teknis terkait",
        "pt_pos": "PT Pos Indonesia",
        "bank": "bank penyalur",
        "sekolah": "sekolah",
        "puskesmas": "puskesmas",
    },
    "en": {
        "tim_koordinasi_kabupaten": "the PKH District Coordination Team",
        "tim_koordinasi_provinsi": "the PKH Provincial Coordination Team",
        "tim_koordinasi_pusat": "the National Technical Coordination Team",
        "dinas_teknis": "the technical agency concerned",
        "pt_pos": "PT Pos Indonesia",
        "bank": "the paying bank",
        "sekolah": "the school",
        "puskesmas": "the community health centre (puskesmas)",
    },
}

# Where a KKN finding of guilt refers the case (workflows.kkn.AUTHORITIES), as the outcome
# letter names it ("... dilaporkan kepada ..."): APIP is oversight, not law enforcement.
AUTHORITIES: Labels = {
    "id": {
        "aph": "Aparat Penegak Hukum (APH)",
        "kepolisian": "Kepolisian Negara Republik Indonesia (Polri)",
        "kejaksaan": "Kejaksaan Republik Indonesia",
        "kpk": "Komisi Pemberantasan Korupsi (KPK)",
        "apip": "Aparat Pengawasan Intern Pemerintah (APIP)",
    },
    "en": {
        "aph": "the law enforcement authorities (APH)",
        "kepolisian": "the Indonesian National Police (Polri)",
        "kejaksaan": "the public prosecution service (Kejaksaan)",
        "kpk": "the Corruption Eradication Commission (KPK)",
        "apip": "the government's internal oversight (APIP)",
    },
}

# Staff discipline (seed 002, "Sanksi Pengakhiran Kerja"; workflows/discipline.py)
SANCTIONS: Labels = {
    "id": {
        "sp1": "Surat Peringatan Pertama (SP-1)",
        "sp2": "Surat Peringatan Kedua (SP-2)",
        "sp3": "Surat Peringatan Ketiga (SP-3)",
        "terminated": "Pemutusan Hubungan Kerja",
    },
    "en": {
        "sp1": "First Warning Letter (SP-1)",
        "sp2": "Second Warning Letter (SP-2)",
        "sp3": "Third Warning Letter (SP-3)",
        "terminated": "Termination of Engagement",
    },
}

# Why a sanction was given: the reasons the discipline workflow accepts, and SP-1's basis.
DISCIPLINE_REASONS: Labels = {
    "id": {
        "late": "tidak tertib/terlambat masuk kerja",
        "missed_meeting": "tidak mengikuti pertemuan/rapat rutin",
        "late_report": "penyerahan laporan tidak sesuai ketentuan",
        "absent_without_leave": "tidak masuk kerja/meninggalkan tugas tanpa izin",
        "not_coordinating": "tidak berkoordinasi dalam pelaksanaan kegiatan",
        "oral_warnings": "telah mendapat teguran lisan lebih dari dua kali ({n} kali)",
        "negligence": "lalai dalam menjalankan tugas dan kewajiban",
        "core_duties_not_done": "tidak melaksanakan tugas dan kewajiban utama",
        "absent_over_3_days": "tidak masuk kerja lebih dari tiga hari tanpa izin/keterangan",
        "data_markup": "pelanggaran kode etik berupa mark-up data",
        "misuse_of_funds": "pelanggaran kode etik berupa penyalahgunaan dana",
        "party_politics": "pelanggaran kode etik berupa keterlibatan dalam partai dan pemilu",
        "double_job": "pelanggaran kode etik berupa rangkap pekerjaan (dobel job)",
        "law_breach": "melanggar hukum/norma yang berlaku di masyarakat",
        "ethics_breach": "melakukan pelanggaran kode etik",
        "after_sp3": "telah mendapat Surat Peringatan Ketiga (SP-3)",
        "breach_of_contract": "wanprestasi",
        "legal_case": "terlibat kasus hukum",
        "resignation": "mengundurkan diri",
        "death": "meninggal dunia",
        "force_majeure": "keadaan kahar (force majeure)",
        "performance_below_26": "nilai penilaian kinerja tahunan kurang dari 26 (nilai {total})",
    },
    "en": {
        "late": "not orderly or late for work",
        "missed_meeting": "missed routine meetings",
        "late_report": "reports not handed in as required",
        "absent_without_leave": "absent from work or left duty without leave",
        "not_coordinating": "did not coordinate activities",
        "oral_warnings": "more than two oral warnings received ({n})",
        "negligence": "negligence in carrying out duties and obligations",
        "core_duties_not_done": "core duties and obligations not carried out",
        "absent_over_3_days": "absent from work for more than three days without leave",
        "data_markup": "breach of the code of ethics by marking up data",
        "misuse_of_funds": "breach of the code of ethics by misusing funds",
        "party_politics": "breach of the code of ethics by taking part in party politics",
        "double_job": "breach of the code of ethics by holding a second job",
        "law_breach": "breach of the law or of the norms of society",
        "ethics_breach": "breach of the code of ethics",
        "after_sp3": "a third warning letter (SP-3) was already given",
        "breach_of_contract": "breach of contract",
        "legal_case": "involvement in a legal case",
        "resignation": "resignation",
        "death": "death",
        "force_majeure": "force majeure",
        "performance_below_26": "yearly performance score below 26 (score {total})",
    },
}

STATUSES: Labels = {
    "id": {"open": "dalam proses", "closed": "selesai"},
    "en": {"open": "in process", "closed": "closed"},
}

OUTCOMES: Labels = {
    "id": {"resolved": "selesai ditangani", "rejected": "tidak dapat ditindaklanjuti"},
    "en": {"resolved": "resolved", "rejected": "rejected"},
}

MONTHS: dict[str, tuple[str, ...]] = {
    "id": (
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}

# Shown where a reporter gave no name (anonymous) or where the letter must not carry it.
REPORTER_FALLBACK = {"id": "Bapak/Ibu Pelapor", "en": "Reporter"}
GREETING = {"id": "Dengan hormat,", "en": "Dear {name},"}
GREETING_ANONYMOUS = {"id": "Dengan hormat,", "en": "Dear reporter,"}
WITHHELD = {"id": "(tidak dicantumkan)", "en": "(withheld)"}

# Words of the printed page around a letter (render_letter_page).
PAGE: Labels = {
    "id": {
        "unit": "Unit Pelaksana Program Keluarga Harapan (UPPKH)",
        "number": "Nomor pengaduan",
        "date": "Tanggal",
        "subject": "Perihal",
    },
    "en": {
        "unit": "PKH Implementation Unit (UPPKH)",
        "number": "Complaint number",
        "date": "Date",
        "subject": "Subject",
    },
}


def label(table: Labels, lang: str, key: str | None) -> str | None:
    """The label of `key`, the key itself if the table lacks it, None for no key."""
    if key is None or key == "":
        return None
    return table[lang].get(key, key)


def format_date(day: date | None, lang: str) -> str:
    """25 Maret 2026 / 25 March 2026; '-' for no date."""
    if day is None:
        return "-"
    return f"{day.day} {MONTHS[lang][day.month - 1]} {day.year}"


# Why a case's handler cannot act on it (engine.store.sweep_source.UNABLE, the notice's
# `handler_unable`), said after the handler's username: "kab.bogor (akun dinonaktifkan)"
UNABLE: Labels = {
    "id": {
        "gone": "akun tidak ada",
        "disabled": "akun dinonaktifkan",
        "suspended": "sedang dibebastugaskan",
        "dismissed": "diberhentikan",
        "elsewhere": "bukan lagi petugas kantor ini",
        "subject": "pihak yang diadukan",
    },
    "en": {
        "gone": "no such account",
        "disabled": "account disabled",
        "suspended": "relieved of duty",
        "dismissed": "dismissed",
        "elsewhere": "no longer an officer of this office",
        "subject": "the person the complaint is about",
    },
}
