"""The words of the frame every officer page shares, in Bahasa Indonesia (default) and English:
the menu, signing in and out, the worklist, the paper letters, a form kept through a sign-in, a
suspension's banner; and the names of days and months. `STRINGS` holds every page string: the
modules beside this one (case_page, audit_page, kpm, staff) add theirs to it."""

from __future__ import annotations

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
    "account_disabled": (
        "Akun ini dinonaktifkan: hubungi admin SPM-PKH kantor Anda untuk mengaktifkannya kembali.",
        "This account is disabled: ask your office's SPM-PKH administrator to enable it again.",
    ),
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


# English strings of a count that read otherwise for one (Indonesian nouns have no plural)
EN_ONE = {
    "wd_left": "{n} working day left",
    "wd_over": "{n} working day overdue",
    "too_many_sign_ins": "Too many failed sign-ins from this device. Try again in 1 minute.",
}
