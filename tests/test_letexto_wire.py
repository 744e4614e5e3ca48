"""The exact request forms: timestamps, path ids, campaign contacts, optional fields."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from letexto_mcp.letexto.wire import campaign_contacts, format_datetime, path_segment, without_absent


def test_datetime_utc_with_milliseconds() -> None:
    assert format_datetime(datetime(2026, 2, 13, 21, 40, tzinfo=timezone.utc)) == "2026-02-13T21:40:00.000Z"


def test_datetime_converted_to_utc_and_truncated_to_the_millisecond() -> None:
    abidjan_plus_two = timezone(timedelta(hours=2))
    value = datetime(2026, 2, 13, 23, 40, 5, 123987, tzinfo=abidjan_plus_two)
    assert format_datetime(value) == "2026-02-13T21:40:05.123Z"


def test_naive_datetime_is_refused_with_a_clear_error() -> None:
    with pytest.raises(ValueError, match="send_at must be timezone-aware"):
        format_datetime(datetime(2026, 2, 13, 21, 40), field="send_at")


def test_non_datetime_is_refused() -> None:
    with pytest.raises(TypeError):
        format_datetime("2026-02-13T21:40:00Z")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ("abc123", "abc123"),
        ("../users/balance", "..%2Fusers%2Fbalance"),
        ("..", "%2E%2E"),
        (".", "%2E"),
        ("a?token=x#f", "a%3Ftoken%3Dx%23f"),
        ("50%", "50%25"),
        ("a b", "a%20b"),
    ],
)
def test_path_segment_cannot_escape(value: str, encoded: str) -> None:
    assert path_segment(value) == encoded


@given(st.text(min_size=1).filter(lambda s: s.strip()))
def test_any_id_stays_one_segment_after_url_normalisation(value: str) -> None:
    url = httpx.URL("https://apis.letexto.com/v1/messages/" + path_segment(value) + "/status")
    parts = url.raw_path.decode("ascii").split("/")
    assert parts[:3] == ["", "v1", "messages"]
    assert parts[-1] == "status"
    assert len(parts) == 5
    assert url.query == b""


@pytest.mark.parametrize("value", ["", "   "])
def test_empty_id_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        path_segment(value, field="message_id")


def test_without_absent_drops_none_and_empty_strings_only() -> None:
    assert without_absent({"a": None, "b": "", "c": 0, "d": False, "e": "x"}) == {
        "c": 0,
        "d": False,
        "e": "x",
    }


def test_contacts_keep_numero_and_custom_fields() -> None:
    contacts = [{"numero": "2250707123456", "name": "Awa", "age": "12"}]
    assert campaign_contacts(contacts) == [{"numero": "2250707123456", "name": "Awa", "age": "12"}]


def test_contacts_phone_is_renamed_numero() -> None:
    wire = campaign_contacts([{"phone": "2250707123456", "name": "Awa"}])
    assert wire == [{"numero": "2250707123456", "name": "Awa"}]
    assert "phone" not in wire[0]


def test_contacts_same_number_under_both_keys_is_fine() -> None:
    assert campaign_contacts([{"phone": "2250707123456", "numero": "2250707123456"}]) == [
        {"numero": "2250707123456"}
    ]


def test_contacts_two_different_numbers_are_refused() -> None:
    with pytest.raises(ValueError, match="two different numbers"):
        campaign_contacts([{"phone": "2250707123456", "numero": "2250505123456"}])


@pytest.mark.parametrize("contact", [{"name": "Awa"}, {"numero": ""}, {"phone": None}])
def test_contacts_without_a_number_are_refused(contact: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="contact #1 has no number"):
        campaign_contacts([contact])  # type: ignore[list-item]


@pytest.mark.parametrize("contacts", ["2250707123456", [["2250707123456"]], None])
def test_contacts_of_the_wrong_type_are_refused(contacts: object) -> None:
    with pytest.raises(TypeError):
        campaign_contacts(contacts)  # type: ignore[arg-type]


def test_contacts_input_is_not_modified() -> None:
    original = {"phone": "2250707123456", "name": "Awa"}
    campaign_contacts([original])
    assert original == {"phone": "2250707123456", "name": "Awa"}
