from collections import Counter

import pytest

from workflows.regions import (
    Region,
    UnknownRegion,
    get_region,
    is_valid_region,
    iter_regions,
    kabupaten_of,
    kecamatan_of,
    normalize_region_code,
    province_of,
    region_name,
)


def test_kota_bogor_is_a_known_kabupaten_kota():
    assert get_region("3271") == Region("3271", "Kota Bogor", 2)
    assert is_valid_region("3271")
    assert region_name("3271") == "Kota Bogor"


def test_a_code_absent_from_the_reference_is_unknown():
    assert not is_valid_region("3299")
    with pytest.raises(UnknownRegion, match="unknown region code: 3299"):
        get_region("3299")


def test_dotted_codes_are_normalized():
    assert normalize_region_code("32.71") == "3271"
    assert normalize_region_code(" 32.71.01 ") == "327101"
    assert get_region("32.71").name == "Kota Bogor"


@pytest.mark.parametrize("code", ["32x", "3", "327", "32710", "", "３２", "32.71.01.20"])
def test_malformed_codes_are_rejected(code):
    with pytest.raises(UnknownRegion, match="malformed"):
        normalize_region_code(code)
    assert not is_valid_region(code)


def test_the_reference_has_the_counts_of_kepmendagri_2025():
    counts = Counter(r.level for r in iter_regions())
    assert counts == {1: 38, 2: 514, 3: 7285, 4: 83762}


def test_every_code_length_matches_its_level():
    lengths = {1: 2, 2: 4, 3: 6, 4: 10}
    assert all(len(r.code) == lengths[r.level] for r in iter_regions())


def test_a_desa_knows_its_kecamatan_kabupaten_and_province():
    desa = next(r.code for r in iter_regions(level=4) if r.code.startswith("327101"))
    assert province_of(desa) == "32"
    assert kabupaten_of(desa) == "3271"
    assert kecamatan_of(desa) == "327101"


def test_a_province_has_no_kabupaten_and_a_kabupaten_no_kecamatan():
    assert kabupaten_of("32") is None
    assert kecamatan_of("32") is None
    assert kecamatan_of("3271") is None
    assert province_of("32.71") == "32"


def test_names_with_commas_survive_csv_quoting():
    assert region_name("1207281007") == "Lubuk Pakam I,II"
