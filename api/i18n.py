"""UI strings of the officer pages in Bahasa Indonesia (default) and English, and value labels."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from workflows.discipline import INDICATORS, INDICATORS_EN, SANCTION_LABELS
from workflows.indonesia import zone_label
from workflows.kpm_codes import (
    CODE_NAMES_EN,
    FIELD_WORDS,
    HUBUNGAN,
    JENIS_KELAMIN,
    JENJANG_SEKOLAH,
    KOMPONEN,
    MEMBER_FIELDS,
)
from workflows.kpm_parse import NON_ELIGIBLE_LABELS, VALIDATION_LABELS

LANGS = ("id", "en")
DEFAULT_LANG = "id"

# key: (Bahasa Indonesia, English)
STRINGS: dict[str, tuple[str, str]] = {
    "app": ("Pengaduan PKH", "PKH complaints"),
    "worklist": ("Daftar kerja", "Worklist"),
    "new_complaint": ("Pengaduan baru", "New complaint"),
    "audit": ("Audit", "Audit"),
    "calendar": ("Kalender kerja", "Working calendar"),
    "letters": ("Surat untuk dicetak", "Letters to print"),
    "letters_note": (
        "Surat kepada pelapor, atau kepada petugas yang dibebastugaskan atau dikenai sanksi, "
        "yang tidak mempunyai e-mail atau nomor telepon. Buka surat, cetak dari peramban "
        "(satu halaman A4), kirimkan, lalu tandai sudah dicetak.",
        "Letters to reporters, or to staff relieved of duty or disciplined, with no e-mail or "
        "phone number. Open a letter, print it from the browser (one A4 page), post it, then "
        "mark it printed.",
    ),
    "letters_none": (
        "Tidak ada surat yang menunggu dicetak.",
        "No letters are waiting to be printed.",
    ),
    "letters_more": (
        "{n} surat pertama ditampilkan; tandai yang sudah dicetak untuk melihat berikutnya.",
        "The first {n} letters are shown; mark printed ones to see the next.",
    ),
    "letter": ("Surat", "Letter"),
    "addressee": ("Kepada", "To"),
    "queued": ("Dibuat", "Queued"),
    "open_letter": ("Buka surat", "Open the letter"),
    "mark_printed": ("Tandai sudah dicetak", "Mark as printed"),
    "letter_marked": ("Surat ditandai sudah dicetak.", "The letter is marked as printed."),
    "reporter_unnamed": ("Pelapor", "Reporter"),
    # a paper letter without a postal address is handed over where the addressee is
    "by_hand": ("tanpa alamat pos: diantar langsung", "no postal address: delivered by hand"),
    "logout": ("Keluar", "Sign out"),
    "login": ("Masuk", "Sign in"),
    "login_title": ("Masuk ke SPM-PKH", "Sign in to SPM-PKH"),
    "username": ("Nama pengguna", "Username"),
    "password": ("Kata sandi", "Password"),
    "bad_login": ("Nama pengguna atau kata sandi salah.", "Wrong username or password."),
    "too_many_sign_ins": (
        "Terlalu banyak percobaan masuk yang gagal dari perangkat ini. Coba lagi dalam {n} menit.",
        "Too many failed sign-ins from this device. Try again in {n} minutes.",
    ),
    "signed_in_before_password_change": (
        "Sesi Anda berakhir karena kata sandi telah diganti: silakan masuk lagi.",
        "Your session ended because the password was changed: sign in again.",
    ),
    "signed_out_notice": (
        "Anda telah keluar. Silakan masuk lagi.",
        "You have signed out. Sign in again.",
    ),
    "signed_in_as": ("Masuk sebagai", "Signed in as"),
    "overdue": ("Lewat tenggat", "Overdue"),
    "due_today": ("Jatuh tempo hari ini", "Due today"),
    "due_soon": ("Segera jatuh tempo", "Due soon"),
    "on_track": ("Sesuai jadwal", "On track"),
    "without_deadline": ("Tanpa tenggat", "No deadline"),
    "case": ("Kasus", "Case"),
    "case_no": ("No. kasus", "Case no."),
    "type": ("Jenis", "Type"),
    "channel": ("Saluran", "Channel"),
    "region": ("Wilayah", "Region"),
    "summary": ("Ringkasan", "Summary"),
    "level": ("Tingkat", "Level"),
    "stage": ("Tahap", "Stage"),
    "state": ("Status kasus", "State"),
    "status": ("Keadaan", "Status"),
    "handler": ("Petugas", "Handler"),
    "office_queue": ("(antrian kantor)", "(office queue)"),
    "stage_due": ("Tenggat tahap", "Stage due"),
    "level_due": ("Tenggat tingkat", "Level due"),
    "history": ("Riwayat", "History"),
    "text_search": (
        "Cari ringkasan, no. kasus, kode peserta, no. KK atau NIK",
        "Search summary, case number, kode peserta, no. KK or NIK",
    ),
    # for a role that does not read households (kpm): what it can search, not their codes
    "text_search_cases": ("Cari ringkasan atau no. kasus", "Search summary or case number"),
    "all": ("Semua", "All"),
    "case_kind": ("Jenis kasus", "Kind of case"),
    "filter": ("Saring", "Filter"),
    "reset": ("Atur ulang", "Reset"),
    "mine_only": ("Hanya kasus saya", "My cases only"),
    "no_cases": ("Tidak ada kasus terbuka.", "No open cases."),
    "showing": ("Menampilkan {n} dari {total} kasus terbuka", "Showing {n} of {total} open cases"),
    "showing_range": (
        "Menampilkan {first}–{last} dari {total} kasus terbuka",
        "Showing {first}–{last} of {total} open cases",
    ),
    "next_page": ("Berikutnya", "Next"),
    "first_page": ("Halaman pertama", "First page"),
    "pages": ("Halaman", "Pages"),
    "session_expired_form": (
        "Sesi berakhir; data formulir belum tersimpan. Silakan masuk lagi: formulir akan "
        "dikembalikan terisi untuk diperiksa dan disimpan.",
        "Your session ended; the form was not saved. Sign in again: the form will come back "
        "filled in, to check and save.",
    ),
    "password_changed_form": (
        "Sesi Anda berakhir karena kata sandi telah diganti; data formulir belum tersimpan. "
        "Silakan masuk lagi: formulir akan dikembalikan terisi.",
        "Your session ended because the password was changed; the form was not saved. "
        "Sign in again: the form will come back filled in.",
    ),
    "resumed_form": (
        "Anda sudah masuk lagi. Data formulir dikembalikan tetapi BELUM tersimpan: periksa, "
        "lalu simpan.",
        "You are signed in again. The form is filled in as you left it but NOT saved yet: "
        "check it, then save.",
    ),
    # the language switched on a refused form: the form in the language chosen, as it was
    "switched_form": (
        "Formulir dikembalikan terisi seperti sebelumnya tetapi BELUM tersimpan: periksa, "
        "lalu simpan.",
        "The form is filled in as you left it but NOT saved yet: check it, then save.",
    ),
    "suspended_banner": (
        "Anda sedang dibebastugaskan sejak {since} ({case}): Anda tidak dapat menangani kasus "
        "atau mencatat pengaduan sampai diputuskan.",
        "You are relieved of duty since {since} ({case}): you cannot handle cases or file "
        "complaints until it is decided.",
    ),
    "suspended_banner_plain": (
        "Anda sedang dibebastugaskan: Anda tidak dapat menangani kasus atau mencatat pengaduan.",
        "You are relieved of duty: you cannot handle cases or file complaints.",
    ),
    "suspended_no_filing": (
        "Pengaduan baru tidak dapat dicatat selama Anda dibebastugaskan.",
        "New complaints cannot be filed while you are relieved of duty.",
    ),
    # said on an action's form before the click when the step closes the case
    "closes_case": ("menutup kasus", "closes the case"),
    "closes_note": (
        "Langkah ini menutup kasus: statusnya menjadi {state}.",
        "This step closes the case: it becomes {state}.",
    ),
    "may_close_note": (
        "Langkah ini dapat menutup kasus (menjadi {state}), bergantung pada yang dicatat.",
        "This step may close the case (it becomes {state}), depending on what is recorded.",
    ),
    "close_case_button": ("Tutup kasus ({state})", "Close the case ({state})"),
    "saved_closed": ("Tersimpan: kasus ditutup ({state}).", "Saved: the case is closed ({state})."),
    "allowed_now": (
        "Langkah yang dapat dilakukan sekarang: {events}.",
        "Steps possible now: {events}.",
    ),
    "allowed_none": (
        "Tidak ada langkah lagi pada kasus ini.",
        "No step is possible on this case any more.",
    ),
    "wd_left": ("{n} hari kerja lagi", "{n} working days left"),
    "wd_over": ("Lewat {n} hari kerja", "{n} working days overdue"),
    "today": ("hari ini", "today"),
    "reporter": ("Pelapor", "Reporter"),
    "reporter_name": ("Nama pelapor", "Reporter's name"),
    "reporter_contact": ("Kontak (telepon/alamat/e-mail)", "Contact (phone/address/e-mail)"),
    "reporter_kind": ("Kategori pelapor", "Reporter category"),
    "anonymous": ("Anonim (tanpa identitas)", "Anonymous (no identity)"),
    "confidential": ("Identitas dirahasiakan", "Identity kept confidential"),
    "about_self": (
        "Pengaduan pendamping tentang dirinya sendiri",
        "A pendamping's complaint about itself",
    ),
    "form": ("Formulir", "Form"),
    "form_auto": ("otomatis (C-1 untuk KPM, C-2 lainnya)", "automatic (C-1 for KPM, else C-2)"),
    "complaint": ("Pengaduan", "Complaint"),
    "received_at": ("Diterima pada", "Received at"),
    "zone": ("Zona waktu", "Time zone"),
    "accused": (
        "Teradu (nama petugas SDM PKH atau nama penggunanya, jika ada)",
        "Accused (the PKH staff member's name or account name, if any)",
    ),
    "reporters": ("Jumlah pelapor", "Reporters"),
    "referred_to": ("Dirujuk ke", "Referred to"),
    # a case's other recorded values, by their attrs key (the audit page's table of changes)
    "extensions": ("Jumlah perpanjangan tenggat", "Deadline extensions granted"),
    "escalations": ("Jumlah penerusan ke tingkat atas", "Escalations"),
    "reopened": ("Jumlah dibuka kembali", "Times reopened"),
    "released": ("Dilepas dari petugas (alasan)", "Released from the handler (reason)"),
    "previous_type": ("Jenis sebelumnya", "Previous type"),
    "entry_level": ("Tingkat penerimaan", "Level received at"),
    "filed_by": ("Dicatat oleh", "Filed by"),
    "linked_reporters": ("Pelapor lain", "Other reporters"),
    "duplicate_open": ("Kasus induk masih terbuka", "The kept case was open"),
    "duplicate_follows": (
        "Pelapor diteruskan ke kasus induk",
        "Reporters passed on to the kept case",
    ),
    "subject_user": ("Akun pihak yang diadukan", "Account of the accused"),
    "dismissed_by": ("Diberhentikan melalui kasus", "Dismissed through case"),
    "alasan_keluar": ("Alasan keluar", "Exit reason"),
    "terdaftar": ("Tanggal terdaftar", "Registered on"),
    "pertemuan_awal": ("Tanggal pertemuan awal", "First meeting on"),
    "validasi_tanggal": ("Tanggal validasi", "Validated on"),
    "validasi_hasil": ("Hasil validasi", "Validation result"),
    "validasi_alasan": ("Alasan hasil validasi", "Validation reason"),
    "pulih_alasan": ("Alasan pemulihan bantuan", "Reason benefits were reinstated"),
    "masked": ("*** (dirahasiakan)", "*** (confidential)"),
    "yes": ("ya", "yes"),
    "no": ("tidak", "no"),
    "save": ("Simpan pengaduan", "Save complaint"),
    "note": ("Catatan (opsional)", "Note (optional)"),
    "occurred_at": ("Waktu kejadian (kosong = sekarang)", "When it happened (empty = now)"),
    "actions": ("Langkah berikutnya", "Next steps"),
    "no_actions": (
        "Tidak ada langkah yang dapat Anda lakukan pada kasus ini.",
        "There is nothing you can do on this case now.",
    ),
    "choose": ("— pilih —", "— choose —"),
    "required": ("wajib", "required"),
    "required_unless_anonymous": ("wajib, kecuali anonim", "required unless anonymous"),
    "optional": ("opsional", "optional"),
    "saved": ("Tersimpan: {what}.", "Saved: {what}."),
    "saved_now": ("Sekarang: {state}, {who}.", "Now: {state}, {who}."),
    "kkn_step": ("Pembebastugasan", "Relief of duty"),
    "kkn_suspended": (
        "{name}, staf PKH, dibebastugaskan selama penyelidikan:",
        "{name}, PKH staff, relieved of duty during the investigation:",
    ),
    "kkn_nobody": (
        "Nama yang diadukan tidak ada dalam daftar staf PKH (SDM): tidak ada yang "
        "dibebastugaskan. Bila yang diadukan staf PKH, periksa ejaan namanya (atau nama "
        "akunnya).",
        "The name complained of is not in the PKH staff register: nobody was relieved of duty. "
        "If PKH staff are meant, check the spelling of the name (or their account name).",
    ),
    "kkn_dismissed": (
        "{name}, staf PKH, sudah diberhentikan: tidak ada yang dibebastugaskan.",
        "{name}, PKH staff, has already been dismissed: nobody was relieved of duty.",
    ),
    "kkn_no_case": (
        "{name}, staf PKH: tidak ada kasus KKN dari pengaduan ini.",
        "{name}, PKH staff: no KKN case from this complaint.",
    ),
    "error": ("Tidak dapat disimpan", "Could not be saved"),
    "lookup_failed": ("Tidak dapat ditampilkan", "Could not be shown"),
    "final_outcome": ("Hasil akhir", "Final outcome"),
    "closed_at_level": ("Ditutup di tingkat", "Closed at level"),
    "refused": ("Ditolak oleh aturan:", "Refused by the rules:"),
    "fields_wrong": ("Ada {n} isian yang perlu diperbaiki:", "{n} fields need correcting:"),
    "conflict": (
        "Kasus telah berubah sejak halaman ini dibuka (versi {current}, bukan {expected}). "
        "Periksa riwayat lalu coba lagi.",
        "The case changed since you opened this page (version {current}, not {expected}). "
        "Check the history and try again.",
    ),
    "not_allowed": (
        "Langkah ini tidak diizinkan pada status kasus sekarang.",
        "This step is not allowed in the case's current state.",
    ),
    "reload": ("Muat ulang kasus", "Reload the case"),
    "when": ("Waktu", "When"),
    "event": ("Kejadian", "Event"),
    "by": ("Oleh", "By"),
    "details": ("Rincian", "Details"),
    "recorded": ("dicatat", "recorded"),
    "version": ("Versi", "Version"),
    "facts": ("Data pengaduan", "Complaint facts"),
    "staff_facts": ("Data kasus petugas", "Staff case facts"),
    "nobody_to_assign": (
        "Tidak ada petugas lain di kantor ini yang dapat menangani kasus ini.",
        "No other officer of this office can take this case.",
    ),
    "countdown": ("Sisa waktu", "Time left"),
    "closed_case": ("Kasus ditutup", "Case closed"),
    "outcome": ("Hasil", "Outcome"),
    "audit_title": ("Audit kasus", "Case audit"),
    "audit_intro": (
        "Lihat keadaan kasus pada suatu saat, bandingkan dengan sekarang, dan periksa rantai hash.",
        "See a case as it stood at a moment, compare it with now, and check the hash chain.",
    ),
    "moment": ("Saat", "Moment"),
    "basis": ("Dasar waktu", "Time basis"),
    "basis_recorded": ("waktu pencatatan", "recorded time"),
    "basis_occurred": ("waktu kejadian", "occurred time"),
    "show": ("Tampilkan", "Show"),
    "then": ("Saat itu", "Then"),
    "now": ("Sekarang", "Now"),
    "field": ("Isian", "Field"),
    "changes_since": ("Perubahan sejak saat itu", "Changes since then"),
    "no_changes": ("Tidak ada perubahan.", "No changes."),
    "zone_of_case": ("zona kantor kasus", "the case's office zone"),
    "moment_rule": (
        "Saat dibaca dalam zona waktu yang dipilih (bawaan: zona kantor kasus). Tanggal tanpa "
        "jam berarti akhir hari itu: keadaan kasus pada hari itu. Kosong berarti sekarang.",
        "The moment is read in the zone chosen (by default the case's office zone). A date "
        "without a time means the end of that day: the case as it stood that day. Empty means "
        "now.",
    ),
    "moment_future": (
        "Saat itu belum tiba: yang ditampilkan adalah keadaan kasus sekarang.",
        "That moment has not come yet: this is the case as it stands now.",
    ),
    "basis_hint": ("Dasar waktu 'waktu kejadian'", "the time basis 'occurred time'"),
    "verify": ("Pemeriksaan rantai hash", "Hash-chain verification"),
    "verify_ok": (
        "Utuh: rantai hash {events} kejadian kasus ini benar, dan keadaan tersimpannya sama "
        "dengan hasil pemutaran ulang kejadiannya.",
        "Intact: the hash chain of this case's {events} events holds, and its stored state is "
        "what replaying them gives.",
    ),
    "verify_whole": (
        "Pemeriksaan seluruh penyimpanan (semua kasus, nomor kasus, titik periksa): bagian "
        "di bawah, pkh audit verify, atau POST /audit/runs.",
        "The whole store (every case, case numbers, checkpoints): the section below, pkh "
        "audit verify, or POST /audit/runs.",
    ),
    "verify_whole_regional": (
        "Pemeriksaan seluruh penyimpanan (semua kasus dari semua wilayah) dijalankan oleh "
        "auditor nasional; di sini diperiksa satu kasus di wilayah Anda.",
        "The whole store (the cases of every region) is verified by a national auditor; "
        "here one case of your region is checked.",
    ),
    "whole_title": ("Pemeriksaan seluruh penyimpanan", "Whole-store verification"),
    "whole_intro": (
        "Semua rantai hash, semua kasus tersimpan terhadap pemutaran ulang kejadiannya, nomor "
        "kasus, dan titik periksa. Berjalan di latar belakang; pada penyimpanan nasional "
        "memakan beberapa menit.",
        "Every hash chain, every stored case against the replay of its events, case numbers "
        "and checkpoints. Runs in the background; minutes on a national store.",
    ),
    "whole_none": ("Belum pernah dijalankan.", "Never run yet."),
    "whole_last": ("Pemeriksaan terakhir", "Last verification"),
    "whole_start": ("Mulai pemeriksaan", "Start verification"),
    "whole_started": (
        "Pemeriksaan dimulai. Muat ulang halaman ini untuk melihat kemajuannya.",
        "Verification started. Reload this page to see its progress.",
    ),
    "whole_running": (
        "Pemeriksaan #{id} masih berjalan; tunggu sampai selesai.",
        "Verification #{id} is still running; wait for it to finish.",
    ),
    "whole_progress": ("Kemajuan", "Progress"),
    "whole_events": ("{done} dari {total} kejadian", "{done} of {total} events"),
    "whole_problems": ("Masalah", "Problems"),
    "whole_more": ("dan {n} lainnya", "and {n} more"),
    "verify_bad": ("DITEMUKAN MASALAH", "PROBLEMS FOUND"),
    "holidays_of": ("Hari libur {year}", "Non-working days {year}"),
    "date": ("Tanggal", "Date"),
    "day": ("Hari", "Day"),
    "kind": ("Jenis", "Kind"),
    "name": ("Nama", "Name"),
    "estimated": ("perkiraan", "estimated"),
    "calendar_note": (
        "Sabtu dan Minggu selalu libur. Tanggal bertanda perkiraan dihitung dan belum ditetapkan.",
        "Saturdays and Sundays are always off. Estimated days are computed, not yet decreed.",
    ),
    "csrf_title": ("Formulir kedaluwarsa", "Form expired"),
    "csrf_text": (
        "Formulir ini tidak dapat diterima (token keamanan tidak cocok). "
        "Buka kembali halamannya lalu kirim ulang.",
        "This form could not be accepted (security token mismatch). "
        "Open the page again and resubmit.",
    ),
    "unreadable_title": ("Data kasus rusak", "Case data damaged"),
    "unreadable_text": (
        "Riwayat atau data tersimpan kasus ini tidak dapat dibaca: basis data diubah di luar "
        "aplikasi. Laporkan kepada auditor; pemeriksaan audit (pkh audit verify --all) "
        "menyebut setiap baris yang rusak.",
        "This case's stored history or data cannot be read: the database was altered outside "
        "the application. Tell the auditor; an audit check (pkh audit verify --all) names every "
        "damaged row.",
    ),
    "unreadable_in_list": (
        "Data tersimpan kasus berikut tidak dapat dibaca (basis data diubah di luar aplikasi), "
        "jadi tidak ditampilkan di sini: {ids}. Laporkan kepada auditor; pkh audit verify --all "
        "menyebut baris yang rusak.",
        "The stored data of these cases cannot be read (the database was altered outside the "
        "application), so they are not listed here: {ids}. Tell the auditor; pkh audit verify "
        "--all names the damaged rows.",
    ),
    "not_found_title": ("Tidak ditemukan", "Not found"),
    "not_found_text": (
        "Kasus atau halaman ini tidak ada, atau di luar wilayah kerja Anda.",
        "This case or page does not exist, or is outside your area.",
    ),
    "forbidden_title": ("Tidak diizinkan", "Not permitted"),
    "forbidden_text": (
        "Peran Anda tidak dapat membuka halaman ini.",
        "Your role cannot open this page.",
    ),
    "forbidden_roles": (
        "Halaman ini hanya untuk peran {roles}.",
        "Only these roles may open this page: {roles}.",
    ),
    "national_only": (
        "Pemeriksaan seluruh penyimpanan mencakup semua wilayah: hanya untuk auditor nasional, "
        "UPPKH Pusat, dan admin.",
        "Whole-store verification covers every region: national auditors, UPPKH national and "
        "admins only.",
    ),
    "or": ("atau", "or"),
    "bad_request_title": ("Permintaan tidak sah", "Bad request"),
    "back": ("Kembali ke daftar kerja", "Back to the worklist"),
    "c_form_hint": (
        "Sesuai formulir C-1 (peserta/KPM) dan C-2 (bukan peserta).",
        "Mirrors forms C-1 (participants/KPM) and C-2 (non-participants).",
    ),
    "duplicate_of": ("Duplikat dari (no. kasus)", "Duplicate of (case no.)"),
    "parties": ("Pihak yang menindaklanjuti", "Parties who follow up"),
    "result": ("Hasil penanganan", "Result of handling"),
    "informed_via": ("Pelapor diberi tahu melalui", "Reporter informed via"),
    "body": ("Lembaga rujukan", "Referred to"),
    "reason": ("Alasan", "Reason"),
    "working_days": ("Jumlah hari kerja (1-26)", "Working days (1-26)"),
    "outcome_field": ("Hasil rujukan", "Referral outcome"),
}

DAYS = (
    ("Senin", "Monday"),
    ("Selasa", "Tuesday"),
    ("Rabu", "Wednesday"),
    ("Kamis", "Thursday"),
    ("Jumat", "Friday"),
    ("Sabtu", "Saturday"),
    ("Minggu", "Sunday"),
)
MONTHS = (
    ("Jan", "Jan"),
    ("Feb", "Feb"),
    ("Mar", "Mar"),
    ("Apr", "Apr"),
    ("Mei", "May"),
    ("Jun", "Jun"),
    ("Jul", "Jul"),
    ("Agu", "Aug"),
    ("Sep", "Sep"),
    ("Okt", "Oct"),
    ("Nov", "Nov"),
    ("Des", "Dec"),
)

# Labels of programme values; a value missing here is shown as written (with spaces).
LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "level": {
        "ketua_kelompok": ("Ketua kelompok", "Group leader"),
        "pendamping": ("Pendamping", "Pendamping"),
        "kabupaten": ("Kabupaten/Kota", "District/City"),
        "pusat": ("Pusat", "National"),
    },
    "stage": {
        "dokumentasi": ("Dokumentasi", "Documentation"),
        "identifikasi": ("Identifikasi", "Identification"),
        "tindak_lanjut": ("Tindak lanjut", "Follow-up"),
        "pemberitahuan": ("Pemberitahuan", "Informing"),
        "penanganan": ("Penanganan", "Handling"),
        "dirujuk": ("Dirujuk", "Referred"),
    },
    "status": {"open": ("terbuka", "open"), "closed": ("ditutup", "closed")},
    "run_status": {
        "running": ("sedang berjalan", "running"),
        "ok": ("utuh", "intact"),
        "failed": ("DITEMUKAN MASALAH", "PROBLEMS FOUND"),
        "error": ("tidak dapat diselesaikan", "could not finish"),
        "interrupted": ("terputus", "interrupted"),
    },
    "closed": {"selesai": ("Selesai", "Resolved"), "ditolak": ("Ditolak", "Rejected")},
    # what audit verify finds (engine.audit, engine.store.audit_runner); the detail stays English
    "problem": {
        "version_gap": ("Nomor versi kejadian terputus", "Event versions have a gap"),
        "chain_broken": ("Rantai hash terputus", "Hash chain broken"),
        "hash_mismatch": (
            "Isi kejadian tidak cocok dengan hash-nya",
            "Event content does not match its hash",
        ),
        "replay_failed": ("Kejadian tidak dapat diputar ulang", "Events cannot be replayed"),
        "projection_missing": ("Data kasus tersimpan hilang", "Stored case row missing"),
        "projection_mismatch": (
            "Data kasus tersimpan berbeda dari pemutaran ulang kejadiannya",
            "Stored case differs from the replay of its events",
        ),
        "projection_unreadable": ("Data kasus tersimpan tidak terbaca", "Stored case unreadable"),
        "events_missing": ("Kejadian kasus hilang", "The case's events are missing"),
        "event_unreadable": ("Kejadian tersimpan tidak terbaca", "Stored event unreadable"),
        "case_missing": ("Kasus bernomor hilang", "A numbered case is gone"),
        "history_changed": (
            "Riwayat berubah sejak titik periksa",
            "History changed since a checkpoint",
        ),
        "checkpoint_tampered": ("Titik periksa diubah", "Checkpoint altered"),
        "checkpoint_missing": ("Titik periksa hilang", "Checkpoint missing"),
        "checkpoint_heads_altered": (
            "Catatan kepala kasus titik periksa diubah",
            "A checkpoint's recorded case heads altered",
        ),
    },
    "type": {
        "data_peserta": ("Data peserta", "Participant data"),
        "komitmen_verifikasi": ("Komitmen/verifikasi", "Commitment/verification"),
        "bukan_peserta": ("Bukan peserta", "Non-participant"),
        "pembayaran": ("Pembayaran", "Payment"),
        "ketersediaan_layanan": ("Ketersediaan layanan", "Service availability"),
        "teknis_administrasi": ("Teknis/administrasi", "Technical/administrative"),
        "kkn": ("KKN", "Corruption (KKN)"),
    },
    "event": {
        "advance": ("Lanjut ke tahap berikutnya", "Advance to the next stage"),
        "escalate": ("Teruskan ke tingkat atas", "Escalate to the next level"),
        "refer": ("Rujuk ke lembaga lain", "Refer to a side body"),
        "return_from_referral": ("Kembali dari rujukan", "Back from referral"),
        "reject": ("Tolak pengaduan", "Reject the complaint"),
        "reopen": ("Buka kembali", "Reopen"),
        "assign": ("Tugaskan petugas", "Assign a handler"),
        "reclassify": ("Ubah jenis", "Reclassify"),
        "link_reporter": ("Tambah pelapor", "Link another reporter"),
        "merge": ("Gabungkan dengan kasus lain", "Merge into another case"),
        "recommend_pt_pos": ("Rekomendasi ke pusat (PT Pos)", "Recommend to pusat (PT Pos)"),
        "extend": ("Perpanjang tenggat", "Extend the deadline"),
        "file": ("Catat pengaduan", "File a complaint"),
        "release": ("Lepaskan dari petugas", "Release from the handler"),
        # staff: KKN and discipline
        "suspend": ("Bebastugaskan", "Relieve of duty"),
        "find_guilty": ("Nyatakan bersalah", "Find guilty"),
        "find_not_guilty": ("Nyatakan tidak bersalah", "Find not guilty"),
        "open_record": ("Buka catatan disiplin", "Open a discipline record"),
        "warn": ("Teguran lisan", "Oral warning"),
        "issue_sp1": ("Terbitkan SP-1", "Issue SP-1"),
        "issue_sp2": ("Terbitkan SP-2", "Issue SP-2"),
        "issue_sp3": ("Terbitkan SP-3", "Issue SP-3"),
        "terminate": ("Putus hubungan kerja", "Terminate the engagement"),
        "assess_performance": ("Catat penilaian kinerja", "Record a performance assessment"),
        # KPM households
        "daftar": ("Daftarkan calon peserta", "Register the candidate"),
        "pertemuan_awal": ("Pertemuan awal", "First meeting"),
        "validasi": ("Validasi", "Validate"),
        "tidak_layak": ("Nyatakan tidak layak", "Find ineligible"),
        "tetapkan": ("Tetapkan sebagai peserta", "Establish as participant"),
        "verifikasi_komitmen": ("Verifikasi komitmen", "Verify commitments"),
        "hentikan": ("Hentikan kepesertaan", "End participation"),
        "pulihkan": ("Pulihkan bantuan", "Reinstate benefits"),
        "pemutakhiran": ("Pemutakhiran data", "Data update"),
        "koreksi": ("Koreksi data (pusat)", "Data correction (pusat)"),
        "koreksi_berlaku": ("Koreksi berlaku", "Apply the correction"),
        "kontrol_data": ("Kontrol data", "Data control"),
        "resertifikasi": ("Resertifikasi", "Recertify"),
        "graduasi_mandiri": ("Graduasi mandiri", "Self-reliant graduation"),
        "anggota_meninggal": ("Anggota meninggal dunia", "A member died"),
        "pindah": ("Pindah domisili", "Moved away"),
    },
    "template": {
        "acknowledgement": ("Tanda terima pengaduan", "Acknowledgement"),
        "result_letter": ("Hasil penanganan pengaduan", "Result of the complaint"),
        "extension_notice": ("Pemberitahuan perpanjangan", "Extension notice"),
        "forwarded_notice": ("Pemberitahuan pengaduan diteruskan", "Forwarded notice"),
        "kkn_outcome": ("Hasil penyelidikan KKN", "KKN investigation outcome"),
        "kkn_suspension": ("Pembebastugasan", "Relief of duty"),
        "discipline_letter": ("Surat peringatan", "Discipline letter"),
    },
    "outcome": {"resolved": ("Selesai ditangani", "Resolved"), "rejected": ("Ditolak", "Rejected")},
    "event_type": {
        "ComplaintFiled": ("Pengaduan dicatat", "Complaint filed"),
        "StageAdvanced": ("Tahap maju", "Stage advanced"),
        "CaseResolved": ("Kasus selesai", "Case resolved"),
        "CaseEscalated": ("Diteruskan ke tingkat atas", "Escalated"),
        "CaseReferred": ("Dirujuk", "Referred"),
        "ReferralReturned": ("Kembali dari rujukan", "Back from referral"),
        "CaseRejected": ("Ditolak", "Rejected"),
        "CaseReopened": ("Dibuka kembali", "Reopened"),
        "HandlerAssigned": ("Petugas ditugaskan", "Handler assigned"),
        "ComplaintReclassified": ("Jenis diubah", "Reclassified"),
        "ReporterLinked": ("Pelapor ditambahkan", "Reporter linked"),
        "RecommendedToPusat": ("Direkomendasikan ke pusat", "Recommended to pusat"),
        "LevelExtended": ("Tenggat diperpanjang", "Deadline extended"),
        "DeadlinesRecalculated": (
            "Tenggat dihitung ulang (perubahan kalender)",
            "Deadlines recalculated (calendar change)",
        ),
        "HandlerReleased": ("Petugas dilepas", "Handler released"),
        "StaffSuspended": ("Dibebastugaskan", "Relieved of duty"),
        "StaffDismissed": ("Diberhentikan", "Dismissed"),
        "StaffReinstated": ("Dipulihkan", "Reinstated"),
        "InvestigationReopened": ("Penyelidikan dibuka kembali", "Investigation reopened"),
        "InvestigationMerged": (
            "Digabungkan dengan kasus KKN pengaduan yang sama",
            "Merged into the KKN case of the same complaint",
        ),
        "DisciplineRecordOpened": ("Catatan disiplin dibuka", "Discipline record opened"),
        "OralWarningGiven": ("Teguran lisan diberikan", "Oral warning given"),
        "WarningLetterIssued": ("Surat peringatan diterbitkan", "Warning letter issued"),
        "EngagementTerminated": ("Hubungan kerja diputus", "Engagement terminated"),
        "PerformanceAssessed": ("Kinerja dinilai", "Performance assessed"),
        "CandidateRegistered": ("Calon peserta terdaftar", "Candidate registered"),
        "FirstMeetingHeld": ("Pertemuan awal dilaksanakan", "First meeting held"),
        "ValidatedEligible": ("Tervalidasi layak", "Validated eligible"),
        "ValidatedNonEligible": ("Tervalidasi tidak layak", "Validated not eligible"),
        "FoundIneligible": ("Dinyatakan tidak layak", "Found ineligible"),
        "ParticipantEstablished": ("Ditetapkan sebagai peserta", "Established as participant"),
        "CommitmentVerified": ("Komitmen diverifikasi", "Commitments verified"),
        "BenefitsSuspended": ("Bantuan ditangguhkan", "Benefits suspended"),
        "BenefitsReinstated": ("Bantuan dipulihkan", "Benefits reinstated"),
        "ParticipationTerminated": ("Kepesertaan dihentikan", "Participation ended"),
        "DataUpdated": ("Data dimutakhirkan", "Data updated"),
        "CorrectionScheduled": ("Koreksi dijadwalkan", "Correction scheduled"),
        "CorrectionApplied": ("Koreksi diterapkan", "Correction applied"),
        "DataControlled": ("Kontrol data dilakukan", "Data control applied"),
        "Recertified": ("Diresertifikasi", "Recertified"),
        "TransitionStarted": ("Masa transisi dimulai", "Transition started"),
        "GraduatedMandiri": ("Graduasi mandiri", "Graduated (self-reliant)"),
        "GraduatedAlamiah": ("Graduasi alamiah", "Graduated (natural)"),
        "HouseholdExited": ("Keluar dari PKH", "Left the programme"),
        "HouseholdMoved": ("Pindah domisili", "Moved away"),
        "MemberDied": ("Anggota meninggal dunia", "A member died"),
    },
    "reporter_kind": {
        "kpm": ("KPM (peserta)", "KPM (participant)"),
        "masyarakat": ("Masyarakat", "Public"),
        "media": ("Media", "Media"),
        "lsm": ("LSM", "NGO"),
        "penyedia_layanan": ("Penyedia layanan", "Service provider"),
        "pendamping": ("Pendamping", "Pendamping"),
        "staf_pkh": ("Staf PKH", "PKH staff"),
        "lainnya": ("Lainnya", "Other"),
    },
    "reason": {
        "bukan_pkh": ("Bukan urusan PKH", "Not a PKH matter"),
        "duplikat": ("Duplikat", "Duplicate"),
    },
    "informed_via": {
        "surat": ("Surat", "Letter"),
        "telepon": ("Telepon", "Phone"),
        "email": ("E-mail", "E-mail"),
        "sms": ("SMS", "SMS"),
        "tatap_muka": ("Tatap muka", "In person"),
        "pertemuan_kelompok": ("Pertemuan kelompok", "Group meeting"),
    },
    "body": {
        "tim_koordinasi_kabupaten": ("Tim Koordinasi Kab/Kota", "District coordination team"),
        "tim_koordinasi_provinsi": ("Tim Koordinasi Provinsi", "Provincial coordination team"),
        "tim_koordinasi_pusat": ("Tim Koordinasi Pusat", "National coordination team"),
        "dinas_teknis": ("Dinas teknis", "Technical agency"),
        "pt_pos": ("PT Pos", "PT Pos"),
        "bank": ("Bank penyalur", "Paying bank"),
        "sekolah": ("Sekolah", "School"),
        "puskesmas": ("Puskesmas", "Health centre"),
    },
    "channel": {
        "ketua_kelompok": ("Ketua kelompok", "Group leader"),
        "pendamping": ("Pendamping", "Pendamping"),
        "kantor_uppkh": ("Kantor UPPKH", "UPPKH office"),
        "telepon": ("Telepon", "Phone"),
        "faks": ("Faks", "Fax"),
        "email": ("E-mail", "E-mail"),
        "surat": ("Surat", "Letter"),
        "formulir": ("Formulir pengaduan", "Complaint form"),
        "kotak_pengaduan": ("Kotak pengaduan", "Complaint box"),
        "kotak_pos": ("Kotak pos SPM-PKH", "SPM-PKH post box"),
        "sms": ("SMS", "SMS"),
        "web": ("Situs web", "Website"),
        "lapor": ("LAPOR!", "LAPOR!"),
        "pemantauan": ("Hasil pemantauan", "Monitoring finding"),
        "musyawarah_desa": ("Musyawarah desa", "Village meeting"),
        "penelitian": ("Penelitian", "Research"),
        "apip_aph": ("APIP/APH", "Oversight/law enforcement"),
        "dpr_dprd": ("DPR/DPRD", "Parliament (DPR/DPRD)"),
        "media_massa": ("Media massa", "Mass media"),
    },
    "role": {
        "ketua_kelompok": ("Ketua kelompok", "Group leader"),
        "pendamping": ("Pendamping", "Pendamping"),
        "kabupaten": ("UPPKH Kab/Kota", "UPPKH district"),
        "provinsi": ("Provinsi", "Province"),
        "pusat": ("UPPKH Pusat", "UPPKH national"),
        "auditor": ("Auditor", "Auditor"),
        "admin": ("Admin", "Admin"),
        "system": ("Sistem", "System"),
    },
    "day_kind": {
        "libur_nasional": ("Libur nasional", "National holiday"),
        "cuti_bersama": ("Cuti bersama", "Collective leave"),
        "override": ("Keputusan tambahan", "Later decree"),
    },
}


# English strings of a count that read otherwise for one (Indonesian nouns have no plural)
EN_ONE = {
    "wd_left": "{n} working day left",
    "wd_over": "{n} working day overdue",
    "too_many_sign_ins": "Too many failed sign-ins from this device. Try again in 1 minute.",
}


def text(key: str, lang: str, **values: object) -> str:
    id_, en = STRINGS[key]
    if lang == "en" and values.get("n") == 1 and key in EN_ONE:
        en = EN_ONE[key]
    s = en if lang == "en" else id_
    return s.format(**values) if values else s


def label(kind: str, value: object, lang: str) -> str:
    if value is None or value == "":
        return "–"
    if kind not in LABELS:
        return str(value)
    pair = LABELS[kind].get(str(value))
    if pair is None:
        return str(value).replace("_", " ")
    return pair[1] if lang == "en" else pair[0]


def roles_text(roles: Sequence[str], lang: str) -> str:
    """'Auditor, UPPKH Pusat, atau Admin': the roles' labels, joined as the language does."""
    names = [label("role", r, lang) for r in roles]
    if len(names) < 2:
        return "".join(names)
    last = f"{',' if lang == 'id' and len(names) > 2 else ''} {text('or', lang)} {names[-1]}"
    return ", ".join(names[:-1]) + last


