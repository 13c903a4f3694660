"""Labels of programme values, by kind (`label(kind, value, lang)`): levels, stages, events,
channels, roles..., and every workflow's title and named states from its definition. The kpm
and staff modules add the labels of household and staff cases."""

from __future__ import annotations

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
    # what audit verify finds (engine.audit, engine.store.audit_runner); the detail is the
    # engine's (Indonesian where it gives `detail_id`)
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
        "kkn_decision": ("Hasil penyelidikan KKN (petugas)", "KKN investigation outcome (staff)"),
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


LABELS["closed_at_level"] = LABELS["level"]
# the worklist's filter by kind of case (workflow)
LABELS["workflow"] = {
    "complaint": ("Pengaduan", "Complaints"),
    "kkn": ("KKN (pembebastugasan staf)", "KKN (staff relieved of duty)"),
    "discipline": ("Disiplin staf (SDM)", "Staff discipline"),
    "kpm": ("Rumah tangga KPM", "KPM households"),
}


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
