"""Properties that must hold for every input, checked by hypothesis."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from letexto_mcp.sms.phones import InvalidPhoneNumber, fast_vendor_digits, normalize_phone
from letexto_mcp.sms.rewrite import gsm7_rewrite
from letexto_mcp.sms.segments import GSM7_BASIC, GSM7_EXTENSION, count_parts, count_segments, is_gsm7
from letexto_mcp.sms.templates import MissingFields, placeholders, render

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---- a straightforward reference for part counting --------------------------------------------------


def reference_count(text: str) -> tuple[str, int, int, int]:
    """(encoding, parts, units, units in the last part), packing one character at a time."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
        encoding, single, multi = "GSM-7", 160, 153
        sizes = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    else:
        encoding, single, multi = "UCS-2", 70, 67
        sizes = [len(ch.encode("utf-16-le", "surrogatepass")) // 2 for ch in text]
    total = sum(sizes)
    if total == 0:
        return encoding, 0, 0, 0
    if total <= single:
        return encoding, 1, total, total
    parts, used = 1, 0
    for size in sizes:
        if used + size > multi:
            parts, used = parts + 1, 0
        used += size
    return encoding, parts, total, used


GSM_CHARS = sorted(GSM7_BASIC)
EXTENSION_CHARS = sorted(GSM7_EXTENSION)
FRENCH_NON_GSM = [*"êâîôûëïçœÀ’“”«»…–—", "\u00a0", "\u202f"]
EMOJI = ["😀", "👍🏽", "👨\u200d👩\u200d👧", "🇨🇮", "❤️", "🔥"]


def messages(min_size: int = 0, max_size: int = 400) -> st.SearchStrategy[str]:
    """Texts dense in the characters that matter: plain, extension, French non-GSM, emoji."""
    piece = st.one_of(
        st.sampled_from(GSM_CHARS),
        st.sampled_from(GSM_CHARS),
        st.sampled_from(GSM_CHARS),
        st.sampled_from(EXTENSION_CHARS),
        st.sampled_from(FRENCH_NON_GSM),
        st.sampled_from(EMOJI),
        st.characters(codec="utf-8"),
    )
    return st.lists(piece, min_size=min_size, max_size=max_size).map("".join)


def near_boundaries() -> st.SearchStrategy[str]:
    """Runs of one-unit characters with a two-unit one placed near 70/67/160/153 boundaries."""
    return st.builds(
        lambda base, wide, at, tail: base * at + wide + base * tail,
        st.sampled_from(["a", "ê", "é"]),
        st.sampled_from(["€", "[", "😀", "\f"]),
        st.sampled_from([65, 66, 67, 68, 69, 70, 132, 133, 134, 151, 152, 153, 158, 159, 160, 304, 305, 306]),
        st.integers(0, 160),
    )


@SETTINGS
@given(st.one_of(messages(), near_boundaries()))
@example("a" * 152 + "€" + "a" * 152)
@example("ê" * 66 + "😀" + "a" * 66)
def test_count_segments_agrees_with_the_reference(text: str) -> None:
    encoding, parts, units, last = reference_count(text)
    counted = count_segments(text)
    assert (counted.encoding, counted.parts, counted.units) == (encoding, parts, units)
    if parts:
        assert counted.per_part - counted.remaining_in_last_part == last
    assert count_parts(text) == (encoding, parts)


@SETTINGS
@given(st.text(max_size=300))
def test_count_segments_agrees_with_the_reference_on_any_unicode(text: str) -> None:
    encoding, parts, units, _ = reference_count(text)
    counted = count_segments(text)
    assert (counted.encoding, counted.parts, counted.units) == (encoding, parts, units)


# ---- gsm7_rewrite -----------------------------------------------------------------------------------


@SETTINGS
@given(st.one_of(messages(), near_boundaries(), st.text(max_size=300)))
@example("…" * 70)
@example("œ" * 70)
@example("½" * 70)
@example("ﷺ" * 40)
def test_gsm7_rewrite_is_gsm7_and_never_costs_more(text: str) -> None:
    rewritten = gsm7_rewrite(text)
    assert is_gsm7(rewritten)
    assert count_parts(rewritten)[1] <= count_parts(text)[1]


@SETTINGS
@given(st.text(alphabet=st.sampled_from(GSM_CHARS + EXTENSION_CHARS), max_size=300))
def test_gsm7_rewrite_leaves_gsm7_text_alone(text: str) -> None:
    assert gsm7_rewrite(text) == text


# ---- phone numbers ----------------------------------------------------------------------------------

SEPARATORS = st.sampled_from(["", " ", "-", ".", " ", "\u00a0"])


@st.composite
def ivorian_numbers(draw: st.DrawFn) -> str:
    """An Ivorian mobile or landline, written in one of the usual ways."""
    prefix = draw(st.sampled_from(["01", "05", "07", "21", "25", "27"]))
    rest = draw(st.text(alphabet="0123456789", min_size=8, max_size=8))
    sep = draw(SEPARATORS)
    grouped = sep.join([prefix, rest[:2], rest[2:4], rest[4:6], rest[6:]])
    lead = draw(st.sampled_from(["", "+225 ", "+225", "00225 ", "225", "(+225) "]))
    return lead + grouped


@SETTINGS
@given(ivorian_numbers())
def test_ivorian_numbers_normalise_to_225_plus_ten_digits(raw: str) -> None:
    number = normalize_phone(raw)
    assert number.digits.isdigit() and number.digits.isascii()
    assert number.digits.startswith("225") and len(number.digits) == 13
    assert number.digits == "225" + number.national
    assert number.kind == ("mobile" if number.national[0] == "0" else "landline")


@SETTINGS
@given(
    st.one_of(
        ivorian_numbers(),
        st.text(alphabet="0123456789 +-.()", max_size=24),
        st.builds(
            lambda cc, rest: f"+{cc} {rest}",
            st.sampled_from([1, 33, 44, 49, 221, 226, 234, 237, 255]),
            st.text(alphabet="0123456789", min_size=6, max_size=11),
        ),
        st.text(max_size=30),
    )
)
def test_accepted_numbers_are_digits_with_a_country_code_and_idempotent(raw: str) -> None:
    try:
        number = normalize_phone(raw)
    except InvalidPhoneNumber as error:
        assert error.reason
        assert len(error.raw) <= 40
        return
    assert number.digits.isdigit() and number.digits.isascii()
    assert 7 <= len(number.digits) <= 15
    assert number.digits.startswith(str(number.country_code))
    assert number.digits == str(number.country_code) + number.national
    again = normalize_phone("+" + number.digits)
    assert again.digits == number.digits
    assert again.kind == number.kind
    assert normalize_phone("00" + number.digits).digits == number.digits


@SETTINGS
@given(ivorian_numbers())
def test_the_fast_path_agrees_with_phonenumbers_on_ivorian_mobiles(raw: str) -> None:
    import phonenumbers

    number = normalize_phone(raw)
    if number.kind != "mobile":
        return
    parsed = phonenumbers.parse(raw.replace("\u00a0", " "), "CI")
    assert phonenumbers.is_valid_number(parsed)
    assert number.digits == phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)[1:]