def translator(lang: str) -> Callable[..., str]:
    return lambda key, **values: text(key, lang, **values)


def day_text(d: date | datetime, lang: str, *, weekday: bool = False) -> str:
    i = 1 if lang == "en" else 0
    out = f"{d.day} {MONTHS[d.month - 1][i]} {d.year}"
    return f"{DAYS[d.weekday()][i]}, {out}" if weekday else out


def pick(lang: str | None) -> str:
    return lang if lang in LANGS else DEFAULT_LANG


FIELD_KEYS = {"outcome": "outcome_field", "received_at": "received_at", "at": "occurred_at"}
# a case's recorded values where a form field of the same name means something else
ATTR_KEYS = {"outcome": "final_outcome"}


def attr_label(field: str, lang: str) -> str:
    """The name of a case's recorded value (the audit page's differences)."""
    return field_label(ATTR_KEYS.get(field, field), lang)


def field_label(field: str, lang: str) -> str:
    if "." in field or "[" in field:
        return _path_label(field, lang)
    key = FIELD_KEYS.get(field, field)
    return text(key, lang) if key in STRINGS else field.replace("_", " ")


# a household command's nested field (`anggota.01.nik`, `tambah[0].nama`, `hadir.02`): the
# member and the field in words, "anggota 01, NIK"; the API's JSON keeps the path
_PATH = re.compile(r"^(anggota|tambah|hadir)(?:\.(\d+)|\[(\d+)\])(?:\.(\w+))?$")
PATH_WORDS = {
    "anggota": ("anggota {n}", "member {n}"),
    "tambah": ("anggota baru ke-{n}", "new member {n}"),
    "hadir": ("kehadiran anggota {n}", "attendance of member {n}"),
}


