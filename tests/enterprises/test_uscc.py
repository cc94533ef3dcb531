"""The USCC (GB 32100-2015): normalisation and the check character."""

import random

import pytest
from django.utils import translation
from stdnum.cn import uscc as uscc_std

from core.errors import DomainError
from enterprises.services import validate_uscc
from enterprises.uscc import check_character, fast_normalise_uscc, is_valid_uscc, normalise_uscc, uscc_error
from tests.factories import valid_uscc

WRONG = "91411081380244962D"  # the right check character is C


def test_uscc_valid_code_passes():
    code = valid_uscc(7)
    assert uscc_error(code) is None
    assert validate_uscc(code) == code


def test_uscc_real_world_shape_passes():
    assert validate_uscc("91411081380244962C") == "91411081380244962C"
    assert is_valid_uscc("91110000600037341L")  # python-stdnum's own example


def test_uscc_normalised_to_upper_case_without_separators():
    code = valid_uscc(8)
    assert normalise_uscc(f" {code.lower()[:6]} {code.lower()[6:]}-") == code
    assert validate_uscc(code.lower()) == code


def test_uscc_full_width_characters_are_folded():
    code = valid_uscc(9)
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code)
    assert validate_uscc(full_width) == code


def test_uscc_wrong_check_character_is_named_in_the_error():
    with pytest.raises(DomainError) as exc:
        validate_uscc(WRONG)
    assert str(exc.value) == f"USCC {WRONG} has a wrong check character."


def test_uscc_wrong_check_character_in_chinese():
    with translation.override("zh-hans"):
        assert uscc_error(WRONG) == f"统一社会信用代码 {WRONG} 校验位错误"


def test_uscc_lower_case_wrong_code_is_named_upper_case():
    with pytest.raises(DomainError, match=WRONG):
        validate_uscc(WRONG.lower())


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "The USCC is required."),
        ("9141108138024496", "USCC 9141108138024496 must have 18 characters, not 16."),
        (
            "91411081380244962O",
            "USCC 91411081380244962O contains characters a USCC never has (only digits and capital letters other "
            "than I, O, S, V and Z).",
        ),
        ("9141A081380244962C", "USCC 9141A081380244962C: characters 3 to 8 must be the digits of a division code."),
    ],
)
def test_uscc_malformed_codes_are_refused_with_a_reason(value, message):
    assert uscc_error(normalise_uscc(value)) == message


def test_uscc_registration_authority_letters_are_accepted():
    """GB 32100 allows letters in positions 1-2 (e.g. Y1 = other registration authorities)."""
    body = "Y1411003MA44B7QX2"
    assert validate_uscc(body + uscc_std.calc_check_digit(body)) == body + uscc_std.calc_check_digit(body)


def test_uscc_check_character_agrees_with_stdnum():
    rng = random.Random(32100)
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    for _ in range(5000):
        body = "".join(rng.choice(chars) for _ in range(17))
        assert check_character(body) == uscc_std.calc_check_digit(body)


def test_uscc_letter_in_the_third_position_is_refused_as_not_a_division_code():
    """Characters 3 to 8 (from the third, index 2) are the division code: a letter in the third is refused."""
    body = "91A110813802449"  # 15 characters: the body below gets a right check character from stdnum
    code = body + "62" + uscc_std.calc_check_digit(body + "62")
    assert uscc_error(code) == f"USCC {code}: characters 3 to 8 must be the digits of a division code."


def test_uscc_letter_in_the_eighth_position_is_refused_as_not_a_division_code():
    body = "9141108A380244962"
    code = body + uscc_std.calc_check_digit(body)
    assert uscc_error(code) == f"USCC {code}: characters 3 to 8 must be the digits of a division code."


def test_uscc_fast_path_returns_plain_codes_upper_case():
    assert fast_normalise_uscc("91411081380244962c") == "91411081380244962C"


def test_uscc_fast_path_folds_an_18_character_full_width_code():
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in "91411081380244962C")
    assert len(full_width) == 18
    assert fast_normalise_uscc(full_width) == "91411081380244962C"
    assert uscc_error(fast_normalise_uscc(full_width)) is None


def test_uscc_fast_path_removes_separators_of_a_code_of_another_length():
    assert fast_normalise_uscc(" 914110813802-44962c ") == "91411081380244962C"


def test_uscc_fast_path_folds_a_17_character_full_width_input_too():
    """Not 18 characters, plain ASCII: the slow path still normalises it (a short code, refused later by length)."""
    assert fast_normalise_uscc("９１４１１０８１３８０２４４９６２") == "91411081380244962"