@SETTINGS
@given(st.one_of(ivorian_numbers(), st.text(alphabet="0123456789 +-.()", max_size=20), st.text(max_size=20)))
def test_fast_vendor_digits_never_disagrees_with_normalize_phone(raw: str) -> None:
    fast = fast_vendor_digits(raw)
    if fast is None:
        return
    number = normalize_phone(raw)
    assert (number.digits, number.kind, number.warnings) == (fast, "mobile", ())


# ---- templates --------------------------------------------------------------------------------------

NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.\-]{0,12}", fullmatch=True)
VALUES = st.text(max_size=20)


@SETTINGS
@given(
    st.lists(
        st.tuples(st.text(alphabet=st.characters(exclude_characters="{}"), max_size=15), NAMES, VALUES),
        max_size=6,
    ),
    st.text(alphabet=st.characters(exclude_characters="{}"), max_size=15),
)
def test_render_substitutes_every_placeholder_in_order(pieces: list[tuple[str, str, str]], tail: str) -> None:
    values: dict[str, str] = {}
    for _, name, value in pieces:
        values.setdefault(name, value)
    template = "".join(literal + "{{ " + name + " }}" for literal, name, _ in pieces) + tail
    expected = "".join(literal + values[name] for literal, name, _ in pieces) + tail
    assert placeholders(template) == list(dict.fromkeys(name for _, name, _ in pieces))
    assert render(template, values) == expected
    if values:
        dropped = next(iter(values))
        partial = {k: v for k, v in values.items() if k != dropped}
        if dropped in ("phone", "numero") and ({"phone", "numero"} & partial.keys()):
            return  # the alias fills in
        try:
            render(template, partial)
        except MissingFields as error:
            assert error.fields == [dropped]
        else:
            raise AssertionError("a missing field was not reported")
