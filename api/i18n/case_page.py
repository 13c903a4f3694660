"""The case page's words: its deadlines, the complaint's facts and recorded values, the action
forms and their refusals, the timeline; and the notes the system records on an event (NOTES),
which the timeline says in the page's language."""

from __future__ import annotations

from api.i18n.common import STRINGS

STRINGS.update(
    {
        # said on an action's form before the click when the step closes the case
        "closes_case": ("menutup kasus", "closes the case"),
        # ... or only for some of what may be recorded (a validation's result, a data update)
        "may_close_case": ("dapat menutup kasus", "may close the case"),
        "closes_note": (
            "Langkah ini menutup kasus: statusnya menjadi {state}.",
            "This step closes the case: it becomes {state}.",
        ),
        "may_close_note": (
            "Langkah ini dapat menutup kasus (menjadi {state}), bergantung pada yang dicatat.",
            "This step may close the case (it becomes {state}), depending on what is recorded.",
        ),
        "close_case_button": ("Tutup kasus ({state})", "Close the case ({state})"),
        "saved_closed": (
            "Tersimpan: kasus ditutup ({state}).",
            "Saved: the case is closed ({state}).",
        ),
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
        "deceased": ("Meninggal dunia", "Deceased"),
        # a complaint's number, or a KKN case opened without one
        "suspended_by": ("Tetap dibebastugaskan melalui", "Still relieved of duty under"),
        "alasan_keluar": ("Alasan keluar", "Exit reason"),
        "terdaftar": ("Tanggal terdaftar", "Registered on"),
        "pertemuan_awal": ("Tanggal pertemuan awal", "First meeting on"),
        "validasi_tanggal": ("Tanggal validasi", "Validated on"),
        "validasi_hasil": ("Hasil validasi", "Validation result"),
        "validasi_alasan": ("Alasan hasil validasi", "Validation reason"),
        "pulih_alasan": ("Alasan pemulihan bantuan", "Reason benefits were reinstated"),
        "masked": ("*** (dirahasiakan)", "*** (confidential)"),
        # the reporter block, to the person the complaint is about
        "hidden_from_subject": (
            "dari Anda, karena pengaduan ini menyangkut Anda",
            "from you, as this complaint is about you",
        ),
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
        # what became of the staff member a KKN complaint named, as its KKN case stands now
        # (the page adds ": KKN-..." where the officer may open that case)
        "kkn_suspended": (
            "{name}, staf PKH, dibebastugaskan selama penyelidikan",
            "{name}, PKH staff, relieved of duty during the investigation",
        ),
        "kkn_reinstated": (
            "{name}, staf PKH, dibebastugaskan selama penyelidikan, lalu dinyatakan tidak "
            "bersalah atas pengaduan ini",
            "{name}, PKH staff, relieved of duty during the investigation, then found not "
            "guilty of this complaint",
        ),
        "kkn_guilty": (
            "{name}, staf PKH, dibebastugaskan selama penyelidikan, lalu dinyatakan bersalah "
            "dan diberhentikan",
            "{name}, PKH staff, relieved of duty during the investigation, then found guilty "
            "and dismissed",
        ),
        "kkn_merged": (
            "{name}, staf PKH, dibebastugaskan selama penyelidikan; penyelidikannya digabungkan "
            "dengan penyelidikan pengaduan lain tentang dugaan yang sama",
            "{name}, PKH staff, relieved of duty during the investigation; it was merged into "
            "the investigation of another complaint of the same allegation",
        ),
        "kkn_nobody": (
            "Nama yang diadukan tidak ada dalam daftar staf PKH (SDM): tidak ada yang "
            "dibebastugaskan. Bila yang diadukan staf PKH, periksa ejaan namanya (atau nama "
            "akunnya).",
            "The name complained of is not in the PKH staff register: nobody was relieved of duty. "
            "If PKH staff are meant, check the spelling of the name (or their account name).",
        ),
        "kkn_dismissed": (
            "{name}, staf PKH: tidak ada yang dibebastugaskan, karena hubungan kerjanya dengan PKH "
            "sudah berakhir",
            "{name}, PKH staff: nobody was relieved of duty, as their engagement with PKH had "
            "already ended",
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
        "c_form_hint": (
            "Sesuai formulir C-1 (peserta/KPM) dan C-2 (bukan peserta).",
            "Mirrors forms C-1 (participants/KPM) and C-2 (non-participants).",
        ),
        "duplicate_of": ("Duplikat dari (no. kasus)", "Duplicate of (case no.)"),
        "parties": ("Pihak yang menindaklanjuti", "Parties who follow up"),
        "result": ("Hasil penanganan", "Result of handling"),
        "informed_via": ("Pelapor diberi tahu melalui", "Reporter informed via"),
        "body": ("Lembaga rujukan", "Referred to"),
        # a referral's time limit as recorded (`CaseReferred` data): "15 hari kerja", "3 bulan"
        "budget": ("Batas waktu rujukan", "Referral time limit"),
        "reason": ("Alasan", "Reason"),
        "working_days": ("Jumlah hari kerja", "Working days"),
        # the extension form's range, beside the field's name (not in the history's)
        "working_days_range": ("1-26", "1-26"),
        "outcome_field": ("Hasil rujukan", "Referral outcome"),
    }
)


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
