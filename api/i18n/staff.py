"""The words of the staff cases, KKN and discipline: the refusals of an officer's role, the
verdict, the sanctions and their reasons, the performance assessment, where a finding of guilt
refers the case."""

from __future__ import annotations

from api.i18n.common import STRINGS
from api.i18n.labels import LABELS
from workflows.discipline import INDICATORS, INDICATORS_EN, SANCTION_LABELS

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
