"""Phone numbers: what people type in Côte d'Ivoire and elsewhere, and what must be refused."""

from __future__ import annotations

import pytest

from letexto_mcp.sms.phones import InvalidPhoneNumber, PhoneNumber, fast_vendor_digits, normalize_phone

ORANGE = "2250707123456"


@pytest.mark.parametrize(
    "raw",
    [
        "07 07 12 34 56",
        "0707123456",
        "07-07-12-34-56",
        "07.07.12.34.56",
        "(07) 07 12 34 56",
        "+225 07-07-12-34-56",
        "+225 07 07 12 34 56",
        "+2250707123456",
        "00225 0707123456",
        "002250707123456",
        "2250707123456",
        "225 07 07 12 34 56",
        "(+225) 07 07 12 34 56",
        "  0707123456  ",
        "\t0707123456\n",
        "07 07 12 34 56\r\n",
    ],
)
def test_common_ivorian_forms_give_the_vendor_form(raw: str) -> None:
    number = normalize_phone(raw)
    assert number == PhoneNumber(ORANGE, 225, "0707123456", "CI", "mobile")


@pytest.mark.parametrize(
    ("raw", "digits"),
    [
        ("01 02 03 04 05", "2250102030405"),  # Moov
        ("05 44 55 66 77", "2250544556677"),  # MTN
        ("+225 01 40 00 00 00", "2250140000000"),
    ],
)
def test_every_mobile_operator_keeps_its_leading_zero(raw: str, digits: str) -> None:
    number = normalize_phone(raw)
    assert number.digits == digits
    assert number.national == digits[3:]
    assert number.national.startswith("0")
    assert number.kind == "mobile"
    assert number.warnings == ()


@pytest.mark.parametrize(
    "raw",
    [
        "07\u00a007\u00a012\u00a034\u00a056",  # no-break spaces
        "07\u202f07\u202f12\u202f34\u202f56",  # narrow no-break spaces (French typography)
        "\u200b0707123456\u200b",  # zero-width spaces
        "\ufeff0707123456",  # a byte-order mark pasted along
        "\u200f0707123456",  # right-to-left mark
        "\u200e+225\u200e0707123456",  # left-to-right marks
        "٠٧٠٧١٢٣٤٥٦",  # Arabic-Indic digits
        "۰۷۰۷۱۲۳۴۵۶",  # extended Arabic-Indic digits
        "０７０７１２３４５６",  # full-width digits
        "＋２２５ ０７ ０７ １２ ３４ ５６",  # full-width plus too
        "07–07–12–34–56",  # en dashes
        "07‑07‑12‑34‑56",  # non-breaking hyphens
        "07 07 12 34 56",  # em space
        "07/07/12/34/56",
    ],
)
def test_unicode_digits_spaces_and_invisible_marks_are_normalised(raw: str) -> None:
    assert normalize_phone(raw).digits == ORANGE


@pytest.mark.parametrize(
    ("raw", "digits", "prefix"),
    [
        ("27 21 23 45 67", "2252721234567", "27"),
        ("+225 2520123456", "2252520123456", "25"),
        ("2120123456", "2252120123456", "21"),
    ],
)
def test_ivorian_landlines_are_accepted_with_a_warning(raw: str, digits: str, prefix: str) -> None:
    number = normalize_phone(raw)
    assert number.digits == digits
    assert number.kind == "landline"
    assert len(number.warnings) == 1
    assert "landline" in number.warnings[0]
    assert f"prefix {prefix}" in number.warnings[0]
    assert "cannot receive SMS" in number.warnings[0]


