"""The officer pages speak Bahasa Indonesia (and English): every command and event of every
workflow has a label in both, so no button or timeline row shows a raw identifier."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from api.i18n import label
from api.i18n.labels import LABELS
from engine.errors import GuardRejected, InvalidInput, Reason
from workflows import default_registry
from workflows import kpm_codes as C
from workflows import kpm_files as F
from workflows import kpm_parse as P
from workflows import kpm_verify as V

REGISTRY = default_registry()


@pytest.mark.parametrize("name", sorted(REGISTRY.names()))
def test_every_command_and_event_of_a_workflow_has_a_label_in_both_languages(name: str) -> None:
    d = REGISTRY.get(name)
    triggers = {t.trigger for t in d.transitions}
    types = {t.event_type for t in d.transitions}
    assert sorted(triggers - set(LABELS["event"])) == []
    assert sorted(types - set(LABELS["event_type"])) == []
    for kind, keys in (("event", triggers), ("event_type", types)):
        for key in keys:
            indonesian, english = (label(kind, key, lang) for lang in ("id", "en"))
            assert indonesian.strip() and english.strip(), (kind, key)
            assert indonesian != key.replace("_", " "), (kind, key)  # not the fallback


# ------------------------------------------------------------------------------ refusals
# Where a refusal is made for the complaint, KKN, discipline and KPM workflows: the modules of
# their guards, parsers and effects, the engine's decider (its own guards and input checks), the
# staff register they act on, and the KPM modules its guards, parsers, import, monthly
# verification and data control call into (codes, files, rules, the register). Their texts reach
# the officer pages, which speak Indonesian.
REFUSING_WORKFLOWS = ("complaint", "kkn", "discipline", "kpm")
ALSO_REFUSING = (
    "engine.machine",
    "engine.errors",
    "workflows.staff",
    "workflows.kpm_codes",
    "workflows.kpm_parse",
    "workflows.kpm_files",
    "workflows.kpm_verify",
    "workflows.kpm_import",
    "workflows.kpm_flow",
    "workflows.kpm_rules",
    "workflows.kpm_store",
)


def _refusing_modules() -> list[str]:
    modules = set(ALSO_REFUSING)
    for name in REFUSING_WORKFLOWS:
        d = REGISTRY.get(name)
        for fn in (*d.guards.values(), *d.parsers.values(), *d.effects.values()):
            module = inspect.getmodule(fn)
            assert module is not None, fn
            modules.add(module.__name__)
    return sorted(modules)


def _calls(module: str, names: set[str]) -> list[ast.Call]:
    tree = ast.parse(Path(importlib.import_module(module).__file__ or "").read_text())
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (getattr(node.func, "id", None) or getattr(node.func, "attr", None)) in names
    ]


@pytest.mark.parametrize("module", _refusing_modules())
def test_every_refusal_of_the_complaint_kkn_discipline_and_kpm_workflows_says_it_in_indonesian(
    module: str,
) -> None:
    """Every guard reason carries an Indonesian text of its own (not the English one), and
    every bad-input error its Indonesian message (`message_id`), which the pages show: a new
    English-only refusal fails here."""
    assert _english_only(module) == []


# The accounts and working-calendar administration (api.admin) and the role and region check
# it calls: half of their refusals had no Indonesian (a password too short, a username taken,
# the last admin, a role's region), beside others that had. So had the API's and the command
# line's own administration refusals (a zone, a date, an audit anchor, a null field).
ADMIN_REFUSING = ("api.admin", "workflows.roles", "api.routes_admin", "api.cli_admin")


@pytest.mark.parametrize("module", ADMIN_REFUSING)
def test_every_refusal_of_the_accounts_and_calendar_administration_says_it_in_indonesian(
    module: str,
) -> None:
    assert _english_only(module) == []


def _english_only(module: str) -> list[str]:
    english_only = []
    for call in _calls(module, {"Reason", "R"}):
        args = call.args
        if len(args) < 3 or ast.dump(args[1]) == ast.dump(args[2]):
            english_only.append(f"{module}:{call.lineno} {ast.unparse(call)[:80]}")
    for call in _calls(module, {"InvalidInput"}):
        given = {k.arg: k.value for k in call.keywords}
        said = given.get("message_id")
        if said is None or (isinstance(said, ast.Constant) and not said.value):
            english_only.append(f"{module}:{call.lineno} {ast.unparse(call)[:80]}")
    return english_only


def test_the_refusing_modules_are_found_from_the_workflows() -> None:
    found = _refusing_modules()
    complaint = ("workflows.complaint_parse", "workflows.complaint_guards")  # its refusals
    for module in (*complaint, "workflows.kkn", "workflows.discipline", "workflows.kpm"):
        assert module in found
    assert "workflows.guards" in found  # shared guards (actor_covers_region)


# ------------------------------------------------------------------------------- KPM texts
# Words an English text is made of and a Bahasa Indonesia one never is (field names, codes and
# programme terms are the same in both and are not listed).
ENGLISH_WORDS = frozenset(
    {
        "the",
        "is",
        "are",
        "not",
        "needs",
        "has",
        "have",
        "of",
        "for",
        "and",
        "or",
        "in",
        "at",
        "by",
        "a",
        "an",
        "member",
        "members",
        "complaint",
        "household",
        "appears",
        "twice",
        "would",
        "be",
        "left",
        "name",
        "new",
        "same",
        "years",
        "ages",
        "starts",
        "got",
        "must",
        "expected",
        "unknown",
        "required",
        "longer",
        "than",
        "digits",
        "number",
        "stored",
        "lacks",
        "does",
        "exist",
        "line",
        "near",
        "readable",
        "contains",
        "fields",
        "header",
        "row",
        "lists",
    }
)


def _english_in(text: str) -> list[str]:
    return sorted(set(re.findall(r"[a-z]+", text.lower())) & ENGLISH_WORDS)


def _numbers(text: str) -> set[str]:
    return set(re.findall(r"\d+", text))


def _member(**kw: Any) -> dict[str, Any]:
    return {
        "nik": "3271010101800001",
        "tanggal_lahir": "1980-01-01",
        "jenis_kelamin": 1,
        "hubungan_keluarga": 3,
        "komponen": 9,
        **kw,
    }


ON = date(2026, 3, 2)
BAD_KPM_INPUT: dict[str, Callable[[], Any]] = {
    "text required": lambda: C.text(" ", "nama"),
    "text too long": lambda: C.text("x" * 201, "nama"),
    "digits from a spreadsheet number": lambda: C.digits(3.271e15, "no_kk", 16),
    "digits short": lambda: C.digits("123", "no_kk", 16),
    "code required": lambda: C.code("", "komponen", C.KOMPONEN),
    "code unused 3": lambda: C.code(3, "komponen", C.KOMPONEN),
    "code unknown": lambda: C.code("x", "jenis_kelamin", C.JENIS_KELAMIN),
    "date required": lambda: C.parse_date("", "tanggal"),
    "date impossible": lambda: C.parse_date("31-02-2026", "tanggal"),
    "not a date": lambda: C.parse_date("kemarin", "tanggal"),
    "nik province": lambda: C.parse_nik("9971010101800001"),
    "nik no kecamatan": lambda: C.parse_nik("3271000101800001"),
    "nik birth digits": lambda: C.parse_nik("3271013201800001"),
    "nik serial": lambda: C.parse_nik("3271010101800000"),
    "nik birth date": lambda: C.check_nik_agrees("3271010101800001", date(1980, 1, 2), 1),
    "nik sex": lambda: C.check_nik_agrees("3271010101800001", date(1980, 1, 1), 2),
    "born in the future": lambda: C.check_member(_member(tanggal_lahir="2027-01-01"), ON),
    "born too long ago": lambda: C.check_member(_member(tanggal_lahir="1900-01-01"), ON),
    "bumil a man": lambda: C.check_member(_member(komponen=1), ON),
    "bumil a child": lambda: C.check_member(
        _member(komponen=1, jenis_kelamin=2, tanggal_lahir="2023-01-01"), ON
    ),
    "usia dini too old": lambda: C.check_member(
        _member(komponen=2, tanggal_lahir="2015-01-01"), ON
    ),
    "lansia too young": lambda: C.check_member(_member(komponen=8), ON),
    "sd without jenjang": lambda: C.check_member(_member(komponen=4, kelas=3), ON),
    "sd without kelas": lambda: C.check_member(_member(komponen=4, jenjang_sekolah=1), ON),
    "sd over 21": lambda: C.check_member(_member(komponen=4, jenjang_sekolah=1, kelas=3), ON),
    "a child heads": lambda: C.check_member(
        _member(hubungan_keluarga=1, tanggal_lahir="2016-01-01"), ON
    ),
    "kelas without jenjang": lambda: C.check_member(_member(kelas=3), ON),
    "kelas of another jenjang": lambda: C.check_member(_member(jenjang_sekolah=1, kelas=8), ON),
    "participant code region": lambda: C.participant_code("3271", 2026, 1),
    "participant code sequence": lambda: C.participant_code("3271011001", 2026, 100_000),
    "not json": lambda: P.nested({"anggota": "{"}, "anggota", dict),
    "json of the wrong kind": lambda: P.nested({"anggota": "[]"}, "anggota", dict),
    "choice required": lambda: P.choice({}, "hasil", P.VALIDATION_RESULTS),
    "choice unknown": lambda: P.choice({"hasil": "x"}, "hasil", P.VALIDATION_RESULTS),
    "period": lambda: P.period("2026-13"),
    "region malformed": lambda: P.region("32x"),
    "region unknown": lambda: P.region("3271019999"),
    "region not a desa": lambda: P.region("3271"),
    "member number": lambda: P.member_number("100", "nomor_anggota"),
    "member row not an object": lambda: P.registration(
        {"kode_peserta": "3271012600001", "region": "3271011001", "anggota": [1]}
    ),
    "member row field": lambda: P.registration(
        {"kode_peserta": "3271012600001", "region": "3271011001", "anggota": [_member(nik="1")]}
    ),
    "kode peserta elsewhere": lambda: P.registration(
        {"kode_peserta": "3273012600001", "region": "3271011001"}
    ),
    "no member": lambda: P.registration({"kode_peserta": "3271012600001", "region": "3271011001"}),
    "changes not an object": lambda: P.member_changes({"anggota": {"01": []}}),
    "not a member field": lambda: P.member_changes({"anggota": {"01": {"warna": "x"}}}),
    "a changed field": lambda: P.member_changes({"anggota": {"01": {"komponen": 3}}}),
    "attendance value": lambda: P.verification({"periode": "2026-02", "hadir": {"01": "x"}}),
    "attendance of nobody": lambda: P.verification({"periode": "2026-02", "hadir": {}}),
    "an empty data update": lambda: P.data_update({}),
    "an empty correction": lambda: P.correction({"pengaduan": "ADU-2026-000001"}),
    "verify row without member": lambda: V.parse_row({"periode": "2026-02", "hadir": "1"}),
    "verify row attendance": lambda: V.parse_row({"periode": "2026-02", "hadir": "x"}),
    "file missing": lambda: F.open_table("/nonexistent/kpm.csv", ["nik"]),
    "province": lambda: kpm_flow().province_codes(["3271"]),
    "control day": lambda: kpm_flow().control_day("kemarin", datetime(2026, 3, 2, tzinfo=UTC)),
}


def kpm_flow() -> Any:
    return importlib.import_module("workflows.kpm_flow")  # imports prefect: only when asked


@pytest.mark.parametrize("case", sorted(BAD_KPM_INPUT))
def test_every_bad_kpm_input_is_said_in_indonesian_with_the_same_values(case: str) -> None:
    with pytest.raises(InvalidInput) as err:
        BAD_KPM_INPUT[case]()
    e = err.value
    assert e.message_id and e.message_id != e.message
    assert _english_in(e.message_id) == [], e.message_id
    assert _numbers(e.message_id) == _numbers(e.message), (e.message_id, e.message)


def test_a_row_that_cannot_be_a_record_says_why_in_both_languages() -> None:
    for values in (["a\x00"], ["1", "2", "3"]):
        error = F.as_record(["nik", "nama"], values)
        assert isinstance(error, InvalidInput) and error.field == "row"
        assert error.message_id and _english_in(error.message_id) == []
        assert _numbers(error.message_id) == _numbers(error.message)
    assert F.as_record(["nik", "nama"], ["1"]) == {"nik": "1", "nama": None}


def _kpm_refusal(*args: Any, **kw: Any) -> Reason:
    from tests.unit.test_kpm_workflow import decide

    with pytest.raises(GuardRejected) as err:
        decide(*args, **kw)
    (reason,) = (r for r in err.value.reasons if r.key != "nik_not_checked")
    return reason


def test_a_kpm_household_s_invalid_members_are_told_in_indonesian() -> None:
    from tests.unit.test_kpm_workflow import FREE, registration, state_at

    lansia = _kpm_refusal(state_at("peserta"), "pemutakhiran", {"anggota": {"03": {"komponen": 8}}})
    assert (
        lansia.en
        == "invalid members: member 03: Component: 8 (LANSIA) starts at 60; the member is 10"
    )
    assert lansia.id == (
        "data anggota tidak sah: anggota 03: Komponen: 8 (LANSIA) mulai usia 60 tahun; "
        "anggota ini berusia 10 tahun"
    )
    two_heads = registration()
    two_heads["anggota"][1] = {**two_heads["anggota"][1], "hubungan_keluarga": 1}
    twice = registration()
    twice["anggota"][2] = {**twice["anggota"][1]}
    no_head = {"hapus": {"01": "pindah_kk"}}
    for reason in (
        _kpm_refusal(None, "daftar", two_heads, free_niks=FREE),
        _kpm_refusal(None, "daftar", twice, free_niks=FREE),
        _kpm_refusal(state_at("peserta"), "pemutakhiran", no_head),
    ):
        assert reason.key == "member_data_invalid"
        assert _english_in(reason.id) == [], reason.id
        assert _numbers(reason.id) == _numbers(reason.en)


def test_a_kpm_member_refusal_names_the_field_in_words_not_its_column_code() -> None:
    """English household pages said "member 03: komponen: ..." and "hubungan_keluarga: ...":
    the register's column codes. Each field a member check refuses is named in words."""
    from tests.unit.test_kpm_workflow import FREE, registration, state_at
    from workflows.kpm_codes import COLUMNS, FIELD_WORDS

    assert set(FIELD_WORDS) == set(COLUMNS)
    two_heads = registration()
    two_heads["anggota"][1] = {**two_heads["anggota"][1], "hubungan_keluarga": 1}
    twice = registration()
    twice["anggota"][2] = {**twice["anggota"][1]}
    refusals = [
        _kpm_refusal(state_at("peserta"), "pemutakhiran", {"anggota": {"03": change}})
        for change in (
            {"komponen": 8},
            {"kelas": 12},
            {"jenjang_sekolah": 3},
            {"tanggal_lahir": "2030-01-01"},
            {"hubungan_keluarga": 1},
        )
    ]
    refusals += [
        _kpm_refusal(None, "daftar", two_heads, free_niks=FREE),
        _kpm_refusal(None, "daftar", twice, free_niks=FREE),
        _kpm_refusal(state_at("peserta"), "pemutakhiran", {"hapus": {"01": "pindah_kk"}}),
    ]
    for reason in refusals:
        assert reason.key == "member_data_invalid"
        for said in (reason.id, reason.en):
            assert [c for c in COLUMNS if f"{c}:" in said or ("_" in c and c in said)] == [], said
    assert "member 03: Class: " in refusals[1].en
    assert "anggota 03: Kelas: " in refusals[1].id
    assert refusals[5].en.startswith("invalid members: Relationship: needs one kepala keluarga")


