"""The code parsers: ethnicity, citizen ID number, division code, credit code."""

from __future__ import annotations

import datetime
import re
import warnings
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import shiliu

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"


def check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of GB 11643-1999, computed independently."""
    return CHECK[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def test_check_char_reference() -> None:
    assert check_char("11010519491231002") == "X"


def test_version() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", shiliu.__version__)
    assert shiliu.__version__ == shiliu._native.__version__
    assert isinstance(shiliu.FORMAT_VERSION, int) and shiliu.FORMAT_VERSION >= 1


# -- ethnicity -------------------------------------------------------------------------


@pytest.mark.parametrize("notation", ["回族", "回", "03", "3", "Hui", "hui", "HU", "０３", " 回族 ", "\u3000回族"])
def test_ethnicity_notations_of_hui(notation: str) -> None:
    e = shiliu.ethnicity(notation)
    assert (e.code, e.name, e.roman, e.alpha2) == ("03", "回族", "Hui", "HU")
    assert e.is_minority is True
    assert e.is_standard is True
    assert e.warnings == []
    assert e == shiliu.ethnicity("03")
    assert hash(e) == hash(shiliu.ethnicity("03"))


def test_han_is_not_a_minority() -> None:
    han = shiliu.ethnicity("汉族")
    assert (han.code, han.is_minority) == ("01", False)


@pytest.mark.parametrize(("notation", "name"), [("Korean", "朝鲜族"), ("Tibetan", "藏族")])
def test_english_names(notation: str, name: str) -> None:
    assert shiliu.ethnicity(notation).name == name


def test_legacy_name_warns_as_data_not_as_python_warning() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        e = shiliu.ethnicity("崩龙族")
    assert caught == []
    assert (e.code, e.name) == ("46", "德昂族")
    assert [w.code for w in e.warnings] == ["ethnicity.legacy_name"]
    w = e.warnings[0]
    assert isinstance(w, shiliu.Warning) and not isinstance(w, Warning)
    assert w.message and "ethnicity.legacy_name" in repr(w)


def test_practice_code() -> None:
    e = shiliu.ethnicity("57")
    assert e.code == "97"
    assert e.is_standard is False
    assert [w.code for w in e.warnings] == ["ethnicity.practice_code"]


def test_unknown_ethnicity() -> None:
    with pytest.raises(shiliu.InvalidEthnicity) as info:
        shiliu.ethnicity("火星族")
    err = info.value
    assert isinstance(err, shiliu.ValidationError)
    assert isinstance(err, ValueError)
    assert isinstance(err, shiliu.ShiliuError)
    assert err.code == 1001
    assert err.kind == "validation"


def test_ethnicities_in_code_order() -> None:
    groups = shiliu.ethnicities()
    assert [e.code for e in groups] == [f"{i:02d}" for i in range(1, 57)]
    assert len({e.name for e in groups}) == 56
    assert all(e.is_standard for e in groups)
    assert [e.is_minority for e in groups].count(False) == 1


# -- citizen ID numbers ---------------------------------------------------------------


def test_id_number() -> None:
    n = shiliu.parse_id_number("11010519491231002X")
    assert n.number == "11010519491231002X"
    assert n.region == "110105"
    assert n.birth_date == datetime.date(1949, 12, 31)
    assert n.sex == "female"
    assert n.upgraded is False
    assert n.warnings == []
    assert n.masked == "110105********002X"


def test_id_number_15_digits_upgrade() -> None:
    n = shiliu.parse_id_number("110105491231002")
    assert n.upgraded is True
    assert n.number == "11010519491231002X"
    assert len(n.number) == 18
    assert [w.code for w in n.warnings] == ["id_number.upgraded"]


@pytest.mark.parametrize("notation", ["11010519491231002x", "１１０１０５１９４９１２３１００２Ｘ", " 110105 19491231 002X "])
def test_id_number_normalises(notation: str) -> None:
    assert shiliu.parse_id_number(notation).number == "11010519491231002X"


def test_id_number_bad_check_character_is_not_echoed() -> None:
    with pytest.raises(shiliu.InvalidIdNumber) as info:
        shiliu.parse_id_number("110105194912310021")
    err = info.value
    assert isinstance(err, ValueError) and isinstance(err, shiliu.ValidationError)
    assert err.code == 1002
    assert "110105194912310021" not in str(err)
    assert "should be X" in str(err)


def test_id_number_birth_date_in_future() -> None:
    number = "11010520100101" + "001"
    number += check_char(number)
    assert shiliu.parse_id_number(number, today=datetime.date(2024, 12, 31)).birth_date.year == 2010
    with pytest.raises(shiliu.InvalidIdNumber) as info:
        shiliu.parse_id_number(number, today=datetime.date(2000, 1, 1))
    assert "future" in str(info.value)


def test_id_number_repr_is_masked() -> None:
    n = shiliu.parse_id_number("11010519491231002X")
    assert "11010519491231002X" not in repr(n)
    assert "110105" in repr(n)


# -- division and credit codes --------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "code", "level", "level_zh", "parent"),
    [
        ("320000", "320000", "province", "省级", None),
        # A 6-digit code ending in 00 is a prefecture-level city (地级).
        ("320500", "320500", "prefecture", "地级", "320000"),
        ("320508", "320508", "county", "县级", "320500"),
        ("320508021", "320508021", "street", "街道", "320508"),
        ("320508021017", "320508021017", "residents_committee", "居委会", "320508021"),
        # Zero-padded statistical codes shorten to their level.
        ("320508021000", "320508021", "street", "街道", "320508"),
        ("320508000000", "320508", "county", "县级", "320500"),
        ("３２０５０８", "320508", "county", "县级", "320500"),
    ],
)
def test_division_codes(given: str, code: str, level: str, level_zh: str, parent: str | None) -> None:
    d = shiliu.parse_division_code(given)
    assert (d.code, d.level, d.level_zh, d.parent) == (code, level, level_zh, parent)
    assert d.warnings == []


@pytest.mark.parametrize("code", ["99", "990000", "320008", "32050800"])
def test_bad_division_codes(code: str) -> None:
    with pytest.raises(shiliu.ValidationError) as info:
        shiliu.parse_division_code(code)
    assert info.value.code == 1003


def test_credit_code() -> None:
    c = shiliu.parse_credit_code("91110000600037341L")
    assert (c.code, c.check_ok, c.warnings) == ("91110000600037341L", True, [])


def test_credit_code_wrong_check() -> None:
    with pytest.raises(shiliu.ValidationError) as info:
        shiliu.parse_credit_code("91110000600037341M")
    assert info.value.code == 1004
    assert "should be L" in str(info.value)


def test_credit_code_allowed() -> None:
    c = shiliu.parse_credit_code("91110000600037341M", allow=["91110000600037341M"])
    assert c.code == "91110000600037341M"
    assert c.check_ok is False
    assert [w.code for w in c.warnings] == ["credit_code.check_failed_allowed"]


# -- properties ------------------------------------------------------------------------

PARSERS: list[Callable[[str], object]] = [
    shiliu.ethnicity,
    shiliu.parse_id_number,
    shiliu.parse_division_code,
    shiliu.parse_credit_code,
]


@pytest.mark.parametrize("parse", PARSERS)
@settings(max_examples=300, deadline=None)
@given(text=st.text())
def test_parsers_only_raise_shiliu_errors(parse: Callable[[str], object], text: str) -> None:
    try:
        parse(text)
    except shiliu.ShiliuError as e:
        assert isinstance(e.code, int) and 1000 < e.code < 2000
        assert e.kind == "validation"


@st.composite
def id_numbers(draw: st.DrawFn) -> tuple[str, datetime.date]:
    region = draw(st.from_regex(r"[1-8][0-9]{5}", fullmatch=True))
    born = draw(st.dates(datetime.date(1800, 1, 1), datetime.date(2024, 12, 31)))
    seq = draw(st.integers(0, 999))
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    return first17 + check_char(first17), born


@settings(max_examples=300, deadline=None)
@given(generated=id_numbers())
def test_valid_id_numbers_round_trip(generated: tuple[str, datetime.date]) -> None:
    number, born = generated
    n = shiliu.parse_id_number(number, today=datetime.date(2024, 12, 31))
    assert n.number == number
    assert n.region == number[:6]
    assert n.birth_date == born
    assert n.sex == ("male" if int(number[16]) % 2 else "female")
    assert n.upgraded is False and n.warnings == []
    assert n.masked == number[:6] + "*" * 8 + number[-4:]
    assert shiliu.parse_id_number(number.lower(), today=datetime.date(2024, 12, 31)).number == number
    if number[-1] != "X":
        wrong = number[:17] + str((int(number[-1]) + 1) % 10)
        with pytest.raises(shiliu.InvalidIdNumber):
            shiliu.parse_id_number(wrong, today=datetime.date(2024, 12, 31))