@pytest.mark.parametrize(
    ("raw", "digits", "region", "kind"),
    [
        ("+33 6 12 34 56 78", "33612345678", "FR", "mobile"),
        ("0033 6 12 34 56 78", "33612345678", "FR", "mobile"),
        ("+33 (0)6 12 34 56 78", "33612345678", "FR", "mobile"),
        ("+1 415 555 2671", "14155552671", "US", "unknown"),  # US numbers may be either
        ("+221 77 123 45 67", "221771234567", "SN", "mobile"),  # Senegal
        ("+226 70 12 34 56", "22670123456", "BF", "mobile"),  # Burkina Faso
        ("+44 7400 123456", "447400123456", "GB", "mobile"),
    ],
)
def test_foreign_numbers_with_plus_or_00(raw: str, digits: str, region: str, kind: str) -> None:
    number = normalize_phone(raw)
    assert number.digits == digits
    assert number.region == region
    assert number.kind == kind
    assert str(number.country_code) == digits[: len(str(number.country_code))]
    assert number.digits == str(number.country_code) + number.national


def test_a_foreign_landline_is_flagged() -> None:
    number = normalize_phone("+44 20 7946 0958")
    assert number.kind == "landline"
    assert number.warnings and "landline" in number.warnings[0]


def test_a_toll_free_number_is_flagged() -> None:
    number = normalize_phone("+800 1234 5678")
    assert number.kind == "unknown"
    assert number.warnings and "toll-free" in number.warnings[0]


def test_another_default_region_reads_national_numbers_there() -> None:
    assert normalize_phone("06 12 34 56 78", default_region="FR").digits == "33612345678"
    assert normalize_phone("06 12 34 56 78", default_region="fr").digits == "33612345678"
    # international forms do not depend on the region
    assert normalize_phone("+225 07 07 12 34 56", default_region="FR").digits == ORANGE
    assert normalize_phone("2250707123456", default_region="FR").digits == ORANGE
    with pytest.raises(InvalidPhoneNumber):
        normalize_phone("07123456", default_region="FR")


def test_an_unknown_default_region_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown default region"):
        normalize_phone("0612345678", default_region="ZZ")


# ---- refusals ---------------------------------------------------------------------------------------


def refused(raw: object, default_region: str = "CI") -> InvalidPhoneNumber:
    with pytest.raises(InvalidPhoneNumber) as caught:
        normalize_phone(raw, default_region)  # type: ignore[arg-type]
    return caught.value


@pytest.mark.parametrize("raw", ["07 12 34 56", "07123456", "22 44 55 66", "(07) 12-34-56"])
def test_old_eight_digit_ivorian_numbers_are_refused_with_the_2021_rule(raw: str) -> None:
    error = refused(raw)
    assert "since 2021 Ivorian numbers have 10 digits" in error.reason
    assert "07" in error.reason


@pytest.mark.parametrize("raw", ["+225 07 12 34 56", "00225 07123456", "22507123456"])
def test_plus_225_with_eight_digits_is_refused_with_the_same_rule(raw: str) -> None:
    assert "since 2021 Ivorian numbers have 10 digits" in refused(raw).reason


def test_dropping_the_leading_zero_after_225_is_refused_with_a_suggestion() -> None:
    error = refused("+225 7 07 12 34 56")
    assert "+225 0707123456" in error.reason
    error = refused("707123456")
    assert "0707123456" in error.reason


@pytest.mark.parametrize("raw", ["06 12 34 56 78", "0612345678", "0800123456", "09 12 34 56 78"])
def test_a_ten_digit_national_number_with_a_foreign_prefix_is_never_guessed(raw: str) -> None:
    error = refused(raw)
    assert "not an Ivorian prefix" in error.reason
    assert "+ and the country code" in error.reason


@pytest.mark.parametrize("raw", ["+225 06 12 34 56 78", "2250812345678"])
def test_225_with_a_prefix_that_does_not_exist(raw: str) -> None:
    assert "is not an Ivorian prefix" in refused(raw).reason