def _path_label(path: str, lang: str) -> str:
    m = _PATH.match(path)
    if m is None:
        return path
    key, no, index, sub = m.groups()
    words = PATH_WORDS[key][1 if lang == "en" else 0]
    said = words.format(n=no if no is not None else int(index) + 1)
    if sub is None:
        return said
    name = field_label(sub, lang)
    # "nama ibu kandung" in the middle of a phrase, but "NIK" and "KK" stay as written
    name = name if name[1:2].isupper() else name[:1].lower() + name[1:]
    return f"{said}, {name}"


def when(value: datetime | str | None, zone: str, lang: str = DEFAULT_LANG) -> str:
    """A moment as the office reads it: '20 Nov 2026 09:00 WIB' in the case's own zone."""
    if value is None or value == "":
        return "–"
    dt = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = dt.astimezone(ZoneInfo(zone))
    return f"{day_text(local, lang)} {local:%H:%M} {zone_label(zone)}"


LABELS["closed_at_level"] = LABELS["level"]
# the worklist's filter by kind of case (workflow)
LABELS["workflow"] = {
    "complaint": ("Pengaduan", "Complaints"),
    "kkn": ("KKN (pembebastugasan staf)", "KKN (staff relieved of duty)"),
    "discipline": ("Disiplin staf (SDM)", "Staff discipline"),
    "kpm": ("Rumah tangga KPM", "KPM households"),
}

