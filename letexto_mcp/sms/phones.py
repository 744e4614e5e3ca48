"""Phone numbers as people type them, turned into the form LeTexto wants.

LeTexto takes the country code followed by the national number, no '+', and for Côte d'Ivoire
the national number keeps its leading 0 (10 digits since 2021-01-31): `07 07 12 34 56` ->
`2250707123456`. The common Ivorian forms take a fast path (plain string operations, well
under a microsecond); anything else goes through `phonenumbers`, imported lazily because
its import is slow. Nothing ambiguous is guessed: an input that could belong to two countries,
or an old 8-digit Ivorian number, is rejected with a reason that says what to write instead.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import phonenumbers

__all__ = ["InvalidPhoneNumber", "PhoneKind", "PhoneNumber", "fast_vendor_digits", "normalize_phone"]

PhoneKind = Literal["mobile", "landline", "unknown"]

MAX_INPUT_LENGTH = 64
CI_COUNTRY_CODE = 225

_EXPECTED_CI = (
    "write an Ivorian number as its 10 digits (e.g. 07 07 12 34 56) or +225 followed by them "
    "(+225 07 07 12 34 56), and a foreign number with + and its country code (e.g. +33 6 12 34 56 78)"
)
_OLD_CI = (
    "since 2021 Ivorian numbers have 10 digits: add the operator prefix, e.g. 07… (Orange), "
    "05… (MTN) or 01… (Moov), as in 07 07 12 34 56"
)

# Invisible characters that only change how a number renders: dropped.
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u061c\u00ad\u180e")
# Direction overrides and isolates reorder what the reader sees: refused, never dropped.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_SEPARATORS = frozenset(" -./()")


class InvalidPhoneNumber(ValueError):
    """A phone number that cannot be turned into the vendor's form; `.reason` says why and what to write."""

    def __init__(self, raw: object, reason: str) -> None:
        text = raw if isinstance(raw, str) else repr(raw)
        self.raw: str = text if len(text) <= 40 else text[:39] + "…"
        self.reason: str = reason
        super().__init__(f"invalid phone number {self.raw!r}: {reason}")


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    """A number in the vendor's form (`digits`) with what we learnt about it on the way."""

    digits: str
    country_code: int
    national: str
    region: str | None
    kind: PhoneKind
    warnings: tuple[str, ...] = ()


def normalize_phone(raw: str, default_region: str = "CI") -> PhoneNumber:
    """Turn what someone typed into the vendor's form, or raise `InvalidPhoneNumber` saying why.

    National numbers (no '+' or '00') are read in `default_region`; for Côte d'Ivoire the rules
    are the 2021 10-digit plan, and a national number with a non-Ivorian prefix is refused
    rather than assigned to some other country.
    """
    if not isinstance(raw, str):
        raise InvalidPhoneNumber(raw, f"a phone number must be text, not {type(raw).__name__}")
    if len(raw) > MAX_INPUT_LENGTH:
        raise InvalidPhoneNumber(
            raw, f"this is {len(raw)} characters long, far too long for a phone number; {_EXPECTED_CI}"
        )
    region = default_region.upper()
    fast = _fast_national(raw)
    if fast is not None and (fast[1] or region == "CI"):
        return _ci_number(fast[0])
    return _slow_path(raw, region)


def fast_vendor_digits(raw: str, default_region: str = "CI") -> str | None:
    """The vendor digits of an Ivorian mobile typed in a common form, or None (use `normalize_phone`).

    For bulk paths (campaign contacts): skips building a `PhoneNumber`. Landlines return None
    so that the caller goes through `normalize_phone` and sees their warning.
    """
    if len(raw) > MAX_INPUT_LENGTH:
        return None
    fast = _fast_national(raw)
    if fast is None or fast[0][0] != "0":
        return None
    if not fast[1] and default_region.upper() != "CI":
        return None
    return "225" + fast[0]


def _fast_national(raw: str) -> tuple[str, bool] | None:
    """The usual Ivorian forms by plain string operations; None means "take the slow path".

    Returns the 10-digit national number (mobile 01/05/07 or landline 21/25/27) and whether
    it was written in international form (+225, 00225 or 225 in front).
    """
    compact = raw if raw.isdigit() else raw.replace(" ", "").replace("-", "").replace(".", "")
    if "(" in compact:
        compact = compact.replace("(", "").replace(")", "")
    size = len(compact)
    if size == 10:
        national, international = compact, False
    elif size == 13 and compact.startswith("225"):
        national, international = compact[3:], True
    elif size == 14 and compact.startswith("+225"):
        national, international = compact[4:], True
    elif size == 15 and compact.startswith("00225"):
        national, international = compact[5:], True
    else:
        return None
    if national[0] in "02" and national[1] in "157" and national.isdigit() and national.isascii():
        return national, international
    return None