@pytest.mark.parametrize("raw", ["33612345678", "14155552671"])
def test_foreign_numbers_without_plus_are_refused_with_the_explicit_form(raw: str) -> None:
    error = refused(raw)
    assert "without its '+'" in error.reason
    assert "+" + raw[:2] in error.reason.replace(" ", "")


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("+", "no digits"),
        ("++", "no digits"),
        ("+-", "no digits"),
        ("07 07 12 34 5", "too short"),
        ("0707123456789", "too long"),
        ("+33 6 12", "too short"),
        ("+33 6 12 34 56 78 90 12 34", "too long"),
        ("+999 1234 5678", "country code"),
        ("+225+0707123456", "once, at the start"),
        ("07 07 12 34 56 +", "once, at the start"),
    ],
)
def test_empty_short_long_and_odd_inputs(raw: str, words: str) -> None:
    assert words in refused(raw).reason


@pytest.mark.parametrize(
    "raw",
    [
        "abc",
        "O7O7123456",
        "07 07 12 34 5six",
        "tel: 0707123456",
        "0707123456 ext 12",
        "Ⅶ0707123456",
        "ⅰ0707123456",
    ],
)
def test_letters_are_refused(raw: str) -> None:
    reason = refused(raw).reason
    assert "letters" in reason or "not part of a phone number" in reason


@pytest.mark.parametrize(
    "raw", ["07\x0007123456", "07\x1b07123456", "0707\n123456", "07\x7f07123456", "07\u2028123456"]
)
def test_control_characters_are_refused(raw: str) -> None:
    assert "control" in refused(raw).reason


@pytest.mark.parametrize("raw", ["\u202e6543217070", "\u202d0707123456", "\u20660707123456\u2069"])
def test_direction_overrides_are_refused_because_they_reorder_what_is_shown(raw: str) -> None:
    assert "direction" in refused(raw).reason


@pytest.mark.parametrize(
    "raw",
    [
        "'; DROP TABLE contacts; --",
        "0707123456; DROP TABLE x",
        "<script>alert(1)</script>",
        "<b>0707123456</b>",
        "${jndi:ldap://x}",
        "{{phone}}",
        "0707123456 😀",
        "😀",
        "07*07#12",
        "%30%37%30%37",
        "0x0707123456",
        "1e10",
    ],
)
def test_injection_like_and_emoji_inputs_are_refused(raw: str) -> None:
    error = refused(raw)
    assert error.reason
    assert error.raw == raw[:40] or error.raw.endswith("…")


def test_absurdly_long_input_is_refused_before_parsing() -> None:
    raw = "0" * 10_000_000
    error = refused(raw)
    assert "too long" in error.reason
    assert len(error.raw) == 40
    assert error.raw.endswith("…")
    assert "10000000 characters" in error.reason


def test_sixty_five_characters_is_already_too_long_even_if_mostly_spaces() -> None:
    assert "too long" in refused(" " * 55 + "0707123456").reason
    assert normalize_phone(" " * 54 + "0707123456").digits == ORANGE


def test_non_text_is_refused() -> None:
    assert "must be text" in refused(707123456).reason
    assert "must be text" in refused(None).reason


def test_the_error_carries_the_input_and_a_readable_message() -> None:
    error = refused("07 12 34 56")
    assert isinstance(error, ValueError)
    assert error.raw == "07 12 34 56"
    assert str(error).startswith("invalid phone number '07 12 34 56': ")
    assert error.reason in str(error)


# ---- the bulk helper --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["07 07 12 34 56", "+225 07-07-12-34-56", "2250707123456", "00225 0707123456"]
)
def test_fast_vendor_digits_agrees_with_normalize_phone(raw: str) -> None:
    assert fast_vendor_digits(raw) == normalize_phone(raw).digits == ORANGE


@pytest.mark.parametrize(
    "raw", ["27 21 23 45 67", "07123456", "+33 6 12 34 56 78", "٠٧٠٧١٢٣٤٥٦", "0612345678", "x" * 100, ""]
)
def test_fast_vendor_digits_declines_everything_else(raw: str) -> None:
    assert fast_vendor_digits(raw) is None


def test_fast_vendor_digits_respects_the_default_region() -> None:
    assert fast_vendor_digits("0707123456", "FR") is None
    assert fast_vendor_digits("+225 0707123456", "FR") == ORANGE