def test_a_kpm_refusal_names_members_and_missing_kyc_in_words_not_codes() -> None:
    """The household page showed "anggota ['09'] tidak ada" (a Python list) and "data KYC
    belum lengkap (03: nama_ibu_kandung)" (the column's code): said in words now."""
    from tests.unit.test_kpm_workflow import CHILD, MEMBERS, months, state_at

    st = months(state_at("peserta"), True, 1, 1)
    hadir = {"periode": "2026-02", "hadir": {"09": 1}}
    unknown = _kpm_refusal(st, "verifikasi_komitmen", hadir)
    assert (unknown.id, unknown.en) == ("anggota 09 tidak ada", "no member 09")
    removed = _kpm_refusal(state_at("peserta"), "pemutakhiran", {"hapus": {"08": "menikah"}})
    assert removed.id == "anggota 08 tidak ada"
    child = {k: v for k, v in CHILD.items() if k not in ("nama_ibu_kandung", "tempat_lahir")}
    gaps = _kpm_refusal(state_at("eligible", anggota={**MEMBERS, "03": child}), "tetapkan")
    assert gaps.id == "data KYC belum lengkap (anggota 03: tempat lahir, nama ibu kandung)"
    assert gaps.en == "KYC incomplete (member 03: place of birth, mother's maiden name)"


