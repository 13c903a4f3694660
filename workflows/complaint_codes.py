"""The complaint workflow's codes and budgets (levels, Tabel 2 stages, types, channels, side
bodies) and its states, as data: what the parsers, guards, effects and the definition share."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from engine.definition import Budget, DeadlinePolicy, StateDef
from workflows.indonesia import PUSAT_ZONE, ZONE_INFO, zone_for_region

NAME = "complaint"
LEVELS = ("ketua_kelompok", "pendamping", "kabupaten", "pusat")
LEVEL_RANK = {lvl: i for i, lvl in enumerate(LEVELS)}
# Tabel 2: document/analyse 5, identify parties 3, follow up 15, inform reporter 3 = 26.
TABEL_2 = (("dokumentasi", 5), ("identifikasi", 3), ("tindak_lanjut", 15), ("pemberitahuan", 3))
TYPES = (
    "data_peserta",
    "komitmen_verifikasi",
    "bukan_peserta",
    "pembayaran",
    "ketersediaan_layanan",
    "teknis_administrasi",
    "kkn",
)
CHANNELS = (
    "ketua_kelompok",
    "pendamping",
    "kantor_uppkh",
    "telepon",
    "faks",
    "email",
    "surat",
    "formulir",
    "kotak_pengaduan",
    "kotak_pos",
    "sms",
    "web",
    "lapor",
    # indirect sources, recorded by officers as complaints too
    "pemantauan",
    "musyawarah_desa",
    "penelitian",
    "apip_aph",
    "dpr_dprd",
    "media_massa",
)
REPORTER_KINDS = (
    "kpm",
    "masyarakat",
    "media",
    "lsm",
    "penyedia_layanan",
    "pendamping",
    "staf_pkh",
    "lainnya",
)
SIDE_BODIES = (
    "tim_koordinasi_kabupaten",
    "tim_koordinasi_provinsi",
    "tim_koordinasi_pusat",
    "dinas_teknis",
    "pt_pos",
    "bank",
    "sekolah",
    "puskesmas",
)
INFORMED_VIA = ("surat", "telepon", "email", "sms", "tatap_muka", "pertemuan_kelompok")
REJECT_REASONS = ("bukan_pkh", "duplikat")
MIN_REGION_DIGITS = {"ketua_kelompok": 6, "pendamping": 6, "kabupaten": 4, "pusat": 2}
MAX_SUMMARY = 4000
MAX_TEXT = 2000  # a reason, a result, the parties involved


# ---------------------------------------------------------------------------------------- states
def _stages(level: str) -> list[tuple[str, int | None]]:
    if level in ("kabupaten", "pusat"):
        return [(s, n) for s, n in TABEL_2]
    return [("penanganan", None)]


def state_name(level: str, stage: str) -> str:
    return f"{level}_{stage}"


def _states() -> tuple[StateDef, ...]:
    out = []
    for lvl in LEVELS:
        out += [StateDef(state_name(lvl, s), lvl, s) for s, _ in _stages(lvl)]
        if lvl in ("kabupaten", "pusat"):
            out.append(StateDef(state_name(lvl, "dirujuk"), lvl, "dirujuk"))
    out += [
        StateDef("selesai", closed=True, label_id="selesai", label_en="resolved"),
        StateDef("ditolak", closed=True, label_id="ditolak", label_en="rejected"),
    ]
    return tuple(out)


def open_states(level: str) -> tuple[str, ...]:
    names = [state_name(level, s) for s, _ in _stages(level)]
    if level in ("kabupaten", "pusat"):
        names.append(state_name(level, "dirujuk"))
    return tuple(names)


def _handling_states(level: str) -> tuple[str, ...]:
    return tuple(state_name(level, s) for s, _ in _stages(level))


# --------------------------------------------------------------------------- deadline policy
# Escalate automatically once a level deadline has passed by this many working days. The manual
# asks that what a level cannot settle be passed up "segera" (at once): ketua kelompok and
# pendamping pass up the day after their deadline; kabupaten gets 3 working days of grace (one
# Tabel 2 "inform the reporter" stage) before pusat takes the case; pusat has nobody above it and
# sends an extension notice instead.
DEADLINE_POLICY = DeadlinePolicy(
    due_soon_days=2,
    escalate_after={"ketua_kelompok": 0, "pendamping": 0, "kabupaten": 3},
)
REFERRAL_SERVICE = Budget(months=3)  # service availability: put right within 3 months
REFERRAL_DEFAULT = Budget(working_days=15)  # any other side body: one follow-up stage


def zone_for(level: str | None, region: str) -> ZoneInfo:
    """The zone a complaint's deadlines are counted in: its region's, or Jakarta's at pusat."""
    return ZONE_INFO[PUSAT_ZONE if level == "pusat" else zone_for_region(region)]
