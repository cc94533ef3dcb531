"""The unified social credit code (统一社会信用代码, GB 32100-2015).

18 characters from the alphabet 0-9 and A-Y without I, O, S, V, Z: the registration authority and
organisation category (characters 1-2), the registering division code (3-8, digits), the
organisation code (9-17) and a check character (18) computed by ``stdnum.cn.uscc``.
"""

import unicodedata
from operator import mul

from django.utils.translation import gettext as _
from stdnum.cn import uscc as uscc_std

_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
ALPHABET = frozenset(_CHARS)
_VALUE = {char: value for value, char in enumerate(_CHARS)}
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_PLAIN = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def normalise_uscc(value) -> str:
    """Upper case, full-width characters folded, spaces and hyphens removed."""
    return uscc_std.compact(unicodedata.normalize("NFKC", str(value or "")))


def check_character(body: str) -> str:
    """The check character of a normalised 17-character body: ``stdnum.cn.uscc.calc_check_digit`` without
    its re-normalisation of the input (imports check 50,000 codes; the tests compare the two)."""
    return _CHARS[(31 - sum(map(mul, map(_VALUE.__getitem__, body), _WEIGHTS))) % 31]


def fast_normalise_uscc(value: str) -> str:
    """``normalise_uscc`` with a shortcut for the common case (18 plain ASCII letters and digits), for imports."""
    if len(value) == 18 and _PLAIN.issuperset(value):
        return value.upper()
    return normalise_uscc(value)


def uscc_error(code: str) -> str | None:
    """None for a valid (normalised) code, else a message for the user that names the code."""
    if not code:
        return _("The USCC is required.")
    if len(code) != 18:
        return _("USCC %(code)s must have 18 characters, not %(count)s.") % {"code": code, "count": len(code)}
    if not ALPHABET.issuperset(code):
        return _(
            "USCC %(code)s contains characters a USCC never has (only digits and capital letters other than "
            "I, O, S, V and Z)."
        ) % {"code": code}
    if not code[2:8].isdigit():
        return _("USCC %(code)s: characters 3 to 8 must be the digits of a division code.") % {"code": code}
    if check_character(code[:17]) != code[17]:
        return _("USCC %(code)s has a wrong check character.") % {"code": code}
    return None


def is_valid_uscc(value) -> bool:
    return uscc_error(normalise_uscc(value)) is None