def test_a_kpm_correction_that_is_not_approved_is_told_in_indonesian() -> None:
    from tests.unit.test_kpm_workflow import COMMANDS, state_at

    other = {"type": "pembayaran", "level": "kabupaten", "household": "KPM-2026-000009"}
    reason = _kpm_refusal(state_at("peserta"), "koreksi", COMMANDS["koreksi"][1], pengaduan=other)
    assert reason.id == (
        "koreksi tidak sah: jenis pengaduan pembayaran bukan data_peserta/komitmen; "
        "pengaduan tidak berada di tingkat pusat; "
        "pengaduan ini mengenai rumah tangga KPM-2026-000009"
    )
    unknown = _kpm_refusal(state_at("peserta"), "koreksi", COMMANDS["koreksi"][1], pengaduan={})
    assert unknown.id == "koreksi tidak sah: pengaduan tidak dikenal"
    assert unknown.en == "not approvable: unknown complaint"


# ------------------------------------------------------------------------- audit problems
def _problem_kinds() -> set[str]:
    """Every kind of problem audit verify can report: the third argument of each Problem(...)
    of the verifier's modules (either branch of a conditional), and `_unreadable`'s first."""
    kinds: set[str] = set()

    def strings(node: ast.AST) -> set[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return {node.value}
        if isinstance(node, ast.IfExp):
            return strings(node.body) | strings(node.orelse)
        return set()

    for module in ("engine.audit", "engine.store.audit_runner"):
        for call in _calls(module, {"Problem", "_unreadable"}):
            name = getattr(call.func, "id", None) or getattr(call.func, "attr", None)
            args = call.args[2:3] if name == "Problem" else call.args[:1]
            args += [k.value for k in call.keywords if k.arg == "kind"]
            for arg in args:
                kinds |= strings(arg)
    return kinds


def test_every_problem_audit_verify_can_report_has_a_label_in_both_languages() -> None:
    kinds = _problem_kinds()
    assert {"projection_mismatch", "hash_mismatch", "checkpoint_missing"} <= kinds
    assert sorted(kinds - set(LABELS["problem"])) == []
    for kind in kinds:
        indonesian, english = (label("problem", kind, lang) for lang in ("id", "en"))
        assert indonesian != english and kind not in (indonesian, english), kind


def test_the_roles_a_page_needs_are_named_as_each_language_lists_them() -> None:
    from api.i18n import roles_text

    roles = ("auditor", "pusat", "admin")
    assert roles_text(roles, "id") == "Auditor, UPPKH Pusat, atau Admin"
    assert roles_text(roles, "en") == "Auditor, UPPKH national or Admin"
    assert roles_text(("pusat", "admin"), "id") == "UPPKH Pusat atau Admin"


# ---------------------------------------------------------------- staff cases' codes, named
def test_every_code_a_staff_case_records_has_a_label_in_both_languages() -> None:
    """The KKN authority, the discipline reasons, the verdict and a sanction's issuer and
    sanction: the case page's selects offer them and its timeline and the audit page show them
    by these labels, never as the code ('after sp3', 'not guilty', 'kabupaten')."""
    from workflows import discipline as D
    from workflows import kkn as K

    reasons = (*D.ORAL_REASONS, *D.SP2_REASONS, *D.SP3_REASONS, *D.TERMINATION_REASONS)
    kinds = {
        "referred_to": K.AUTHORITIES,
        "reason": reasons,
        "verdict": ("guilty", "not_guilty"),
        "outcome": ("guilty", "not_guilty"),
        "issuer": ("kabupaten", "pusat"),
        "sanction": tuple(D.SANCTION_LABELS),
    }
    for kind, codes in kinds.items():
        for code in codes:
            assert code in LABELS[kind], (kind, code)
            indonesian, english = (label(kind, code, lang) for lang in ("id", "en"))
            assert code.replace("_", " ") not in (indonesian, english), (kind, code)
            assert indonesian.strip() and english.strip(), (kind, code)
    assert label("referred_to", "kejaksaan", "id") == "Kejaksaan Republik Indonesia"
    assert label("reason", "late", "id") == "Tidak tertib/terlambat masuk kerja"
    assert label("reason", "late", "en") == "Not orderly or late for work"
    assert label("verdict", "not_guilty", "id") == "Tidak bersalah"
    # a complaint's referral keeps its side bodies' names under the same key
    assert label("referred_to", "pt_pos", "id") == label("body", "pt_pos", "id")


def test_a_refused_value_is_repeated_cut_to_forty_characters() -> None:
    from engine.errors import echoed
    from workflows.discipline import _reason
    from workflows.kkn import parse_guilty

    assert echoed("kpk") == "'kpk'" and echoed("x" * 40) == f"'{'x' * 40}'"
    assert echoed("x" * 5_000) == f"'{'x' * 40}…'"
    for parse, key in ((parse_guilty, "referred_to"), (_reason(("late",)), "reason")):
        with pytest.raises(InvalidInput) as refused:
            parse({key: "Kejaksaan Negeri Bogor " + "x" * 5_000})
        for said in (refused.value.message, refused.value.message_id or ""):
            assert "'kejaksaan negeri bogor xxxxxxxxxxxxxxxxx…'" in said and len(said) < 150


def test_a_refusal_of_the_officers_role_is_said_with_labels_in_each_language() -> None:
    from api.page_views import engine_error
    from engine.errors import NotPermitted

    e = NotPermitted(
        "role 'kabupaten' may not 'find_guilty' in state 'suspended' (allowed roles: pusat)",
        role="kabupaten",
        event="find_guilty",
        workflow="kkn",
        allowed=("pusat",),
    )
    assert engine_error(e, "id") == (
        403,
        {
            "message": "Peran UPPKH Kab/Kota tidak dapat melakukan langkah “Nyatakan bersalah” "
            "pada kasus ini; langkah ini hanya untuk UPPKH Pusat.",
            "reasons": [],
            "reload": False,
        },
    )
    assert engine_error(e, "en")[1]["message"] == (
        "The role UPPKH district may not take the step “Find guilty” on this case; only "
        "UPPKH national may."
    )
    whole = NotPermitted("x", role="auditor", workflow="discipline", allowed=("kabupaten", "pusat"))
    assert engine_error(whole, "id")[1]["message"] == (
        "Peran Auditor tidak dapat mengubah kasus Disiplin SDM; hanya UPPKH Kab/Kota atau "
        "UPPKH Pusat."
    )
    plain = NotPermitted("this needs the role pusat")  # a door's own words: as they are
    assert engine_error(plain, "id")[1]["message"] == "this needs the role pusat"


def test_one_working_day_left_or_overdue_is_singular_in_english() -> None:
    """The worklist and case page in English said "1 working days left"."""
    from api.i18n import text

    assert text("wd_left", "en", n=1) == "1 working day left"
    assert text("wd_over", "en", n=1) == "1 working day overdue"
    assert text("wd_left", "en", n=2) == "2 working days left"
    assert text("wd_over", "en", n=3) == "3 working days overdue"
    assert text("wd_left", "id", n=1) == "1 hari kerja lagi"


# ------------------------------------------------------------- a case's recorded values
def _attrs_keys_written() -> set[str]:
    """Every key a workflow's effect writes into a case's attrs, read from the source: the
    string keys of a dict given as `attrs=`, assigned to or merged into a name `attrs`, and
    `attrs["key"] = ...`."""
    keys: set[str] = set()

    def dict_keys(node: ast.AST) -> set[str]:
        if not isinstance(node, ast.Dict):
            return set()
        return {k.value for k in node.keys if isinstance(k, ast.Constant) and type(k.value) is str}

    for path in Path("workflows").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.keyword) and node.arg == "attrs":
                keys |= dict_keys(node.value)
            elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets:
                    if isinstance(t, ast.Name) and t.id == "attrs" and node.value is not None:
                        keys |= dict_keys(node.value)
                    if (
                        isinstance(t, ast.Subscript)
                        and isinstance(t.value, ast.Name)
                        and t.value.id == "attrs"
                        and isinstance(t.slice, ast.Constant)
                    ):
                        keys.add(t.slice.value)
    return keys