def _ci_number(national: str) -> PhoneNumber:
    """A 10-digit Ivorian national number already known to carry a mobile or landline prefix."""
    if national[0] == "0":
        return PhoneNumber("225" + national, CI_COUNTRY_CODE, national, "CI", "mobile")
    warning = (
        f"{national} is an Ivorian landline (prefix {national[:2]}); landlines usually cannot receive SMS"
    )
    return PhoneNumber("225" + national, CI_COUNTRY_CODE, national, "CI", "landline", (warning,))


def _clean(raw: str) -> str:
    """Unicode digits to ASCII, odd spaces and dashes to plain ones, invisible marks dropped."""
    text = unicodedata.normalize("NFKC", raw.strip())
    out: list[str] = []
    for ch in text:
        if "0" <= ch <= "9" or ch in _SEPARATORS or ch == "+":
            out.append(ch)
        elif ch in _INVISIBLE:
            continue
        elif ch in _BIDI_CONTROLS:
            raise InvalidPhoneNumber(
                raw,
                "it contains invisible text-direction controls that change the order the digits are "
                "shown in; retype the number",
            )
        elif ch == "\t" or unicodedata.category(ch) == "Zs":
            out.append(" ")
        elif unicodedata.category(ch) == "Pd" or ch == "\u2212":
            out.append("-")
        elif ch.isdecimal():
            out.append(str(unicodedata.decimal(ch)))
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            raise InvalidPhoneNumber(
                raw,
                f"it contains a control or non-printing character (U+{ord(ch):04X}); "
                "send one phone number per value, digits only",
            )
        elif ch.isalpha():
            raise InvalidPhoneNumber(raw, f"it contains letters ({ch!r}); a phone number has only digits")
        else:
            raise InvalidPhoneNumber(
                raw,
                f"it contains {ch!r}, which is not part of a phone number; only digits, spaces, "
                "dashes, dots, brackets and a leading + are accepted",
            )
    return "".join(out)


def _slow_path(raw: str, region: str) -> PhoneNumber:
    cleaned = _clean(raw)
    compact = "".join(ch for ch in cleaned if ch not in _SEPARATORS)
    if not compact.strip("+"):
        reason = "it is empty" if not compact else "it has no digits"
        raise InvalidPhoneNumber(raw, f"{reason}; {_EXPECTED_CI}")
    if "+" in compact[1:]:
        raise InvalidPhoneNumber(raw, f"'+' may only appear once, at the start; {_EXPECTED_CI}")
    fast = _fast_national(compact)
    if fast is not None and (fast[1] or region == "CI"):
        return _ci_number(fast[0])
    if compact[0] == "+":
        return _international(raw, compact[1:])
    if region == "CI":
        if compact.startswith("00"):
            return _international(raw, compact[2:])
        return _ci_national(raw, compact)
    return _foreign_national(raw, cleaned, region)


def _ci_check(raw: str, rest: str) -> PhoneNumber:
    """What follows 225: the fast path missed it, so say what is wrong with it."""
    if len(rest) == 8:
        raise InvalidPhoneNumber(raw, f"+225 followed by 8 digits is an old Ivorian number; {_OLD_CI}")
    if len(rest) == 9 and rest[0] in "157":
        raise InvalidPhoneNumber(
            raw,
            f"Ivorian numbers keep their leading 0 after 225: did you mean +225 0{rest}? "
            "(the national number has 10 digits)",
        )
    if len(rest) != 10:
        raise InvalidPhoneNumber(
            raw, f"an Ivorian number is +225 followed by 10 digits, this one has {len(rest)} after 225"
        )
    raise InvalidPhoneNumber(
        raw,
        f"{rest[:2]} is not an Ivorian prefix: mobiles start with 01 (Moov), 05 (MTN) or 07 (Orange), "
        "landlines with 21, 25 or 27",
    )


