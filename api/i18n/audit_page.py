"""The words of the audit page (a case as of a moment, the whole-store verification), the
working calendar and the problem pages (not found, not permitted, a stale form)."""

from __future__ import annotations

from api.i18n.common import STRINGS

STRINGS.update(
    {
        "audit_title": ("Audit kasus", "Case audit"),
        "audit_intro": (
            "Lihat keadaan kasus pada suatu saat, bandingkan dengan sekarang, dan periksa rantai "
            "hash.",
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
        "undone_closing": (
            "dari penutupan {when}, sebelum dibuka kembali",
            "from the closing of {when}, before it was reopened",
        ),
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
            "Sabtu dan Minggu selalu libur. Tanggal bertanda perkiraan dihitung dan belum "
            "ditetapkan.",
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
            "the application. Tell the auditor; an audit check (pkh audit verify --all) names "
            "every damaged row.",
        ),
        "unreadable_in_list": (
            "Data tersimpan kasus berikut tidak dapat dibaca (basis data diubah di luar aplikasi), "
            "jadi tidak ditampilkan di sini: {ids}. Laporkan kepada auditor; pkh audit verify "
            "--all menyebut baris yang rusak.",
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
        # a form (an uploaded file) over the request limit (api.guard.MAX_BODY)
        "too_large_title": ("Berkas terlalu besar", "File too large"),
        "too_large_text": (
            "Isi formulir ini lebih dari {mb} MB, batas satu unggahan; tidak ada yang dicatat. "
            "Bagi berkasnya menjadi beberapa berkas yang lebih kecil lalu unggah satu per satu.",
            "This form's content is over {mb} MB, the limit of one upload; nothing was recorded. "
            "Split the file into smaller files and upload them one by one.",
        ),
        "too_large_back": ("Kembali ke formulir", "Back to the form"),
    }
)