def test_every_value_a_workflow_records_in_a_case_is_named_on_the_audit_page() -> None:
    """The auditor's table of what changed since a moment names each recorded value: none as
    its attrs key ('linked reporters', 'alasan keluar', 'counted from'); the deadlines'
    bookkeeping is left out of it (the deadlines it gives are listed)."""
    from api.i18n import attr_label
    from api.page_views import AUDIT_UNLISTED

    written = _attrs_keys_written()
    assert {"escalations", "alasan_keluar", "referral_months", "validasi_hasil"} <= written
    for lang in ("id", "en"):
        raw = sorted(
            k for k in written - AUDIT_UNLISTED if attr_label(k, lang) == k.replace("_", " ")
        )
        assert raw == [], (lang, raw)


def test_an_unknown_master_code_is_refused_with_the_list_in_each_language() -> None:
    """The English of "kode 3 tidak dikenal; pilihan: 1 LAKI-LAKI, 2 PEREMPUAN" listed the
    Indonesian master names; it names them in English, each with its code."""
    from workflows import kpm_codes as C

    for field, table in (
        ("jenis_kelamin", C.JENIS_KELAMIN),
        ("hubungan_keluarga", C.HUBUNGAN),
        ("komponen", C.KOMPONEN),
        ("jenjang_sekolah", C.JENJANG_SEKOLAH),
    ):
        with pytest.raises(InvalidInput) as err:
            C.code(99, field, table)
        english, indonesian = err.value.message, err.value.message_id or ""
        for k, name in table.items():
            assert f"{k} {name}" in indonesian
            assert f"{k} {C.CODE_NAMES_EN[field][k]}" in english
        assert _english_in(indonesian) == [], indonesian
    with pytest.raises(InvalidInput) as err:
        C.code(3, "jenis_kelamin", C.JENIS_KELAMIN)
    assert err.value.message == "unknown code '3'; expected one of: 1 Male, 2 Female"