def _ci_national(raw: str, digits: str) -> PhoneNumber:
    """A number without '+' or '00' read under the Ivorian plan (the fast path did not take it)."""
    if len(digits) == 8:
        raise InvalidPhoneNumber(raw, f"this is an old 8-digit number; {_OLD_CI}")
    if digits.startswith("225") and len(digits) in (11, 12, 13):
        return _ci_check(raw, digits[3:])
    if len(digits) == 9 and digits[0] in "157":
        raise InvalidPhoneNumber(
            raw, f"Ivorian numbers start with 0 and have 10 digits: did you mean 0{digits}?"
        )
    if len(digits) == 10:
        raise InvalidPhoneNumber(
            raw,
            f"{digits[:2]} is not an Ivorian prefix (mobiles 01, 05, 07; landlines 21, 25, 27); if this "
            "is a foreign number, write it in international form with + and the country code, "
            "e.g. +33 6 12 34 56 78",
        )
    suggestion = _as_international(digits)
    if suggestion is not None:
        raise InvalidPhoneNumber(
            raw,
            f"this looks like an international number without its '+'; if you mean {suggestion}, write "
            "it with the + so that the country is explicit",
        )
    size = "too short" if len(digits) < 10 else "too long"
    raise InvalidPhoneNumber(raw, f"{len(digits)} digits is {size} for an Ivorian number; {_EXPECTED_CI}")


def _as_international(digits: str) -> str | None:
    """'+digits' if that is a valid number somewhere: a hint, never silently used."""
    import phonenumbers

    try:
        parsed = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _international(raw: str, digits: str) -> PhoneNumber:
    if digits.startswith("225"):
        return _ci_check(raw, digits[3:])
    if len(digits) < 4:
        raise InvalidPhoneNumber(raw, f"too short for an international number; {_EXPECTED_CI}")
    if len(digits) > 15:
        raise InvalidPhoneNumber(
            raw, f"{len(digits)} digits is too long: an international number has at most 15 digits"
        )
    import phonenumbers

    try:
        parsed = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        raise InvalidPhoneNumber(
            raw, f"+{digits[:3]}… does not start with a known country code; {_EXPECTED_CI}"
        ) from None
    return _from_parsed(raw, parsed)


def _foreign_national(raw: str, cleaned: str, region: str) -> PhoneNumber:
    """A national number when the default region is not Côte d'Ivoire: read by phonenumbers."""
    import phonenumbers

    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"unknown default region {region!r}: use a two-letter country code such as CI or FR")
    try:
        parsed = phonenumbers.parse(cleaned, region)
    except phonenumbers.NumberParseException:
        raise InvalidPhoneNumber(
            raw, f"not a phone number of region {region}; write it with + and the country code"
        ) from None
    if parsed.country_code == CI_COUNTRY_CODE:
        digits = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)[1:]
        fast = _fast_national(digits)
        if fast is not None:
            return _ci_number(fast[0])
        return _ci_check(raw, digits[3:])
    return _from_parsed(raw, parsed)


_KIND_NAMES = {
    "TOLL_FREE": "a toll-free",
    "PREMIUM_RATE": "a premium-rate",
    "SHARED_COST": "a shared-cost",
    "UAN": "a universal access",
    "VOICEMAIL": "a voicemail",
    "PAGER": "a pager",
}


def _from_parsed(raw: str, parsed: phonenumbers.PhoneNumber) -> PhoneNumber:
    """Check a phonenumbers result for validity and describe it."""
    import phonenumbers

    region = phonenumbers.region_code_for_number(parsed)
    if not phonenumbers.is_valid_number(parsed):
        where = f"{region} (+{parsed.country_code})" if region else f"country code +{parsed.country_code}"
        possible = phonenumbers.is_possible_number_with_reason(parsed)
        detail = {
            phonenumbers.ValidationResult.TOO_SHORT: "it is too short",
            phonenumbers.ValidationResult.TOO_LONG: "it is too long",
            phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: "the country code is unknown",
        }.get(possible, "no number of that country has this form")
        raise InvalidPhoneNumber(raw, f"not a valid number for {where}: {detail}; check the digits")
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    national = phonenumbers.national_significant_number(parsed)
    number_type = phonenumbers.number_type(parsed)
    type_name = phonenumbers.PhoneNumberType.to_string(number_type)
    kind: PhoneKind = "unknown"
    warnings: tuple[str, ...] = ()
    if type_name == "MOBILE":
        kind = "mobile"
    elif type_name == "FIXED_LINE":
        kind = "landline"
        warnings = (f"{e164} is a landline; landlines usually cannot receive SMS",)
    elif type_name in _KIND_NAMES:
        warnings = (f"{e164} is {_KIND_NAMES[type_name]} number; it usually cannot receive SMS",)
    country_code = parsed.country_code
    if country_code is None:  # the stubs allow it, but a number that passed is_valid_number has one
        raise InvalidPhoneNumber(raw, "no country code; write it with + and the country code")
    return PhoneNumber(e164[1:], country_code, national, region, kind, warnings)
