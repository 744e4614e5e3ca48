"""Properties of sms/ that tests/test_sms_properties.py leaves out, checked by hypothesis.

- The vendor's form is a fixed point: feeding an accepted number back (as LeTexto would send it
  to us in a status, with no '+') never turns it into another number.
- Contacts: every accepted contact's phone is in the vendor's form, and parsing the parsed
  contacts again changes nothing (idempotent), whatever mix of forms came in. (A foreign number
  read back without its '+' may be refused as ambiguous: refused, never misread.)
- A campaign's parts equal the sum of the reference count over every rendered message.
- The GSM-7 rewrite is idempotent, and keeps text that was GSM-7 already.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from letexto_mcp.sms.campaign import plan_campaign
from letexto_mcp.sms.contacts import parse_contacts
from letexto_mcp.sms.phones import InvalidPhoneNumber, normalize_phone
from letexto_mcp.sms.rewrite import gsm7_rewrite
from letexto_mcp.sms.templates import render
from tests.test_sms_properties import ivorian_numbers, messages, reference_count

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

any_number = st.one_of(
    ivorian_numbers(),
    st.builds(
        lambda cc, rest: f"+{cc} {rest}",
        st.sampled_from([1, 33, 44, 49, 221, 223, 226, 229, 233, 234, 237, 255]),
        st.text(alphabet="0123456789", min_size=6, max_size=11),
    ),
    st.text(alphabet="0123456789 +-.()", max_size=20),
)


def is_vendor_form(digits: str) -> bool:
    """What LeTexto takes: country code and national number, digits only, no '+' or leading 0."""
    return digits.isascii() and digits.isdigit() and 7 <= len(digits) <= 15 and digits[0] != "0"


@SETTINGS
@given(any_number)
def test_the_vendor_form_read_back_is_the_same_number_or_refused(raw: str) -> None:
    try:
        number = normalize_phone(raw)
    except InvalidPhoneNumber:
        return
    assert is_vendor_form(number.digits)
    try:
        again = normalize_phone(number.digits)
    except InvalidPhoneNumber:
        return  # refusing an ambiguous bare form is fine; reading it as another number is not
    assert again.digits == number.digits


@SETTINGS
@given(ivorian_numbers())
def test_an_ivorian_number_in_vendor_form_is_a_fixed_point(raw: str) -> None:
    number = normalize_phone(raw)
    assert normalize_phone(number.digits) == normalize_phone("+" + number.digits)
    assert normalize_phone(number.digits).digits == number.digits


NAMES = st.text(alphabet=st.characters(exclude_categories=["Cs", "Cc"]), min_size=1, max_size=12).filter(
    str.strip
)


@SETTINGS
@given(st.lists(st.tuples(any_number, NAMES), min_size=1, max_size=40))
def test_parsed_contacts_are_in_vendor_form_and_parsing_them_again_changes_nothing(
    rows: list[tuple[str, str]],
) -> None:
    parsed = parse_contacts([{"phone": phone, "name": name} for phone, name in rows])
    assert all(is_vendor_form(c.phone) for c in parsed.contacts)
    assert len({c.phone for c in parsed.contacts}) == len(parsed.contacts)  # duplicates merged
    assert len(parsed.contacts) + len(parsed.rejected) + parsed.duplicates_merged == len(rows)
    if not parsed.contacts:
        return
    again = parse_contacts([{"phone": "+" + c.phone, **c.fields} for c in parsed.contacts])
    assert again.contacts == parsed.contacts
    assert again.rejected == [] and again.duplicates_merged == 0


@SETTINGS
@given(st.lists(st.tuples(ivorian_numbers(), NAMES), min_size=1, max_size=40))
def test_ivorian_contacts_read_back_in_vendor_form_are_the_same_contacts(rows: list[tuple[str, str]]) -> None:
    parsed = parse_contacts([{"numero": phone, "name": name} for phone, name in rows])
    again = parse_contacts([{"numero": c.phone, **c.fields} for c in parsed.contacts])
    assert again.contacts == parsed.contacts


@SETTINGS
@given(messages(max_size=200), st.lists(st.tuples(ivorian_numbers(), NAMES), min_size=1, max_size=20))
def test_campaign_parts_are_the_sum_of_the_reference_count_per_message(
    text: str, rows: list[tuple[str, str]]
) -> None:
    template = text.replace("{", "(").replace("}", ")") + " {{name}}"
    contacts = parse_contacts([{"phone": phone, "name": name} for phone, name in rows]).contacts
    plan = plan_campaign(template, contacts)
    rendered = [render(template, c.fields) for c in contacts]
    counts = [reference_count(message) for message in rendered]
    assert plan.messages == len(contacts)
    assert plan.total_parts == sum(parts for _, parts, _, _ in counts)
    assert plan.max_parts == max((parts for _, parts, _, _ in counts), default=0)
    assert plan.encodings["UCS-2"] == sum(1 for encoding, *_ in counts if encoding == "UCS-2")


@SETTINGS
@given(st.one_of(messages(), st.text(max_size=300)))
def test_the_gsm7_rewrite_is_idempotent(text: str) -> None:
    once = gsm7_rewrite(text)
    assert gsm7_rewrite(once) == once