# the performance assessment's two inputs (discipline): every indicator of seed 002, in order
# (workflows.discipline.INDICATORS, INDICATORS_EN: as its refusals name them)
for _key, (_id, _en) in {
    "operational": ("Kinerja operasional", "Operational performance"),
    "behavioural": ("Kompetensi perilaku", "Behavioural competence"),
}.items():
    _n = len(INDICATORS[_key])
    STRINGS[_key] = (
        f"{_id}: {_n} nilai 1-5 dipisah koma ({', '.join(INDICATORS[_key])})",
        f"{_en}: {_n} scores of 1-5, comma-separated ({', '.join(INDICATORS_EN[_key])})",
    )

# ---------------------------------------------------------------- KPM household pages
STRINGS.update(
    {
        "hasil": ("Hasil", "Result"),
        "alasan": ("Alasan", "Reason"),
        "nomor_sk": ("Nomor SK penetapan", "Decree (SK) number"),
        "tanggal_sk": ("Tanggal SK", "Decree date"),
        "nomor_anggota": ("Anggota", "Member"),
        "tanggal": ("Tanggal", "Date"),
        "tujuan": ("Tujuan pindah", "Moving to"),
        "keterangan": ("Keterangan (wajib untuk alasan Lainnya)", "Explanation (needed for Other)"),
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
        "berlaku_mulai": ("Berlaku mulai", "Applies from"),
        "kyc_missing": ("belum diisi", "missing"),
        "kyc_gaps": (
            "Data KYC belum lengkap (tempat lahir, nama ibu kandung): isi dengan Pemutakhiran "
            "data sebelum penetapan.",
            "KYC data incomplete (place of birth, mother's maiden name): fill it in with a "
            "Data update before the decree.",
        ),
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


def code_name(field: str, code: int, lang: str) -> str:
    """A member's coded value by its master name in the page's language: 3 -> 'ANAK' /
    'Child' (the code itself when the list does not hold it)."""
    names = CODE_NAMES_EN if lang == "en" else CODE_NAMES_ID
    return names.get(field, {}).get(code) or CODE_NAMES_ID.get(field, {}).get(code) or str(code)


MEMBER_FIELD_KEYS = MEMBER_FIELDS  # the register's member fields, in its order
for _f in MEMBER_FIELD_KEYS:  # the new-member inputs: "Anggota baru: tempat lahir"
    _id, _en = STRINGS[_f]
    STRINGS[f"tambah_{_f}"] = (
        f"Anggota baru: {_id if _f == 'nik' else _id.lower()}",
        f"New member: {_en if _f == 'nik' else _en.lower()}",
    )
LABELS["isian"] = {f: STRINGS[f] for f in MEMBER_FIELD_KEYS}
LABELS["hapus_alasan"] = {
    "pindah_kk": ("Pindah ke KK lain", "Moved to another family card"),
    "menikah": ("Menikah", "Married"),
    "data_ganda": ("Data ganda", "Duplicate record"),
    "lainnya": ("Lainnya", "Other"),
}
LABELS["hapus"] = LABELS["hapus_alasan"]

# ------------------------------------------------------- staff cases: KKN and discipline
STRINGS.update(
    {
        # a refusal of the officer's role (api.page_views.not_permitted_text)
        "role_may_not": (
            "Peran {role} tidak dapat melakukan langkah “{event}” pada kasus ini; langkah ini "
            "hanya untuk {roles}.",
            "The role {role} may not take the step “{event}” on this case; only {roles} may.",
        ),
        "role_may_not_change": (
            "Peran {role} tidak dapat mengubah kasus {workflow}; hanya {roles}.",
            "The role {role} cannot change {workflow} cases; only {roles} may.",
        ),
        # a KKN decision: the verdict (its `outcome`; a complaint's is a referral's result)
        "verdict": ("Putusan", "Verdict"),
        # a discipline case's recorded values and its letters' data
        "issuer": ("Diterbitkan oleh", "Issued by"),
        "sanction": ("Sanksi", "Sanction"),
        "sanction_label": ("Judul surat", "Letter title"),
        "oral_warnings": ("Jumlah teguran lisan", "Oral warnings"),
        "performance": ("Penilaian kinerja", "Performance assessment"),
        "total": ("Nilai total", "Total score"),
        "proposes_termination": (
            "Diusulkan pemutusan hubungan kerja (nilai di bawah 26)",
            "Termination proposed (score below 26)",
        ),
        "termination_proposed": (
            "Diusulkan pemutusan hubungan kerja (nilai di bawah 26)",
            "Termination proposed (score below 26)",
        ),
        "merged_into": ("Digabungkan ke", "Merged into"),
    }
)
# Where a KKN finding of guilt refers the case (workflows.kkn.AUTHORITIES); a complaint's
# `referred_to` is a side body (its `refer`), so the side bodies are named here too.
LABELS["referred_to"] = {
    **LABELS["body"],
    "aph": ("Aparat Penegak Hukum (APH)", "Law enforcement (APH)"),
    "kepolisian": ("Kepolisian Negara Republik Indonesia (Polri)", "Police (Polri)"),
    "kejaksaan": ("Kejaksaan Republik Indonesia", "Public prosecution (Kejaksaan)"),
    "kpk": ("Komisi Pemberantasan Korupsi (KPK)", "Corruption Eradication Commission (KPK)"),
    "apip": (
        "Aparat Pengawasan Intern Pemerintah (APIP)",
        "Government internal oversight (APIP)",
    ),
}
LABELS["verdict"] = {
    "guilty": ("Bersalah", "Guilty"),
    "not_guilty": ("Tidak bersalah", "Not guilty"),
}
LABELS["outcome"].update(LABELS["verdict"])  # a KKN case's final outcome (the audit page)
LABELS["issuer"] = {
    "kabupaten": ("UPPKH Kabupaten/Kota", "UPPKH district/city"),
    "pusat": ("UPPKH Pusat", "UPPKH national"),
}
LABELS["sanction"] = {
    "sp1": ("Surat Peringatan Pertama (SP-1)", "First warning letter (SP-1)"),
    "sp2": ("Surat Peringatan Kedua (SP-2)", "Second warning letter (SP-2)"),
    "sp3": ("Surat Peringatan Ketiga (SP-3)", "Third warning letter (SP-3)"),
    "terminated": ("Pemutusan Hubungan Kerja", "Termination of engagement"),
}
# a sanction's letter title as recorded (workflows.discipline.SANCTION_LABELS, Indonesian): the
# timeline names it in the page's language
LABELS["sanction_label"] = {
    SANCTION_LABELS[code]: pair for code, pair in LABELS["sanction"].items()
}
# Why a sanction is given (workflows.discipline: ORAL_REASONS, SP2_REASONS, SP3_REASONS,
# TERMINATION_REASONS), in the words of seed 002 ("Sanksi Pengakhiran Kerja"); the select's
# options and the timeline's value. The stored value stays the code.
LABELS["reason"].update(
    {
        # teguran lisan
        "late": ("Tidak tertib/terlambat masuk kerja", "Not orderly or late for work"),
        "missed_meeting": (
            "Tidak mengikuti pertemuan/rapat rutin",
            "Missed routine meetings",
        ),
        "late_report": (
            "Penyerahan laporan tidak sesuai ketentuan",
            "Reports not handed in as required",
        ),
        "absent_without_leave": (
            "Tidak masuk kerja/meninggalkan tugas tanpa izin",
            "Absent from work or left duty without leave",
        ),
        "not_coordinating": (
            "Tidak berkoordinasi dalam pelaksanaan kegiatan",
            "Did not coordinate activities",
        ),
        # SP-2 (pelanggaran sedang)
        "negligence": (
            "Lalai dalam menjalankan tugas dan kewajiban",
            "Negligence in carrying out duties and obligations",
        ),
        "core_duties_not_done": (
            "Tidak melaksanakan tugas dan kewajiban utama",
            "Core duties and obligations not carried out",
        ),
        "absent_over_3_days": (
            "Tidak masuk kerja lebih dari tiga hari tanpa izin/keterangan",
            "Absent for more than three days without leave",
        ),
        # SP-3 (pelanggaran berat)
        "data_markup": (
            "Pelanggaran kode etik: mark-up data",
            "Breach of the code of ethics: marking up data",
        ),
        "misuse_of_funds": (
            "Pelanggaran kode etik: penyalahgunaan dana",
            "Breach of the code of ethics: misuse of funds",
        ),
        "party_politics": (
            "Pelanggaran kode etik: terlibat partai dan pemilu",
            "Breach of the code of ethics: party politics and elections",
        ),
        "double_job": (
            "Pelanggaran kode etik: rangkap pekerjaan (dobel job)",
            "Breach of the code of ethics: holding a second job",
        ),
        "law_breach": (
            "Melanggar hukum/norma yang berlaku di masyarakat",
            "Breach of the law or of the norms of society",
        ),
        "ethics_breach": ("Melakukan pelanggaran kode etik", "Breach of the code of ethics"),
        # pemutusan hubungan kerja
        "after_sp3": ("Telah mendapat SP-3", "After a third warning letter (SP-3)"),
        "breach_of_contract": ("Wanprestasi", "Breach of contract"),
        "legal_case": ("Terlibat kasus hukum", "Involved in a legal case"),
        "resignation": ("Mengundurkan diri", "Resignation"),
        "death": ("Meninggal dunia", "Death"),
        "force_majeure": ("Keadaan kahar (force majeure)", "Force majeure"),
        "performance_below_26": (
            "Nilai penilaian kinerja tahunan kurang dari 26",
            "Yearly performance score below 26",
        ),
    }
)


def _workflow_labels() -> None:
    """Every workflow's title (kind `type`, key `workflow:<name>`) and the named states of
    every workflow (kind `stage`, key `<workflow>:<state>`), from the definitions: the
    worklist row of a case that is not a complaint (api.page_views.row_case)."""
    from workflows import default_registry

    registry = default_registry()
    for name in registry.names():
        d = registry.get(name)
        LABELS["type"][f"workflow:{name}"] = (d.title_id, d.title_en or d.title_id)
        for st in d.states:
            if st.label_id or st.label_en:
                id_, en = st.label_id or st.label_en, st.label_en or st.label_id
                LABELS["stage"][f"{name}:{st.name}"] = (
                    id_[:1].upper() + id_[1:],
                    en[:1].upper() + en[1:],
                )


_workflow_labels()


# The notes the system and the imports record on an event (a fixed phrase, in the language its
# code wrote it: engine.deadlines, engine.sweep_actions, workflows.staff, complaint_store,
# kpm_import, kpm_verify, kpm_flow), said in the page's language on the timeline; an officer's
# own note is shown as written. `{case}`, `{other}`: case numbers. The log keeps what was recorded.
NOTES: tuple[tuple[str, str], ...] = (
    ("perubahan kalender kerja", "calendar override"),
    ("penyisiran tenggat otomatis", "deadline sweep"),
    ("impor DTKS/BDT", "DTKS/BDT import"),
    ("impor DTKS/BDT: anggota baru", "DTKS/BDT import: new member"),
    ("impor verifikasi komitmen", "commitment verification import"),
    ("kontrol data", "data control"),
    ("dibebastugaskan karena pengaduan KKN {case}", "relieved of duty for KKN complaint {case}"),
    ("pelapor pengaduan {case}", "reporter of complaint {case}"),
    (
        "pelapor pengaduan {case} (ditolak sebagai duplikat)",
        "reporter of complaint {case} (rejected as a duplicate)",
    ),
    (
        "pengaduan {case} ditolak sebagai duplikat {other}",
        "complaint {case} rejected as a duplicate of {other}",
    ),
)
_CASE_NO = r"(?P<{}>[A-Z]{{2,5}}-\d{{4}}-\d{{6}})"


def _note_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(case|other)\}", template)
    return re.compile(
        "".join(_CASE_NO.format(p) if i % 2 else re.escape(p) for i, p in enumerate(parts))
    )


_NOTE_PATTERNS = [(_note_pattern(said), pair) for pair in NOTES for said in pair]


def note_text(note: str, lang: str) -> str:
    """An event's note in the page's language when it is one of the system's own (NOTES)."""
    for pattern, (id_, en) in _NOTE_PATTERNS:
        found = pattern.fullmatch(note)
        if found:
            return (en if lang == "en" else id_).format(**found.groupdict())
    return note