def test_a_household_found_not_eligible_is_named_as_the_validation_choice_says() -> None:
    """The closing form said "menjadi Tidak eligible" beside the choice "Tidak memenuhi syarat
    (non eligible)" (helper-73's walkthrough): the state is named in the choice's words."""
    from workflows import kpm
    from workflows.kpm_parse import VALIDATION_LABELS

    (state,) = [s for s in kpm.definition().states if s.name == "non_eligible"]
    choice_id, choice_en = VALIDATION_LABELS["non_eligible"]
    assert choice_id.lower().startswith(state.label_id)
    assert choice_en.lower() == state.label_en


@pytest.mark.parametrize(
    ("role", "region"),
    [
        ("camat", None),
        ("kabupaten", None),
        ("pusat", "3271"),
        ("kabupaten", "9999"),
        ("kabupaten", "32x"),
        ("kabupaten", "32"),
    ],
)
def test_a_bad_role_or_region_of_an_account_is_said_in_each_language_once(
    role: str, region: str | None
) -> None:
    """An unknown region code was refused with the region list's two-language line as the
    English message and no Indonesian one."""
    from workflows.roles import check_role_region

    with pytest.raises(InvalidInput) as refused:
        check_role_region(role, region)
    e = refused.value
    assert e.message_id and " / " not in e.message and " / " not in e.message_id, e
    assert _english_in(e.message_id) == [], e.message_id
    assert _numbers(e.message_id) == _numbers(e.message), (e.message_id, e.message)


def test_a_password_too_short_is_said_in_indonesian() -> None:
    from api.admin import hash_password

    with pytest.raises(InvalidInput) as refused:
        hash_password("pendek")
    assert refused.value.message_id == "minimal 8 karakter"


def test_a_deadline_outside_the_working_calendar_is_refused_with_its_indonesian_alone() -> None:
    """The deadline's refusal (GET /calendar/deadline) gave no message_id; the calendar's own
    message holds both languages, its message_id now the Indonesian alone."""
    from types import SimpleNamespace

    from api.routes_admin import deadline
    from engine.calendar import WorkingCalendar

    app = SimpleNamespace(service=SimpleNamespace(calendar=lambda: WorkingCalendar([])))
    with pytest.raises(InvalidInput) as refused:
        deadline(app, None, "2040-12-20", 1000)  # type: ignore[arg-type]
    e = refused.value
    assert e.field == "start" and "outside the working calendar" in e.message, e
    said = "di luar rentang kalender kerja 2004-01-01..2040-12-31: 1000 hari kerja dari 2040-12-20"
    assert e.message_id == said, e
